"""The Prometheus metrics of the back-office.

Two kinds:
- Counters and histograms of what a process did (request latency, Celery task outcomes,
  delivery attempts, admin lockouts). Under gunicorn or a prefork worker several processes
  count; with PROMETHEUS_MULTIPROC_DIR set, prometheus-client keeps them in files there and
  the endpoint adds up every process's (docs/operations.md).
- Gauges of the state the database holds (outbox backlog and its oldest message, pending
  accounts by reason, login lockouts in force): read at scrape time with a few indexed
  queries by DatabaseCollector, so that every web process reports the same truth.
"""

import logging
import os
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, Min, Q
from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

# In multiprocess mode each metric below opens its file in the directory when it is created.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

REQUEST_LATENCY = Histogram(
    "backoffice_http_request_duration_seconds",
    "Time to answer a request, by URL pattern name and method.",
    ["view", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
CELERY_TASKS = Counter(
    "backoffice_celery_tasks",
    "Celery tasks run, by task name and outcome (succeeded, failed, retried).",
    ["task", "outcome"],
)
CELERY_TASK_DURATION = Histogram(
    "backoffice_celery_task_duration_seconds",
    "Time a Celery task ran, by task name.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60),
)
DELIVERY_ATTEMPTS = Counter(
    "backoffice_outbox_delivery_attempts",
    "Outbox delivery attempts, by kind (email, webhook) and outcome: sent, retry (failed, "
    "will be tried again) or failed (given up for good).",
    ["kind", "outcome"],
)
LOGIN_LOCKOUTS = Counter(
    "backoffice_admin_login_lockouts",
    "Staff sign-ins locked out after repeated wrong passwords (django-axes).",
)


class DatabaseCollector(Collector):
    """Gauges read from the database at each scrape."""

    def collect(self):
        up = GaugeMetricFamily(
            "backoffice_metrics_database_up",
            "1 when the gauges read from the database could be read at this scrape.",
        )
        try:
            families = list(self._from_database())
        except DatabaseError as error:
            logger.warning("metrics: database unavailable: %s", type(error).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _from_database(self):
        from axes.models import AccessAttempt

        from provisioning.models import OutboxMessage, PendingReason, User, UserStatus
        from provisioning.models.outbox import OutboxKind, OutboxStatus

        now = timezone.now()
        pending = GaugeMetricFamily(
            "backoffice_outbox_pending_messages",
            "Outbox messages not yet delivered (nor given up), by kind.",
            labels=["kind"],
        )
        retrying = GaugeMetricFamily(
            "backoffice_outbox_retrying_messages",
            "Pending outbox messages whose delivery failed at least once, by kind.",
            labels=["kind"],
        )
        oldest = GaugeMetricFamily(
            "backoffice_outbox_oldest_pending_age_seconds",
            "Age of the oldest pending outbox message (0 when none is pending).",
        )
        # One query over the pending rows only (partial index outbox_due_idx).
        rows = {
            row["kind"]: row
            for row in OutboxMessage.objects.filter(status=OutboxStatus.PENDING)
            .values("kind")
            .annotate(
                n=Count("id"),
                retrying=Count("id", filter=Q(attempts__gt=0)),
                first=Min("created_at"),
            )
            .order_by()
        }
        for kind in OutboxKind.values:
            row = rows.get(kind, {})
            pending.add_metric([kind], row.get("n", 0))
            retrying.add_metric([kind], row.get("retrying", 0))
        firsts = [row["first"] for row in rows.values() if row["first"] is not None]
        oldest.add_metric([], max((now - min(firsts)).total_seconds(), 0) if firsts else 0)
        yield from (pending, retrying, oldest)

        accounts = GaugeMetricFamily(
            "backoffice_pending_accounts",
            "Accounts in the support queue, by pending reason.",
            labels=["reason"],
        )
        # Counted over the partial index user_pending_reason_idx.
        counts = dict(
            User.objects.filter(status=UserStatus.PENDING)
            .values_list("pending_reason")
            .annotate(n=Count("id"))
            .order_by()
        )
        for reason in PendingReason.values:
            accounts.add_metric([reason], counts.get(reason, 0))
        yield accounts

        lockouts = GaugeMetricFamily(
            "backoffice_admin_login_lockouts_active",
            "Staff email + address pairs locked out of the sign-in right now.",
        )
        cooloff = settings.AXES_COOLOFF_TIME or timedelta(0)
        lockouts.add_metric(
            [],
            AccessAttempt.objects.filter(
                failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
                attempt_time__gte=now - cooloff,
            ).count(),
        )
        yield lockouts


DATABASE_COLLECTOR = DatabaseCollector()


def multiprocess_mode() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def process_registry() -> CollectorRegistry:
    """What this process (or, in multiprocess mode, every process sharing the directory) counted."""
    if multiprocess_mode():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def scrape_registry() -> CollectorRegistry:
    """The web endpoint's: the counters plus the database's gauges."""
    registry = CollectorRegistry()
    registry.register(_Merged(process_registry()))
    registry.register(DATABASE_COLLECTOR)
    return registry


class _Merged(Collector):
    def __init__(self, registry: CollectorRegistry):
        self.registry = registry

    def collect(self):
        yield from self.registry.collect()
