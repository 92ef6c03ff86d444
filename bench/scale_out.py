"""Scale-out proof: two web instances, two Celery workers and one beat on one PostgreSQL and
one Redis, driven by mixed partner calls through both instances.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/scale_out.py
    DATABASE_URL=… python bench/scale_out.py --calls 120 --json    # the short run of the tests

It creates a database of its own (`scale_out_<pid>_<random>`, dropped at the end), a
redis-server of its own (a free port, a temporary directory) and an SMTP server (aiosmtpd) in
this process that keeps every email. Then it starts the processes as production runs them —
gunicorn (2 processes each) on two ports, two prefork `celery worker`s (each with its outbox
relay), one `celery beat` with the periodic jobs every few seconds — and sends the calls
alternately to the two instances: compat creates (new and known domains, the same create at
both instances at once), tokens, added offices, deletes, v1 creates with an Idempotency-Key
replayed at the other instance, v1 lists, and a second partner asking for an existing account.

It then checks: no answer 5xx; every email row delivered exactly once (sent, one attempt, one
message at the SMTP server per row) by the two workers; every periodic job beat sent run
exactly once (reminders for links made 4 days old, the sweep for messages whose task was lost,
the purges of old rows); and no duplicate rows. Exit status 1 when a check fails.
"""

import argparse
import contextlib
import json
import logging
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from scale_out_calls import drive, http_get  # noqa: E402
from scale_out_data import (  # noqa: E402
    make_links_due,
    preload_periodic_work,
    quiet,
    seed,
)

METRICS_TOKEN = secrets.token_urlsafe(24)
PERIODIC = {
    "provisioning.tasks.outbox_sweep": "OUTBOX_SWEEP_SECONDS",
    "provisioning.tasks.completion_reminders": "COMPLETION_REMINDER_SWEEP_SECONDS",
    "provisioning.tasks.link_requests_purge": "LINK_REQUESTS_PURGE_SECONDS",
    "provisioning.tasks.api_housekeeping": "API_HOUSEKEEPING_SECONDS",
    "provisioning.tasks.cass_imports_sweep": "CASS_IMPORT_SWEEP_SECONDS",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=400, help="partner calls (default 400)")
    parser.add_argument("--clients", type=int, default=8, help="client threads (default 8)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--keep-logs", action="store_true", help="keep the processes' logs")
    args = parser.parse_args()
    base_url = os.environ.get("DATABASE_URL", "")
    if not base_url.startswith(("postgres://", "postgresql://")):
        sys.exit("DATABASE_URL must point at PostgreSQL (the run creates its own database)")
    report = run(base_url, calls=args.calls, clients=args.clients, keep_logs=args.keep_logs)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0 if not report["failures"] else 1


# --- the run ------------------------------------------------------------------------------------


def run(base_url: str, *, calls: int, clients: int, keep_logs: bool = False) -> dict:
    name = f"scale_out_{os.getpid()}_{secrets.token_hex(3)}"
    db_url = urlsplit(base_url)._replace(path=f"/{name}").geturl()
    work = Path(tempfile.mkdtemp(prefix="scale-out-"))
    database(base_url, name, create=True)
    processes: list[Process] = []
    redis_server = smtp = None
    try:
        os.environ.update({"DATABASE_URL": db_url, "DATABASE_POOL": "false"})
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
        import django

        django.setup()
        # The SMTP server in this process logs every connection.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        from django.core.management import call_command

        call_command("migrate", "--no-input", verbosity=0)
        keys = seed()
        preload_periodic_work()

        # Helpers that the integration tests use too; imported once Django is set up.
        from provisioning.tests.live import RedisServer, SmtpServer, free_port

        redis_server = RedisServer()
        redis_server.start()
        smtp = SmtpServer()
        smtp.start()
        env = process_env(db_url, redis_server.url, smtp.port)
        web_ports = [free_port(), free_port()]
        worker_ports = [free_port(), free_port()]
        for n, port in enumerate(web_ports, 1):
            processes.append(Process.web(n, port, env, work))
        for n, port in enumerate(worker_ports, 1):
            processes.append(Process.worker(n, port, env, work))
        beat = Process.beat(env, work)
        processes.append(beat)
        for process in processes:
            process.start()
        for port in web_ports:
            wait_for(lambda port=port: http_get(port, "/readyz")[0] == 200, f"web on {port}")
        for process in processes[2:4]:
            wait_for(lambda p=process: " ready." in p.log(), f"{process.name} ready")

        started = time.perf_counter()
        results = drive(web_ports, keys, calls=calls, clients=clients)
        driven = time.perf_counter() - started
        due_links = make_links_due()

        wait_for(lambda: quiet(smtp), "every email delivered and the periodic work done", 180)
        drained = time.perf_counter() - started
        beat.stop()
        wait_for(lambda: periodic_runs(processes)["unfinished"] == 0, "the last periodic tasks")
        scrapes = {port: scrape(port) for port in web_ports}
        worker_metrics = [scrape(port, path="/") for port in worker_ports]
        return report_of(
            results, processes, smtp, driven, drained, scrapes, worker_metrics, due_links
        )
    finally:
        for process in processes:
            process.stop()
        if smtp:
            smtp.stop()
        if redis_server:
            redis_server.cleanup()
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        database(base_url, name, create=False)
        if keep_logs:
            print(f"logs kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


def database(base_url: str, name: str, *, create: bool) -> None:
    import psycopg

    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')


def process_env(db_url: str, broker_url: str, smtp_port: int) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": db_url,
        "CELERY_BROKER_URL": broker_url,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_STATIC_MANIFEST": "false",
        "API_RATE_LIMIT": "1000000/minute",
        "METRICS_TOKEN": METRICS_TOKEN,
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "OUTBOX_RETRY_BASE_SECONDS": "1",
        "OUTBOX_SWEEP_GRACE_SECONDS": "1",
        "OUTBOX_RELAY_POLL_SECONDS": "1",
        **dict.fromkeys(PERIODIC.values(), "2"),
    }


