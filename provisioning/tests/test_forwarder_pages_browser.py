"""The forwarder's sign-in page, the portal page and the pages of used links, in a real
Chromium at 1366 x 900. Screenshots go to test-results/."""

import re

import pytest

from conftest import shot
from provisioning.accounts.inputs import UserInput
from provisioning.accounts.services import user_create
from provisioning.audit.records import Actor
from provisioning.models import User
from provisioning.tests.factories import MembershipFactory, PartnerFactory, UserFactory
from recognition.tests.factories import (
    AirlineCassConfigurationFactory,
    AirlineCustomerIdFactory,
    ColoaderCoverageFactory,
    airline,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LAPTOP = {"width": 1366, "height": 900}


@pytest.fixture
def site(live_server, settings):
    settings.SITE_URL = live_server.url
    settings.PORTAL_URL = f"{live_server.url}/portal/login"
    return live_server.url


@pytest.fixture
def laptop(browser_page):
    browser_page.set_viewport_size(LAPTOP)
    return browser_page


def test_a_forwarder_asks_for_a_sign_in_link_and_reaches_a_short_portal_page(
    laptop, site, directory, mailoutbox
):
    user = UserFactory(
        email="anna@acme-cargo.de",
        first_name="Anna",
        status="activated",
        pending_reason="",
        company=directory.acme,
    )
    user.offices.add(directory.ham)
    MembershipFactory(user=user)
    registration = directory.ham.cass_registrations.get()
    for code in ("EK", "QR", "CX", "TK", "AF", "KL"):
        AirlineCassConfigurationFactory(registration=registration, airline=airline(code))
    AirlineCustomerIdFactory(company=directory.acme, airline=airline("LH"))
    for code in ("BA", "IB", "DL", "UA"):
        ColoaderCoverageFactory(origin_country="DE", airline=airline(code))

    page = laptop
    page.goto(f"{site}/")  # the admin's "View site"
    page.get_by_role("heading", name="Sign in to CargoMART").wait_for()
    assert page.url == f"{site}/sign-in"
    favicon = page.request.get(f"{site}/favicon.ico")
    assert favicon.ok and favicon.headers["content-type"].startswith("image/")
    page.get_by_label("Your email address").fill("anna@acme-cargo.de")
    shot(page, "sign-in-1-form")
    page.get_by_role("button", name="Email me a sign-in link").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    shot(page, "sign-in-2-check-your-inbox")

    (email,) = mailoutbox
    link = re.search(r"http://\S+/portal/login\?auth=[\w-]+", email.body).group(0)
    assert link.startswith(site)
    page.goto(link)
    page.get_by_role("heading", name="Hello Anna").wait_for()
    assert page.url == f"{site}/portal/"
    groups = page.locator(".offer-group")
    titles = [t.strip() for t in groups.locator("h4 .badge").all_inner_texts()]
    assert titles == [
        "Live rates and booking through your booking software",
        "Coloader offers, booked in FlyWINDOW",
        "No offers yet",
    ]
    assert page.get_by_text("FlyWINDOW is the booking screen").count() == 1
    assert "book in the portal" not in page.content()
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 1800, f"the portal page is {height} px tall"
    shot(page, "portal-1-signed-in")
    page.get_by_text("Why, airline by airline").click()
    row = page.get_by_role("row").filter(has_text="Singapore Airlines")
    assert "requires a customer ID" in row.inner_text()

    page.goto(link)  # the used link again, still signed in: the portal, not a refusal
    page.get_by_role("heading", name="Hello Anna").wait_for()

    other = page.context.browser.new_context(viewport=LAPTOP).new_page()
    other.goto(link)
    other.get_by_role("heading", name="This sign-in link cannot be used").wait_for()
    other.get_by_role("link", name="Email me a new sign-in link").click()
    other.get_by_role("heading", name="Sign in to CargoMART").wait_for()
    other.go_back()
    shot(other, "portal-2-link-used")
    other.context.close()


def _invited(email: str) -> tuple[User, str]:
    from django.core import mail

    data = UserInput(
        email=email, first_name="Carl", last_name="Meyer", company_name="NewCo", country="IN"
    )
    user = user_create(partner=PartnerFactory(), data=data, actor=Actor.system()).user
    body = mail.outbox[-1].body
    return user, re.search(r"http://\S+/complete/\S+", body).group(0)


def test_the_used_completion_link_page_offers_only_what_it_can_do(laptop, site, mailoutbox):
    page = laptop
    page.goto(f"{site}/complete/done")  # opened cold: nothing confirmed
    page.get_by_role("heading", name="Complete your company details").wait_for()
    assert "we received your details" not in page.content()
    shot(page, "completion-done-cold")

    user, link = _invited("carl@newco.example")
    page.goto(link)
    # The phone hint is a number of the company's country, and follows the chosen one.
    hint = page.locator("#id_phone_helptext")
    assert "e.g. +91 " in hint.inner_text(), hint.inner_text()
    page.locator("#id_country").select_option("GB")
    assert "e.g. +44 " in hint.inner_text(), hint.inner_text()
    assert "(a number without it is read in the company's country)" in hint.inner_text()
    shot(page, "completion-phone-hint", full_page=False)
    User.objects.filter(pk=user.pk).update(pending_reason="details_submitted")
    user.completion_links.update(used_at=user.date_joined)

    page.goto(link)
    page.get_by_role("heading", name="This link has already been used").wait_for()
    shot(page, "used-link-1-details-under-review")
    mailoutbox.clear()
    page.get_by_label("Your email address").fill("carl@newco.example")
    page.get_by_role("button", name="Email me a new link").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    (email,) = mailoutbox
    new_link = re.search(r"http://\S+/complete/\S+", email.body).group(0)
    page.goto(new_link)
    page.get_by_role("heading", name="Complete your company details").wait_for()

    User.objects.filter(pk=user.pk).update(status="activated", pending_reason="")
    page.goto(link)
    page.get_by_role("heading", name="This link has already been used").wait_for()
    assert page.get_by_role("button", name="Email me a new link").count() == 0
    page.get_by_role("link", name="Sign in to CargoMART").wait_for()
    shot(page, "used-link-2-account-active")

    page.goto(f"{site}/complete/not-a-real-token")
    page.get_by_role("heading", name="This link is not valid").wait_for()
    shot(page, "used-link-3-not-valid")
