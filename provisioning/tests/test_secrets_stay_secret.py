"""Secrets — API keys, login tokens, completion-link signatures, webhook secrets — never show
in the logs, the admin pages or error bodies (DESIGN §10). The one-time links themselves go
only where they must: the partner's API answer and the forwarder's email."""

import logging

import pytest
from django.core.management import call_command
from django.urls import reverse

from provisioning.models import ApiKey, AuditEvent, LoginToken, OutboxMessage, Partner, User
from provisioning.tests.conftest import person

pytestmark = pytest.mark.django_db

ADMIN_PAGES = [
    "admin:provisioning_apikey_changelist",
    "admin:provisioning_outboxmessage_changelist",
    "admin:provisioning_auditevent_changelist",
    "admin:provisioning_partner_changelist",
    "admin:provisioning_user_changelist",
    "admin:provisioning_partnerevent_changelist",
]


@pytest.fixture
def everything_logged(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


@pytest.fixture
def traffic(compat, v1, client, directory, partner, api_key, django_capture_on_commit_callbacks):
    """A day of traffic in miniature; returns every secret it handled."""
    partner.webhook_url = "https://hooks.freight-soft.example/events"
    partner.webhook_secret = "whsec-partner-shared-secret-0123456789"
    partner.save(update_fields=["webhook_url", "webhook_secret"])
    secrets = {api_key, api_key.split(".", 1)[1], partner.webhook_secret}
    with django_capture_on_commit_callbacks(execute=True):
        activated = compat.post(person("anna@acme-cargo.de", countryCode="DE")).json()
        waiting = compat.post(
            person("raj@indigo-cargo.in", companyName="Indigo", countryCode="IN")
        ).json()
        token = compat.get("anna@acme-cargo.de").json()
        v1_token = v1.post(f"users/{User.objects.get(email='anna@acme-cargo.de').pk}/login-token")
    completion_token = waiting["link"].rsplit("/complete/", 1)[1]
    secrets |= {
        activated["token"],
        token["token"],
        completion_token,
        completion_token.rsplit(":", 1)[1],
        v1_token.json()["token"],
    }

    # The forwarder uses its links; a mail scanner and a bad actor try theirs.
    client.get(f"/complete/{completion_token}")
    client.get(f"/portal/login?auth={token['token']}")
    client.get(f"/portal/login?auth={token['token']}")  # used: refused
    client.get(f"/complete/{completion_token[:-3]}xyz")  # tampered
    client.get(
        "/solutions/users",
        {"email": "anna@acme-cargo.de"},
        headers={"x-api-key": api_key[:-2] + "zz"},
    )
    client.post("/admin/login/", {"username": "nobody@example.com", "password": api_key})
    return secrets


def test_no_secret_reaches_the_logs(everything_logged, traffic):
    logged = "\n".join(
        everything_logged.handler.format(record)
        for phase in ("setup", "call")
        for record in everything_logged.get_records(phase)
    )
    assert logged, "the traffic should have logged something"
    leaked = {secret for secret in traffic if secret in logged}
    assert leaked == set()


def test_no_secret_shows_in_the_admin(client, traffic):
    call_command("seed_demo", force=True, stdout=open("/dev/null", "w"))  # noqa: SIM115
    client.force_login(User.objects.get(email="admin@example.com"))
    pages = [reverse(name) for name in ADMIN_PAGES]
    pages += [
        reverse("admin:provisioning_apikey_change", args=[ApiKey.objects.first().pk]),
        reverse("admin:provisioning_partner_change", args=[Partner.objects.first().pk]),
    ]
    pages += [
        reverse("admin:provisioning_outboxmessage_change", args=[message.pk])
        for message in OutboxMessage.objects.all()
    ]
    for user in User.objects.filter(is_staff=False):
        pages.append(reverse("admin:provisioning_user_change", args=[user.pk]))
        pages.append(reverse("admin:backoffice_account_change", args=[user.pk]))
    pages.append(reverse("admin:backoffice_account_changelist"))
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        html = response.content.decode()
        leaked = {secret for secret in traffic if secret in html}
        assert leaked == set(), page


def test_error_bodies_do_not_echo_keys_or_tokens(client, api_key, directory):
    wrong_key = api_key[:-4] + "abcd"
    answers = [
        client.get("/solutions/users", {"email": "x@y.example"}, headers={"x-api-key": wrong_key}),
        client.get("/api/v1/users", headers={"Authorization": f"Bearer {wrong_key}"}),
        client.get("/portal/login?auth=not-a-real-token-but-secret-looking"),
        client.get("/complete/1.notreal:signature-secret-looking"),
    ]
    for answer in answers:
        body = answer.content.decode()
        assert answer.status_code in {401, 403, 404, 410}
        assert wrong_key not in body
        assert "secret-looking" not in body


# --- HEAD issues nothing -----------------------------------------------------------------------


def test_head_on_the_compat_token_call_answers_405_and_issues_nothing(client, compat, directory):
    compat.post(person("anna@acme-cargo.de", countryCode="DE"))
    tokens, audits = LoginToken.objects.count(), AuditEvent.objects.count()
    response = client.head(
        "/solutions/users?email=anna@acme-cargo.de", headers={"x-api-key": compat.key}
    )
    assert response.status_code == 405
    assert "HEAD" not in response["Allow"]
    assert (LoginToken.objects.count(), AuditEvent.objects.count()) == (tokens, audits)


def test_head_on_the_v1_token_call_answers_405_and_issues_nothing(client, v1, directory):
    v1.post("users", person("anna@acme-cargo.de", countryCode="DE"))
    tokens, audits = LoginToken.objects.count(), AuditEvent.objects.count()
    response = client.head("/api/v1/users/anna@acme-cargo.de/login-token", headers=v1.headers())
    assert response.status_code == 405
    assert (LoginToken.objects.count(), AuditEvent.objects.count()) == (tokens, audits)
