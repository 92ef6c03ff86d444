"""Email delivery end to end: a real Celery worker process on the real Redis broker, sending
to a real SMTP server (aiosmtpd), reading the real PostgreSQL test database. The test process
publishes nothing: the worker's outbox relay hands each committed message over."""

import time

import pytest
from django.db import transaction

from provisioning.delivery.outbox import outbox_email_queue
from provisioning.models import OutboxMessage
from provisioning.models.outbox import OutboxStatus
from provisioning.tests.live import SmtpServer, Worker, publishing_to, suite_redis_url, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CONTEXT = {"first_name": "Anna", "email": "x", "portal_url": "http://portal.example/login"}


@pytest.fixture
def smtp():
    server = SmtpServer()
    yield server
    server.stop()


# The worker's relay looks for messages on its own once an hour only: what it hands over in
# these tests, it found when it started or because the commit notified it.
NOTIFIED_ONLY = {"OUTBOX_RELAY_POLL_SECONDS": "3600"}


@pytest.fixture
def worker(smtp, tmp_path):
    broker_url = suite_redis_url()
    process = Worker(
        broker_url=broker_url, smtp_port=smtp.port, log_dir=tmp_path, env=NOTIFIED_ONLY
    )
    process.start()
    with publishing_to(broker_url):
        yield process
    process.stop()
    print(process.logs())  # shown by pytest when the test failed


def queue(to: str) -> OutboxMessage:
    return outbox_email_queue(template="welcome", to=to, context=CONTEXT)


def delivered_then_quiet(smtp: SmtpServer, address: str) -> None:
    """Wait for `address`, then push a later message through the same worker, so that a
    duplicate of the first would have arrived before it."""
    wait_for(lambda: smtp.inbox.to(address), f"the email to {address}")
    queue("sentinel@example.com")
    wait_for(lambda: smtp.inbox.to("sentinel@example.com"), "the sentinel email")


def test_an_outbox_email_is_delivered_exactly_once(worker, smtp):
    smtp.start()
    message = queue("anna@acme-cargo.de")

    delivered_then_quiet(smtp, "anna@acme-cargo.de")

    assert smtp.inbox.to("anna@acme-cargo.de") == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 1)
    _, content = smtp.inbox.messages[0]
    assert b"Subject: Welcome to CargoMART, Anna" in content


def test_an_email_leaves_within_moments_of_the_commit(worker, smtp):
    smtp.start()
    queue("first@example.com")
    wait_for(lambda: smtp.inbox.to("first@example.com"), "a first email: the relay is listening")

    # The relay's own look comes once an hour: only the commit's notification can wake it
    # within the 30 s allowed here.
    committed = time.perf_counter()
    queue("anna@acme-cargo.de")
    wait_for(lambda: smtp.inbox.to("anna@acme-cargo.de"), "the email after its commit", timeout=30)

    # A figure for docs/reliability.md (pytest -s shows it).
    print(f"commit to SMTP acceptance: {time.perf_counter() - committed:.3f} s")


def test_with_the_smtp_server_down_the_email_is_retried_and_delivered_once_it_is_back(worker, smtp):
    message = queue("bob@blueskylogistics.com")

    def failed_once():
        message.refresh_from_db()
        return message.attempts >= 1 and message.status == OutboxStatus.PENDING

    wait_for(failed_once, "a failed first attempt while the SMTP server is down")
    assert message.last_error

    smtp.start()
    delivered_then_quiet(smtp, "bob@blueskylogistics.com")

    assert smtp.inbox.to("bob@blueskylogistics.com") == 1
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    assert message.attempts >= 2


def test_an_smtp_server_refusing_for_a_while_gets_the_email_later_and_once(worker, smtp):
    smtp.inbox.refuse_next = 3
    smtp.start()
    message = queue("carla@orangefreight.nl")

    delivered_then_quiet(smtp, "carla@orangefreight.nl")

    assert smtp.inbox.refused == 3
    assert smtp.inbox.to("carla@orangefreight.nl") == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 4)


def test_a_rolled_back_transaction_sends_nothing(worker, smtp):
    smtp.start()
    with pytest.raises(RuntimeError), transaction.atomic():
        queue("rolled-back@example.com")
        raise RuntimeError("the change that caused the email failed")

    queue("committed@example.com")
    delivered_then_quiet(smtp, "committed@example.com")

    assert smtp.inbox.to("rolled-back@example.com") == 0
    assert not OutboxMessage.objects.filter(recipient="rolled-back@example.com").exists()
