"""Reads of the pending-accounts queue: its rows, their partners and the next account."""

from datetime import timedelta

from django.db.models import Prefetch, Q, QuerySet

from provisioning.models import Membership, User, UserStatus


def current_memberships() -> Prefetch:
    """The partners an account belongs to now, with their names, in one query per page."""
    return Prefetch(
        "memberships",
        queryset=Membership.objects.filter(removed_at__isnull=True)
        .select_related("partner")
        .order_by("id"),
        to_attr="current_memberships",
    )


def pending_accounts() -> QuerySet[User]:
    """Pending forwarder accounts; ordered by the caller (the queue walks user_pending_queue_idx
    oldest first)."""
    return User.objects.filter(status=UserStatus.PENDING, is_staff=False)


def duration_display(value: timedelta | None) -> str:
    """2 d 4 h, 5 h 10 min, 12 min: a waiting time at the precision an agent reads it."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def queue_position_neighbours(*, user: User) -> User | None:
    """The next account in the queue after this one (oldest first), for "next account"."""
    if user.status != UserStatus.PENDING:
        return None
    return (
        pending_accounts()
        .filter(
            Q(status_changed_at__gt=user.status_changed_at)
            | Q(status_changed_at=user.status_changed_at, id__gt=user.pk)
        )
        .order_by("status_changed_at", "id")
        .only("id", "email")
        .first()
    )
