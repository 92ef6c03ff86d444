from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ActorType(models.TextChoices):
    STAFF = "staff", "Support staff"
    PARTNER = "partner", "Partner API key"
    FORWARDER = "forwarder", "The forwarder"
    SYSTEM = "system", "System"


class AuditEvent(models.Model):
    """Who changed what, when, from which value to which. Rows are never updated."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor_type = models.CharField(max_length=10, choices=ActorType.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The staff member or forwarder who acted.",
    )
    actor_partner = models.ForeignKey(
        "provisioning.Partner", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_api_key = models.ForeignKey(
        "provisioning.ApiKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=50, help_text="e.g. user.created, user.activated")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_events",
        help_text="The account the event is about.",
        db_index=False,  # audit_user_created_idx (user, created_at) serves lookups by user
    )
    changes = models.JSONField(default=dict, blank=True, help_text='{"field": [old, new]}')
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(actor_type__in=ActorType.values), name="audit_event_actor_type_valid"
            ),
        ]
        indexes = [
            # The account page lists one user's history, newest first.
            models.Index(fields=["user", "-created_at"], name="audit_user_created_idx"),
        ]

    def __str__(self):
        return f"{self.action} by {self.actor_type} at {self.created_at:%Y-%m-%d %H:%M}"
