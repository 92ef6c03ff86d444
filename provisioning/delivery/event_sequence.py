"""The event feed's order: numbers given out in commit order (DESIGN §9, §10).

Ids are handed out when a row is inserted, not when its transaction commits: a transaction
that inserted event 41 may commit after the one that inserted event 42. A partner that read
42 and saved its cursor would then never see 41 if the feed were ordered by id.

So events are written without a number (`PartnerEvent.sequence` is null, and the feed does
not show them). After commit, `partner_events_number` locks the one counter row and numbers
the events that are committed and still unnumbered, in id order, from the counter on. The
lock serialises numbering runs, and each run numbers only what its own query sees committed,
so the numbers a reader can see always form an unbroken prefix: whatever was numbered after
a saved cursor's position carries a higher number than anything before it.

It runs after the commit of every change that wrote events (`partner_events_number_on_commit`),
when a partner reads its feed and finds events not numbered yet, and from the periodic sweep,
so that no event stays without a number when a process dies between commit and numbering.
The same ORM code runs on SQLite and PostgreSQL.
"""

import logging

from django.db import IntegrityError, transaction

from provisioning.models import EventSequence, Partner, PartnerEvent

logger = logging.getLogger(__name__)

BATCH = 1000  # events numbered per run and transaction; a run loops until none is left


def partner_events_number() -> int:
    """Number the committed events that have no number yet. Returns how many it numbered."""
    numbered = 0
    while True:
        with transaction.atomic():
            counter = _counter_locked()
            pending = list(
                PartnerEvent.objects.filter(sequence__isnull=True).order_by("id").only("id")[:BATCH]
            )
            if not pending:
                return numbered
            for offset, event in enumerate(pending, start=1):
                event.sequence = counter.last + offset
            PartnerEvent.objects.bulk_update(pending, ["sequence"])
            counter.last += len(pending)
            counter.save(update_fields=["last"])
        numbered += len(pending)
        if len(pending) < BATCH:
            return numbered


def _counter_locked() -> EventSequence:
    counter = EventSequence.objects.select_for_update().filter(pk=EventSequence.ONLY).first()
    if counter is None:  # a database emptied after its migrations (tests): start again
        try:
            with transaction.atomic():
                EventSequence.objects.create(pk=EventSequence.ONLY, last=0)
        except IntegrityError:
            pass  # another run created it meanwhile
        counter = EventSequence.objects.select_for_update().get(pk=EventSequence.ONLY)
    return counter


def partner_events_number_on_commit() -> None:
    """Number the events of the current transaction once it has committed. A failure is
    logged, not raised (the change is committed already); the sweep numbers them then."""
    transaction.on_commit(partner_events_number, robust=True)


def partner_events_number_pending(*, partner: Partner) -> None:
    """Before a partner's feed is read: number its events if some are not yet (one indexed
    query when all are)."""
    if PartnerEvent.objects.filter(partner=partner, sequence__isnull=True).exists():
        partner_events_number()


def partner_feed(*, partner: Partner):
    """The partner's numbered events, in feed order."""
    return PartnerEvent.objects.filter(partner=partner, sequence__isnull=False).order_by("sequence")
