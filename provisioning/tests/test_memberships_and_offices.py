"""Memberships across partners, adding offices, removing users, and the emails they send."""

import pytest

from provisioning.models import AuditEvent, Membership, OutboxMessage, User
from provisioning.tests.conftest import person

pytestmark = pytest.mark.django_db


def create(compat, capture, body):
    with capture(execute=True):
        response = compat.post(body)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


# --- emails ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "subject", "needle"),
    [
        (
            person("anna@acme-cargo.de", countryCode="DE"),
            "Welcome to CargoMART, Anna: your account is active",
            "http://127.0.0.1:8000/portal/login",
        ),
        (
            person("anna@acme-cargo.de", countryCode="FR"),
            "Your CargoMART account is being set up",
            "our support team checks",
        ),
        (
            person("carl@newco.example", countryCode="DE"),
            "Anna, complete your company details for CargoMART",
            "http://127.0.0.1:8000/complete/",
        ),
    ],
)
def test_each_flow_emails_the_user_after_commit(
    compat, directory, capture, mailoutbox, body, subject, needle
):
    answer = create(compat, capture, body)
    assert [m.subject for m in mailoutbox] == [subject]
    mail = mailoutbox[0]
    assert mail.to == [body["email"]]
    assert needle in mail.body
    assert needle in mail.alternatives[0][0]
    if "link" in answer and "complete" in answer["link"]:
        assert answer["link"] in mail.body
    assert "token" not in answer or answer["token"] not in mail.body
    assert OutboxMessage.objects.get().status == "sent"


def test_a_refused_create_sends_nothing(compat, directory, capture, mailoutbox):
    create(compat, capture, person("anna@acme-cargo.de", countryCode="DE"))
    mailoutbox.clear()
    with capture(execute=True):
        compat.post(person("anna@acme-cargo.de", countryCode="DE"))
    assert mailoutbox == []


# --- several partners ---------------------------------------------------------------------------


def consent_url(email: str) -> str:
    message = OutboxMessage.objects.filter(template="access_request", recipient=email).first()
    return message.context["consent_url"].split("://", 1)[1].split("/", 1)[1]


def answer_consent(client, email: str, decision: str):
    path = "/" + consent_url(email)
    assert client.get(path).status_code == 200  # showing the question decides nothing
    return client.post(path, {"decision": decision})


def test_another_partner_gets_nothing_until_the_forwarder_allows_it(
    client, compat, other_compat, directory, capture, mailoutbox
):
    create(compat, capture, person("anna@acme-cargo.de", countryCode="DE"))
    mailoutbox.clear()
    answer = create(other_compat, capture, person("ANNA@acme-cargo.de", countryCode="US"))
    assert answer == {
        "status": "Pending",
        "message": "Successful request: User has been created and is pending verification: "
        "anna@acme-cargo.de",
    }
    assert other_compat.get("anna@acme-cargo.de").json() == {
        "message": "Invalid request: user not verified"
    }
    assert User.objects.count() == 1
    assert list(Membership.objects.values_list("partner__name", flat=True)) == ["Freight Soft"]
    assert [m.subject for m in mailoutbox] == ["Other Vendor asks to manage your CargoMART account"]

    with capture(execute=True):
        response = answer_consent(client, "anna@acme-cargo.de", "allow")
    assert response.status_code == 200
    assert sorted(Membership.objects.values_list("partner__name", flat=True)) == [
        "Freight Soft",
        "Other Vendor",
    ]
    event = AuditEvent.objects.get(action="user.partner_linked")
    assert event.actor_type == "forwarder"
    token = other_compat.get("anna@acme-cargo.de").json()
    assert token["status"] == "Activated" and token["token"]
    # the account itself is unchanged: still the Hamburg office of the first request
    assert [o.airport_code for o in User.objects.get().offices.all()] == ["HAM"]
    # the link works once
    assert (
        client.post("/" + consent_url("anna@acme-cargo.de"), {"decision": "decline"}).status_code
        == 410
    )


def test_a_declined_request_leaves_the_partner_outside(client, compat, other_compat, capture):
    create(compat, capture, person("carl@newco.example", countryCode="DE"))
    create(other_compat, capture, person("carl@newco.example", countryCode="DE"))
    assert answer_consent(client, "carl@newco.example", "decline").status_code == 200
    assert Membership.objects.count() == 1
    assert other_compat.get("carl@newco.example").json() == {
        "message": "Invalid request: user not found: carl@newco.example"
    }


def test_a_disabled_account_answers_like_a_new_one_and_support_decides(
    compat, other_compat, capture, mailoutbox
):
    create(compat, capture, person("carl@newco.example", countryCode="DE"))
    User.objects.update(status="disabled", pending_reason="")
    mailoutbox.clear()
    answer = create(other_compat, capture, person("carl@newco.example", countryCode="DE"))
    assert answer["status"] == "Pending"
    assert mailoutbox == []  # nobody is asked by email: support decides
    assert Membership.objects.count() == 1


# --- delete ----------------------------------------------------------------------------------


def test_removing_the_last_membership_deletes_the_account(client, compat, other_compat, capture):
    create(compat, capture, person("carl@newco.example", countryCode="DE"))
    create(other_compat, capture, person("carl@newco.example", countryCode="DE"))
    answer_consent(client, "carl@newco.example", "allow")

    assert compat.delete("carl@newco.example").json() == {
        "message": "Successful request: User has been successfully deleted from your API key: "
        "carl@newco.example"
    }
    assert User.objects.get().status == "pending"
    other_compat.delete("Carl@newco.example")
    user = User.objects.get()
    assert (user.status, user.pending_reason) == ("deleted", "")
    assert AuditEvent.objects.filter(action="user.deleted").count() == 1
    assert not user.completion_links.filter(superseded_at__isnull=True).exists()


