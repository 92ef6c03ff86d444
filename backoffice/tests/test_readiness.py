"""/readyz: ready when the database and the broker answer; 503 naming the one that does not.
/healthz stays the liveness check (the process answers), whatever the broker does."""

from unittest import mock

import pytest
from django.db import OperationalError, connection

from provisioning.tests.live import RedisServer, publishing_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_redis():
    server = RedisServer()
    server.start()
    yield server
    server.cleanup()


def test_in_process_mode_is_ready_and_says_there_is_no_broker(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["checks"]["database"] == "ok"
    assert "no broker configured" in response.json()["checks"]["broker"]


@pytest.mark.integration
def test_a_stopped_broker_makes_readyz_503_naming_it_until_it_is_back(client, own_redis):
    with publishing_to(own_redis.url):
        assert client.get("/readyz").json() == {
            "status": "ok",
            "checks": {"database": "ok", "broker": "ok"},
        }

        own_redis.stop()
        down = client.get("/readyz")
        assert down.status_code == 503
        assert down.json()["down"] == ["broker"]
        assert down.json()["checks"]["broker"].startswith("down: ")
        assert down.json()["checks"]["database"] == "ok"
        assert client.get("/healthz").status_code == 200

        own_redis.start()
        assert client.get("/readyz").status_code == 200


def test_an_unreachable_database_makes_readyz_503_naming_it(client):
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("refused")):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["down"] == ["database"]
    assert response.json()["checks"]["database"] == "down: OperationalError"


def test_readyz_is_served_over_plain_http_to_the_probe(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/readyz").status_code == 200
