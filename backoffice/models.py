"""What the support back-office keeps of its own: the queue's view of accounts (a proxy that
carries the support permission), internal notes and the "contacted" mark.

The account itself stays in provisioning; every change to it goes through provisioning's
services. These models only add what several agents need to share the work.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from provisioning.models import User


class Account(User):
    """A forwarder account as the support queue sees it (no table of its own).

    Its permissions are the support back-office's: `view_account` opens the queue and the
    account pages, `act_on_accounts` allows the actions (activate, reject, re-open, resend
    the completion link, erase, mark contacted).
    """

    class Meta:
        proxy = True
        verbose_name = "account"
        verbose_name_plural = "pending accounts"
        default_permissions = ("view",)
        permissions = [
            (
                "act_on_accounts",
                "Can act on accounts: activate, reject, re-open, resend links, erase",
            ),
        ]


class AccountNote(models.Model):
    """An internal note on an account; never shown to the forwarder or the partner."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="support_notes",
        db_index=False,  # account_note_user_idx starts with it
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        default_permissions = ("add", "view")
        indexes = [
            # The account page lists one account's notes, newest first.
            models.Index(fields=["user", "-created_at"], name="account_note_user_idx"),
        ]

    def __str__(self):
        return f"note #{self.pk} on {self.user_id}"


class ContactChannel(models.TextChoices):
    PHONE = "phone", "Phone"
    EMAIL = "email", "Email"
    OTHER = "other", "Other"


class ContactMark(models.Model):
    """The last time support contacted the forwarder (flow 2 asks support to get in touch).

    One row per account, overwritten by the next contact; each contact is also an AuditEvent.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="contact_mark",
    )
    contacted_on = models.DateField()
    channel = models.CharField(
        max_length=10, choices=ContactChannel.choices, default=ContactChannel.PHONE
    )
    contacted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        default_permissions = ()
        constraints = [
            models.CheckConstraint(
                condition=models.Q(channel__in=ContactChannel.values),
                name="contact_mark_channel_valid",
            ),
        ]

    def __str__(self):
        return f"{self.user_id} contacted on {self.contacted_on:%Y-%m-%d}"


class AccountClaim(models.Model):
    """The agent working on an account ("assigned to me"), so that two agents never work the
    same account unknowingly. One row per claimed account; releasing deletes it. Taking an
    account from another agent is deliberate (the queue and the account page say whose it
    is), and each take and release is an AuditEvent."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="support_claim",
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # account_claim_agent_idx starts with it
    )
    claimed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        default_permissions = ()
        indexes = [
            # The queue's "mine" filter probes one agent's claims.
            models.Index(fields=["agent", "user"], name="account_claim_agent_idx"),
        ]

    def __str__(self):
        return f"{self.user_id} taken by {self.agent_id}"
