"""The Prometheus endpoint: protected in production, and after some traffic every metric an
operator watches is there with a value that matches what happened."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from backoffice.tests.conftest import make_staff
from provisioning.delivery.outbox import outbox_email_queue
from provisioning.models import OutboxMessage
from provisioning.models.outbox import OutboxKind
from provisioning.tasks import outbox_sweep
from provisioning.tests.factories import api_key_for
from provisioning.tests.live import free_port

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-tests-0123456789"


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.METRICS_TOKEN = TOKEN


def scrape(client) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of one scrape."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def create(client, raw_key: str, n: int):
    return client.post(
        "/solutions/users",
        json.dumps(
            {
                "firstName": "Test",
                "lastName": f"User {n}",
                "email": f"user{n}@metrics{n}.example.com",
                "companyName": f"Forwarder {n}",
                "countryCode": "DE",
            }
        ),
        content_type="application/json",
        headers={"x-api-key": raw_key},
    )


def test_the_endpoint_wants_the_token_in_production(client, production):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_without_a_token_the_endpoint_is_absent_in_production(client, settings):
    settings.DEBUG, settings.METRICS_TOKEN = False, ""
    assert client.get("/metrics").status_code == 404


def test_after_some_traffic_every_metric_has_a_sensible_value(
    client, production, settings, django_capture_on_commit_callbacks
):
    before = scrape(client)
    _, raw_key = api_key_for()

    # Three creates without CASS data: three accounts awaiting details, three completion
    # emails delivered in-process right after each commit.
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            assert create(client, raw_key, n).status_code == 200
    # An email whose SMTP server is down: one failed attempt, a retry planned.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 1
    with django_capture_on_commit_callbacks(execute=True):
        outbox_email_queue(template="welcome", to="anna@example.com", context={"first_name": "A"})
    # A webhook nobody has handed over for ten minutes.
    OutboxMessage.objects.create(
        kind=OutboxKind.WEBHOOK,
        recipient="https://hooks.example.com/x",
        created_at=timezone.now() - timedelta(minutes=10),
    )
    # A periodic task, run in-process: the sweep finds nothing due yet.
    outbox_sweep.delay()
    # One staff sign-in locked out.
    staff = make_staff("sam@support.example", support=True)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/admin/login/", {"username": staff.email, "password": "guess"}, REMOTE_ADDR="192.0.2.9"
        )

    after = scrape(client)

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    latency = "backoffice_http_request_duration_seconds"
    assert grew(f"{latency}_count", view="provisioning:compat-users", method="POST") == 3
    assert grew(f"{latency}_sum", view="provisioning:compat-users", method="POST") > 0
    assert grew(f"{latency}_count", view="admin:login", method="POST") == 5
    assert grew(f"{latency}_count", view="metrics", method="GET") >= 1

    assert value(after, "backoffice_pending_accounts", reason="awaiting_details") == 3
    assert value(after, "backoffice_pending_accounts", reason="awaiting_support") == 0

    assert value(after, "backoffice_outbox_pending_messages", kind="email") == 1
    assert value(after, "backoffice_outbox_retrying_messages", kind="email") == 1
    assert value(after, "backoffice_outbox_pending_messages", kind="webhook") == 1
    assert 600 <= value(after, "backoffice_outbox_oldest_pending_age_seconds") < 700

    attempts = "backoffice_outbox_delivery_attempts_total"
    assert grew(attempts, kind="email", outcome="sent") == 3
    assert grew(attempts, kind="email", outcome="retry") == 1

    tasks = "backoffice_celery_tasks_total"
    assert grew(tasks, task="provisioning.tasks.outbox_sweep", outcome="succeeded") == 1
    duration = "backoffice_celery_task_duration_seconds_count"
    assert grew(duration, task="provisioning.tasks.outbox_sweep") == 1

    assert grew("backoffice_admin_login_lockouts_total") == 1
    assert value(after, "backoffice_admin_login_lockouts_active") == 1
    assert value(after, "backoffice_metrics_database_up") == 1


def test_a_failing_task_is_counted_as_failed(client, production):
    from backoffice.celery import app

    @app.task(name="tests.always_fails")
    def always_fails():
        raise RuntimeError("boom")

    before = scrape(client)
    always_fails.apply()
    after = scrape(client)
    key = ("backoffice_celery_tasks_total", (("outcome", "failed"), ("task", "tests.always_fails")))
    assert after[key] - before.get(key, 0) == 1
