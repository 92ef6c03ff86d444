"""Production settings are checked, and nonsense is refused at start-up."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "k3y-" + "x7Qp9Lm2Rt5Vw8Zb1Nc4" * 3,
    "DJANGO_ALLOWED_HOSTS": "backoffice.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "EMAIL_URL": "smtp://mail.example.com:587",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    return subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_pass_the_deployment_checks_without_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("DJANGO_SECRET_KEY", "DJANGO_SECRET_KEY must be set"),
        ("DJANGO_ALLOWED_HOSTS", "DJANGO_ALLOWED_HOSTS must be set"),
        ("EMAIL_URL", "EMAIL_URL must name a mail server"),
    ],
)
def test_production_refuses_to_start_without_its_secrets(missing, message):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = manage("check", **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_refuses_a_short_secret_key():
    result = manage("check", **{**PRODUCTION, "DJANGO_SECRET_KEY": "short"})
    assert "50+ characters" in result.stderr


def test_the_embedded_defaults_run_on_sqlite_in_process_with_console_email():
    result = manage(
        "shell",
        "--verbosity=0",
        "-c",
        "from django.conf import settings as s; print(s.DATABASES['default']['ENGINE'],"
        " s.CELERY_TASK_ALWAYS_EAGER, s.EMAIL_BACKEND)",
    )
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "True",
        "django.core.mail.backends.console.EmailBackend",
    ]


def test_postgresql_uses_psycopg_with_its_connection_pool():
    result = manage(
        "shell",
        "--verbosity=0",
        "-c",
        "from django.conf import settings as s; d = s.DATABASES['default'];"
        " print(d['ENGINE'], 'pool' in d['OPTIONS'], d['CONN_MAX_AGE'])",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres",
    )
    assert result.stdout.split() == ["django.db.backends.postgresql", "True", "0"]


def test_nonsense_in_the_api_rate_limit_is_refused_at_start_up():
    result = manage("check", API_RATE_LIMIT="lots")
    assert result.returncode != 0
    assert "API_RATE_LIMIT must read" in result.stderr


@pytest.mark.parametrize("value", ["0", "-1"])
def test_a_relay_poll_interval_that_is_not_positive_is_refused_at_start_up(value):
    result = manage("check", OUTBOX_RELAY_POLL_SECONDS=value)
    assert result.returncode != 0
    assert "OUTBOX_RELAY_POLL_SECONDS must be" in result.stderr


def test_production_sends_security_headers_and_secure_cookies():
    script = (
        "from django.test import Client; c = Client();"
        "r = c.get('/admin/login/', secure=True);"
        "print(r.status_code);"
        "[print(h, r.headers.get(h)) for h in ('Strict-Transport-Security',"
        " 'X-Content-Type-Options', 'X-Frame-Options', 'Referrer-Policy',"
        " 'Cross-Origin-Opener-Policy')];"
        "k = r.cookies['csrftoken']; print('csrf-cookie', bool(k['secure']), k['samesite']);"
        "from django.conf import settings as s;"
        "print('session-cookie', s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY);"
        "p = c.get('/admin/login/'); print('plain-http', p.status_code, p['Location'])"
    )
    result = manage(
        "shell",
        "--verbosity=0",
        "-c",
        script,
        **{
            **PRODUCTION,
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "DATABASE_URL": "sqlite:///:memory:",
            # No collectstatic here: serve the app folders' files as they are.
            "DJANGO_STATIC_MANIFEST": "false",
        },
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "200",
        "Strict-Transport-Security max-age=31536000; includeSubDomains; preload",
        "X-Content-Type-Options nosniff",
        "X-Frame-Options DENY",
        "Referrer-Policy same-origin",
        "Cross-Origin-Opener-Policy same-origin",
        "csrf-cookie True Lax",
        "session-cookie True True",
        "plain-http 301 https://testserver/admin/login/",
    ]


@pytest.mark.parametrize(
    ("env", "processes", "threads"),
    [
        ({}, 2 * len(os.sched_getaffinity(0)), 1),
        ({"WEB_CONCURRENCY": "3", "WEB_THREADS": "4"}, 3, 4),
    ],
)
def test_gunicorn_runs_two_processes_per_core_unless_told(env, processes, threads):
    """The web server as deployed (Dockerfile, docker-compose) reads gunicorn.conf.py."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WEB_")}
    read = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--print-config", "backoffice.wsgi"],
        cwd=settings.BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert read.returncode == 0, read.stderr
    config = {
        name.strip(): value.strip()
        for name, value in (
            line.split(" = ", 1) for line in read.stdout.splitlines() if " = " in line
        )
    }
    assert config["worker_class"] == ("sync" if threads == 1 else "gthread")
    assert int(config["workers"]) == processes
    assert int(config["threads"]) == threads
    assert "RedactingLogger" in config["logger_class"]


@pytest.mark.parametrize("email_url", ["consolemail://", "filemail:///tmp/mails"])
def test_production_refuses_to_start_with_email_that_would_print_its_links(email_url):
    result = manage("check", **{**PRODUCTION, "EMAIL_URL": email_url})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "EMAIL_URL must name a mail server" in result.stderr


def test_development_still_prints_emails_to_the_console():
    result = manage("check", EMAIL_URL="consolemail://")
    assert result.returncode == 0, result.stderr
