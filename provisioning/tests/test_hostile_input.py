"""Hostile input on both partner surfaces (DESIGN §10): lone surrogates, NUL bytes, deep
nesting, forged cursors and oversized bodies get a JSON 4xx that names what is wrong, store
nothing, and never a 5xx. The key is checked before a large body is parsed."""

import base64
import json
from unittest import mock

import pytest

from provisioning.models import AuditEvent, Company, Membership, User
from provisioning.tests.conftest import person

pytestmark = pytest.mark.django_db

DEEP = b'{"email": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"


@pytest.fixture(autouse=True)
def _no_server_error_raised(client):
    # A 500 must show as a status here, not as the test client re-raising the exception.
    client.raise_request_exception = False


def nothing_stored():
    assert User.objects.count() == 0
    assert Company.objects.count() == 0
    assert Membership.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def cursor(raw: str) -> str:
    return base64.b64encode(raw.encode()).decode()


# --- Lone surrogates and NUL ------------------------------------------------------------------


@pytest.mark.parametrize("field", ["countryCode", "firstName", "partnerId"])
def test_a_lone_surrogate_in_a_v1_body_is_a_422_naming_the_field(v1, field):
    body = json.dumps({**person("ida@example.com", countryCode="DE"), field: "\ud800"})
    response = v1.post("users", body)
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    nothing_stored()


def test_a_lone_surrogate_in_a_compat_body_names_the_field(compat):
    response = compat.post(json.dumps(person("ida@example.com", countryCode="\ud800")))
    assert response.status_code == 400
    assert response.json()["message"].startswith("Invalid request: countryCode: ")
    nothing_stored()


@pytest.mark.parametrize(
    "path",
    [
        "users/a%00@b.de",
        "users/a%00@b.de/offices",
        "users/a%00@b.de/login-token",
        "users/a%00@b.de/recognition?origin=DE&destination=US",
    ],
)
def test_a_nul_in_a_user_path_is_an_unknown_user(v1, path):
    call = v1.get if "offices" not in path and "login-token" not in path else v1.post
    response = call(path) if call is v1.get else call(path, {"offices": []})
    assert response.status_code == 404, response.content
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("path", "param"),
    [("users", "email"), ("users", "company_name"), ("users", "country"), ("events", "type")],
)
def test_a_nul_in_a_query_parameter_is_refused_naming_it(v1, path, param):
    # (A query string cannot carry a lone surrogate: invalid UTF-8 decodes to U+FFFD.)
    response = v1.get(path, {param: "a\x00b"})
    assert response.status_code == 422, response.content
    assert param in response.json()["errors"]


def test_a_compat_query_email_with_nul_is_refused(compat):
    response = compat.get("a\x00@b.de")
    assert response.status_code == 400
    assert response.json()["message"].startswith("Invalid request: email")


# --- Deep nesting -----------------------------------------------------------------------------


def test_deeply_nested_json_is_a_400_on_v1(v1):
    response = v1.post("users", DEEP)
    assert response.status_code == 400, response.content
    assert response.json()["message"].startswith("The body is not valid JSON")
    nothing_stored()


def test_deeply_nested_json_is_a_400_on_compat(compat):
    response = compat.post(DEEP)
    assert response.status_code == 400
    assert response.json() == {"message": "Invalid request: malformed JSON body"}


# --- Forged cursors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("events", "p=abc"),
        ("events", "p=99999999999999999999999999"),
        ("events", "p=2026-01-01"),
        ("users", "p=2026-13-45"),
        ("users", "p=abc"),
        ("users?ordering=email", "p=a%00b"),
        ("users", "o=1&r=1&p=2026-01-01 00:00:00%2B00:00%00"),
        ("users", "p=2026-01-01 00:00:00"),
    ],
)
def test_a_forged_cursor_is_a_400_naming_the_cursor(v1, path, raw):
    path, _, query = path.partition("?")
    params = dict([query.split("=")]) if query else {}
    response = v1.get(path, {**params, "cursor": cursor(raw.replace("%00", "\x00"))})
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["message"] == "Invalid cursor."
    assert "cursor" in body["errors"]


@pytest.mark.parametrize("value", ["not base64 at all!", cursor("garbage")])
def test_a_cursor_that_was_never_given_out_is_a_400(v1, value):
    response = v1.get("events", {"cursor": value})
    assert response.status_code == 400
    assert "cursor" in response.json()["errors"]


# --- Oversized bodies and the key first -------------------------------------------------------


def test_a_v1_body_over_the_limit_is_a_json_413(v1, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = v1.post("users", person("ida@example.com", companyName="x" * 20_000))
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "body" in response.json()["message"]
    nothing_stored()


def test_a_compat_body_over_the_limit_is_a_json_400(compat, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = compat.post(person("ida@example.com", companyName="x" * 20_000))
    assert response.status_code == 400
    assert response.json() == {"message": "Invalid request: the body is too large"}


@pytest.mark.parametrize("surface", ["v1", "compat"])
def test_a_wrong_key_is_refused_before_a_large_body_is_parsed(client, db, surface):
    body = json.dumps(person("ida@example.com", countryCode="DE", pad="x" * 2_000_000))
    parsed: list[int] = []
    real_loads = json.loads

    def spy(text, *args, **kwargs):
        parsed.append(len(text))
        return real_loads(text, *args, **kwargs)

    headers = (
        {"Authorization": "Bearer nope.nope"} if surface == "v1" else {"x-api-key": "nope.nope"}
    )
    path = "/api/v1/users" if surface == "v1" else "/solutions/users"
    with mock.patch("json.loads", spy):
        response = client.post(path, body, content_type="application/json", headers=headers)
    assert response.status_code == 401
    assert not [size for size in parsed if size > 1_000_000]
