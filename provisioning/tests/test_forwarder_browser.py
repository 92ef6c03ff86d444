"""The forwarder pages in a real Chromium: the completion form opened from the email, with a
mistake corrected, and the portal login. Screenshots go to test-results/."""

import re

import pytest

from conftest import shot
from provisioning.accounts.inputs import UserInput
from provisioning.accounts.links import login_token_create
from provisioning.accounts.services import user_create
from provisioning.audit.records import Actor
from provisioning.models import User
from provisioning.tests.factories import MembershipFactory, PartnerFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_forwarder_completes_its_details_from_the_emailed_link(
    browser_page, live_server, settings, mailoutbox
):
    settings.SITE_URL = live_server.url
    data = UserInput(
        email="carl@newco.example",
        first_name="Carl",
        last_name="Meyer",
        company_name="NewCo",
        country="DE",
    )
    user_create(partner=PartnerFactory(name="Freight Soft"), data=data, actor=Actor.system())
    (email,) = mailoutbox
    html_body = email.alternatives[0][0]
    link = re.search(r'href="([^"]+/complete/[^"]+)"', html_body).group(1)
    assert link.startswith(live_server.url)

    page = browser_page
    page.goto(link)
    page.get_by_role("heading", name="Complete your company details").wait_for()
    page.get_by_label("Company legal name").fill("NewCo Logistics GmbH")
    page.get_by_label("Address", exact=True).fill("Am Sandtorkai 1\n20457 Hamburg")
    page.get_by_label("Phone").fill("12")  # the mistake
    page.get_by_label("Website").fill("newco.example")
    page.locator("#id_offices-0-airport_code").fill("HAM")
    page.get_by_label("Lufthansa Cargo (LH)").fill("LH-778899")
    shot(page, "completion-1-filled")
    page.get_by_role("button", name="Send company details").click()

    error = page.locator("#id_phone_error")
    error.wait_for()
    assert "Enter a valid phone number" in error.inner_text()
    assert page.get_by_label("Company legal name").input_value() == "NewCo Logistics GmbH"
    assert page.get_by_label("Lufthansa Cargo (LH)").input_value() == "LH-778899"
    shot(page, "completion-2-field-error")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "completion-2-field-error-phone-width")
    page.set_viewport_size({"width": 1100, "height": 900})

    page.get_by_label("Phone").fill("+49 40 1234567")
    page.get_by_role("button", name="+ Add another office").click()  # the script adds a row
    page.locator("#id_offices-1-country").select_option("US")
    page.locator("#id_offices-1-airport_code").fill("JFK")
    page.get_by_role("button", name="Send company details").click()

    page.get_by_role("heading", name="Thank you — we received your details").wait_for()
    assert page.url == f"{live_server.url}/complete/done"
    shot(page, "completion-3-confirmation")
    user = User.objects.get(email="carl@newco.example")
    assert user.pending_reason == "details_submitted"
    assert user.company.phone == "+49401234567"
    assert sorted(o.airport_code for o in user.offices.all()) == ["HAM", "JFK"]

    page.goto(link)
    page.get_by_role("heading", name="This link has already been used").wait_for()
    assert page.get_by_role("button", name="Email me a new link").is_visible()
    shot(page, "completion-4-already-used")


def test_a_forwarder_signs_in_to_the_portal_with_a_one_time_link(
    browser_page, live_server, directory
):
    user = UserFactory(
        email="anna@acme-cargo.de",
        first_name="Anna",
        status="activated",
        pending_reason="",
        company=directory.acme,
    )
    user.offices.add(directory.ham)
    membership = MembershipFactory(user=user)
    _, raw = login_token_create(user=user, partner=membership.partner)
    link = f"{live_server.url}/portal/login?auth={raw}"

    page = browser_page
    page.goto(link)
    page.get_by_role("heading", name="Hello Anna").wait_for()
    assert page.url == f"{live_server.url}/portal/"
    assert page.get_by_role("heading", name="What is missing").is_visible()
    page.get_by_text("Why, airline by airline").click()
    row = page.get_by_role("row").filter(has_text="Lufthansa Cargo")
    assert "requires a customer ID" in row.inner_text()
    shot(page, "portal-1-signed-in")

    page.context.clear_cookies()  # signed in, the used link would show the portal again
    page.goto(link)
    page.get_by_role("heading", name="This sign-in link cannot be used").wait_for()
