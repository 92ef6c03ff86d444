"""The outbox relay hands committed outbox rows to the broker: requests never talk to the
broker, several relays never hand one row over twice, nothing committed is missed, nothing
rolled back is handed over, and a broker or database outage only delays the hand-over.

Real Redis and PostgreSQL; the relays are threads of this process, as they are threads of a
worker, and no worker takes the tasks they queue, so the queue shows exactly what they
published."""

import logging
import threading

import psycopg
import pytest
import redis
from django.db import connection, transaction
from django.test import Client

from conftest import require
from provisioning.delivery.outbox import OUTBOX_CHANNEL, outbox_email_queue
from provisioning.delivery.relay import OutboxRelay, outbox_claim
from provisioning.models import OutboxMessage, User
from provisioning.models.outbox import OutboxStatus
from provisioning.tests.factories import api_key_for
from provisioning.tests.live import (
    RedisServer,
    Worker,
    create,
    free_port,
    publishing_to,
    queued_deliveries,
    relay_running,
    suite_redis_url,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# Relays that look on their own only once an hour: what they hand over in these tests, they
# found when they started or because a commit notified them.
NOTIFIED_ONLY = 3600


@pytest.fixture
def broker_url():
    """The test run's Redis, which this process publishes to; no worker consumes it."""
    url = suite_redis_url()
    with publishing_to(url):
        yield url


@pytest.fixture
def postgresql():
    require(
        connection.vendor == "postgresql",
        "needs PostgreSQL (set DATABASE_URL=postgres://…): LISTEN/NOTIFY, FOR UPDATE SKIP LOCKED",
    )


@pytest.fixture
def own_broker():
    server = RedisServer()
    server.start()
    yield server
    server.cleanup()


def queue(to: str) -> int:
    return outbox_email_queue(template="welcome", to=to, context={"first_name": "Anna"}).pk


def handed_over(ids: list[int]) -> bool:
    return not OutboxMessage.objects.filter(pk__in=ids, handed_over_at__isnull=True).exists()


def test_a_create_with_a_broker_configured_never_connects_to_the_broker(own_broker, caplog):
    _, raw_key = api_key_for()
    client = Client(raise_request_exception=False)
    watcher = redis.Redis(port=own_broker.port)
    connections_before = watcher.info("stats")["total_connections_received"]

    with publishing_to(own_broker.url), caplog.at_level(logging.INFO):
        statuses = [create(client, raw_key, n).status_code for n in range(10)]

    assert statuses == [200] * 10
    # Not one connection besides the watcher's own, and nothing queued.
    assert watcher.info("stats")["total_connections_received"] == connections_before
    assert watcher.dbsize() == 0
    assert not [r for r in caplog.records if r.name.startswith("provisioning.delivery.outbox")]
    # Each new user's email waits, committed, for a relay to hand it over.
    emails = set(User.objects.filter(is_staff=False).values_list("email", flat=True))
    waiting = OutboxMessage.objects.filter(
        status=OutboxStatus.PENDING, handed_over_at__isnull=True
    ).values_list("recipient", flat=True)
    assert set(waiting) == emails
    assert len(emails) == 10


def test_rows_committed_while_no_relay_ran_are_handed_over_when_one_starts(broker_url):
    waiting = [queue(f"waiting{n}@example.com") for n in range(3)]
    assert queued_deliveries(broker_url) == []

    with relay_running(poll_seconds=NOTIFIED_ONLY):
        # Watched in the broker, not the database: SQLite's in-memory test database refuses a
        # read while another thread writes (PostgreSQL and a SQLite file would not).
        wait_for(lambda: queued_deliveries(broker_url) == waiting, "the relay's hand-over")

    assert handed_over(waiting)


@pytest.mark.postgres
def test_two_relays_at_once_hand_every_row_over_exactly_once(postgresql, broker_url):
    before = [queue(f"before{n}@example.com") for n in range(40)]
    relays = [OutboxRelay(poll_seconds=NOTIFIED_ONLY, batch=7) for _ in range(2)]
    for relay in relays:
        relay.start()
    try:
        during = []
        for n in range(30):
            with transaction.atomic():
                during += [queue(f"during{n}-{k}@example.com") for k in range(4)]
        wait_for(lambda: handed_over(before + during), "every row to be handed over")
    finally:
        for relay in relays:
            relay.stop()

    assert queued_deliveries(broker_url) == sorted(before + during)
    assert sum(relay.handed_over for relay in relays) == 160
    print("rows handed over by each relay:", [relay.handed_over for relay in relays])


@pytest.mark.postgres
def test_a_relay_skips_the_rows_another_relay_is_claiming(postgresql, broker_url):
    ids = [queue(f"anna{n}@example.com") for n in range(10)]
    first_claim: list[int] = []
    claimed, finish = threading.Event(), threading.Event()

    def first_relay():
        try:
            with transaction.atomic():  # its claim stays uncommitted until `finish`
                first_claim.extend(outbox_claim(limit=4))
                claimed.set()
                finish.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=first_relay)
    thread.start()
    try:
        assert claimed.wait(30)
        with transaction.atomic():
            # Waiting for the first relay's rows would fail here instead of hanging.
            connection.cursor().execute("SET LOCAL lock_timeout = '5s'")
            second_claim = outbox_claim(limit=4)
    finally:
        finish.set()
        thread.join()

    assert first_claim == ids[:4]
    assert second_claim == ids[4:8]
    assert outbox_claim(limit=10) == ids[8:]


