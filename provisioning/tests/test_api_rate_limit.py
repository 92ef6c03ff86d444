"""The per-key rate limit: 429 with Retry-After past API_RATE_LIMIT, on both surfaces."""

import threading
import time

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.test import Client

from provisioning.models import ApiKey, RateLimitWindow
from provisioning.partner_api.ratelimit import parse_rate, rate_limit_hit, rate_limit_windows_purge
from provisioning.tests.conftest import CompatClient, V1Client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def three_a_minute(settings):
    settings.API_RATE_LIMIT = "3/minute"


def test_past_the_limit_a_key_gets_429_with_retry_after(v1, monkeypatch):
    monkeypatch.setattr(time, "time", lambda: 6_000_000 * 60 + 15.5)
    assert [v1.get("users").status_code for _ in range(3)] == [200, 200, 200]
    response = v1.get("users")
    assert response.status_code == 429
    assert response["Retry-After"] == "45"
    assert response.json() == {"message": "Too many requests for this API key; retry in 45 s."}


def test_the_next_window_opens_again(v1, monkeypatch):
    now = [6_000_000 * 60 + 59.0]
    monkeypatch.setattr(time, "time", lambda: now[0])
    for _ in range(3):
        v1.get("users")
    assert v1.get("users").status_code == 429
    now[0] += 2
    assert v1.get("users").status_code == 200


def test_each_key_has_its_own_budget(v1, other_v1):
    for _ in range(4):
        v1.get("users")
    assert v1.get("users").status_code == 429
    assert other_v1.get("users").status_code == 200


def test_both_surfaces_draw_on_the_same_budget_of_a_key(client, api_key):
    v1, compat = V1Client(client, api_key), CompatClient(client, api_key)
    for _ in range(3):
        v1.get("users")
    response = compat.get("anyone@example.com")
    assert response.status_code == 429
    assert response["Retry-After"]
    assert response.json()["message"].startswith("Invalid request: too many requests")


def test_a_wrong_key_is_refused_before_it_counts(client, v1):
    for _ in range(5):
        assert (
            client.get("/api/v1/users", headers={"Authorization": "Bearer x.y"}).status_code == 401
        )
    assert v1.get("users").status_code == 200


def test_nonsense_in_api_rate_limit_is_refused():
    for text in ["", "0/minute", "10/fortnight", "ten/minute"]:
        with pytest.raises(ImproperlyConfigured):
            parse_rate(text)
    assert parse_rate("100/hours").period == 3600


def test_windows_that_are_over_are_purged(api_key):
    key = ApiKey.objects.get()
    rate_limit_hit(api_key=key, now=60.0 * 100)
    rate_limit_hit(api_key=key, now=60.0 * 200)
    assert rate_limit_windows_purge(now=60.0 * 200) == 1
    assert list(RateLimitWindow.objects.values_list("window", flat=True)) == [200]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_never_get_past_the_limit(postgres_only, api_key, settings):
    settings.API_RATE_LIMIT = "5/hour"
    codes, barrier = [], threading.Barrier(12)

    def call():
        try:
            barrier.wait()
            codes.append(V1Client(Client(), api_key).get("users").status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=call) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [200] * 5 + [429] * 7
