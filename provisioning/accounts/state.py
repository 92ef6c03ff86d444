"""The one way an account changes state: set, save, audit, tell its partners.

Every transition service locks the account (`account_lock`), checks that the change applies,
then calls `account_move` and queues its email. The partner event is named by the caller.
"""

from django.utils import timezone

from provisioning.accounts.errors import InvalidTransition
from provisioning.accounts.links import completion_links_revoke
from provisioning.audit.records import Actor, account_state, audit_record, state_changes
from provisioning.delivery.events import account_audience, partner_events_emit
from provisioning.models import AuditEvent, Company, EventType, Office, PendingReason, User
from provisioning.models.audit import AuditAction

_UNCHANGED = object()


def account_lock(user: User) -> User:
    """The account's row, locked for the rest of the transaction; never a staff login."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.is_staff:
        raise InvalidTransition(f"{locked.email} is a staff account, not a forwarder's.")
    return locked


def account_move(
    user: User,
    *,
    status: str,
    reason: str = "",
    actor: Actor,
    action: AuditAction,
    event: EventType,
    note: str = "",
    company: Company | object | None = _UNCHANGED,
    offices: list[Office] | None = None,
    replace_offices: bool = True,
    also_save: tuple[str, ...] = (),
) -> AuditEvent:
    """Move the locked account to status/reason, in the caller's transaction.

    company: the account's company from now on (default: unchanged). offices: they replace
    the account's offices (replace_offices) or are added to them. also_save: other fields the
    caller changed on `user`, saved with the status. An account that leaves the awaiting-
    details path loses its live completion links. Records the audit row and emits `event` to
    the account's partners (and to the acting partner if it just left)."""
    before = account_state(user)
    user.status, user.pending_reason = status, reason
    user.status_changed_at = timezone.now()
    fields = ["status", "pending_reason", "status_changed_at", *also_save]
    if company is not _UNCHANGED:
        user.company = company
        fields.append("company")
    user.save(update_fields=fields)
    if offices is not None:
        if replace_offices:
            user.offices.set(offices)
        else:
            user.offices.add(*offices)
    if reason != PendingReason.AWAITING_DETAILS:
        completion_links_revoke(user=user)
    changes = state_changes(before, user)
    audit = audit_record(actor=actor, action=action, user=user, changes=changes, note=note)
    partner_events_emit(
        user=user,
        type=event,
        changes=changes,
        partners=account_audience(user=user, acting=actor.partner_obj),
    )
    return audit
