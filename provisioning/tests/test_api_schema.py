"""The OpenAPI schema is served with its docs page, and both partner surfaces keep what it
promises: Schemathesis sends generated requests — valid and invalid — to every operation and
checks each answer with all its default checks (no 5xx, documented status codes, content
types, headers and bodies, invalid data refused, valid data accepted, auth enforced)."""

import logging
import re

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from provisioning.partner_api.keys import api_key_create
from provisioning.tests.factories import PartnerFactory

# Beyond what the schema can say, requests can still be refused — and must be, with a 4xx:
# the native surface answers 422 for a well-formed airport code that does not exist or lies in
# another country, codes given without their pair or a disposable email domain; the
# compatibility surface answers 400 to every refusal (user not found, already exists, …)
# because the legacy API it copies does; a list answers 400 to a cursor it did not give out.
# Those are added to the statuses that valid data may
# get; every other check keeps its defaults.
# A fixed key, installed by the `partner_key` fixture, so that Schemathesis itself adds it —
# and knows when a case leaves it out or spoils it on purpose.
FUZZ_KEY = "fuzz00000000.schemathesis-generated-requests"
POSITIVE_DEFAULT = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
CONFIG = {
    "auth": {"openapi": {"bearerKey": {"bearer": FUZZ_KEY}, "apiKeyHeader": {"api_key": FUZZ_KEY}}},
    "operations": [
        {
            "include-operation-id-regex": "^users_(create|offices_add)$",
            "checks": {"positive_data_acceptance": {"expected-statuses": [*POSITIVE_DEFAULT, 422]}},
        },
        {
            # A cursor is opaque: only the `next`/`previous` links' values are cursors, and
            # any other string (which the schema cannot tell apart) is refused with 400.
            "include-operation-id-regex": "^(users|events)_list$",
            "checks": {"positive_data_acceptance": {"expected-statuses": [*POSITIVE_DEFAULT, 400]}},
        },
        {
            "include-path-regex": "^/solutions/",
            "checks": {"positive_data_acceptance": {"expected-statuses": [*POSITIVE_DEFAULT, 400]}},
        },
    ],
}
EXAMPLES_PER_OPERATION = 90
MIN_CASES = 1000

pytestmark = [pytest.mark.django_db, pytest.mark.schemathesis]


def test_the_schema_documents_both_surfaces_and_their_security(client):
    response = client.get("/api/v1/schema/", headers={"Accept": "application/json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/users", "/api/v1/events", "/solutions/users"} <= set(schema["paths"])
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearerKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "`Authorization: Bearer <key>` — the partner's API key.",
    }
    assert schemes["apiKeyHeader"]["name"] == "x-api-key"
    compat = schema["paths"]["/solutions/users"]
    assert set(compat) == {"get", "post", "put", "delete"}
    assert compat["post"]["security"] == [{"apiKeyHeader": []}]
    assert {"200", "400", "401"} <= set(compat["post"]["responses"])
    create = schema["paths"]["/api/v1/users"]["post"]
    assert {"201", "401", "409", "422", "429"} <= set(create["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])


def test_the_docs_page_loads_swagger_ui_from_this_site(client):
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any("swagger-ui-bundle" in a for a in assets)
    assert all(a.startswith("/") and not a.startswith("//") for a in assets), assets
    for asset in assets:  # shipped in a static folder: collectstatic and whitenoise serve it
        assert finders.find(asset.removeprefix("/" + django_settings.STATIC_URL.lstrip("/"))), asset


# --- Schemathesis ---------------------------------------------------------------------------


class Counter:
    cases = 0
    operations: set[str] = set()


@pytest.fixture
def partner_key(db, settings):
    logging.getLogger("django.request").setLevel(logging.ERROR)  # thousands of 4xx lines
    settings.API_RATE_LIMIT = "1000000/minute"  # the limit itself is tested elsewhere
    _, raw = api_key_create(
        partner=PartnerFactory(name="Fuzz Freight"), name="fuzz", raw_key=FUZZ_KEY
    )
    # The WSGI app runs in this thread, inside the test's transaction; like Django's test
    # client, keep it from closing that connection at the end of each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield raw
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# Loaded at collection: building the schema reads no database.
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/schema/?format=json",
    get_wsgi_application(),
    config=SchemathesisConfig.from_dict(CONFIG),
)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,  # the same cases on every run: a CI failure reproduces locally
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_the_schemas_promises(case, partner_key):
    Counter.cases += 1
    Counter.operations.add(case.operation.label)
    case.call_and_validate()


def test_schemathesis_ran_enough_cases(request):
    """Runs after the generated tests (same module, later): at least MIN_CASES in total."""
    if not Counter.operations:
        pytest.skip("the generated tests were not selected")
    print(f"schemathesis: {Counter.cases} cases over {len(Counter.operations)} operations")
    assert Counter.cases >= MIN_CASES, (Counter.cases, sorted(Counter.operations))
