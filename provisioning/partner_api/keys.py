"""Partner API keys: issue, check, revoke. The raw key exists only in the caller's hands."""

import hmac
from datetime import timedelta

from django.utils import timezone

from provisioning.models import ApiKey, Partner
from provisioning.models.partners import hash_api_key

# last_used_at is refreshed at most this often, so that a busy key costs no write per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def api_key_create(
    *, partner: Partner, name: str, raw_key: str | None = None
) -> tuple[ApiKey, str]:
    """Issue a key. Returns the row and the raw key, which is never stored or shown again.

    raw_key lets the demo data install a fixed, documented key; it must have the
    `<prefix>.<secret>` shape.
    """
    if raw_key is None:
        prefix, raw_key = ApiKey.generate()
    else:
        prefix = raw_key.split(".", 1)[0]
    key = ApiKey.objects.create(
        partner=partner, name=name, prefix=prefix, hashed_key=hash_api_key(raw_key)
    )
    return key, raw_key


def parse_raw_key(raw_key: str | None) -> str | None:
    """The prefix of a key of the right shape, else None."""
    if not raw_key or "." not in raw_key or len(raw_key) > 200:
        return None
    return raw_key.split(".", 1)[0]


def api_key_authenticate(raw_key: str | None) -> ApiKey | None:
    """The active key matching raw_key, with its partner, or None: wrong, unknown and revoked
    look alike."""
    prefix = parse_raw_key(raw_key)
    if prefix is None:
        return None
    key = (
        ApiKey.objects.select_related("partner")
        .filter(prefix=prefix, revoked_at__isnull=True, partner__is_active=True)
        .first()
    )
    if key is None or not hmac.compare_digest(key.hashed_key, hash_api_key(raw_key)):
        return None
    api_key_mark_used(key)
    return key


def api_key_mark_used(key: ApiKey) -> None:
    """Record the key's use, at most once per LAST_USED_RESOLUTION."""
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now


def api_key_revoke(*, key: ApiKey) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key
