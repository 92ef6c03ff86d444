"""Audit trail: every state change records who did it and what changed (DESIGN §3)."""

from dataclasses import dataclass

from provisioning.models import ApiKey, AuditEvent, Office, Partner, User
from provisioning.models.audit import ActorType, AuditAction


@dataclass(frozen=True)
class Actor:
    """Who is acting: a support agent, a partner's API key, the forwarder, or the system."""

    type: ActorType
    user: User | None = None
    api_key: ApiKey | None = None

    @classmethod
    def staff(cls, user: User) -> "Actor":
        return cls(ActorType.STAFF, user=user)

    @classmethod
    def partner(cls, api_key: ApiKey) -> "Actor":
        return cls(ActorType.PARTNER, api_key=api_key)

    @classmethod
    def forwarder(cls, user: User) -> "Actor":
        return cls(ActorType.FORWARDER, user=user)

    @classmethod
    def system(cls) -> "Actor":
        return cls(ActorType.SYSTEM)

    @property
    def partner_obj(self) -> Partner | None:
        return self.api_key.partner if self.api_key else None


def audit_record(
    *,
    actor: Actor,
    action: AuditAction,
    user: User | None,
    changes: dict | None = None,
    note: str = "",
) -> AuditEvent:
    """Record a change. Partner events are the service's to emit (delivery.events)."""
    return AuditEvent.objects.create(
        actor_type=actor.type,
        actor_user=actor.user,
        actor_api_key=actor.api_key,
        actor_partner_id=actor.api_key.partner_id if actor.api_key else None,
        action=action,
        user=user,
        changes=changes or {},
        note=note,
    )


def account_state(user: User, *, offices: list[Office] | None = None) -> dict:
    """The account fields a transition's audit row compares.

    offices: the account's offices, for an account just written with them (saves reading
    them back); by default they are read."""
    office_ids = (
        [office.pk for office in offices]
        if offices is not None
        else user.offices.values_list("pk", flat=True)
    )
    return {
        "status": user.status,
        "pending_reason": user.pending_reason,
        "company": user.company_id,
        "offices": sorted(office_ids),
    }


def state_changes(before: dict | None, user: User, *, offices: list[Office] | None = None) -> dict:
    """{field: [old, new]} for what differs from `before` (None: a new account)."""
    after = account_state(user, offices=offices)
    before = before or dict.fromkeys(after)
    return {key: [before[key], after[key]] for key in after if before[key] != after[key]}
