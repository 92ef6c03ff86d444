"""Writes of the support back-office's own data: internal notes and the contacted mark.

The account's transitions are provisioning's (`provisioning.accounts.transitions`); erasure is
wrapped here because the notes written about a person are personal data too.
"""

from datetime import date

from django.db import transaction
from django.utils import timezone

from backoffice.models import AccountClaim, AccountNote, ContactChannel, ContactMark
from provisioning.accounts.state import account_lock
from provisioning.accounts.transitions import Outcome, user_erase
from provisioning.audit.records import Actor, audit_record
from provisioning.models import User
from provisioning.models.audit import AuditAction

ERASED_NOTE = "(erased with the account's personal data)"


def account_claim(*, user: User, agent: User, take_over: bool = False) -> Outcome:
    """The agent takes the account ("assigned to me").

    The account row is locked first, so two agents taking it at once are served one after
    the other: the second finds the first's claim and is refused (changed=False, detail names
    the holder) unless take_over says the agent saw it and takes it deliberately.
    """
    with transaction.atomic():
        locked = account_lock(user)
        claim = AccountClaim.objects.select_related("agent").filter(user=locked).first()
        if claim is not None and claim.agent_id == agent.pk:
            return Outcome(locked, False, "already yours")
        if claim is not None and not take_over:
            return Outcome(locked, False, f"taken by {_agent_name(claim.agent)}")
        previous = claim.agent_id if claim else None
        AccountClaim.objects.update_or_create(
            user=locked, defaults={"agent": agent, "claimed_at": timezone.now()}
        )
        audit_record(
            actor=Actor.staff(agent),
            action=AuditAction.USER_CLAIMED,
            user=locked,
            changes={"assigned_to": [previous, agent.pk]},
        )
    return Outcome(locked, True)


def account_release(*, user: User, agent: User) -> Outcome:
    """The agent gives the account back to the queue; only the holder releases it."""
    with transaction.atomic():
        locked = account_lock(user)
        claim = AccountClaim.objects.select_related("agent").filter(user=locked).first()
        if claim is None:
            return Outcome(locked, False, "nobody has it")
        if claim.agent_id != agent.pk:
            return Outcome(locked, False, f"taken by {_agent_name(claim.agent)}")
        claim.delete()
        audit_record(
            actor=Actor.staff(agent),
            action=AuditAction.USER_RELEASED,
            user=locked,
            changes={"assigned_to": [agent.pk, None]},
        )
    return Outcome(locked, True)


def _agent_name(agent: User) -> str:
    return agent.get_full_name() or agent.email


def account_note_add(*, user: User, author: User, body: str) -> AccountNote:
    """An internal note; the audit row points at it without copying its text."""
    with transaction.atomic():
        note = AccountNote.objects.create(user=user, author=author, body=body.strip())
        audit_record(
            actor=Actor.staff(author), action="user.note_added", user=user, note=f"note #{note.pk}"
        )
    return note


def account_contacted_mark(
    *, user: User, actor: Actor, contacted_on: date, channel: str = ContactChannel.PHONE
) -> Outcome:
    """Record that support contacted the forwarder on that day. Marking the same contact
    again changes nothing."""
    with transaction.atomic():
        mark = ContactMark.objects.select_for_update().filter(user=user).first()
        if mark is not None and (mark.contacted_on, mark.channel) == (contacted_on, channel):
            return Outcome(user, False, "already marked")
        before = [mark.contacted_on.isoformat(), mark.channel] if mark else None
        ContactMark.objects.update_or_create(
            user=user,
            defaults={
                "contacted_on": contacted_on,
                "channel": channel,
                "contacted_by": actor.user,
                "marked_at": timezone.now(),
            },
        )
        audit_record(
            actor=actor,
            action="user.contacted",
            user=user,
            changes={"contacted": [before, [contacted_on.isoformat(), channel]]},
        )
    return Outcome(user, True)


def account_erase(*, user: User, actor: Actor) -> Outcome:
    """Erase the account's personal data (provisioning.accounts.transitions.user_erase) and the
    text of the internal notes about it, in one transaction."""
    with transaction.atomic():
        outcome = user_erase(user=user, actor=actor)
        if outcome.changed:
            AccountNote.objects.filter(user=user).update(body=ERASED_NOTE)
    return outcome
