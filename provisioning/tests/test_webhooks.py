"""Webhooks end to end against a real HTTP receiver on 127.0.0.1: signed, retried with
backoff on non-2xx, and received exactly once as a success."""

import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from provisioning.delivery.outbox import outbox_deliver_one, outbox_sweep_due
from provisioning.models import OutboxMessage, PartnerEvent
from provisioning.models.outbox import OutboxKind, OutboxStatus
from provisioning.tests.conftest import person

pytestmark = pytest.mark.django_db

SECRET = "whsec-test-0123456789"


def verify(secret: str, body: bytes, headers, *, now: datetime, tolerance=timedelta(minutes=5)):
    """What docs/partner-api.md tells receivers to do. Returns the event, or raises."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, headers["X-Webhook-Signature"]):
        raise ValueError("bad signature")
    event = json.loads(body)
    sent_at = datetime.fromisoformat(event["sentAt"].replace("Z", "+00:00"))
    if abs(now - sent_at) > tolerance:
        raise ValueError("stale delivery")
    return event


class Receiver:
    """A webhook endpoint that answers 500 to its first `failures` requests."""

    def __init__(self, failures: int):
        self.failures = failures
        self.requests: list[tuple[int, dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = 500 if len(receiver.requests) < receiver.failures else 204
                receiver.requests.append((status, dict(self.headers), body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/cargo"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    @property
    def successes(self):
        return [(headers, body) for status, headers, body in self.requests if status < 300]


@pytest.fixture
def receiver(partner):
    with Receiver(failures=2) as receiver:
        partner.webhook_url, partner.webhook_secret = receiver.url, SECRET
        partner.save(update_fields=["webhook_url", "webhook_secret"])
        yield receiver


def test_a_failing_receiver_gets_the_event_once_as_a_success_after_retries(
    v1, receiver, settings, django_capture_on_commit_callbacks
):
    settings.OUTBOX_RETRY_BASE_SECONDS = 30
    with django_capture_on_commit_callbacks(execute=True):  # the hand-over: attempt 1
        v1.post("users", person("raj@indigo-cargo.in", countryCode="IN"))
    message = OutboxMessage.objects.get(kind=OutboxKind.WEBHOOK)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)
    assert "HTTP 500" in message.last_error
    first_retry_at = message.next_attempt_at

    assert outbox_deliver_one(message.pk) == timedelta(seconds=60)  # attempt 2, backoff grows
    message.refresh_from_db()
    assert message.next_attempt_at - first_retry_at >= timedelta(seconds=29)

    # attempt 3 comes from the periodic sweep once the retry is due
    OutboxMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=5)
    )
    assert outbox_sweep_due() == 1
    assert outbox_sweep_due() == 0
    outbox_deliver_one(message.pk)  # a late duplicate hand-over sends nothing

    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 3)
    assert [status for status, _, _ in receiver.requests] == [500, 500, 204]
    assert len(receiver.successes) == 1

    headers, body = receiver.successes[0]
    event = verify(SECRET, body, headers, now=datetime.now(UTC))
    stored = PartnerEvent.objects.get()
    assert event["id"] == headers["X-Webhook-Id"] == str(stored.public_id)
    assert event["type"] == "user.created"
    assert event["data"]["user"]["email"] == "raj@indigo-cargo.in"
    assert {k: v for k, v in event.items() if k != "sentAt"} == stored.payload
    assert abs(int(headers["X-Webhook-Timestamp"]) - datetime.now(UTC).timestamp()) < 60
    assert headers["Content-Type"] == "application/json"
    # every attempt carried the same event id, so a receiver can drop duplicates
    assert {json.loads(b)["id"] for _, _, b in receiver.requests} == {event["id"]}


def test_a_tampered_body_or_another_secret_does_not_verify(
    v1, receiver, django_capture_on_commit_callbacks
):
    receiver.failures = 0
    with django_capture_on_commit_callbacks(execute=True):
        v1.post("users", person("raj@indigo-cargo.in", countryCode="IN"))
    headers, body = receiver.successes[0]
    now = datetime.now(UTC)
    assert verify(SECRET, body, headers, now=now)["type"] == "user.created"
    with pytest.raises(ValueError, match="bad signature"):
        verify(SECRET, body.replace(b"raj@", b"eve@"), headers, now=now)
    with pytest.raises(ValueError, match="bad signature"):
        verify("another-secret", body, headers, now=now)
    with pytest.raises(ValueError, match="stale"):
        verify(SECRET, body, headers, now=now + timedelta(hours=1))
