"""The compatibility surface against the vendor's published contract (DESIGN §5.2).

The vendor publishes its User Provisioning API as OpenAPI (public copy: repository
`api-evangelist/cargoai`, `openapi/cargoai-user-provisioning-api-openapi.yml`). VENDOR_CONTRACT
below restates what that document declares — operations, parameters, bodies, status codes —
with its own quirks kept (`offices` typed as one object on create, PUT's fields declared as
query parameters), and only the server changed to ours. Schemathesis sends generated requests
shaped by it to `/solutions/users`; whatever it sends, nothing may answer with a server error.
Where our answers differ from that document, docs/partner-api.md lists each case and why.
"""

import logging

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from provisioning.partner_api.keys import api_key_create
from provisioning.tests.factories import PartnerFactory

VENDOR_KEY = "vend00000000.vendor-contract-generated-requests"

_TEXT = {"type": "string"}
_OFFICE = {
    "type": "object",
    "required": ["countryCode"],
    "properties": {
        "iataCode": _TEXT,
        "cassCode": _TEXT,
        "countryCode": _TEXT,
        "officeAirportCode": _TEXT,
    },
}
_KEY_HEADER = {"name": "x-api-key", "in": "header", "required": True, "schema": _TEXT}
# An example of ours (the contract gives none), so that some generated requests reach the
# services rather than only the field checks.
_EMAIL_QUERY = {
    "name": "email",
    "in": "query",
    "required": True,
    "schema": _TEXT,
    "examples": {"ours": {"value": "test@test.com"}},
}


def _answers(*codes: str) -> dict:
    return {code: {"description": code, "content": {"application/json": {}}} for code in codes}


VENDOR_CONTRACT = {
    "openapi": "3.0.3",
    "info": {"title": "Solutions (vendor contract, restated)", "version": "1.0"},
    "servers": [{"url": "/solutions"}],
    "components": {
        "securitySchemes": {"sec0": {"type": "apiKey", "name": "x-api-key", "in": "header"}}
    },
    "security": [{"sec0": []}],
    "paths": {
        "/users": {
            "post": {
                "operationId": "create-user",
                "parameters": [_KEY_HEADER],
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": [
                                    "firstName",
                                    "lastName",
                                    "email",
                                    "companyName",
                                    "countryCode",
                                ],
                                "properties": {
                                    "firstName": _TEXT,
                                    "lastName": _TEXT,
                                    "email": _TEXT,
                                    "companyName": _TEXT,
                                    "iataCode": _TEXT,
                                    "cassCode": _TEXT,
                                    "countryCode": _TEXT,
                                    "officeAirportCode": _TEXT,
                                    "partnerId": _TEXT,
                                    "offices": _OFFICE,  # sic: one object in the contract
                                },
                            },
                            "example": {
                                "firstName": "Test",
                                "lastName": "Test name",
                                "companyName": "test",
                                "email": "test@test.com",
                                "offices": [
                                    {
                                        "iataCode": "0000000",
                                        "cassCode": "0000",
                                        "countryCode": "US",
                                        "officeAirportCode": "JFK",
                                    },
                                    {
                                        "iataCode": "0000000",
                                        "cassCode": "0000",
                                        "countryCode": "NL",
                                        "officeAirportCode": "AMS",
                                    },
                                ],
                            },
                        }
                    }
                },
                "responses": _answers("200", "400", "502"),
            },
            "get": {
                "operationId": "get-token",
                "parameters": [_EMAIL_QUERY, _KEY_HEADER],
                "responses": _answers("200", "400", "502"),
            },
            "put": {
                "operationId": "update-user",
                "parameters": [
                    _KEY_HEADER,
                    # sic: the contract declares the body's fields as query parameters
                    *(
                        {"name": name, "in": "query", "required": True, "schema": _TEXT}
                        for name in ("firstName", "lastName", "email", "companyName")
                    ),
                    {
                        "name": "offices",
                        "in": "query",
                        "required": True,
                        "style": "deepObject",
                        "explode": True,
                        "schema": {"type": "array", "items": _OFFICE},
                    },
                ],
                "responses": _answers("200", "400"),
            },
            "delete": {
                "operationId": "delete-user-token",
                "parameters": [_EMAIL_QUERY, _KEY_HEADER],
                "responses": _answers("200", "400"),
            },
        }
    },
}

pytestmark = [pytest.mark.django_db, pytest.mark.schemathesis]


@pytest.fixture
def vendor_key(db, settings):
    logging.getLogger("django.request").setLevel(logging.ERROR)
    settings.API_RATE_LIMIT = "1000000/minute"
    _, raw = api_key_create(
        partner=PartnerFactory(name="Vendor Contract"), name="vendor", raw_key=VENDOR_KEY
    )
    # As in test_api_schema: the WSGI app runs inside the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield raw
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


schema = schemathesis.openapi.from_dict(VENDOR_CONTRACT)
schema.app = get_wsgi_application()


@schema.parametrize()
@settings(
    max_examples=120,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_request_shaped_by_the_vendor_contract_gets_a_server_error(case, vendor_key):
    # Mostly the real key (the requests then reach the parsing and the services); the cases
    # that leave it out or spoil it on purpose keep what Schemathesis chose.
    if case.headers and isinstance(case.headers.get("x-api-key"), str):
        case.headers["x-api-key"] = vendor_key
    case.call_and_validate(checks=[not_a_server_error])


def test_the_vendors_own_request_example_is_accepted(compat):
    example = VENDOR_CONTRACT["paths"]["/users"]["post"]["requestBody"]["content"][
        "application/json"
    ]["example"]
    response = compat.post(example)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "Pending"  # CASS codes unknown to our directory
