"""The event feed is ordered by commit, not by id: a partner that saved its cursor never skips
an event whose transaction committed after one with a higher id (provisioning/event_sequence.py)."""

import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connections, transaction

from provisioning.delivery.event_sequence import partner_events_number
from provisioning.models import EventSequence, EventType, PartnerEvent
from provisioning.tasks import partner_events_sequence

pytestmark = pytest.mark.django_db


def event(partner, *, pk=None, label="x") -> PartnerEvent:
    return PartnerEvent.objects.create(
        pk=pk, partner=partner, type=EventType.USER_CREATED, payload={"label": label}
    )


def read(v1, cursor=None) -> tuple[list[str], str | None]:
    """The labels of one page of the feed, and the cursor of its `next` link."""
    response = v1.get("events", {"cursor": cursor} if cursor else {})
    assert response.status_code == 200, response.content
    body = response.json()
    following = body["next"] and parse_qs(urlsplit(body["next"]).query)["cursor"][0]
    return [e["label"] for e in body["results"]], following


def test_a_saved_cursor_gets_an_event_with_a_lower_id_committed_later(v1, partner):
    event(partner, pk=100, label="B")  # the later id, committed first
    labels, saved = read(v1)
    assert labels == ["B"]
    assert saved is not None  # the last page still gives a cursor to poll with
    event(partner, pk=50, label="A")  # the earlier id, committed afterwards
    assert read(v1, saved)[0] == ["A"]


def test_polling_with_the_last_cursor_waits_for_news_and_then_reads_them(v1, partner):
    event(partner, label="one")
    _, saved = read(v1)
    assert read(v1, saved) == ([], saved)  # nothing new: the same cursor to poll again
    event(partner, label="two")
    assert read(v1, saved)[0] == ["two"]


def test_events_not_yet_numbered_stay_out_of_the_feed_until_numbered(partner):
    from provisioning.delivery.event_sequence import partner_feed

    event(partner, label="late")
    assert list(partner_feed(partner=partner)) == []
    assert partner_events_sequence() == 1  # the periodic sweep
    assert [e.payload["label"] for e in partner_feed(partner=partner)] == ["late"]
    assert partner_events_number() == 0


def test_numbers_follow_the_counter_in_id_order(partner):
    EventSequence.objects.update_or_create(pk=1, defaults={"last": 41})
    first, second = event(partner), event(partner)
    partner_events_number()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.sequence, second.sequence) == (42, 43)
    assert EventSequence.objects.get().last == 43


def test_a_change_through_the_api_is_numbered_when_it_commits(
    v1, django_capture_on_commit_callbacks
):
    from provisioning.tests.conftest import person

    with django_capture_on_commit_callbacks(execute=True):
        v1.post("users", person("raj@indigo-cargo.in", countryCode="IN"))
    assert PartnerEvent.objects.get().sequence is not None


@pytest.mark.django_db(transaction=True)
def test_two_transactions_committing_out_of_id_order_lose_no_event(postgres_only, v1, partner):
    """Real transactions on PostgreSQL: the earlier id commits after the later one, which a
    partner has already read and saved its cursor after."""
    inserted, release = threading.Event(), threading.Event()
    failures = []

    def slow_transaction():
        try:
            with transaction.atomic():
                event(partner, label="A")  # takes the lower id, then waits uncommitted
                inserted.set()
                assert release.wait(10)
            partner_events_number()  # what its commit hook does
        except Exception as exc:
            failures.append(exc)
        finally:
            connections.close_all()

    slow = threading.Thread(target=slow_transaction)
    slow.start()
    try:
        assert inserted.wait(10)
        event(partner, label="B")  # the higher id, committed at once
        partner_events_number()  # B's commit hook: A is not committed, so not numbered
        labels, saved = read(v1)
        assert labels == ["B"]
    finally:
        release.set()
        slow.join(10)
    assert not failures, failures
    ids = dict(PartnerEvent.objects.values_list("payload__label", "id"))
    assert ids["A"] < ids["B"]
    assert read(v1, saved)[0] == ["A"]
