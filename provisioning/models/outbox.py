from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxKind(models.TextChoices):
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook"
    # A forwarder's ask for a link by email (sign-in or completion): delivering it looks the
    # address up and emails the link, after the request that stored it has answered.
    LINK_ASK = "link_ask", "Link request"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed for good"


class OutboxMessage(models.Model):
    """An email or webhook to deliver.

    Written in the same transaction as the change that causes it; after commit, the outbox
    relay in a worker claims it (`handed_over_at`) and hands it to a Celery task; the periodic
    sweep delivers it when that task was lost.
    """

    kind = models.CharField(max_length=10, choices=OutboxKind.choices)
    status = models.CharField(
        max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    template = models.CharField(
        max_length=50, blank=True, help_text="Email: the folder under templates/emails/."
    )
    recipient = models.CharField(max_length=500, help_text="Email address, or the webhook URL.")
    context = models.JSONField(default=dict, blank=True, help_text="Template context or payload.")
    partner = models.ForeignKey(
        "provisioning.Partner", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    handed_over_at = models.DateTimeField(
        null=True, blank=True, help_text="When a relay claimed it and queued its delivery task."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=OutboxKind.values), name="outbox_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=OutboxStatus.values), name="outbox_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=OutboxStatus.SENT, sent_at__isnull=False)
                | (~Q(status=OutboxStatus.SENT) & Q(sent_at__isnull=True)),
                name="outbox_sent_at_matches_status",
            ),
        ]
        indexes = [
            # The sweep picks pending messages whose next attempt is due.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status=OutboxStatus.PENDING),
                name="outbox_due_idx",
            ),
            # The relay claims pending messages not yet handed over, oldest id first
            # (provisioning/delivery/relay.py, outbox_claim); the index holds only those.
            models.Index(
                fields=["id"],
                condition=Q(status=OutboxStatus.PENDING, handed_over_at__isnull=True),
                name="outbox_unclaimed_idx",
            ),
            # Erasing a forwarder's personal data finds the emails sent to the address.
            models.Index(fields=["recipient"], name="outbox_recipient_idx"),
        ]

    def __str__(self):
        what = self.template or self.kind
        return f"{what} → {self.recipient} ({self.status})"
