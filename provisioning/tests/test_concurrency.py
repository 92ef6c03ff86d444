"""Duplicate creates arriving at once still make exactly one account (DESIGN §10)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client

from provisioning.models import AccessRequest, Membership, User
from provisioning.tests.conftest import person
from provisioning.tests.factories import PartnerFactory, api_key_for

PARALLEL = 100


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_hundred_parallel_creates_of_one_email_make_one_user(postgres_only):
    _, raw_key = api_key_for(PartnerFactory(name="Freight Soft"))
    emails = [
        "".join(c.upper() if (i >> n) & 1 else c for n, c in enumerate("anna@race.example"))
        for i in range(PARALLEL)
    ]
    start = threading.Barrier(PARALLEL)

    def create(email):
        try:
            start.wait(timeout=30)
            response = Client().post(
                "/solutions/users",
                person(email, countryCode="DE"),
                content_type="application/json",
                headers={"x-api-key": raw_key},
            )
            return response.status_code, response.json()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        answers = list(pool.map(create, emails))

    statuses = [status for status, _ in answers]
    assert all(status < 500 for status in statuses), answers
    assert statuses.count(200) == 1, answers
    refusals = [body for status, body in answers if status == 400]
    assert refusals == [{"message": "Invalid request: User [anna@race.example] already exist"}] * (
        PARALLEL - 1
    )
    assert User.objects.count() == 1
    assert Membership.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_partners_asking_for_one_account_at_once_make_one_request_each(postgres_only):
    _, first_key = api_key_for(PartnerFactory(name="Freight Soft"))
    keys = [api_key_for(PartnerFactory(name=f"Vendor {n}"))[1] for n in range(4)]
    Client().post(
        "/solutions/users",
        person("anna@race.example", countryCode="DE"),
        content_type="application/json",
        headers={"x-api-key": first_key},
    )
    twice = keys * 5  # each partner five times at once
    start = threading.Barrier(len(twice))

    def create(key):
        try:
            start.wait(timeout=30)
            response = Client().post(
                "/solutions/users",
                person("anna@race.example", countryCode="DE"),
                content_type="application/json",
                headers={"x-api-key": key},
            )
            return response.status_code, response.json()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(twice)) as pool:
        answers = list(pool.map(create, twice))

    assert all(status < 500 for status, _ in answers), answers
    assert sum(body.get("status") == "Pending" for _, body in answers) == len(keys)
    assert AccessRequest.objects.filter(decided_at__isnull=True).count() == len(keys)
    assert Membership.objects.count() == 1
