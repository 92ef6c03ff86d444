"""Real infrastructure for the delivery and fault tests: an SMTP server (aiosmtpd), a Redis
server process the test can stop and start, a `celery worker` process reading the test's
PostgreSQL database, and outbox relays running in this process."""

import asyncio
import atexit
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection
from django.test import override_settings

from backoffice.celery import app as celery_app
from conftest import require
from provisioning.delivery.relay import OutboxRelay


def wait_for(condition, what: str, timeout: float = 60.0):
    """Poll until condition() is truthy; fail naming what never happened."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


def database_url() -> str:
    """The test database, for a process of the project's that the test starts."""
    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """aiosmtpd handler that keeps every accepted message.

    `refuse_next` answers that many messages with a temporary refusal (451). `hold_next` makes
    the server keep the next message waiting for `release()`: either before accepting it (the
    client never learns of it; a client that goes away meanwhile has not sent it) or after
    accepting it but before saying so (the client that goes away meanwhile does not know it
    was sent)."""

    def __init__(self):
        self.messages: list[tuple[list[str], bytes]] = []
        self.refused = 0
        self.refuse_next = 0
        self.holding = threading.Event()  # a message is being held right now
        self._hold = False
        self._accept_first = False
        self._release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_next > 0:
            self.refuse_next -= 1
            self.refused += 1
            return "451 4.3.0 Try again later"
        if self._hold and self._accept_first:
            self.messages.append((list(envelope.rcpt_tos), envelope.content))
        if self._hold:
            self._hold = False
            self.holding.set()
            while not self._release.is_set():
                await asyncio.sleep(0.02)
            if self._accept_first:
                return "250 Message accepted"
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"

    def hold_next(self, *, after_accepting: bool) -> None:
        self._hold, self._accept_first = True, after_accepting
        self._release.clear()
        self.holding.clear()

    def release(self) -> None:
        self._release.set()

    def to(self, address: str) -> int:
        return sum(address in rcpts for rcpts, _ in self.messages)


class SmtpServer:
    def __init__(self):
        self.port = free_port()
        self.inbox = Inbox()
        self._controller = None

    def start(self):
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self):
        if self._controller:
            self._controller.stop()
            self._controller = None


class RedisServer:
    """A redis-server process of the test's own, so that stopping it disturbs nothing else."""

    def __init__(self):
        binary = shutil.which("redis-server")
        require(binary is not None, "redis-server is not installed (apt-get install redis-server)")
        self.binary = binary
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._dir = tempfile.mkdtemp(prefix="test-redis-")
        self.process = None

    def start(self):
        self.process = subprocess.Popen(  # noqa: S603 - the machine's redis-server
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self._dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        wait_for(lambda: _pings(client), "redis-server to accept connections", timeout=10)

    def stop(self):
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)


def _pings(client: redis.Redis) -> bool:
    try:
        return client.ping()
    except redis.RedisError:
        return False


_suite_redis: RedisServer | None = None


def suite_redis_url() -> str:
    """An emptied Redis for the test: a redis-server of the test run's own, started on first
    use and stopped when the run ends. The machine's Redis may serve others: nothing here
    flushes it."""
    global _suite_redis
    if _suite_redis is None or _suite_redis.process is None:
        server = RedisServer()
        server.start()
        atexit.register(server.cleanup)
        _suite_redis = server
    redis.Redis.from_url(_suite_redis.url).flushdb()
    return _suite_redis.url


class Worker:
    """A `celery worker` process on broker_url, sending mail to smtp_port, reading the test
    database, with its outbox relay. With beat=True it also runs the periodic outbox sweep
    every second. `env` adds or overrides environment variables of the worker."""

    def __init__(
        self,
        *,
        broker_url: str,
        smtp_port: int,
        log_dir: Path,
        beat: bool = False,
        env: dict[str, str] | None = None,
    ):
        require(
            connection.vendor == "postgresql",
            "the worker process needs a database it can share: set DATABASE_URL to PostgreSQL",
        )
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "DATABASE_POOL": "false",
            "CELERY_BROKER_URL": broker_url,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "EMAIL_TIMEOUT": "5",
            "OUTBOX_RETRY_BASE_SECONDS": "1",
            "OUTBOX_SWEEP_SECONDS": "1",
            "OUTBOX_SWEEP_GRACE_SECONDS": "1",
            **(env or {}),
        }
        self.beat = beat
        self.log_dir = log_dir
        self.process = None
        self.runs = 0

    def start(self):
        self.runs += 1
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "backoffice",
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
        ]
        if self.beat:
            command += ["--beat", "--schedule", str(self.log_dir / "beat-schedule")]
        with (self.log_dir / f"worker-{self.runs}.log").open("wb") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own worker command
                command,
                cwd=Path(settings.BASE_DIR),
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self):
        """SIGKILL, as the OOM killer or a lost machine would: no clean-up runs."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def logs(self) -> str:
        return "\n".join(
            path.read_text(errors="replace") for path in sorted(self.log_dir.glob("worker-*.log"))
        )


def use_broker(**conf) -> None:
    """Point this process's Celery app at another broker. The connection pools were made for
    the previous one (even in-process mode builds them), so they are dropped to be rebuilt."""
    celery_app.conf.update(conf)
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def publishing_to(broker_url: str):
    """This process hands outbox messages to broker_url inside the block."""
    previous = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager")}
    use_broker(broker_url=broker_url, task_always_eager=False)
    try:
        with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
            yield
    finally:
        use_broker(**previous)


def queued_deliveries(broker_url: str) -> list[int]:
    """The outbox ids of the delivery tasks waiting in the broker's queue (when no worker
    takes them), one entry per task, sorted."""
    client = redis.Redis.from_url(broker_url)
    ids = []
    for raw in client.lrange("celery", 0, -1):
        message = json.loads(raw)
        if message["headers"]["task"] == "provisioning.tasks.outbox_deliver":
            args, _kwargs, _options = json.loads(base64.b64decode(message["body"]))
            ids.append(args[0])
    return sorted(ids)


@contextmanager
def relay_running(**options):
    """An outbox relay in a thread of this process for the block (it publishes wherever this
    process does: see publishing_to)."""
    relay = OutboxRelay(**options)
    relay.start()
    try:
        yield relay
    finally:
        relay.stop()


def create(client, raw_key: str, n: int):
    """Create user number n (flow 3, a domain of its own) through the compatibility API."""
    return client.post(
        "/solutions/users",
        json.dumps(
            {
                "firstName": "Test",
                "lastName": f"User {n}",
                "email": f"user{n}@forwarder{n}.example.com",
                "companyName": f"Forwarder {n}",
                "countryCode": "DE",
            }
        ),
        content_type="application/json",
        headers={"x-api-key": raw_key},
    )
