"""Every transition of an account becomes an event for its partners, in the feed and as a
webhook in the outbox."""

import pytest

from provisioning.accounts.transitions import user_activate, user_reject, user_reopen
from provisioning.audit.records import Actor
from provisioning.models import EventType, OutboxMessage, PartnerEvent, User, UserStatus
from provisioning.models.outbox import OutboxKind
from provisioning.tests.conftest import allow_access, person
from provisioning.tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(
        User.objects.create_superuser(
            "agent@example.com", "pw", status=UserStatus.ACTIVATED, pending_reason=""
        )
    )
    return client


def feed(client, **params) -> list[tuple[str, str]]:
    response = client.get("events", params)
    assert response.status_code == 200, response.content
    return [(e["type"], e["data"]["user"]["email"]) for e in response.json()["results"]]


def test_a_create_and_an_activation_appear_in_the_feed_in_order(v1, directory):
    user = v1.post("users", person("lena@acme-cargo.de", countryCode="FR")).json()
    v1.post(f"users/{user['id']}/offices", {"offices": [{"countryCode": "US"}]})
    assert feed(v1) == [
        ("user.created", "lena@acme-cargo.de"),
        ("user.activated", "lena@acme-cargo.de"),
    ]
    created, activated = v1.get("events").json()["results"]
    assert created["data"]["user"]["status"] == "pending"
    assert created["data"]["user"]["pendingReason"] == "awaiting_support"
    assert created["data"]["previous"] == {"status": None, "pendingReason": None}
    assert activated["data"]["previous"] == {
        "status": "pending",
        "pendingReason": "awaiting_support",
    }
    assert len({created["id"], activated["id"]}) == 2


def test_a_support_transition_reaches_every_current_partner_of_the_user(
    v1, other_v1, partner, directory
):
    v1.post("users", person("lena@acme-cargo.de", countryCode="FR"))
    other_v1.post("users", person("lena@acme-cargo.de", countryCode="FR"))
    allow_access()
    user = PartnerEvent.objects.first().user
    user_activate(user=user, company=directory.acme, offices=[directory.ham], actor=Actor.system())
    assert feed(v1) == [("user.created", user.email), ("user.activated", user.email)]
    # The second partner hears of the account when it is linked, not of the first create.
    assert feed(other_v1) == [("user.linked", user.email), ("user.activated", user.email)]


def test_linking_an_account_is_told_to_the_linking_partner_only(v1, other_v1, directory):
    v1.post("users", person("anna@acme-cargo.de", countryCode="DE"))
    other_v1.post("users", person("anna@acme-cargo.de", countryCode="DE"))
    assert feed(other_v1) == []  # asking reveals nothing
    allow_access()
    assert feed(v1) == [("user.created", "anna@acme-cargo.de")]
    assert feed(other_v1) == [("user.linked", "anna@acme-cargo.de")]


def test_the_partner_that_removes_the_last_membership_hears_of_the_deletion(v1, other_v1, db):
    v1.post("users", person("raj@indigo-cargo.in", countryCode="IN"))
    other_v1.post("users", person("raj@indigo-cargo.in", countryCode="IN"))
    allow_access()
    other_v1.delete("users/raj@indigo-cargo.in")  # not the last one: no transition
    v1.delete("users/raj@indigo-cargo.in")
    assert feed(v1, type="user.deleted") == [("user.deleted", "raj@indigo-cargo.in")]
    assert feed(other_v1, type="user.deleted") == []


def test_support_transitions_emit_their_events(v1, partner):
    user = MembershipFactory(
        partner=partner,
        user=UserFactory(email="x@y.example", status=UserStatus.ACTIVATED, pending_reason=""),
    ).user
    agent = Actor.staff(UserFactory(is_staff=True, email="agent@example.com"))
    user_reject(user=user, reason="Not a forwarder.", actor=agent)
    user_reopen(user=user, actor=agent)
    assert feed(v1) == [("user.disabled", "x@y.example"), ("user.pending", "x@y.example")]


def test_calls_that_change_no_state_make_no_event(v1, partner, db):
    v1.post("users", person("anna@acme-cargo.de", countryCode="DE"))
    v1.post(
        "users/anna@acme-cargo.de/offices",
        {"offices": [{"countryCode": "DE", "officeAirportCode": "MUC"}]},
    )
    assert [type for type, _ in feed(v1)] == ["user.created"]


