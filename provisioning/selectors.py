"""Reads that are more than one line."""

from django.db.models import Prefetch
from django.db.models.functions import Lower

from .models import Membership, Office, Partner, PartnerEvent, User


def partner_member_get(
    *, partner: Partner, email: str | None = None, pk: int | None = None
) -> User | None:
    """The user if it is a current member of partner, else None.

    A user of another partner and an unknown one look the same to the caller (DESIGN §10).
    """
    members = User.objects.filter(
        memberships__partner=partner, memberships__removed_at__isnull=True
    ).select_related("company")
    if email is not None:
        return members.filter(email__iexact=email.strip()).first()
    if pk is not None:
        return members.filter(pk=pk).first()
    return None


def user_by_email(email: str):
    """Users whose email is `email` whatever the letter case (uses the unique lower() index)."""
    return User.objects.alias(email_lower=Lower("email")).filter(email_lower=email.strip().lower())


def membership_by_email(*, partner: Partner, email: str):
    """The membership, current or removed, of partner with the user of `email`, with the user
    and its company: one query where a user then a membership lookup would take two."""
    return (
        Membership.objects.select_related("user__company")
        .alias(email_lower=Lower("user__email"))
        .filter(partner=partner, email_lower=email.strip().lower())
    )


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


def partner_events(*, partner: Partner):
    """The partner's event feed, oldest first."""
    return PartnerEvent.objects.filter(partner=partner).order_by("id")
