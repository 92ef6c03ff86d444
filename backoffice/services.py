"""Writes of the support back-office's own data: internal notes and the contacted mark.

The account's transitions are provisioning's (`provisioning.accounts.transitions`); erasure is
wrapped here because the notes written about a person are personal data too.
"""

from datetime import date

from django.db import transaction
from django.utils import timezone

from backoffice.models import AccountNote, ContactChannel, ContactMark
from provisioning.accounts.transitions import Outcome, user_erase
from provisioning.audit.records import Actor, audit_record
from provisioning.models import User

ERASED_NOTE = "(erased with the account's personal data)"


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
