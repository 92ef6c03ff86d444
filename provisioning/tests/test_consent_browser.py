"""Two partners, one forwarder: the second partner learns nothing of the account until the
forwarder allows it in a real browser. Screenshots go to test-results/."""

import json
import re

import pytest

from conftest import shot
from provisioning.tests.conftest import person
from provisioning.tests.factories import PartnerFactory, api_key_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def call(client, method: str, key: str, body: dict | None = None, email: str = ""):
    query = f"?email={email}" if email else ""
    response = getattr(client, method)(
        f"/solutions/users{query}",
        json.dumps(body) if body else None,
        content_type="application/json",
        headers={"x-api-key": key},
    )
    return response.json()


def test_a_second_partner_sees_nothing_until_the_forwarder_allows_it(
    browser_page, live_server, settings, mailoutbox, client, directory
):
    settings.SITE_URL = live_server.url
    _, key_a = api_key_for(PartnerFactory(name="Freight Soft"))
    _, key_b = api_key_for(PartnerFactory(name="Cargo Tools"))
    created = call(client, "post", key_a, person("vera@acme-cargo.de", countryCode="DE"))
    assert created["status"] == "Activated"
    mailoutbox.clear()

    asked = call(
        client, "post", key_b, person("VERA@acme-cargo.de", firstName="V", countryCode="US")
    )
    # B sees no token, no name, no company, no office of A's user.
    assert asked == {
        "status": "Pending",
        "message": "Successful request: User has been created and is pending verification: "
        "vera@acme-cargo.de",
    }
    refused = json.dumps(call(client, "get", key_b, email="vera@acme-cargo.de"))
    assert "user not verified" in refused
    for secret in ("Anna", "Schmidt", "ACME", "HAM", "token"):
        assert secret not in json.dumps(asked) + refused

    (email,) = mailoutbox
    assert email.subject == "Cargo Tools asks to manage your CargoMART account"
    link = re.search(r'href="([^"]+/consent/[^"]+)"', email.alternatives[0][0]).group(1)
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(link)
    page.get_by_role("heading", name="Cargo Tools asks to manage your account").wait_for()
    shot(page, "consent-1-question")
    assert "token" not in call(
        client, "get", key_b, email="vera@acme-cargo.de"
    )  # GET decides nothing
    page.get_by_role("button", name="Allow Cargo Tools").click()
    page.get_by_role("heading", name="Cargo Tools can now manage your account").wait_for()
    shot(page, "consent-2-allowed")

    answer = call(client, "get", key_b, email="vera@acme-cargo.de")
    assert answer["status"] == "Activated" and answer["token"]
    page.goto(link)  # single use
    page.get_by_role("heading", name="This request was already answered").wait_for()
