"""Partner events (DESIGN §9): a change of an account's state, told to its partners.

The service that makes a change names the event it emits (`partner_events_emit`); nothing
here guesses it. Who hears of it: the partners the account currently belongs to, plus the
acting partner when it belonged to it before (the one that removed the last membership hears
of the deletion) — `account_audience`. Linking an existing account to a partner is told to
that partner only: the others must not learn that someone else now has access (DESIGN §10).
"""

from django.utils import timezone

from provisioning.delivery.event_sequence import partner_events_number_on_commit
from provisioning.delivery.outbox import outbox_webhooks_queue
from provisioning.models import EventType, Membership, Partner, PartnerEvent, User


def account_audience(*, user: User, acting: Partner | None = None) -> list[Partner]:
    """The account's current partners, and `acting` if it was one of them before."""
    members = list(
        Partner.objects.filter(
            memberships__user=user, memberships__removed_at__isnull=True
        ).order_by("pk")
    )
    if (
        acting is not None
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


def partner_events_emit(
    *, user: User, type: EventType, changes: dict, partners: list[Partner]
) -> list[PartnerEvent]:
    """Write one event per partner and queue the webhooks of those that set one, in the
    caller's transaction. changes: the audit row's {field: [old, new]} (the payload's
    `previous`)."""
    if user.is_staff or not partners:
        return []
    now = timezone.now()
    events = []
    for partner in partners:
        event = PartnerEvent(partner=partner, type=type, user=user, created_at=now, payload={})
        event.payload = event_payload(event=event, user=user, changes=changes)
        events.append(event)
    hooked = [e for e in events if e.partner.webhook_url and e.partner.webhook_secret]
    for event, delivery in zip(
        hooked,
        outbox_webhooks_queue([(e.partner, e.payload) for e in hooked]),
        strict=True,
    ):
        event.delivery = delivery
    created = PartnerEvent.objects.bulk_create(events)
    partner_events_number_on_commit()  # the feed's order is the commit order
    return created
