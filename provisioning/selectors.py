"""Reads that are more than one line."""

from django.db.models.functions import Lower

from .models import Partner, User


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