@pytest.mark.postgres
def test_a_commit_notifies_the_relays_once_and_a_rollback_not_at_all(postgresql, broker_url):
    def marker():
        """A notification of our own, committed after everything before it."""
        connection.cursor().execute("SELECT pg_notify(%s, 'marker')", [OUTBOX_CHANNEL])

    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as listener:
        listener.execute(f"LISTEN {OUTBOX_CHANNEL}")

        def notifications_before_marker() -> list[str]:
            marker()
            received = []
            for notify in listener.notifies(timeout=30):
                if notify.payload == "marker":
                    return received
                received.append(notify.payload)
            pytest.fail("our own notification never arrived")

        with pytest.raises(RuntimeError), transaction.atomic():
            queue("rolled-back@example.com")
            raise RuntimeError("the change that caused the email failed")
        assert notifications_before_marker() == []

        with transaction.atomic():
            kept = [queue("kept@example.com"), queue("kept-too@example.com")]
        assert notifications_before_marker() == [""]

    with relay_running(poll_seconds=NOTIFIED_ONLY):
        with pytest.raises(RuntimeError), transaction.atomic():
            queue("rolled-back-again@example.com")
            raise RuntimeError("the change that caused the email failed")
        kept.append(queue("kept-last@example.com"))
        wait_for(lambda: handed_over(kept), "the committed rows to be handed over")

    assert queued_deliveries(broker_url) == kept
    assert not OutboxMessage.objects.filter(recipient__startswith="rolled-back").exists()


@pytest.mark.postgres
def test_with_the_broker_down_the_relay_puts_rows_back_and_hands_them_over_once_it_returns(
    postgresql, own_broker, caplog
):
    caplog.set_level(logging.WARNING, logger="provisioning.delivery.relay")
    with publishing_to(own_broker.url), relay_running(poll_seconds=NOTIFIED_ONLY):
        first = queue("first@example.com")
        wait_for(lambda: queued_deliveries(own_broker.url) == [first], "the relay at work")

        own_broker.stop()  # its queue goes with it: the sweep would deliver `first`
        during = [queue(f"during{n}@example.com") for n in range(5)]

        def failed_twice():
            return len([r for r in caplog.records if "broker unreachable" in r.getMessage()]) >= 2

        wait_for(failed_twice, "the relay to fail twice to queue the tasks")
        own_broker.start()
        # Watched in the broker: a claim whose publishing fails is undone.
        wait_for(
            lambda: queued_deliveries(own_broker.url) == during,
            "the rows to be handed over after the outage",
        )

    assert queued_deliveries(own_broker.url) == during
    assert "5 outbox messages put back" in caplog.text


@pytest.mark.postgres
def test_a_relay_whose_database_session_is_cut_reconnects_and_misses_nothing(
    postgresql, broker_url, caplog
):
    caplog.set_level(logging.WARNING, logger="provisioning.delivery.relay")
    with relay_running(poll_seconds=NOTIFIED_ONLY):
        first = queue("first@example.com")
        wait_for(lambda: queued_deliveries(broker_url) == [first], "the relay at work")

        # A failover or a network cut ends the relay's session.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND application_name = 'outbox-relay'"
            )
            assert cursor.fetchone() == (True,)
        second = queue("second@example.com")
        wait_for(
            lambda: queued_deliveries(broker_url) == [first, second],
            "the relay to reconnect and hand over the row committed meanwhile",
        )

    assert "reconnecting" in caplog.text


@pytest.mark.postgres
@pytest.mark.parametrize(("setting", "runs_a_relay"), [(None, True), ("false", False)])
def test_a_worker_runs_a_relay_unless_its_outbox_relay_setting_is_false(
    postgresql, tmp_path, setting, runs_a_relay
):
    env = {"OUTBOX_RELAY": setting} if setting else {}
    worker = Worker(broker_url=suite_redis_url(), smtp_port=free_port(), log_dir=tmp_path, env=env)
    worker.start()
    try:
        # The relay starts with the worker's pool, before the worker reports ready.
        wait_for(lambda: " ready." in worker.logs(), "the worker to be ready")
    finally:
        worker.stop()
    assert ("outbox relay started" in worker.logs()) is runs_a_relay
