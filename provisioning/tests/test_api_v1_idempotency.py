"""Idempotency-Key on POST /api/v1/users: a retried create replays, never acts twice."""

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from provisioning.models import AccessRequest, CompletionLink, IdempotencyRecord, Membership, User
from provisioning.tests.conftest import V1Client, person

pytestmark = pytest.mark.django_db

BODY = person("raj@indigo-cargo.in", countryCode="IN")


def test_the_same_key_and_body_replays_the_first_answer_without_acting_again(v1):
    first = v1.post("users", BODY, **{"Idempotency-Key": "create-raj-1"})
    again = v1.post("users", BODY, **{"Idempotency-Key": "create-raj-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert again["Location"] == first["Location"]
    assert User.objects.count() == 1
    assert Membership.objects.count() == 1


def test_the_stored_answer_keeps_no_completion_link_yet_a_replay_carries_the_live_one(v1):
    first = v1.post("users", BODY, **{"Idempotency-Key": "create-raj-2"}).json()
    assert first["completionLink"].startswith("http")
    token = first["completionLink"].rsplit("/", 1)[1]
    stored = IdempotencyRecord.objects.get()
    assert token not in str(stored.response_body)
    assert stored.response_body["completionLink"] is None
    again = v1.post("users", BODY, **{"Idempotency-Key": "create-raj-2"}).json()
    assert again["completionLink"] == first["completionLink"]


def test_a_replay_does_not_revive_a_completion_link_that_was_used_up(v1):
    first = v1.post("users", BODY, **{"Idempotency-Key": "create-raj-3"}).json()
    CompletionLink.objects.update(used_at=timezone.now())
    again = v1.post("users", BODY, **{"Idempotency-Key": "create-raj-3"}).json()
    assert again == {**first, "completionLink": None}


def test_key_order_and_spacing_of_the_json_do_not_make_another_body(v1):
    v1.post("users", BODY, **{"Idempotency-Key": "k"})
    reordered = "{" + ", ".join(f'"{k}": "{v}"' for k, v in reversed(BODY.items())) + "}"
    assert v1.post("users", reordered, **{"Idempotency-Key": "k"}).status_code == 201


def test_the_same_key_with_another_body_is_refused_with_422(v1):
    v1.post("users", BODY, **{"Idempotency-Key": "k"})
    response = v1.post("users", {**BODY, "firstName": "Other"}, **{"Idempotency-Key": "k"})
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "Idempotency-Key": ["was used earlier with another request body"]
    }
    assert User.objects.get().first_name == "Anna"


def test_a_refusal_is_replayed_too(v1):
    v1.post("users", BODY)
    first = v1.post("users", BODY, **{"Idempotency-Key": "dup"})
    again = v1.post("users", BODY, **{"Idempotency-Key": "dup"})
    assert first.status_code == again.status_code == 409
    assert again["Idempotent-Replayed"] == "true"


def test_an_invalid_request_stores_nothing_so_the_key_can_be_used_for_the_fixed_one(v1):
    assert v1.post("users", {**BODY, "email": "x"}, **{"Idempotency-Key": "k"}).status_code == 422
    assert v1.post("users", BODY, **{"Idempotency-Key": "k"}).status_code == 201


def test_keys_belong_to_one_partner(v1, other_v1):
    assert v1.post("users", BODY, **{"Idempotency-Key": "k"}).status_code == 201
    other = other_v1.post("users", BODY, **{"Idempotency-Key": "k"})
    assert other.status_code == 201
    assert "Idempotent-Replayed" not in other


def test_a_key_is_forgotten_after_24_hours(v1):
    v1.post("users", BODY, **{"Idempotency-Key": "k"})
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=24, seconds=1))
    response = v1.post("users", BODY, **{"Idempotency-Key": "k"})
    assert response.status_code == 409  # acted again: the user exists now
    assert "Idempotent-Replayed" not in response


@pytest.mark.parametrize("key", ["", "x" * 256, "with space", "ünïcode"])
def test_an_unusable_key_is_refused_with_422(v1, key):
    response = v1.post("users", BODY, **{"Idempotency-Key": key})
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["errors"]
    assert not User.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_tries_with_one_key_create_once_and_replay(postgres_only, client, api_key):
    answers, barrier = [], threading.Barrier(6)

    def call():
        try:
            barrier.wait()
            from django.test import Client

            response = V1Client(Client(), api_key).post(
                "users", BODY, **{"Idempotency-Key": "race"}
            )
            answers.append(
                (
                    response.status_code,
                    response.json()["id"],
                    response.has_header("Idempotent-Replayed"),
                )
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=call) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {status for status, _, _ in answers} == {201}
    assert len({user_id for _, user_id, _ in answers}) == 1
    assert sorted(replayed for _, _, replayed in answers) == [False] + [True] * 5
    assert User.objects.count() == 1


def test_a_replayed_create_of_another_partners_account_asks_once_and_reveals_nothing(
    v1, other_v1, mailoutbox
):
    other_v1.post("users", BODY)
    first = v1.post("users", {**BODY, "firstName": "R."}, **{"Idempotency-Key": "ask-raj"})
    again = v1.post("users", {**BODY, "firstName": "R."}, **{"Idempotency-Key": "ask-raj"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert (first.json()["firstName"], first.json()["company"]) == ("R.", None)
    assert AccessRequest.objects.count() == 1
