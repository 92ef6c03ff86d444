"""Email delivery end to end: a real Celery worker process on the real Redis broker, sending
to a real SMTP server (aiosmtpd), reading the real PostgreSQL test database."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection, transaction

from backoffice.celery import app as celery_app
from conftest import require
from provisioning.models import OutboxMessage
from provisioning.models.outbox import OutboxStatus
from provisioning.outbox import outbox_email_queue

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]

CONTEXT = {"first_name": "Anna", "email": "x", "portal_url": "http://portal.example/login"}


def wait_for(condition, what: str, timeout: float = 30.0):
    """Poll until condition() is truthy; fail naming what never happened."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """aiosmtpd handler that keeps every accepted message."""

    def __init__(self):
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"

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


@pytest.fixture
def redis_url():
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        require(False, f"no Redis broker at {url} (set TEST_REDIS_URL)")
    client.flushdb()
    return url


@pytest.fixture
def smtp():
    server = SmtpServer()
    yield server
    server.stop()


@pytest.fixture
def worker(redis_url, smtp, tmp_path):
    """A `celery worker` process on the broker, sending mail to the test SMTP server."""
    require(
        connection.vendor == "postgresql",
        "the worker process needs a database it can share: set DATABASE_URL to PostgreSQL",
    )
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "DATABASE_POOL": "false",
        "CELERY_BROKER_URL": redis_url,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
        "EMAIL_TIMEOUT": "2",
        "OUTBOX_RETRY_BASE_SECONDS": "1",
    }
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
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
            ],
            cwd=Path(settings.BASE_DIR),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    previous = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager")}
    use_broker(broker_url=redis_url, task_always_eager=False)
    try:
        yield process
    finally:
        use_broker(**previous)
        process.terminate()
        process.wait(timeout=20)
        print(log.read_text())  # shown by pytest when the test failed


def use_broker(**conf) -> None:
    """Point this process's Celery app at another broker. The connection pools were made for
    the previous one (even in-process mode builds them), so they are dropped to be rebuilt."""
    celery_app.conf.update(conf)
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def queue(to: str) -> OutboxMessage:
    return outbox_email_queue(template="welcome", to=to, context=CONTEXT)


def delivered_then_quiet(smtp: SmtpServer, address: str) -> None:
    """Wait for `address`, then push a later message through the same worker, so that a
    duplicate of the first would have arrived before it."""
    wait_for(lambda: smtp.inbox.to(address), f"the email to {address}")
    queue("sentinel@example.com")
    wait_for(lambda: smtp.inbox.to("sentinel@example.com"), "the sentinel email")


def test_an_outbox_email_is_delivered_exactly_once(worker, smtp):
    smtp.start()
    message = queue("anna@acme-cargo.de")

    delivered_then_quiet(smtp, "anna@acme-cargo.de")

    assert smtp.inbox.to("anna@acme-cargo.de") == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 1)
    _, content = smtp.inbox.messages[0]
    assert b"Subject: Welcome to CargoMART, Anna" in content


def test_with_the_smtp_server_down_the_email_is_retried_and_delivered_once_it_is_back(worker, smtp):
    message = queue("bob@blueskylogistics.com")

    def failed_once():
        message.refresh_from_db()
        return message.attempts >= 1 and message.status == OutboxStatus.PENDING

    wait_for(failed_once, "a failed first attempt while the SMTP server is down")
    assert message.last_error

    smtp.start()
    delivered_then_quiet(smtp, "bob@blueskylogistics.com")

    assert smtp.inbox.to("bob@blueskylogistics.com") == 1
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    assert message.attempts >= 2


def test_a_rolled_back_transaction_sends_nothing(worker, smtp):
    smtp.start()
    with pytest.raises(RuntimeError), transaction.atomic():
        queue("rolled-back@example.com")
        raise RuntimeError("the change that caused the email failed")

    queue("committed@example.com")
    delivered_then_quiet(smtp, "committed@example.com")

    assert smtp.inbox.to("rolled-back@example.com") == 0
    assert not OutboxMessage.objects.filter(recipient="rolled-back@example.com").exists()
