import os

from celery import Celery, bootsteps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")

app = Celery("backoffice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# A worker's metrics endpoint and its processes' counters (WORKER_METRICS_PORT).
import backoffice.observability.processes  # noqa: E402, F401


class OutboxRelayStep(bootsteps.StartStopStep):
    """Runs the outbox relay (provisioning/delivery/relay.py) in a thread of every worker, so
    that the same `celery worker` command that delivers the outbox also hands it over. Started
    after the pool, so that prefork children are forked before the thread exists."""

    requires = ("celery.worker.components:Pool",)

    def include_if(self, worker):
        from django.conf import settings

        # In-process mode hands over in the request; a worker has nothing to relay there.
        return settings.OUTBOX_RELAY and not worker.app.conf.task_always_eager

    def create(self, worker):
        from provisioning.delivery.relay import OutboxRelay

        return OutboxRelay()


app.steps["worker"].add(OutboxRelayStep)
