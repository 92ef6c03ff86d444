"""Celery tasks. They take ids, re-read state, and are safe to run twice."""

from celery import shared_task

from provisioning.accounts.consent import access_requests_expire
from provisioning.cass.runs import cass_import_execute, cass_imports_start
from provisioning.delivery.outbox import outbox_deliver_one, outbox_sweep_due
from provisioning.forwarder.completion import completion_reminders_send, link_requests_purge
from provisioning.partner_api.idempotency import idempotency_records_purge
from provisioning.partner_api.ratelimit import rate_limit_windows_purge


@shared_task(bind=True, max_retries=None)
def outbox_deliver(self, message_id: int) -> None:
    retry_in = outbox_deliver_one(message_id)
    if retry_in is not None and not self.request.is_eager:
        # In-process mode has no one to wait for the countdown; the sweep retries there.
        raise self.retry(countdown=retry_in.total_seconds())


@shared_task
def outbox_sweep() -> int:
    return outbox_sweep_due()


@shared_task
def completion_reminders() -> int:
    """Beat, every COMPLETION_REMINDER_SWEEP_SECONDS: one reminder per 3-day-old unused link."""
    return completion_reminders_send()


@shared_task(name="provisioning.tasks.link_requests_purge")
def link_requests_purge_task() -> int:
    return link_requests_purge()


@shared_task
def api_housekeeping() -> None:
    """Forget idempotency records older than a day and rate-limit windows that are over;
    close access requests nobody answered in time."""
    idempotency_records_purge()
    access_requests_expire()
    rate_limit_windows_purge()


@shared_task
def cass_import_run(import_id: int) -> bool:
    """Run one uploaded CASS import (in-process mode queues it on upload)."""
    return cass_import_execute(import_id=import_id)


@shared_task
def cass_imports_sweep() -> int:
    """Beat, every CASS_IMPORT_SWEEP_SECONDS: run the uploaded CASS imports that are queued."""
    return cass_imports_start()
