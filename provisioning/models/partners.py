import hashlib
import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone


class Partner(models.Model):
    """An API client organisation: a freight software vendor or a large forwarder."""

    name = models.CharField(max_length=100, unique=True)
    webhook_url = models.URLField(blank=True)
    webhook_secret = models.CharField(max_length=100, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


def hash_api_key(raw_key: str) -> str:
    # Keys carry 256 random bits, so a fast unsalted hash is enough to make a stolen table
    # useless while keeping the per-request check cheap.
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ApiKey(models.Model):
    """A partner's key. The full key is shown once; only its prefix and hash are stored.

    The key reads `<prefix>.<secret>`: the prefix finds the row, the hash proves the secret.
    """

    PREFIX_LENGTH = 12

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, help_text="What the key is for, e.g. 'production'.")
    prefix = models.CharField(max_length=PREFIX_LENGTH, unique=True, editable=False)
    hashed_key = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"
        constraints = [
            models.CheckConstraint(
                condition=Q(hashed_key__regex=r"^[0-9a-f]{64}$"), name="api_key_hash_is_sha256"
            ),
        ]

    def __str__(self):
        return f"{self.partner} / {self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @staticmethod
    def generate() -> tuple[str, str]:
        """A new (prefix, raw key) pair."""
        prefix = secrets.token_hex(ApiKey.PREFIX_LENGTH // 2)
        return prefix, f"{prefix}.{secrets.token_urlsafe(32)}"
