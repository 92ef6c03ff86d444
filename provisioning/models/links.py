"""One-time links sent to forwarders: the portal login token and the completion link."""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


def hash_token(raw_token: str) -> str:
    # Tokens carry 256 random bits, so an unsalted SHA-256 is enough to make a read of the
    # table useless to an attacker while keeping the lookup a plain index probe.
    return hashlib.sha256(raw_token.encode()).hexdigest()


class LoginToken(models.Model):
    """A one-time, short-lived token that logs a forwarder into the portal (DESIGN §6).

    Only the hash is stored; the raw token exists in the partner's API response alone.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_tokens"
    )
    partner = models.ForeignKey(
        "provisioning.Partner", on_delete=models.CASCADE, related_name="login_tokens"
    )
    token_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # A redemption finds its token by hash (a constraint, unlike unique=True, adds no
            # pattern index that equality lookups never use).
            models.UniqueConstraint(fields=["token_hash"], name="login_token_hash_unique"),
            models.CheckConstraint(
                condition=Q(token_hash__regex=r"^[0-9a-f]{64}$"),  # noqa: S106 - a pattern
                name="login_token_hash_is_sha256",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="login_token_expires_after_creation",
            ),
        ]

    def __str__(self):
        return f"login token #{self.pk} of user {self.user_id} via partner {self.partner_id}"


class CompletionLink(models.Model):
    """The signed link through which a forwarder without CASS data completes its details.

    Single-use (used_at), expires (expires_at), and issuing a new link supersedes the older
    ones (superseded_at). The URL carries `<id>.<nonce>` signed with SECRET_KEY; see
    docs/completion-links.md.
    """

    LIFETIME_DAYS = 7
    REMIND_AFTER_DAYS = 3

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="completion_links"
    )
    nonce = models.CharField(max_length=32, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="completion_link_expires_after_creation",
            ),
        ]
        indexes = [
            # Issuing a link supersedes the user's live ones; reminders pick unused live links.
            models.Index(
                fields=["user", "created_at"],
                condition=Q(used_at__isnull=True, superseded_at__isnull=True),
                name="completion_link_live_idx",
            ),
            # The reminder sweep: live links not yet reminded, oldest first.
            models.Index(
                fields=["created_at"],
                condition=Q(
                    used_at__isnull=True, superseded_at__isnull=True, reminded_at__isnull=True
                ),
                name="completion_link_remind_idx",
            ),
        ]

    def __str__(self):
        return f"completion link {self.pk} of {self.user_id}"

    @property
    def is_live(self) -> bool:
        return (
            self.used_at is None and self.superseded_at is None and self.expires_at > timezone.now()
        )


class LinkRequest(models.Model):
    """One ask for a fresh completion link from the invalid-link page, kept a day so that the
    asks per email address and per client address can be limited.

    Both are stored as keyed hashes: the table must not become a list of who asked.
    """

    KEEP_HOURS = 24

    created_at = models.DateTimeField(default=timezone.now)
    email_digest = models.CharField(max_length=64)
    ip_digest = models.CharField(max_length=64)

    class Meta:
        indexes = [
            # The rate limit counts one address's asks in the last hour.
            models.Index(fields=["email_digest", "created_at"], name="link_request_email_idx"),
            models.Index(fields=["ip_digest", "created_at"], name="link_request_ip_idx"),
            # The purge deletes rows older than KEEP_HOURS.
            models.Index(fields=["created_at"], name="link_request_created_idx"),
        ]

    def __str__(self):
        return f"link request #{self.pk} at {self.created_at:%Y-%m-%d %H:%M}"
