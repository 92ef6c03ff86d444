"""What the native partner API keeps: the partners' event feed, idempotent creates, and the
per-key request counters of the rate limit."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class EventType(models.TextChoices):
    USER_CREATED = "user.created", "User created"
    USER_LINKED = "user.linked", "Existing account linked (the forwarder allowed it)"
    USER_ACTIVATED = "user.activated", "User activated"
    USER_PENDING = "user.pending", "User pending"
    USER_DETAILS_SUBMITTED = "user.details_submitted", "User submitted details"
    USER_DISABLED = "user.disabled", "User disabled"
    USER_DELETED = "user.deleted", "User deleted"


class PartnerEvent(models.Model):
    """One change of a user's account as one partner sees it (DESIGN §9).

    Rows are never updated; the payload is what the feed returns and the webhook POSTs.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey(
        "provisioning.Partner",
        on_delete=models.CASCADE,
        related_name="events",
        db_index=False,  # partner_event_feed_idx (partner, id) serves lookups by partner
    )
    type = models.CharField(max_length=30, choices=EventType.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="partner_events",
    )
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    delivery = models.ForeignKey(
        "provisioning.OutboxMessage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The webhook delivery of this event, when the partner has a webhook.",
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(type__in=EventType.values), name="partner_event_type_valid"
            ),
        ]
        indexes = [
            # GET /api/v1/events: one partner's events in order, by cursor.
            models.Index(fields=["partner", "id"], name="partner_event_feed_idx"),
            # GET /api/v1/events?type=…: the same, one type.
            models.Index(fields=["partner", "type", "id"], name="partner_event_type_idx"),
        ]

    def __str__(self):
        return f"{self.type} for {self.partner_id} at {self.created_at:%Y-%m-%d %H:%M}"


class IdempotencyRecord(models.Model):
    """The answer to a create sent with an `Idempotency-Key`, replayed for 24 hours."""

    partner = models.ForeignKey("provisioning.Partner", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64, help_text="SHA-256 of method, path and body.")
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # The lookup of a retried request, and what makes concurrent first tries wait for
            # each other.
            models.UniqueConstraint(fields=["partner", "key"], name="idempotency_key_unique"),
        ]
        indexes = [
            # Housekeeping deletes the records older than a day.
            models.Index(fields=["created_at"], name="idempotency_created_idx"),
        ]

    def __str__(self):
        return f"{self.key} of partner {self.partner_id} ({self.status_code})"


class RateLimitWindow(models.Model):
    """Requests of one API key in one fixed window (window = epoch seconds // period).

    Counted with a single INSERT … ON CONFLICT DO UPDATE … RETURNING, so concurrent requests
    never lose an increment, on PostgreSQL and SQLite alike.
    """

    api_key = models.ForeignKey("provisioning.ApiKey", on_delete=models.CASCADE, related_name="+")
    window = models.BigIntegerField(help_text="Epoch seconds // the period.")
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            # The upsert's conflict target: one counter per key and window.
            models.UniqueConstraint(fields=["api_key", "window"], name="rate_limit_window_unique"),
        ]
        indexes = [
            # Housekeeping deletes the windows that are over.
            models.Index(fields=["window"], name="rate_limit_window_idx"),
        ]

    def __str__(self):
        return f"key {self.api_key_id}: {self.hits} in window {self.window}"
