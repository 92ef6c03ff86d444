"""The support agent's day on a 1366 x 900 laptop screen in a real Chromium, on the demo data
(`manage.py seed_demo`): the queue fits, the look-alike account's Activate form chooses
nothing, bulk activation takes the rows it can, claims and the "mine" filter, and the account
page speaks words, not codes. Screenshots go to test-results/."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from backoffice.models import AccountClaim
from conftest import SCREENSHOTS, shot
from provisioning.management.demo_data import SUPPORT_EMAIL, SUPPORT_PASSWORD
from provisioning.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 900}
LOOKALIKE = "tomas.wong.15@queue.example"
# A code where words belong: snake_case (awaiting_support), an audit action (user.created)
# or the "no value" sign of the old history.
RAW_CODE = re.compile(r"\b[a-z]+_[a-z_]+\b|\buser\.[a-z_]+\b|∅")


@pytest.fixture
def agent_page(live_server, browser_page):
    call_command("seed_demo", force=True, stdout=StringIO())
    page = browser_page
    page.set_viewport_size(LAPTOP)
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", SUPPORT_EMAIL)
    page.fill("#id_password", SUPPORT_PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("h1")).to_have_text("Pending accounts")
    return page


def open_account(page, live_server, email: str) -> User:
    user = User.objects.get(email=email)
    page.goto(f"{live_server.url}/admin/backoffice/account/{user.pk}/change/")
    expect(page.locator("h1")).to_have_text(email)
    return user


def test_the_queue_fits_a_laptop_screen_with_twelve_accounts_or_more(agent_page):
    page = agent_page
    overflowing = page.evaluate(
        """() => [document.documentElement, ...document.querySelectorAll(
                '#content, #content-main, #changelist, #changelist .results, #result_list')]
            .filter(el => el.scrollWidth > el.clientWidth + 1)
            .map(el => (el.id || el.className || el.tagName) + ' ' + el.scrollWidth + '>'
                        + el.clientWidth)"""
    )
    assert overflowing == []
    assert page.evaluate("() => !document.getElementById('main').classList.contains('shifted')")
    rows_on_screen = page.evaluate(
        """() => [...document.querySelectorAll('#result_list tbody tr')]
            .filter(tr => tr.getBoundingClientRect().bottom <= window.innerHeight).length"""
    )
    assert rows_on_screen >= 12
    heights = page.evaluate(
        "() => [...document.querySelectorAll('#result_list tbody tr')]"
        ".map(tr => tr.getBoundingClientRect().height)"
    )
    assert max(heights) < 40  # one line per account
    shot(page, "queue-1366", full_page=False)


def test_the_look_alike_accounts_activate_form_chooses_nothing_and_shows_the_differences(
    agent_page, live_server
):
    page = agent_page
    open_account(page, live_server, LOOKALIKE)
    page.click("#action-activate")

    company = page.locator("#choose-company")
    expect(company).to_contain_text("ACME Cargo GmbH")
    expect(company).to_contain_text("similar name only")
    expect(page.locator("#choose-company input[type=radio]:checked")).to_have_count(0)
    expect(page.locator("#choose-company input[type=checkbox]:checked")).to_have_count(0)
    acme = company.locator(".choice-company", has_text="ACME Cargo GmbH")
    expect(acme.locator("tr.differs", has_text="Email domain")).to_contain_text("queue.example")
    expect(acme.locator("tr.differs", has_text="CASS")).to_contain_text("0009")
    expect(page.locator("#confirm-warnings")).to_contain_text("CASS check digit does not match")
    shot(page, "activate-form-lookalike")


def test_the_account_page_speaks_words_not_codes(agent_page, live_server):
    page = agent_page
    open_account(page, live_server, LOOKALIKE)
    text = page.inner_text("#content")
    assert RAW_CODE.findall(text) == []
    assert "Status: Pending — awaiting support" in text
    assert "Account created" in text
    assert "Country: —" not in text.replace("\t", ": ")
    shot(page, "account-page")


def test_bulk_activation_of_a_mix_applies_to_the_eligible_rows(agent_page, live_server):
    page = agent_page
    page.goto(f"{live_server.url}/admin/backoffice/account/?reason=awaiting_support")
    ready = page.locator("#result_list tbody tr", has=page.locator(".bulk-ready"))
    not_ready = page.locator("#result_list tbody tr", has=page.locator(".bulk-no"))
    assert ready.count() >= 2 and not_ready.count() >= 2
    chosen_ready = [ready.nth(n).locator("a.account-link").inner_text() for n in range(2)]
    chosen_skipped = [not_ready.nth(n).locator("a.account-link").inner_text() for n in range(2)]
    for n in range(2):
        ready.nth(n).locator("input.action-select").check()
        not_ready.nth(n).locator("input.action-select").check()
    page.select_option("select[name=action]", "bulk_activate")
    page.click("button[name=index]")

    expect(page.locator("#confirm-accounts li.applies")).to_have_count(2)
    expect(page.locator("#confirm-accounts li.skipped")).to_have_count(2)
    skipped = page.locator("#confirm-accounts li.skipped").first
    assert skipped.evaluate("el => getComputedStyle(el).textDecorationLine") == "none"
    expect(skipped.locator("a")).to_have_attribute("href", re.compile(r"/change/$"))
    shot(page, "bulk-activate-confirmation")
    page.click("#confirm-button")

    expect(page.locator(".messagelist")).to_contain_text("2 accounts activated")
    statuses = dict(
        User.objects.filter(email__in=chosen_ready + chosen_skipped).values_list("email", "status")
    )
    assert {statuses[e] for e in chosen_ready} == {"activated"}
    assert {statuses[e] for e in chosen_skipped} == {"pending"}


def test_an_agent_takes_an_account_and_finds_it_under_mine(agent_page, live_server):
    page = agent_page
    user = open_account(page, live_server, LOOKALIKE)
    page.click("#claim-button")
    expect(page.locator("#claim")).to_contain_text("Assigned to you")
    assert AccountClaim.objects.get(user=user).agent.email == SUPPORT_EMAIL

    page.goto(f"{live_server.url}/admin/backoffice/account/")
    page.locator("#changelist-filter a", has_text="Me").click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(LOOKALIKE)
    expect(rows.first.locator(".badge-mine")).to_have_text("me")

    page.locator("#changelist-filter a", has_text="Nobody").click()
    expect(page.locator("#result_list")).not_to_contain_text(LOOKALIKE)


def test_the_dashboard_chart_shows_thirty_days_with_the_numbers(agent_page):
    page = agent_page
    chart = page.locator("#daily-chart")
    expect(chart.locator("svg.daily-chart")).to_be_visible()
    assert chart.locator("rect.bar-created").count() > 0
    assert chart.locator("rect.bar-activated").count() > 0
    chart.locator("summary").click()
    expect(chart.locator("#daily-numbers tbody tr")).to_have_count(30)
    chart.screenshot(path=str(shot_path("dashboard-chart")))
    page.locator("#queue-dashboard").screenshot(path=str(shot_path("dashboard")))


def shot_path(name: str):
    return SCREENSHOTS / f"{name}.png"
