"""A database connection lost in the middle of a request: a clean 503, nothing half-written."""

import json

import psycopg
import pytest
from django.db import connection
from django.test import Client

from conftest import require
from provisioning.models import Company, Membership, Office, OutboxMessage, User
from provisioning.tests.factories import api_key_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

FLOW_3 = {
    "firstName": "Ana",
    "lastName": "Lima",
    "email": "ana@limacargo.com.br",
    "companyName": "Lima Cargo",
    "countryCode": "BR",
}
# Flow 2 writes the company and its office, then the account's rows, in one transaction.
FLOW_2 = {
    **FLOW_3,
    "offices": [
        {"countryCode": "BR", "officeAirportCode": "GRU", "iataCode": "5747001", "cassCode": "0011"}
    ],
}


def _terminate_session() -> None:
    db = connection.settings_dict
    pid = connection.connection.info.backend_pid
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
        autocommit=True,
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.fixture
def drop_connection():
    """drop_connection(before=…) or (after=…): terminate this process's PostgreSQL session
    once, just before or just after the first statement containing that text, as a failover
    or a network cut would."""
    require(connection.vendor == "postgresql", "needs PostgreSQL to terminate a session")
    plan = {}

    def wrapper(execute, sql, params, many, context):
        if plan.get("before") and plan["before"] in sql:
            plan.clear()
            _terminate_session()
        result = execute(sql, params, many, context)
        if plan.get("after") and plan["after"] in sql:
            plan.clear()
            _terminate_session()
        return result

    def arm(**where):
        plan.update(where)
        return plan

    with connection.execute_wrapper(wrapper):
        yield arm


def _post(client, raw_key, body):
    return client.post(
        "/solutions/users",
        json.dumps(body),
        content_type="application/json",
        headers={"x-api-key": raw_key},
    )


@pytest.mark.parametrize(
    "request_body, where",
    [
        # Flow 3: the account's rows are one statement; the session dies just before it.
        (FLOW_3, {"before": 'INSERT INTO "provisioning_user"'}),
        # Flow 2: the session dies after the company's insert, before anything else.
        (FLOW_2, {"after": 'INSERT INTO "provisioning_company"'}),
    ],
    ids=["flow-3-before-the-account", "flow-2-after-the-company"],
)
def test_a_create_that_loses_its_database_answers_503_with_retry_after_and_stores_nothing(
    drop_connection, request_body, where
):
    _, raw_key = api_key_for()
    client = Client(raise_request_exception=False)
    plan = drop_connection(**where)

    response = _post(client, raw_key, request_body)

    assert not plan, "the create never reached the statement"
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "message": "The service is briefly unavailable. Please retry in a few seconds."
    }
    # What the end of a real request does (the test client skips it): drop the dead session.
    connection.close_if_unusable_or_obsolete()
    assert not User.objects.filter(email=request_body["email"]).exists()
    assert not Membership.objects.exists()
    assert not Company.objects.exists()
    assert not Office.objects.exists()
    assert not OutboxMessage.objects.exists()

    # The database is back: the partner's retry goes through.
    retry = _post(client, raw_key, request_body)
    assert retry.status_code == 200
    assert User.objects.filter(email=request_body["email"]).count() == 1
    assert OutboxMessage.objects.filter(recipient=request_body["email"]).count() == 1