def test_the_feed_filters_by_type_and_time_and_pages_by_cursor(v1, db):
    for n in range(5):
        v1.post("users", person(f"u{n}@indigo-cargo.in", countryCode="IN"))
    assert len(feed(v1, type="user.created")) == 5
    assert feed(v1, type="user.activated") == []
    assert feed(v1, created_after="2999-01-01T00:00:00Z") == []
    assert len(feed(v1, created_before="2999-01-01T00:00:00Z")) == 5
    first = v1.get("events", {"page_size": 2}).json()
    second = v1.client.get(first["next"], headers=v1.headers()).json()
    assert [e["data"]["user"]["email"] for e in first["results"] + second["results"]] == [
        "u0@indigo-cargo.in",
        "u1@indigo-cargo.in",
        "u2@indigo-cargo.in",
        "u3@indigo-cargo.in",
    ]


@pytest.mark.parametrize("params", [{"type": "user.exploded"}, {"created_after": "soon"}])
def test_an_unusable_feed_parameter_answers_422(v1, db, params):
    response = v1.get("events", params)
    assert response.status_code == 422
    assert set(response.json()["errors"]) == set(params)


def test_a_partner_never_sees_another_partners_events(v1, other_v1, db):
    other_v1.post("users", person("raj@indigo-cargo.in", countryCode="IN"))
    assert feed(v1) == []


def test_a_partner_with_a_webhook_gets_each_event_queued_in_the_outbox(v1, partner, db):
    partner.webhook_url, partner.webhook_secret = "https://hooks.example/cargo", "s3cret"
    partner.save(update_fields=["webhook_url", "webhook_secret"])
    v1.post("users", person("raj@indigo-cargo.in", countryCode="IN"))
    event = PartnerEvent.objects.get()
    assert event.type == EventType.USER_CREATED
    assert event.delivery.kind == OutboxKind.WEBHOOK
    assert event.delivery.recipient == "https://hooks.example/cargo"
    assert event.delivery.context == event.payload


def test_without_a_secret_no_webhook_is_queued(v1, partner, db):
    partner.webhook_url = "https://hooks.example/cargo"
    partner.save(update_fields=["webhook_url"])
    v1.post("users", person("raj@indigo-cargo.in", countryCode="IN"))
    assert PartnerEvent.objects.get().delivery is None
    assert not OutboxMessage.objects.filter(kind=OutboxKind.WEBHOOK).exists()


def test_support_sees_webhook_deliveries_per_partner_but_never_the_secret(
    staff_client, v1, partner
):
    partner.webhook_url, partner.webhook_secret = "https://hooks.example/cargo", "s3cret-value"
    partner.save(update_fields=["webhook_url", "webhook_secret"])
    v1.post("users", person("raj@indigo-cargo.in", countryCode="IN"))

    page = staff_client.get(f"/admin/provisioning/partner/{partner.pk}/change/")
    assert page.status_code == 200
    assert b"s3cret-value" not in page.content
    assert f"partner__id__exact={partner.pk}&amp;kind__exact=webhook".encode() in page.content

    deliveries = staff_client.get(
        "/admin/provisioning/outboxmessage/",
        {"partner__id__exact": partner.pk, "kind__exact": "webhook"},
    )
    assert deliveries.status_code == 200
    assert b"https://hooks.example/cargo" in deliveries.content
    events = staff_client.get("/admin/provisioning/partnerevent/")
    assert b"user.created" in events.content


def test_saving_a_partner_without_typing_the_secret_keeps_it(staff_client, partner):
    partner.webhook_secret = "keep-me"
    partner.save(update_fields=["webhook_secret"])
    response = staff_client.post(
        f"/admin/provisioning/partner/{partner.pk}/change/",
        {
            "name": partner.name,
            "is_active": "on",
            "webhook_url": "https://hooks.example/new",
            "webhook_secret": "",
            "api_keys-TOTAL_FORMS": "0",
            "api_keys-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content
    partner.refresh_from_db()
    assert (partner.webhook_url, partner.webhook_secret) == ("https://hooks.example/new", "keep-me")
