from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ActorType(models.TextChoices):
    STAFF = "staff", "Support staff"
    PARTNER = "partner", "Partner API key"
    FORWARDER = "forwarder", "The forwarder"
    SYSTEM = "system", "System"


class AuditAction(models.TextChoices):
    """What an audit row records. The partner event a change emits, if any, is named by the
    service that makes it, not derived from this."""

    USER_CREATED = "user.created", "Account created"
    USER_PARTNER_LINKED = "user.partner_linked", "Partner given access"
    USER_ACCESS_REQUESTED = "user.access_requested", "Partner asked for access"
    USER_ACCESS_DECLINED = "user.access_declined", "Partner's access request declined"
    USER_PARTNER_REMOVED = "user.partner_removed", "Partner removed"
    USER_ACTIVATED = "user.activated", "Activated"
    USER_PENDING = "user.pending", "Moved to pending"
    USER_DETAILS_SUBMITTED = "user.details_submitted", "Company details submitted"
    USER_DISABLED = "user.disabled", "Rejected"
    USER_DELETED = "user.deleted", "Deleted (no partner left)"
    USER_ERASED = "user.erased", "Personal data erased"
    USER_OFFICES_ADDED = "user.offices_added", "Offices added"
    USER_RENAMED = "user.renamed", "Name changed"
    USER_LOGIN_TOKEN_ISSUED = "user.login_token_issued", "Portal login link issued"
    USER_COMPLETION_LINK_SENT = "user.completion_link_sent", "Completion link sent"
    USER_COMPLETION_REMINDER_SENT = "user.completion_reminder_sent", "Completion reminder sent"
    USER_NOTE_ADDED = "user.note_added", "Note added"
    USER_CONTACTED = "user.contacted", "Contact recorded"
    USER_CLAIMED = "user.claimed", "Taken by an agent"
    USER_RELEASED = "user.released", "Released by its agent"
    CASS_DIRECTORY_IMPORTED = "cass_directory.imported", "CASS directory imported"


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
    action = models.CharField(max_length=50, choices=AuditAction.choices)
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
