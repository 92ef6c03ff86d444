"""The outbox: side effects written with the change that causes them, delivered after commit.

`outbox_email_queue` writes a row in the caller's transaction; a rolled-back change therefore
sends nothing. With a broker, the request stops there: the outbox relay in the Celery workers
(provisioning/delivery/relay.py), woken by PostgreSQL's NOTIFY on OUTBOX_CHANNEL when the
transaction
commits, claims the row and queues its delivery task. In-process mode (no broker) delivers
right after commit instead. `outbox_deliver_one` sends one message under a row lock, so that
two workers never send the same row, and records the outcome. Messages whose task was lost
(relay or worker killed, broker restarted) are picked up by `outbox_sweep_due`, which the beat
schedule runs every OUTBOX_SWEEP_SECONDS.

Only `provisioning.tasks` imports this module's functions into Celery; nothing here imports
the tasks.

Delivery is at-least-once: a worker killed after the SMTP server accepted a message but before
the row was marked sent will send it again (the window is one SMTP transaction).
"""

import hashlib
import hmac
import json
import logging
import smtplib
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from provisioning.delivery.emails import render_email
from provisioning.models import OutboxMessage, Partner
from provisioning.models.outbox import OutboxKind, OutboxStatus

logger = logging.getLogger(__name__)

# The channel on which inserting outbox rows wakes the relays (trigger of migration 0006).
OUTBOX_CHANNEL = "outbox_pending"


class PermanentDeliveryError(Exception):
    """The receiving side refused the message for good; retrying will not help."""


def outbox_email_queue(*, template: str, to: str, context: dict) -> OutboxMessage:
    message = OutboxMessage.objects.create(
        kind=OutboxKind.EMAIL, template=template, recipient=to, context=context
    )
    _deliver_in_process_after_commit([message.pk])
    return message


def outbox_link_ask_queue(*, to: str, purpose: str) -> OutboxMessage:
    """An ask for a link by email, stored with the request that made it; the sender
    registered for LINK_ASK decides what to do with it when the message is delivered."""
    message = OutboxMessage.objects.create(
        kind=OutboxKind.LINK_ASK, recipient=to, context={"purpose": purpose}
    )
    _deliver_in_process_after_commit([message.pk])
    return message


def outbox_sender_register(kind: str, sender) -> None:
    """Deliver messages of `kind` with sender(message). For kinds whose work belongs to a
    layer above this one (the link asks of the forwarder pages): that layer registers its
    sender when the app is ready, so this module imports nothing of it."""
    _SENDERS[kind] = sender


def outbox_webhooks_queue(calls: list[tuple[Partner, dict]]) -> list[OutboxMessage]:
    """One webhook message per (partner, payload), written together."""
    if not calls:
        return []
    messages = OutboxMessage.objects.bulk_create(
        OutboxMessage(
            kind=OutboxKind.WEBHOOK, recipient=partner.webhook_url, context=payload, partner=partner
        )
        for partner, payload in calls
    )
    _deliver_in_process_after_commit([message.pk for message in messages])
    return messages


def _deliver_in_process_after_commit(message_ids: list[int]) -> None:
    """The one place that decides who delivers a new message.

    With a broker, the relay in the workers does, once the transaction commits: a request
    never waits on Redis nor pays for publishing (DESIGN §2). In-process mode (no broker) has
    no worker, so the message is delivered in this process right after commit; a failure is
    retried by the sweep like any other."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        transaction.on_commit(lambda: _deliver_all(message_ids))


def _deliver_all(message_ids: list[int]) -> None:
    for message_id in message_ids:
        try:
            outbox_deliver_one(message_id)
        except Exception:
            # The row is committed whatever happened here; the sweep will deliver it.
            logger.warning(
                "outbox message %s not delivered; the sweep will send it",
                message_id,
                exc_info=True,
            )


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: base, 2 x base, 4 x base, … capped at one hour."""
    return timedelta(seconds=min(settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** (attempts - 1), 3600))


