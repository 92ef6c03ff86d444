# gunicorn reads this file from the working directory.
import os

from provisioning.log_filters import gunicorn_logger_class

# The access log must not carry the one-time tokens of forwarder links
# (docs/forwarder-pages.md).
logger_class = gunicorn_logger_class()

# One process per core, each with a few threads. A partner call spends much of its time
# waiting on PostgreSQL, and a thread lets another request use that time; fewer processes
# keep their caches warm between requests. On two cores this served creates and login tokens
# about 10 % faster than four single-threaded processes (docs/reliability.md, Performance).
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", len(os.sched_getaffinity(0))))
threads = int(os.environ.get("WEB_THREADS", 4))
