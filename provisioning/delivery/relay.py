"""The outbox relay: hands committed outbox rows to the broker, from inside the workers.

A request only inserts its outbox rows. A statement-level trigger on the outbox table (migration
0006) sends NOTIFY on OUTBOX_CHANNEL, which PostgreSQL delivers when the transaction commits,
once per transaction, and never for a rolled-back one. The relay runs in a thread of every
Celery worker (the bootstep in backoffice/celery.py). It LISTENs on a connection of its own and,
when it (re)connects, on every notification and at least every OUTBOX_RELAY_POLL_SECONDS:

1. claims pending rows nobody has handed over yet, in one statement that sets their
   `handed_over_at` and skips rows another relay is claiming at that moment, so that several
   relays never claim the same row;
2. queues one `outbox_deliver` task per claimed row. When the broker refuses, the rows not yet
   queued are put back (their `handed_over_at` cleared) and the relay tries again after a
   growing pause.

SQLite has no LISTEN: there the relay only polls. A relay that dies between claiming and
queuing leaves claimed rows without a task; the beat sweep delivers them once they are
OUTBOX_SWEEP_GRACE_SECONDS overdue, as it does for tasks lost in the broker.
"""

import contextlib
import logging
import threading
import time

import psycopg
from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone
from psycopg import sql

from provisioning.delivery.outbox import OUTBOX_CHANNEL
from provisioning.models import OutboxMessage
from provisioning.models.outbox import OutboxStatus
from provisioning.tasks import outbox_deliver

logger = logging.getLogger(__name__)

# Rows per claim: a claim holds its row locks only for one short statement, and a relay that
# dies mid-batch leaves at most this many rows to the sweep.
CLAIM_BATCH = 100
# Pauses after a failure (broker or database), doubling from the first to the last.
BACKOFF_FIRST_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 10.0
# How soon the relay notices stop() while it waits for a notification.
STOP_CHECK_SECONDS = 1.0


def _claim_statement(*, table: str, skip_locked: bool) -> str:
    # SKIP LOCKED: rows that another relay's claim (or a delivery) holds right now are left to
    # it instead of waited for. SQLite runs one writer at a time and needs none.
    lock = " FOR UPDATE SKIP LOCKED" if skip_locked else ""
    return (
        f"UPDATE {table} SET handed_over_at = %s WHERE id IN ("  # noqa: S608 - no input in it
        f" SELECT id FROM {table} WHERE status = %s AND handed_over_at IS NULL"
        f" ORDER BY id LIMIT %s{lock}"
        ") RETURNING id"
    )


