"""A support agent works the queue in a real Chromium: log in, filter, open an account,
activate it through the confirmation page, and see it leave the queue."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings

from provisioning.models import PendingReason, User

from .conftest import make_staff, pending

# Playwright's sync API runs an event loop in the test thread; the ORM calls of the test
# itself are still made one at a time from that thread.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RESULTS = Path(settings.BASE_DIR) / "test-results"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_agent_filters_the_queue_opens_an_account_and_activates_it(
    live_server, chromium_path, flow2_account
):
    from playwright.sync_api import expect, sync_playwright

    agent = make_staff("sam@support.example", support=True)
    agent.set_password("queue-walk-password")
    agent.save(update_fields=["password"])
    for n in range(4):
        pending(
            f"waiting{n}@details.example",
            reason=PendingReason.AWAITING_DETAILS,
            waited=timedelta(days=n + 1),
        )
    RESULTS.mkdir(exist_ok=True)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{live_server.url}/admin/")
            page.fill("#id_username", "sam@support.example")
            page.fill("#id_password", "queue-walk-password")
            page.click("input[type=submit]")
            expect(page.locator("h1")).to_have_text("Pending accounts")
            page.screenshot(path=str(RESULTS / "support-queue.png"), full_page=True)

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
            page.screenshot(path=str(RESULTS / "support-queue-after-activation.png"))
        finally:
            browser.close()

    assert User.objects.get(pk=flow2_account.pk).status == "activated"