def outbox_deliver_one(message_id: int) -> timedelta | None:
    """Send one message if it is still pending. Returns the delay before a retry, if any."""
    now = timezone.now()
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, status=OutboxStatus.PENDING)
            .first()
        )
        if message is None:
            return None  # sent already, given up, or another worker holds it right now
        message.attempts += 1
        try:
            _SENDERS[message.kind](message)
        except PermanentDeliveryError as exc:
            message.status = OutboxStatus.FAILED
            message.last_error = str(exc)[:2000]
            logger.error("outbox message %s refused for good: %s", message.pk, exc)
        except (OSError, smtplib.SMTPException) as exc:
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                message.status = OutboxStatus.FAILED
                logger.error(
                    "outbox message %s failed %s times, giving up", message.pk, message.attempts
                )
            else:
                delay = retry_delay(message.attempts)
                message.next_attempt_at = now + delay
                message.save(update_fields=["attempts", "last_error", "next_attempt_at"])
                logger.info(
                    "outbox message %s attempt %s failed (%s); retry in %s",
                    message.pk,
                    message.attempts,
                    message.last_error,
                    delay,
                )
                return delay
        else:
            message.status = OutboxStatus.SENT
            message.sent_at = timezone.now()
            message.last_error = ""
        message.save(update_fields=["attempts", "status", "sent_at", "last_error"])
    return None


def sweep_grace() -> timedelta:
    """The sweep leaves alone messages that fell due this recently: their task is on its way."""
    return timedelta(seconds=settings.OUTBOX_SWEEP_GRACE_SECONDS)


def outbox_sweep_due(*, limit: int = 500) -> int:
    """Deliver pending messages whose attempt is overdue. Returns how many were tried."""
    due = list(
        OutboxMessage.objects.filter(
            status=OutboxStatus.PENDING, next_attempt_at__lte=timezone.now() - sweep_grace()
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for message_id in due:
        outbox_deliver_one(message_id)
    return len(due)


def _send_email(message: OutboxMessage) -> None:
    email_send_now(template=message.template, to=message.recipient, context=message.context)


def email_send_now(*, template: str, to: str, context: dict) -> None:
    """Render and send one email now, telling a refusal for good (PermanentDeliveryError)
    from a passing failure. For senders that run inside an outbox delivery already."""
    email = render_email(template=template, to=to, context=context)
    try:
        email.send()
    except smtplib.SMTPRecipientsRefused as exc:
        if all(code >= 500 for code, _ in exc.recipients.values()):
            raise PermanentDeliveryError(f"recipient refused: {exc.recipients}") from exc
        raise
    except smtplib.SMTPResponseException as exc:
        if exc.smtp_code >= 500 and not isinstance(exc, smtplib.SMTPSenderRefused):
            raise PermanentDeliveryError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
        raise


def webhook_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _send_webhook(message: OutboxMessage) -> None:
    """POST the event. The signature covers the raw body, which carries the event id (for
    de-duplication) and the time of this attempt (so that a receiver can refuse replays of an
    old delivery); see docs/partner-api.md for the verification."""
    sent_at = timezone.now().replace(microsecond=0)
    body = json.dumps(
        {**message.context, "sentAt": sent_at.isoformat().replace("+00:00", "Z")},
        separators=(",", ":"),
        sort_keys=True,
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - the partner's own https/http endpoint
        message.recipient,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "backoffice-webhooks/1",
            "X-Webhook-Id": str(message.context.get("id") or message.pk),
            "X-Webhook-Timestamp": str(int(sent_at.timestamp())),
            "X-Webhook-Signature": webhook_signature(message.partner.webhook_secret, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            response.read(1024)
    except urllib.error.HTTPError as exc:
        # Any non-2xx is retried: the receiver may be deploying or overloaded.
        raise OSError(f"webhook answered HTTP {exc.code}") from exc


_SENDERS = {OutboxKind.EMAIL: _send_email, OutboxKind.WEBHOOK: _send_webhook}
