"""Metrics across processes: the web server's and the Celery worker's hooks.

With PROMETHEUS_MULTIPROC_DIR set, every process of a gunicorn master or of a prefork Celery
worker writes its counters to files in that directory, and one scrape adds them up. The
directory belongs to one master and must start empty: gunicorn's master empties it before it
loads the application; a worker's main process creates its counters before any hook runs, so
give the worker an empty directory (a tmpfs in docker-compose.yml). A child's files are marked
dead when it exits.
"""

import logging
import os
from pathlib import Path

from celery import signals as celery_signals

logger = logging.getLogger(__name__)


def multiprocess_dir_reset() -> None:
    """Forget the counts of a previous run (called by the master, before any child exists)."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    for file in path.glob("*.db"):
        file.unlink()


def process_exited(pid: int) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


@celery_signals.worker_init.connect
def _worker_metrics_serve(**kwargs):
    """A `celery worker` with WORKER_METRICS_PORT serves its task and delivery counters there
    (its tasks run in its own processes, which the web endpoint cannot see)."""
    from django.conf import settings

    if not settings.WORKER_METRICS_PORT:
        return
    from prometheus_client import start_http_server

    from backoffice.observability.metrics import process_registry

    start_http_server(settings.WORKER_METRICS_PORT, registry=process_registry())
    logger.info("worker metrics on port %s", settings.WORKER_METRICS_PORT)


@celery_signals.worker_process_shutdown.connect
def _worker_child_exited(pid=None, **kwargs):
    process_exited(pid or os.getpid())
