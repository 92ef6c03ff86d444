"""Partner events (DESIGN §9): each change of an account's state, told to its partners.

`audit_record` calls `partner_events_record` for every audit row, so that every transition —
whichever service makes it, now or later — becomes an event without code of its own. The
event type comes from the audit action when it names one, else from the status change the
row records (a support "reject" that sets `disabled` is a `user.disabled`, a "re-open" that
sets `pending` a `user.pending`).

Who hears of it: the partners the user currently belongs to, plus the partner whose key made
the change (the one that removed the last membership hears of the deletion). Linking an
existing account to a partner is a `user.created` for that partner only: the others must not
learn that someone else now has access (DESIGN §10).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

from .event_sequence import partner_events_number_on_commit
from .models import AuditEvent, EventType, Membership, Partner, PartnerEvent, User, UserStatus
from .models.users import PendingReason
from .outbox import outbox_webhook_queue
from .rows import row_insert

if TYPE_CHECKING:
    from .audit import Actor

_ACTION_EVENTS = {event.value: event for event in EventType}
_LINKED = "user.partner_linked"
_STATUS_EVENTS = {
    UserStatus.ACTIVATED: EventType.USER_ACTIVATED,
    UserStatus.DISABLED: EventType.USER_DISABLED,
    UserStatus.DELETED: EventType.USER_DELETED,
}


def event_type_for(action: str, changes: dict) -> EventType | None:
    """The event an audit row stands for, or None (offices added, token issued, …)."""
    if action == _LINKED:
        return EventType.USER_CREATED
    if action in _ACTION_EVENTS:
        return _ACTION_EVENTS[action]
    status = _new_value(changes, "status")
    reason = _new_value(changes, "pending_reason")
    if status in _STATUS_EVENTS:
        return _STATUS_EVENTS[status]
    if status == UserStatus.PENDING or reason:
        if reason == PendingReason.DETAILS_SUBMITTED:
            return EventType.USER_DETAILS_SUBMITTED
        return EventType.USER_PENDING
    return None


def _new_value(changes: dict, field: str):
    value = changes.get(field)
    return value[1] if isinstance(value, list | tuple) and len(value) == 2 else None


def _audience(*, user: User, action: str, actor: Actor) -> list[Partner]:
    acting = actor.partner_obj
    if action == _LINKED:
        return [acting] if acting else []
    members = list(
        Partner.objects.filter(
            memberships__user=user, memberships__removed_at__isnull=True
        ).order_by("pk")
    )
    if (
        acting
        and acting not in members
        and Membership.objects.filter(user=user, partner=acting).exists()
    ):
        members.append(acting)
    return members


def event_payload(*, event: PartnerEvent, user: User, changes: dict) -> dict:
    previous = {
        "status": (changes.get("status") or [user.status])[0],
        "pendingReason": (changes.get("pending_reason") or [user.pending_reason])[0] or None,
    }
    return {
        "id": str(event.public_id),
        "type": event.type,
        "createdAt": event.created_at.isoformat().replace("+00:00", "Z"),
        "data": {
            "user": {
                "id": user.pk,
                "email": user.email,
                "status": user.status,
                "pendingReason": user.pending_reason or None,
            },
            "previous": previous,
        },
    }


def partner_events_record(
    *, audit: AuditEvent, actor: Actor, audience: list[Partner] | None = None
) -> list[PartnerEvent]:
    """Write the events an audit row stands for and queue their webhooks (same transaction).

    audience: who hears of it, when the caller knows (see `audit_record`); else looked up."""
    user = audit.user
    event_type = event_type_for(audit.action, audit.changes)
    if event_type is None or user is None or user.is_staff:
        return []
    if audience is None:
        audience = _audience(user=user, action=audit.action, actor=actor)
    events = []
    for partner in audience:
        event = PartnerEvent(
            partner=partner, type=event_type, user=user, created_at=timezone.now(), payload={}
        )
        event.payload = event_payload(event=event, user=user, changes=audit.changes)
        if partner.webhook_url and partner.webhook_secret:
            event.delivery = outbox_webhook_queue(partner=partner, payload=event.payload)
        events.append(row_insert(event))
    if events:
        partner_events_number_on_commit()  # the feed's order is the commit order
    return events
