"""A support agent works the queue in a real Chromium: log in, filter, open an account,
activate it through the confirmation page, and see it leave the queue."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from backoffice.tests.conftest import make_staff, pending
from conftest import shot
from provisioning.models import PendingReason, User


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_agent_filters_the_queue_opens_an_account_and_activates_it(
    live_server, browser_page, flow2_account
):
    agent = make_staff("sam@support.example", support=True)
    agent.set_password("queue-walk-password")
    agent.save(update_fields=["password"])
    for n in range(4):
        pending(
            f"waiting{n}@details.example",
            reason=PendingReason.AWAITING_DETAILS,
            waited=timedelta(days=n + 1),
        )
    page = browser_page
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "sam@support.example")
    page.fill("#id_password", "queue-walk-password")
    page.click("input[type=submit]")
    expect(page.locator("h1")).to_have_text("Pending accounts")
    shot(page, "support-queue")

    page.get_by_role("link", name="Awaiting support", exact=True).click()
    rows = page.locator("#result_list a.account-link")
    expect(rows).to_have_count(1)
    rows.first.click()

    expect(page.locator("h1")).to_have_text("carl@newco-air.de")
    page.click("#action-activate")
    expect(page.locator("#choose-company")).to_contain_text("Newco Air Freight")
    page.click("#confirm-button")

    expect(page.locator("h1")).to_have_text("Pending accounts")
    expect(page.locator(".messagelist")).to_contain_text("1 account activated")
    expect(page.locator("#result_list a.account-link")).to_have_count(0)
    shot(page, "support-queue-after-activation", full_page=False)

    assert User.objects.get(pk=flow2_account.pk).status == "activated"