class Process:
    def __init__(self, name: str, command: list[str], env: dict, work: Path):
        self.name, self.command, self.env = name, command, env
        self.log_path = work / f"{name}.log"
        self.popen: subprocess.Popen | None = None

    @classmethod
    def web(cls, n: int, port: int, env: dict, work: Path) -> "Process":
        metrics_dir = work / f"web{n}-metrics"
        command = [sys.executable, "-m", "gunicorn", "backoffice.wsgi"]
        command += ["--bind", f"127.0.0.1:{port}", "--workers", "2"]
        env = {**env, "DATABASE_POOL": "true", "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
        return cls(f"web{n}", command, env, work)

    @classmethod
    def worker(cls, n: int, port: int, env: dict, work: Path) -> "Process":
        command = [sys.executable, "-m", "celery", "-A", "backoffice", "worker"]
        command += ["-n", f"worker{n}@%h", "--concurrency", "2", "--loglevel", "INFO"]
        return cls(
            f"worker{n}",
            command,
            {
                **env,
                "DATABASE_POOL": "false",
                "WORKER_METRICS_PORT": str(port),
                "PROMETHEUS_MULTIPROC_DIR": str(work / f"worker{n}-metrics"),
            },
            work,
        )

    @classmethod
    def beat(cls, env: dict, work: Path) -> "Process":
        command = [sys.executable, "-m", "celery", "-A", "backoffice", "beat"]
        command += ["--loglevel", "INFO", "--schedule", str(work / "beat-schedule")]
        return cls("beat", command, {**env, "DATABASE_POOL": "false"}, work)

    def start(self) -> None:
        with self.log_path.open("wb") as out:
            self.popen = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stop(self) -> None:
        if self.popen and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def wait_for(condition, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if condition():
                return
        time.sleep(0.2)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


# --- what happened ------------------------------------------------------------------------------

_TASK_DONE = re.compile(r"Task (provisioning\.tasks\.\w+)\[([0-9a-f-]+)\] (succeeded|raised)")
_BEAT_SENT = re.compile(r"Sending due task [\w-]+ \((provisioning\.tasks\.\w+)\)")


def periodic_runs(processes: list["Process"]) -> dict:
    """Per periodic task: how often beat sent it and how often the workers ran it, by worker;
    with a task id run twice counted in `twice`."""
    sent = Counter()
    for process in processes:
        if process.name == "beat":
            sent.update(_BEAT_SENT.findall(process.log()))
    ran, by_worker, ids = Counter(), Counter(), Counter()
    for process in processes:
        if process.name.startswith("worker"):
            for task, task_id, _outcome in _TASK_DONE.findall(process.log()):
                ids[task_id] += 1
                by_worker[(task, process.name)] += 1
                if task in PERIODIC:
                    ran[task] += 1
    return {
        "sent": dict(sent),
        "ran": dict(ran),
        "by_worker": {f"{task} @ {worker}": n for (task, worker), n in sorted(by_worker.items())},
        "twice": sum(1 for n in ids.values() if n > 1),
        "unfinished": sum(max(sent[task] - ran[task], 0) for task in PERIODIC),
    }


def scrape(port: int, path: str = "/metrics") -> dict[str, float]:
    from prometheus_client.parser import text_string_to_metric_families

    status, body = http_get(port, path, {"Authorization": f"Bearer {METRICS_TOKEN}"})
    if status != 200:
        return {}
    samples = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}"] = sample.value
    return samples


def duplicates() -> dict[str, int]:
    """Rows that should exist once and exist more than once."""
    from django.db.models import Count, Q
    from django.db.models.functions import Lower

    from provisioning.models import Company, Membership, OutboxMessage, User
    from provisioning.models.links import CompletionLink

    def repeated(queryset, *fields) -> int:
        return queryset.values(*fields).annotate(n=Count("id")).filter(n__gt=1).count()

    return {
        "users (email)": repeated(User.objects.annotate(e=Lower("email")), "e"),
        "memberships (user, partner)": repeated(Membership.objects.all(), "user", "partner"),
        "companies (name, country)": repeated(Company.objects.all(), "legal_name", "country"),
        "emails (recipient, template)": repeated(
            OutboxMessage.objects.filter(kind="email"), "recipient", "template"
        ),
        "live completion links per user": repeated(
            CompletionLink.objects.filter(Q(used_at=None) & Q(superseded_at=None)), "user"
        ),
    }


def report_of(
    results, processes, smtp, driven, drained, scrapes, worker_metrics, due_links
) -> dict:
    from provisioning.models import OutboxMessage, User

    rows = list(
        OutboxMessage.objects.filter(kind="email").values("recipient", "status", "attempts")
    )
    per_row = Counter(row["recipient"] for row in rows)
    per_message = Counter()
    for recipients, _content in smtp.inbox.messages:
        per_message.update(recipients)
    seconds = [r["seconds"] for r in results if r["seconds"]]
    periodic = periodic_runs(processes)
    deliveries = {
        name: n
        for name, n in periodic["by_worker"].items()
        if name.startswith("provisioning.tasks.outbox_deliver ")
    }
    dupes = duplicates()
    failures = []
    bad = [r for r in results if not r["ok"]]
    if bad:
        failures.append(f"{len(bad)} calls answered unexpectedly, e.g. {bad[:3]}")
    if any(r["status"] >= 500 for r in results):
        failures.append("some calls answered 5xx")
    if any(row["status"] != "sent" or row["attempts"] != 1 for row in rows):
        failures.append("an email row is not sent after exactly one attempt")
    if per_message != per_row:
        extra = {k: per_message[k] - per_row[k] for k in per_message | per_row}
        failures.append(f"emails at the SMTP server differ from the rows: {extra}")
    for task in PERIODIC:
        if not periodic["ran"].get(task):
            failures.append(f"{task} never ran")
        if periodic["sent"].get(task, 0) != periodic["ran"].get(task, 0):
            failures.append(f"{task}: sent {periodic['sent'].get(task)}, ran {periodic['ran']}")
    if periodic["twice"]:
        failures.append(f"{periodic['twice']} task ids ran twice")
    reminders = OutboxMessage.objects.filter(template="completion_reminder").count()
    if not due_links or reminders != due_links:
        failures.append(f"{reminders} reminder emails for {due_links} due links")
    if any(dupes.values()):
        failures.append(f"duplicate rows: {dupes}")
    if len(deliveries) < 2:
        failures.append(f"deliveries were not shared by the two workers: {deliveries}")
    gauges = {
        port: samples.get("backoffice_outbox_pending_messages{kind=email}")
        for port, samples in scrapes.items()
    }
    return {
        "calls": len(results),
        "calls_by_op": {
            op: dict(Counter(str(r["status"]) for r in results if r["op"] == op))
            for op in sorted({r["op"] for r in results})
        },
        "calls_by_instance": dict(Counter(str(r["port"]) for r in results)),
        "statuses": dict(Counter(str(r["status"]) for r in results)),
        "seconds_driving": round(driven, 2),
        "calls_per_second": round(len(results) / driven, 1),
        "latency_ms": {
            "p50": round(statistics.median(seconds) * 1000, 1),
            "p95": round(statistics.quantiles(seconds, n=20)[-1] * 1000, 1),
            "max": round(max(seconds) * 1000, 1),
        },
        "accounts": User.objects.filter(is_staff=False).count(),
        "email_rows": len(rows),
        "emails_received": len(smtp.inbox.messages),
        "emails_received_twice": sum(1 for k, n in per_message.items() if n > per_row[k]),
        "seconds_until_all_delivered_and_periodic_done": round(drained, 2),
        "deliveries_by_worker": deliveries,
        "periodic_sent_by_beat": periodic["sent"],
        "periodic_run_by_workers": periodic["ran"],
        "task_ids_run_twice": periodic["twice"],
        "links_made_due": due_links,
        "reminder_emails": reminders,
        "duplicates": dupes,
        "outbox_pending_gauge_by_instance": gauges,
        "worker_tasks_succeeded": sum(
            value
            for samples in worker_metrics
            for name, value in samples.items()
            if name.startswith("backoffice_celery_tasks_total{") and "succeeded" in name
        ),
        "failures": failures,
    }


def print_report(report: dict) -> None:
    width = max(len(key) for key in report)
    for key, value in report.items():
        print(f"{key:<{width}}  {value}")
    print("OK" if not report["failures"] else "FAILED")


if __name__ == "__main__":
    sys.exit(main())
