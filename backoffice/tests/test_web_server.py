"""The web server as deployed: gunicorn started from gunicorn.conf.py, serving real requests."""

import http.client
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from conftest import require
from provisioning.tests.live import database_url, free_port, wait_for


@pytest.fixture
def web_server(tmp_path):
    """One gunicorn process (gunicorn.conf.py) on the test database; its connections to
    PostgreSQL carry an application name of their own."""
    require(
        connection.vendor == "postgresql",
        "counts the web server's connections to PostgreSQL: set DATABASE_URL=postgres://…",
    )
    app_name = f"web-{secrets.token_hex(4)}"
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "WEB_"))},
        "DATABASE_URL": database_url(),
        "PGAPPNAME": app_name,
        "WEB_CONCURRENCY": "1",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_STATIC_MANIFEST": "false",
        "EMAIL_URL": "smtp://127.0.0.1:1025",
    }
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        server = subprocess.Popen(  # noqa: S603 - our own web server command
            [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "backoffice.wsgi"],
            cwd=Path(settings.BASE_DIR),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: _get(port, "/healthz") == 200 or server.poll(), "gunicorn to answer")
        assert server.poll() is None, log.read_text()
        yield port, app_name
    finally:
        server.terminate()
        server.wait(timeout=30)


def _get(port: int, path: str, headers: dict | None = None) -> int | None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        return conn.getresponse().status
    except OSError:
        return None
    finally:
        conn.close()


def _backends(app_name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [app_name]
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_a_web_process_serves_its_requests_on_one_warm_database_connection(web_server):
    """A single-threaded process needs one connection at a time; a second one, taken in
    turns, would send every other request to a PostgreSQL backend with cold caches."""
    port, app_name = web_server
    unknown_key = {"x-api-key": "0123456789ab." + "x" * 43}  # looked up, and refused
    for _ in range(20):
        assert _get(port, "/solutions/users?email=a@example.com", unknown_key) == 401
    assert _backends(app_name) == 1
