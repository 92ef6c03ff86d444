"""A database connection lost in the middle of a request: a clean 503, nothing half-written."""

import json

import psycopg
import pytest
from django.db import connection
from django.test import Client

from conftest import require
from provisioning.models import Membership, OutboxMessage, User
from provisioning.tests.factories import api_key_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REQUEST = {
    "firstName": "Ana",
    "lastName": "Lima",
    "email": "ana@limacargo.com.br",
    "companyName": "Lima Cargo",
    "countryCode": "BR",
}


@pytest.fixture
def drop_connection_after_user_insert():
    """Terminate this process's PostgreSQL session right after the statement that inserts the
    user row, as a failover or a network cut would, so that the create cannot commit."""
    require(connection.vendor == "postgresql", "needs PostgreSQL to terminate a session")
    db = connection.settings_dict
    armed = [True]

    def terminate_after_user_insert(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if armed[0] and 'INSERT INTO "provisioning_user"' in sql:
            armed[0] = False
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
        return result

    with connection.execute_wrapper(terminate_after_user_insert):
        yield armed


def test_a_create_that_loses_its_database_answers_503_with_retry_after_and_stores_nothing(
    drop_connection_after_user_insert,
):
    armed = drop_connection_after_user_insert
    _, raw_key = api_key_for()
    client = Client(raise_request_exception=False)

    response = client.post(
        "/solutions/users",
        json.dumps(REQUEST),
        content_type="application/json",
        headers={"x-api-key": raw_key},
    )

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "message": "The service is briefly unavailable. Please retry in a few seconds."
    }
    assert not armed[0], "the user insert never ran"
    assert not User.objects.filter(email=REQUEST["email"]).exists()
    assert not Membership.objects.exists()
    assert not OutboxMessage.objects.exists()

    # The database is back: the partner's retry goes through.
    retry = client.post(
        "/solutions/users",
        json.dumps(REQUEST),
        content_type="application/json",
        headers={"x-api-key": raw_key},
    )
    assert retry.status_code == 200
    assert User.objects.filter(email=REQUEST["email"]).count() == 1