def test_creating_a_deleted_account_again_starts_over(compat, directory, capture):
    create(compat, capture, person("anna@acme-cargo.de", countryCode="FR"))
    compat.delete("anna@acme-cargo.de")
    answer = create(
        compat, capture, person("anna@acme-cargo.de", firstName="Ann", countryCode="US")
    )
    assert answer["status"] == "Activated"
    user = User.objects.get()
    assert (user.status, user.first_name) == ("activated", "Ann")
    assert [o.airport_code for o in user.offices.all()] == ["JFK"]
    assert Membership.objects.get().removed_at is None
    assert user.request_data["countryCode"] == "US"


def test_a_removed_user_is_asked_again_when_its_partner_creates_it(
    client, compat, other_compat, capture
):
    create(compat, capture, person("carl@newco.example", countryCode="DE"))
    create(other_compat, capture, person("carl@newco.example", countryCode="DE"))
    answer_consent(client, "carl@newco.example", "allow")
    compat.delete("carl@newco.example")
    answer = create(compat, capture, person("carl@newco.example", countryCode="DE"))
    assert answer["status"] == "Pending" and "link" not in answer
    assert compat.get("carl@newco.example").json() == {
        "message": "Invalid request: user not verified"
    }
    answer_consent(client, "carl@newco.example", "allow")
    assert Membership.objects.filter(removed_at__isnull=True).count() == 2


def test_an_unencoded_plus_in_the_query_still_finds_the_user(client, compat, capture):
    create(compat, capture, person("anna+ops@newco.example", countryCode="DE"))
    response = client.delete(
        "/solutions/users?email=anna+ops@newco.example", headers={"x-api-key": compat.key}
    )
    assert response.status_code == 200


# --- add offices ---------------------------------------------------------------------------------


def put_offices(compat, capture, email, *offices):
    with capture(execute=True):
        response = compat.put(person(email, offices=list(offices)))
    assert response.status_code == 200, response.content
    return response.json()


def test_a_new_office_in_a_directory_country_activates_a_pending_user(
    compat, directory, capture, mailoutbox
):
    create(compat, capture, person("anna@acme-cargo.de", countryCode="FR"))
    mailoutbox.clear()
    answer = put_offices(
        compat, capture, "anna@acme-cargo.de", {"countryCode": "US", "officeAirportCode": "JFK"}
    )
    assert answer["status"] == "Activated"
    assert answer["message"] == (
        "Successful request: Offices have been successfully added: anna@acme-cargo.de"
    )
    assert answer["token"]
    user = User.objects.get()
    assert [o.airport_code for o in user.offices.all()] == ["JFK"]
    assert [m.subject for m in mailoutbox] == ["Welcome to CargoMART, Anna: your account is active"]
    assert {"user.offices_added", "user.activated"} <= set(
        AuditEvent.objects.values_list("action", flat=True)
    )


def test_a_new_office_is_added_to_an_activated_user(compat, directory, capture, mailoutbox):
    create(compat, capture, person("anna@acme-cargo.de", countryCode="DE"))
    mailoutbox.clear()
    put_offices(
        compat, capture, "anna@acme-cargo.de", {"countryCode": "DE", "officeAirportCode": "FRA"}
    )
    assert sorted(o.airport_code for o in User.objects.get().offices.all()) == ["FRA", "HAM"]
    assert mailoutbox == []


def test_cass_data_sends_a_user_awaiting_details_to_support(compat, capture, mailoutbox):
    first = create(compat, capture, person("carl@newco.example", countryCode="DE"))
    mailoutbox.clear()
    answer = put_offices(
        compat,
        capture,
        "carl@newco.example",
        {
            "countryCode": "DE",
            "officeAirportCode": "HAM",
            "iataCode": "1234567",
            "cassCode": "1234",
        },
    )
    assert answer == {
        "status": "Pending",
        "message": "Successful request: Offices have been successfully added: carl@newco.example",
    }
    user = User.objects.get()
    assert user.pending_reason == "awaiting_support"
    assert user.company.legal_name == "ACME Cargo GmbH"
    assert [o.airport_code for o in user.offices.all()] == ["HAM"]
    assert [m.subject for m in mailoutbox] == ["Your CargoMART account is being set up"]
    # the completion link sent earlier no longer works
    from provisioning.accounts.links import CompletionLinkInvalid, completion_link_resolve

    with pytest.raises(CompletionLinkInvalid):
        completion_link_resolve(token=first["link"].rsplit("/", 1)[1])


def test_offices_without_cass_keep_a_user_awaiting_details(compat, capture, mailoutbox):
    first = create(compat, capture, person("carl@newco.example", countryCode="DE"))
    mailoutbox.clear()
    answer = put_offices(
        compat, capture, "carl@newco.example", {"countryCode": "NL", "officeAirportCode": "AMS"}
    )
    assert answer["link"] == first["link"]
    assert User.objects.get().pending_reason == "awaiting_details"
    assert User.objects.get().request_data["offices"] == [
        {"countryCode": "NL", "officeAirportCode": "AMS", "iataCode": "", "cassCode": ""}
    ]
    assert mailoutbox == []
