from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone


class AccessDecision(models.TextChoices):
    ALLOWED = "allowed", "Allowed"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"
    WITHDRAWN = "withdrawn", "Withdrawn by the partner"


class AccessRequest(models.Model):
    """A partner asks to manage an account another partner brought (DESIGN §5.2, §10).

    Until the forwarder allows it, the partner has no membership and sees only what it sent
    (`request_data`). The consent link is signed over the row's id and nonce, works once and
    expires after LIFETIME_DAYS."""

    LIFETIME_DAYS = 7

    user = models.ForeignKey(
        "provisioning.User",
        on_delete=models.CASCADE,
        related_name="access_requests",
        db_index=False,  # access_request_open_unique (user, partner) serves lookups by user
    )
    partner = models.ForeignKey(
        "provisioning.Partner", on_delete=models.CASCADE, related_name="access_requests"
    )
    request_data = models.JSONField(
        default=dict, help_text="What the partner sent: all it may see until access is allowed."
    )
    nonce = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    emailed = models.BooleanField(
        default=False, help_text="The forwarder was asked; otherwise support decides."
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(max_length=10, choices=AccessDecision.choices, blank=True)

    class Meta:
        constraints = [
            # One open request per partner and account: concurrent creates meet here.
            models.UniqueConstraint(
                fields=["user", "partner"],
                condition=Q(decided_at__isnull=True),
                name="access_request_open_unique",
            ),
            models.CheckConstraint(
                condition=(
                    Q(decided_at__isnull=True, decision="")
                    | Q(decided_at__isnull=False, decision__in=AccessDecision.values)
                ),
                name="access_request_decision_valid",
            ),
        ]
        indexes = [
            # The support list and the expiry sweep: open requests, oldest first.
            models.Index(
                fields=["created_at"],
                condition=Q(decided_at__isnull=True),
                name="access_request_open_idx",
            ),
        ]

    def __str__(self):
        return f"{self.partner} asks for {self.user}"

    @classmethod
    def lifetime(cls) -> timedelta:
        return timedelta(days=cls.LIFETIME_DAYS)

    @property
    def is_open(self) -> bool:
        return self.decided_at is None and self.expires_at > timezone.now()
