"""The outbox delivers after commit, once per message, and keeps what it could not send."""

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from provisioning.delivery import outbox
from provisioning.delivery.outbox import outbox_deliver_one, outbox_email_queue, outbox_sweep_due
from provisioning.models import OutboxMessage
from provisioning.models.outbox import OutboxStatus

pytestmark = pytest.mark.django_db

WELCOME = {
    "first_name": "Anna",
    "email": "anna@acme-cargo.de",
    "company_name": "ACME Cargo GmbH",
    "office": "ACME Cargo GmbH Hamburg",
    "portal_url": "http://127.0.0.1:8000/portal/login",
}


def queue_welcome(to="anna@acme-cargo.de") -> OutboxMessage:
    return outbox_email_queue(template="welcome", to=to, context=WELCOME)


class FlakySmtp:
    """Stands in for the SMTP connection: fails the first `failures` sends."""

    def __init__(self, monkeypatch, failures: int, error: Exception):
        self.failures, self.error, self.calls = failures, error, 0
        monkeypatch.setattr("django.core.mail.message.EmailMessage.send", self.send)

    def send(self, *args, **kwargs):
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return 1


def test_an_email_is_sent_once_the_transaction_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = queue_welcome()
        assert mail.outbox == []
    assert [m.to for m in mail.outbox] == [["anna@acme-cargo.de"]]
    sent = mail.outbox[0]
    assert sent.subject == "Welcome to CargoMART, Anna: your account is active"
    assert "ACME Cargo GmbH Hamburg" in sent.body
    assert "Sign in to CargoMART" in sent.alternatives[0].content
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 1)
    assert message.sent_at is not None


def test_a_rolled_back_change_sends_nothing_and_leaves_no_row(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        queue_welcome()
        raise RuntimeError("the change failed")
    assert mail.outbox == []
    assert not OutboxMessage.objects.exists()


def test_delivering_the_same_message_twice_sends_it_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_welcome()
    outbox_deliver_one(message.pk)
    outbox_deliver_one(message.pk)
    assert len(mail.outbox) == 1


def test_html_in_names_is_escaped_in_the_html_part_only(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        outbox_email_queue(
            template="welcome", to="a@b.example", context={**WELCOME, "first_name": "<b>Al</b>"}
        )
    sent = mail.outbox[0]
    assert "Hello <b>Al</b>," in sent.body
    assert "&lt;b&gt;Al&lt;/b&gt;" in sent.alternatives[0].content


def test_a_transient_smtp_failure_is_retried_later_with_backoff(monkeypatch, settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 30
    smtp = FlakySmtp(monkeypatch, failures=2, error=smtplib.SMTPServerDisconnected("gone"))
    message = OutboxMessage.objects.create(
        kind="email", template="welcome", recipient="a@b.example", context=WELCOME
    )

    assert outbox_deliver_one(message.pk) == timedelta(seconds=30)
    assert outbox_deliver_one(message.pk) == timedelta(seconds=60)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 2)
    assert "SMTPServerDisconnected" in message.last_error

    assert outbox_deliver_one(message.pk) is None
    message.refresh_from_db()
    assert (message.status, message.attempts, smtp.calls) == (OutboxStatus.SENT, 3, 3)


def test_a_refused_connection_counts_as_transient(monkeypatch):
    FlakySmtp(monkeypatch, failures=1, error=ConnectionRefusedError(111, "refused"))
    message = OutboxMessage.objects.create(
        kind="email", template="welcome", recipient="a@b.example", context=WELCOME
    )
    assert outbox_deliver_one(message.pk) is not None
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING


def test_a_permanently_refused_recipient_is_not_retried(monkeypatch):
    FlakySmtp(
        monkeypatch,
        failures=1,
        error=smtplib.SMTPRecipientsRefused({"a@b.example": (550, b"no such user")}),
    )
    message = OutboxMessage.objects.create(
        kind="email", template="welcome", recipient="a@b.example", context=WELCOME
    )
    assert outbox_deliver_one(message.pk) is None
    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED
    assert "recipient refused" in message.last_error


def test_delivery_gives_up_after_the_maximum_attempts(monkeypatch, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    FlakySmtp(monkeypatch, failures=99, error=smtplib.SMTPServerDisconnected("gone"))
    message = OutboxMessage.objects.create(
        kind="email", template="welcome", recipient="a@b.example", context=WELCOME
    )
    for _ in range(5):
        outbox_deliver_one(message.pk)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.FAILED, 3)


def test_a_message_whose_delivery_after_commit_failed_is_sent_by_the_sweep(
    monkeypatch, django_capture_on_commit_callbacks
):
    def process_killed(*args, **kwargs):
        raise ConnectionRefusedError(111, "database connection lost")

    with monkeypatch.context() as patched:
        patched.setattr(outbox, "outbox_deliver_one", process_killed)
        with django_capture_on_commit_callbacks(execute=True):
            message = queue_welcome()
    assert mail.outbox == []

    # Not yet overdue: the sweep leaves it to a task that may still be on its way.
    assert outbox_sweep_due() == 0
    OutboxMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - outbox.sweep_grace() - timedelta(seconds=1)
    )
    assert outbox_sweep_due() == 1
    assert len(mail.outbox) == 1
    assert outbox_sweep_due() == 0


def test_the_sweep_skips_messages_that_are_sent_or_given_up():
    past = timezone.now() - timedelta(hours=1)
    OutboxMessage.objects.create(
        kind="email", recipient="a@b.example", status="sent", sent_at=past, next_attempt_at=past
    )
    OutboxMessage.objects.create(
        kind="email", recipient="a@b.example", status="failed", next_attempt_at=past
    )
    assert outbox_sweep_due() == 0
