"""Counts what happens in this process from the signals Django, Celery and django-axes send,
so that the code doing the work needs to know nothing of metrics."""

import time

from axes.signals import user_locked_out
from celery import signals as celery_signals
from django.db.models.signals import post_save

from backoffice.observability.metrics import (
    CELERY_TASK_DURATION,
    CELERY_TASKS,
    DELIVERY_ATTEMPTS,
    LOGIN_LOCKOUTS,
)

# task id -> start time, for the tasks this process is running right now.
_started: dict[str, float] = {}


def _task_name(sender, task=None) -> str:
    task = task or sender
    return getattr(task, "name", None) or str(task)


def _on_task_prerun(sender=None, task_id=None, task=None, **kwargs):
    _started[task_id] = time.perf_counter()


def _on_task_postrun(sender=None, task_id=None, task=None, **kwargs):
    started = _started.pop(task_id, None)
    if started is not None:
        CELERY_TASK_DURATION.labels(task=_task_name(sender, task)).observe(
            time.perf_counter() - started
        )


def _on_task_success(sender=None, **kwargs):
    CELERY_TASKS.labels(task=_task_name(sender), outcome="succeeded").inc()


def _on_task_failure(sender=None, **kwargs):
    CELERY_TASKS.labels(task=_task_name(sender), outcome="failed").inc()


def _on_task_retry(sender=None, **kwargs):
    CELERY_TASKS.labels(task=_task_name(sender), outcome="retried").inc()


def _on_outbox_saved(sender, instance, created, update_fields=None, **kwargs):
    # A delivery attempt saves the row with its attempts count (provisioning outbox_deliver_one):
    # sent, failed for good, or failed with a retry planned.
    if created or not update_fields or "attempts" not in update_fields:
        return
    if instance.status == "sent":
        outcome = "sent"
    elif instance.status == "failed":
        outcome = "failed"
    else:
        outcome = "retry"
    DELIVERY_ATTEMPTS.labels(kind=instance.kind, outcome=outcome).inc()


def _on_locked_out(sender=None, **kwargs):
    LOGIN_LOCKOUTS.inc()


def connect() -> None:
    celery_signals.task_prerun.connect(_on_task_prerun, weak=False)
    celery_signals.task_postrun.connect(_on_task_postrun, weak=False)
    celery_signals.task_success.connect(_on_task_success, weak=False)
    celery_signals.task_failure.connect(_on_task_failure, weak=False)
    celery_signals.task_retry.connect(_on_task_retry, weak=False)
    post_save.connect(
        _on_outbox_saved, sender="provisioning.OutboxMessage", dispatch_uid="metrics-outbox"
    )
    user_locked_out.connect(_on_locked_out, dispatch_uid="metrics-lockouts")
