# gunicorn reads this file from the working directory.
import os

from provisioning.log_filters import gunicorn_logger_class

# The access log must not carry the one-time tokens of forwarder links
# (docs/forwarder-pages.md).
logger_class = gunicorn_logger_class()

# Two single-threaded processes per core: threads of one process wait for one another's Python,
# and a day's mix of calls (recognition and office changes are heavy in Python) suffers from it.
# `bench/api_load.py --threads N --mixed 600` compares the shapes (docs/performance.md).
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * len(os.sched_getaffinity(0))))
threads = int(os.environ.get("WEB_THREADS", 1))
worker_class = "gthread" if threads > 1 else "sync"


def post_worker_init(worker):
    # Before the first request, so that a single-threaded process keeps one connection to
    # PostgreSQL, always the same one (backoffice/pool.py).
    from backoffice.pool import connection_pool_ready

    connection_pool_ready()


def on_starting(server):
    # With PROMETHEUS_MULTIPROC_DIR, the counters of this master's workers (docs/operations.md).
    from backoffice.observability.processes import multiprocess_dir_reset

    multiprocess_dir_reset()


def child_exit(server, worker):
    from backoffice.observability.processes import process_exited

    process_exited(worker.pid)
