"""Reads of the queue's dashboard: pending accounts per reason, the oldest wait, and the
activations of the week with the median time to activation."""

import statistics
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q
from django.db.models.fields.json import KT
from django.db.models.functions import TruncDate
from django.utils import timezone

from backoffice.selectors.queue import duration_display, pending_accounts
from provisioning.models import AuditEvent, PendingReason, User, UserStatus
from provisioning.models.audit import AuditAction

# Counts per pending reason stop here: past it the queue shows "10,000+" instead of counting
# every pending row.
REASON_COUNT_CAP = 10_000
MEDIAN_WINDOW = timedelta(days=90)
MEDIAN_SAMPLE = 1_000  # the most recent activations out of the queue in the window


@dataclass(frozen=True)
class ReasonCount:
    reason: str
    label: str
    count: int
    capped: bool  # count is REASON_COUNT_CAP and there are more

    @property
    def display(self) -> str:
        return f"{self.count:,}+" if self.capped else f"{self.count:,}"


@dataclass(frozen=True)
class QueueStats:
    by_reason: list[ReasonCount]
    oldest: User | None

    @property
    def oldest_display(self) -> str:
        if self.oldest is None:
            return "—"
        return duration_display(timezone.now() - self.oldest.status_changed_at)


def queue_stats() -> QueueStats:
    """Pending accounts per reason (each count capped, on user_pending_reason_idx) and the
    oldest waiting account (the first entry of user_pending_queue_idx). Two queries."""
    counts = _capped_counts()
    oldest = (
        pending_accounts()
        .order_by("status_changed_at", "id")
        .only("id", "email", "status_changed_at", "pending_reason")
        .first()
    )
    return QueueStats(
        by_reason=[
            ReasonCount(
                reason=reason.value,
                label=reason.label,
                count=min(counts.get(reason.value, 0), REASON_COUNT_CAP),
                capped=counts.get(reason.value, 0) > REASON_COUNT_CAP,
            )
            for reason in PendingReason
        ],
        oldest=oldest,
    )


def _capped_counts() -> dict[str, int]:
    """{reason: pending accounts with it, up to REASON_COUNT_CAP + 1}, in one query."""
    table = connection.ops.quote_name(User._meta.db_table)
    one = (
        f"SELECT %s, COUNT(*) FROM (SELECT 1 FROM {table}"  # noqa: S608 - our table's name
        " WHERE status = %s AND pending_reason = %s LIMIT %s) AS capped"
    )
    params = []
    for reason in PendingReason.values:
        params += [reason, UserStatus.PENDING, reason, REASON_COUNT_CAP + 1]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join([one] * len(PendingReason.values)), params)
        return {reason: count for reason, count in cursor.fetchall()}


@dataclass(frozen=True)
class ActivationStats:
    this_week: int
    this_week_by_support: int
    median_wait: timedelta | None
    sample_size: int

    @property
    def median_display(self) -> str:
        return duration_display(self.median_wait)


def activation_stats(*, now: datetime | None = None) -> ActivationStats:
    """Activations since Monday 00:00 (audit rows on their created_at index) and the median
    time from account creation to activation of the last MEDIAN_SAMPLE accounts activated out
    of the pending queue in the last 90 days. Two queries."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    week_start = (local - timedelta(days=local.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    activated = AuditEvent.objects.filter(action="user.activated")
    week = activated.filter(created_at__gte=week_start).aggregate(
        total=Count("id"), by_support=Count("id", filter=Q(actor_type="staff"))
    )
    # The newest MEDIAN_SAMPLE activations in the window, read backwards on the audit rows'
    # created_at index, each joined to its user by primary key; of those, the ones that came
    # out of the queue (previous status pending) count. The previous status is tested here, not
    # in SQL: a JSON condition in the query makes PostgreSQL expect few matching rows and scan
    # the whole audit table or hash the whole user table instead. The sample is small, so its
    # median is taken here too: ordering and an offset in the database would need a count
    # first, one query more on every queue page.
    sample = (
        activated.filter(created_at__gte=now - MEDIAN_WINDOW)
        .order_by("-created_at")
        .annotate(
            wait=ExpressionWrapper(
                F("created_at") - F("user__date_joined"), output_field=DurationField()
            ),
            previous_status=KT("changes__status__0"),
        )
        .values_list("wait", "previous_status")[:MEDIAN_SAMPLE]
    )
    waits = [wait for wait, previous in sample if previous == "pending" and wait is not None]
    return ActivationStats(
        this_week=week["total"],
        this_week_by_support=week["by_support"],
        median_wait=statistics.median(waits) if waits else None,
        sample_size=len(waits),
    )


CHART_DAYS = 30


@dataclass(frozen=True)
class DayCount:
    day: date
    created: int  # accounts created pending (they entered the queue)
    activated: int


@dataclass(frozen=True)
class DailyActivity:
    days: list[DayCount]

    @property
    def peak(self) -> int:
        return max([1, *(d.created for d in self.days), *(d.activated for d in self.days)])

    @property
    def total_created(self) -> int:
        return sum(d.created for d in self.days)

    @property
    def total_activated(self) -> int:
        return sum(d.activated for d in self.days)


def daily_activity(*, now: datetime | None = None, days: int = CHART_DAYS) -> DailyActivity:
    """Per day of the last `days` days (today included): accounts created pending and
    activations. One aggregate query over the audit rows of the window (index on
    AuditEvent.created_at), grouped by day, action and the status the row set; at most
    three groups a day come back, whatever the size of the tables."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, time.min, tzinfo=timezone.get_current_timezone())
    rows = (
        AuditEvent.objects.filter(
            created_at__gte=start, action__in=[AuditAction.USER_CREATED, AuditAction.USER_ACTIVATED]
        )
        .annotate(day=TruncDate("created_at"), new_status=KT("changes__status__1"))
        .values("day", "action", "new_status")
        .annotate(n=Count("id"))
        .order_by()
    )
    created: dict[date, int] = {}
    activated: dict[date, int] = {}
    for row in rows:
        if row["action"] == AuditAction.USER_ACTIVATED:
            activated[row["day"]] = activated.get(row["day"], 0) + row["n"]
        elif row["new_status"] == UserStatus.PENDING:
            created[row["day"]] = created.get(row["day"], 0) + row["n"]
    return DailyActivity(
        days=[
            DayCount(day, created.get(day, 0), activated.get(day, 0))
            for day in (first + timedelta(days=n) for n in range(days))
        ]
    )
