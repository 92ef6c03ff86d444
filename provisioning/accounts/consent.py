"""Consent before a second partner reaches an account (DESIGN §5.2, §10).

A create for an account that exists but is not the calling partner's member opens an
AccessRequest instead of a membership. The forwarder allows or declines it through a signed,
single-use link (7 days); for a staff login or a disabled account nobody is emailed and support
decides. Until then the partner is answered as for a new account awaiting verification and
sees only what it sent.
"""

import secrets

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from provisioning.accounts.errors import InvalidTransition, UserAlreadyExists
from provisioning.accounts.inputs import OfficeInput, UserInput
from provisioning.audit.records import Actor, audit_record
from provisioning.delivery.events import partner_events_emit
from provisioning.delivery.notifications import email_access_request
from provisioning.models import (
    AccessDecision,
    AccessRequest,
    EventType,
    Membership,
    Partner,
    User,
    UserStatus,
)
from provisioning.models.audit import AuditAction

_SALT = "provisioning.access-request"


class AccessLinkInvalid(Exception):
    """reason: tampered, unknown, decided or expired."""

    def __init__(self, reason: str, access: AccessRequest | None = None):
        super().__init__(reason)
        self.reason = reason
        self.access = access


def access_request_open(
    *, partner: Partner, user: User, data: UserInput, actor: Actor
) -> AccessRequest:
    """Ask for access to `user` (locked by the caller) for partner. A request of this partner
    that is still open → UserAlreadyExists, as for a member."""
    now = timezone.now()
    existing = AccessRequest.objects.filter(user=user, partner=partner, decided_at__isnull=True)
    if existing.filter(expires_at__gt=now).exists():
        raise UserAlreadyExists(data.email)
    existing.update(decided_at=now, decision=AccessDecision.EXPIRED)
    ask_forwarder = not user.is_staff and user.status != UserStatus.DISABLED
    access = AccessRequest.objects.create(
        user=user,
        partner=partner,
        request_data=data.as_request_data(),
        nonce=secrets.token_urlsafe(16),
        created_at=now,
        expires_at=now + AccessRequest.lifetime(),
        emailed=ask_forwarder,
    )
    audit_record(
        actor=actor,
        action=AuditAction.USER_ACCESS_REQUESTED,
        user=user,
        note=(
            f"{partner.name} asks to manage the account; "
            + ("the forwarder was asked by email." if ask_forwarder else "support decides.")
        ),
    )
    if ask_forwarder:
        email_access_request(
            user=user, partner=partner, url=access_link_url(access), expires_at=access.expires_at
        )
    return access


def access_request_pending(*, partner: Partner, email: str) -> AccessRequest | None:
    """The partner's open request for the account of `email`, if any."""
    return (
        AccessRequest.objects.select_related("user")
        .filter(
            partner=partner,
            user__email__iexact=email.strip(),
            decided_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .first()
    )


def access_request_add_offices(
    *, access: AccessRequest, offices: tuple[OfficeInput, ...]
) -> AccessRequest:
    """Offices a partner adds while it waits are kept with what it sent."""
    stored = UserInput.from_request_data(access.request_data, email=access.user.email)
    access.request_data = stored.with_offices(offices).as_request_data()
    access.save(update_fields=["request_data"])
    return access


def access_request_withdraw(*, access: AccessRequest, actor: Actor) -> None:
    """The partner deletes the user it asked for: the request goes."""
    _close(access, AccessDecision.WITHDRAWN)
    audit_record(
        actor=actor,
        action=AuditAction.USER_ACCESS_DECLINED,
        user=access.user,
        note=f"{access.partner.name} withdrew its request.",
    )


def access_link_url(access: AccessRequest) -> str:
    token = signing.Signer(salt=_SALT).sign(f"{access.pk}.{access.nonce}")
    return settings.SITE_URL + reverse("provisioning:consent", kwargs={"token": token})


def access_link_resolve(*, token: str) -> AccessRequest:
    """The open request a token names, or AccessLinkInvalid saying why. Decides nothing."""
    try:
        value = signing.Signer(salt=_SALT).unsign(token)
    except signing.BadSignature:
        raise AccessLinkInvalid("tampered") from None
    pk, _, nonce = value.partition(".")
    access = (
        AccessRequest.objects.select_related("user", "partner").filter(pk=pk, nonce=nonce).first()
        if pk.isdigit()
        else None
    )
    if access is None:
        raise AccessLinkInvalid("unknown")
    if access.decided_at is not None:
        raise AccessLinkInvalid("decided", access)
    if access.expires_at <= timezone.now():
        raise AccessLinkInvalid("expired", access)
    return access


def access_request_decide(*, access: AccessRequest, allow: bool, actor: Actor) -> bool:
    """Allow (a membership, audited, `user.linked` to that partner) or decline. False when
    the request was decided or expired meanwhile (a second click)."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=access.user_id)
        if not _close(access, AccessDecision.ALLOWED if allow else AccessDecision.DECLINED):
            return False
        partner = access.partner
        if not allow:
            audit_record(
                actor=actor,
                action=AuditAction.USER_ACCESS_DECLINED,
                user=user,
                note=f"Access for {partner.name} declined.",
            )
            return True
        if user.status == UserStatus.DELETED:
            raise InvalidTransition(f"{user.email} was deleted; the partner must create it again.")
        membership_open(partner=partner, user=user)
        audit_record(
            actor=actor,
            action=AuditAction.USER_PARTNER_LINKED,
            user=user,
            changes={"partner": [None, partner.name]},
            note=f"{partner.name} now has access.",
        )
        # Told to the new partner only: the others must not learn who else has access.
        partner_events_emit(user=user, type=EventType.USER_LINKED, changes={}, partners=[partner])
    return True


def membership_open(*, partner: Partner, user: User, membership: Membership | None = None) -> None:
    """Make partner a current member of user: a new membership, or the removed one again."""
    if membership is None:
        membership = Membership.objects.filter(user=user, partner=partner).first()
    if membership is None:
        Membership.objects.create(user=user, partner=partner)
    elif membership.removed_at is not None:
        membership.removed_at = None
        membership.save(update_fields=["removed_at"])


def _close(access: AccessRequest, decision: AccessDecision) -> bool:
    """Compare-and-set: only one decision per request."""
    now = timezone.now()
    closed = AccessRequest.objects.filter(
        pk=access.pk, decided_at__isnull=True, expires_at__gt=now
    ).update(decided_at=now, decision=decision)
    if closed:
        access.decided_at, access.decision = now, decision
    return closed == 1


def access_requests_expire() -> int:
    """Close requests nobody decided within their lifetime. Returns how many."""
    now = timezone.now()
    return AccessRequest.objects.filter(decided_at__isnull=True, expires_at__lte=now).update(
        decided_at=now, decision=AccessDecision.EXPIRED
    )
