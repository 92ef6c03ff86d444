"""One-time links: the portal login token (DESIGN §6) and the completion link (DESIGN §8).

Raw tokens are returned to the caller and never stored, logged or audited.
"""

import secrets
from datetime import timedelta
from functools import cache
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import get_script_prefix, reverse
from django.utils import timezone

from provisioning.models import CompletionLink, LoginToken, Membership, Partner, User, UserStatus
from provisioning.models.links import hash_token

LOGIN_TOKEN_LIFETIME = timedelta(minutes=10)
_COMPLETION_SALT = "provisioning.completion-link"


# --- Login token ------------------------------------------------------------------------------


def login_token_create(*, user: User, partner: Partner) -> tuple[LoginToken, str]:
    """A new token (256 random bits) for user, bound to partner. Returns the row and the raw
    token; only the token's hash is stored."""
    raw = secrets.token_urlsafe(32)
    now = timezone.now()
    token = LoginToken.objects.create(
        user=user,
        partner=partner,
        token_hash=hash_token(raw),
        created_at=now,
        expires_at=now + LOGIN_TOKEN_LIFETIME,
    )
    return token, raw


def login_link(raw_token: str) -> str:
    separator = "&" if "?" in settings.PORTAL_URL else "?"
    return f"{settings.PORTAL_URL}{separator}{urlencode({'auth': raw_token})}"


def login_token_redeem(*, raw_token: str) -> User | None:
    """The user the token logs in, consuming it; None for an unknown, used or expired token,
    or one whose user is no longer an activated member of the token's partner.

    The token is burnt by a compare-and-set, so two concurrent redemptions cannot both win.
    """
    if not raw_token or len(raw_token) > 200:
        return None
    now = timezone.now()
    digest = hash_token(raw_token)
    with transaction.atomic():
        burnt = LoginToken.objects.filter(
            token_hash=digest, used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        if burnt != 1:
            return None
        token = LoginToken.objects.select_related("user").get(token_hash=digest)
        member = Membership.objects.filter(
            user=token.user, partner_id=token.partner_id, removed_at__isnull=True
        ).exists()
        if not member or token.user.status != UserStatus.ACTIVATED:
            return None
        return token.user


# --- Completion link ---------------------------------------------------------------------------


def _signer() -> signing.Signer:
    return signing.Signer(salt=_COMPLETION_SALT)


def completion_link_issue(*, user: User) -> CompletionLink:
    """A new completion link for user; the user's older live links stop working."""
    completion_links_revoke(user=user)
    now = timezone.now()
    return CompletionLink.objects.create(
        user=user,
        nonce=secrets.token_urlsafe(16),
        created_at=now,
        expires_at=now + timedelta(days=CompletionLink.LIFETIME_DAYS),
    )


def completion_link_token(link: CompletionLink) -> str:
    return _signer().sign(f"{link.pk}.{link.nonce}")


def completion_link_url(link: CompletionLink) -> str:
    path = _completion_path(get_script_prefix())
    return f"{settings.SITE_URL}{path}{completion_link_token(link)}"


@cache
def _completion_path(script_prefix: str) -> str:
    """The completion form's path up to its token, resolved once (per script prefix) instead
    of on every new link: signed tokens hold only characters a path keeps as they are."""
    placeholder = "TOKEN"
    path = reverse("provisioning:completion-form", kwargs={"token": placeholder})
    return path.removesuffix(placeholder)


def completion_link_live(*, user: User) -> CompletionLink | None:
    """The user's current link, if it can still be used."""
    link = (
        CompletionLink.objects.filter(user=user, used_at__isnull=True, superseded_at__isnull=True)
        .order_by("-created_at", "-id")
        .first()
    )
    return link if link is not None and link.is_live else None


class CompletionLinkInvalid(Exception):
    """reason: tampered, unknown, used, superseded or expired."""

    def __init__(self, reason: str, link: CompletionLink | None = None):
        super().__init__(reason)
        self.reason = reason
        self.link = link


def completion_link_resolve(*, token: str) -> CompletionLink:
    """The live link a token names, or CompletionLinkInvalid saying why. Does not use it."""
    try:
        value = _signer().unsign(token)
    except signing.BadSignature:
        raise CompletionLinkInvalid("tampered") from None
    pk, _, nonce = value.partition(".")
    link = (
        CompletionLink.objects.select_related("user").filter(pk=pk, nonce=nonce).first()
        if pk.isdigit()
        else None
    )
    if link is None:
        raise CompletionLinkInvalid("unknown")
    if link.used_at is not None:
        raise CompletionLinkInvalid("used", link)
    if link.superseded_at is not None:
        raise CompletionLinkInvalid("superseded", link)
    if link.expires_at <= timezone.now():
        raise CompletionLinkInvalid("expired", link)
    return link


def completion_link_use(*, link: CompletionLink) -> bool:
    """Mark the link used; False when it was used, superseded or expired meanwhile."""
    now = timezone.now()
    return (
        CompletionLink.objects.filter(
            pk=link.pk, used_at__isnull=True, superseded_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        == 1
    )


def completion_links_revoke(*, user: User) -> int:
    """Stop every live completion link of user (the account left the awaiting-details path)."""
    return CompletionLink.objects.filter(
        user=user, used_at__isnull=True, superseded_at__isnull=True
    ).update(superseded_at=timezone.now())
