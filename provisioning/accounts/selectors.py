"""Reads that are more than one line."""

from django.db.models import Prefetch
from django.db.models.functions import Lower
from django.utils import timezone

from provisioning.models import (
    AccessRequest,
    Company,
    Membership,
    Office,
    Partner,
    User,
)


def user_by_email(email: str):
    """Users whose email is `email` whatever the letter case (uses the unique lower() index)."""
    return User.objects.alias(email_lower=Lower("email")).filter(email_lower=email.strip().lower())


def user_by_email_locked(email: str) -> User | None:
    """The user of `email` (any letter case), locked for the rest of the transaction."""
    return user_by_email(email).select_for_update().first()


def membership_by_email(*, partner: Partner, email: str, lock: bool = False) -> Membership | None:
    """The membership, current or removed, of partner with the (non-staff) user of `email`,
    with the user and its company, in one query. lock: lock the user row."""
    memberships = (
        Membership.objects.select_related("user", "user__company")
        .alias(email_lower=Lower("user__email"))
        .filter(partner=partner, email_lower=email.strip().lower(), user__is_staff=False)
    )
    if lock:
        memberships = memberships.select_for_update(of=("user",))
    return memberships.first()


def domain_company(domain: str) -> Company | None:
    """The company owning this email domain (a plain lookup; see matching.domain_company)."""
    return Company.objects.filter(domains__domain=domain).first()


def partner_members(*, partner: Partner):
    """The partner's current members, with what the API shows of them (company, offices)."""
    return (
        User.objects.filter(
            memberships__partner=partner, memberships__removed_at__isnull=True, is_staff=False
        )
        .select_related("company")
        .prefetch_related(Prefetch("offices", queryset=Office.objects.order_by("pk")))
    )


def partner_member_by_ref(*, partner: Partner, ref: str) -> User | None:
    """A current member named by its id or its email (any letter case), else None — for an
    unknown user and another partner's alike."""
    members = partner_members(partner=partner)
    if ref.isascii() and ref.isdigit():
        pk = int(ref)
        return members.filter(pk=pk).first() if 0 < pk < 2**63 else None
    if "@" in ref:
        return members.alias(email_lower=Lower("email")).filter(email_lower=ref.lower()).first()
    return None


def access_request_by_ref(*, partner: Partner, ref: str) -> AccessRequest | None:
    """The partner's open access request for the account named by its id or email."""
    requests = AccessRequest.objects.select_related("user").filter(
        partner=partner, decided_at__isnull=True, expires_at__gt=timezone.now()
    )
    if ref.isascii() and ref.isdigit():
        pk = int(ref)
        return requests.filter(user_id=pk).first() if 0 < pk < 2**63 else None
    if "@" in ref:
        return (
            requests.alias(email_lower=Lower("user__email")).filter(email_lower=ref.lower()).first()
        )
    return None