def outbox_claim(*, limit: int) -> list[int]:
    """Mark up to `limit` pending rows that no relay has claimed as handed over, through
    Django's connection (in the caller's transaction, if any); return their ids."""
    statement = _claim_statement(
        table=connection.ops.quote_name(OutboxMessage._meta.db_table),
        skip_locked=connection.features.has_select_for_update_skip_locked,
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(statement, [now, OutboxStatus.PENDING, limit])
        return sorted(row[0] for row in cursor.fetchall())


class BrokerUnavailable(Exception):
    """Publishing a delivery task failed; the rows not yet queued were put back."""


class OutboxRelay:
    """Claims committed outbox rows and queues their delivery tasks until stopped.

    `start()` runs it in a daemon thread and `stop()` ends it: the worker bootstep calls both.
    """

    def __init__(self, *, poll_seconds: float | None = None, batch: int = CLAIM_BATCH):
        self.poll_seconds = (
            settings.OUTBOX_RELAY_POLL_SECONDS if poll_seconds is None else poll_seconds
        )
        self.batch = batch
        self.handed_over = 0  # rows this relay queued a task for, since it was made
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        logger.info(
            "outbox relay started: %s, and a look every %s s",
            f"listening on {OUTBOX_CHANNEL}" if connection.vendor == "postgresql" else "polling",
            self.poll_seconds,
        )
        self._stopping.clear()
        self._thread = threading.Thread(target=self.run, name="outbox-relay", daemon=True)
        self._thread.start()

    def stop(self, *, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def run(self) -> None:
        """Hand over what waits, then what each notification or poll brings, until stopped.

        No error ends the loop: a broker that refuses is retried with a growing pause; after a
        database error the relay drops its connection, reconnects after a growing pause and
        first hands over what waits, so that notifications missed meanwhile lose nothing."""
        database: _Database | None = None
        pause = BACKOFF_FIRST_SECONDS
        try:
            while not self._stopping.is_set():
                try:
                    if database is None:
                        # LISTEN before the first claim: a row committed in between notifies.
                        database = _Database.open()
                    handed_over = self.hand_over_waiting(database)
                    if pause > BACKOFF_FIRST_SECONDS:
                        logger.info("outbox relay recovered; %s messages handed over", handed_over)
                    pause = BACKOFF_FIRST_SECONDS
                    database.wait(self.poll_seconds, self._stopping)
                except BrokerUnavailable as exc:
                    # The connection stays: notifications arriving meanwhile wait on it.
                    logger.warning(
                        "outbox relay: broker unreachable (%s); retry in %s s", exc, pause
                    )
                    self._stopping.wait(pause)
                    pause = min(pause * 2, BACKOFF_MAX_SECONDS)
                except Exception as exc:
                    logger.warning(
                        "outbox relay: %s: %s; reconnecting in %s s",
                        type(exc).__name__,
                        exc,
                        pause,
                        # Outages are expected; anything else gets its traceback.
                        exc_info=not isinstance(exc, DatabaseError | psycopg.Error | OSError),
                    )
                    if database is not None:
                        database.close()
                        database = None
                    self._stopping.wait(pause)
                    pause = min(pause * 2, BACKOFF_MAX_SECONDS)
        finally:
            if database is not None:
                database.close()
            logger.info("outbox relay stopped")

    def hand_over_waiting(self, database: "_Database") -> int:
        """Claim and queue until no row waits. Returns how many rows were handed over.

        Raises BrokerUnavailable, after putting back what it could not queue, when the broker
        refuses; database errors propagate as they are."""
        total = 0
        while True:
            claimed = database.claim(limit=self.batch)
            for position, message_id in enumerate(claimed):
                try:
                    outbox_deliver.delay(message_id)
                except Exception as exc:
                    not_queued = claimed[position:]
                    database.unclaim(not_queued)
                    self.handed_over += position
                    raise BrokerUnavailable(
                        f"{type(exc).__name__}: {exc}; {len(not_queued)} outbox messages put back"
                    ) from exc
            self.handed_over += len(claimed)
            total += len(claimed)
            if len(claimed) < self.batch:
                return total


class _Database:
    """The relay's database where there is no LISTEN (SQLite): Django's connection, and
    waiting for the next round is waiting for the poll interval."""

    @staticmethod
    def open() -> "_Database":
        if connection.vendor == "postgresql":
            return _PostgresDatabase()
        return _Database()

    def claim(self, *, limit: int) -> list[int]:
        connection.close_if_unusable_or_obsolete()
        return outbox_claim(limit=limit)

    def unclaim(self, message_ids: list[int]) -> None:
        OutboxMessage.objects.filter(pk__in=message_ids).update(handed_over_at=None)

    def wait(self, seconds: float, stopping: threading.Event) -> None:
        stopping.wait(seconds)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            connection.close()


class _PostgresDatabase(_Database):
    """A connection of the relay's own, in autocommit, that LISTENs and claims between waits.
    Not Django's: that one may be inside a transaction, which holds notifications back, and its
    pool can hand out, one try at a time, every connection a database restart has cut."""

    def __init__(self):
        params = connection.get_connection_params()
        # A server that vanished without closing the socket is noticed within about a minute.
        for key, value in {
            "application_name": "outbox-relay",
            "keepalives_idle": 30,
            "keepalives_interval": 10,
        }.items():
            params.setdefault(key, value)
        self.conn = psycopg.connect(**params, autocommit=True)
        self.table = sql.Identifier(OutboxMessage._meta.db_table)
        self.conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(OUTBOX_CHANNEL)))

    def claim(self, *, limit: int) -> list[int]:
        statement = _claim_statement(table=self.table.as_string(self.conn), skip_locked=True)
        rows = self.conn.execute(statement, [timezone.now(), OutboxStatus.PENDING, limit])
        return sorted(row[0] for row in rows)

    def unclaim(self, message_ids: list[int]) -> None:
        self.conn.execute(
            sql.SQL("UPDATE {} SET handed_over_at = NULL WHERE id = ANY(%s)").format(self.table),
            [message_ids],
        )

    def wait(self, seconds: float, stopping: threading.Event) -> None:
        """Return on a notification, after `seconds`, or soon after `stopping` is set."""
        deadline = time.monotonic() + seconds
        while not stopping.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            timeout = min(remaining, STOP_CHECK_SECONDS)
            if list(self.conn.notifies(timeout=timeout, stop_after=1)):
                # Notifications of several commits, or received during the claims, fold into
                # one round.
                list(self.conn.notifies(timeout=0))
                return

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()
        super().close()
