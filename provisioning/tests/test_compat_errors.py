"""/solutions/users answers bad requests with the legacy error texts, stores nothing, and
never fails with a server error."""

import pytest

from provisioning.accounts.members import user_remove_from_partner
from provisioning.models import AuditEvent, Company, Membership, OutboxMessage, User, UserStatus
from provisioning.partner_api.keys import api_key_revoke
from provisioning.tests.conftest import CompatClient, person
from provisioning.tests.factories import MembershipFactory, PartnerFactory, UserFactory, api_key_for

pytestmark = pytest.mark.django_db

PREFIX = "Invalid request: "
EMPTY_EMAIL = "validation errors: [email cannot be empty]"
FULLWIDTH_DIGITS = "".join(chr(0xFF11 + i) for i in range(7))  # look like 1234567


def error_key(call: str) -> str:
    """The vendor's add-offices call (PUT) answers its refusals under `error`."""
    return "error" if call == "put" else "message"


def nothing_stored():
    assert User.objects.count() == 0
    assert Company.objects.count() == 0
    assert Membership.objects.count() == 0
    assert OutboxMessage.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def office(**fields):
    return {"countryCode": "NL", "officeAirportCode": "AMS", **fields}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"firstName": "A"}, EMPTY_EMAIL),
        (person(""), EMPTY_EMAIL),
        (person("   "), EMPTY_EMAIL),
        (person(None), EMPTY_EMAIL),
        (
            {"email": "a@b.example", "firstName": "", "iataCode": "12a4567", "cassCode": "1234"},
            "firstName: cannot be blank; lastName: cannot be blank; companyName: cannot be "
            "blank; countryCode: cannot be blank; iataCode: must contain digits only.",
        ),
        (
            person("a@b.example", firstName="x" * 46, countryCode="DE"),
            "firstName: size must be between 1 and 45.",
        ),
        (
            person("a@b.example", lastName="y" * 46, countryCode="DE"),
            "lastName: size must be between 1 and 45.",
        ),
        (
            person("a@b.example", companyName="z" * 46, countryCode="DE"),
            "companyName: size must be between 1 and 45.",
        ),
        (
            person("a" * 57 + "@b.example", countryCode="DE"),
            "email: size must be between 1 and 66.",
        ),
        (person("not-an-email", countryCode="DE"), "email: must be a well-formed email address."),
        (person("a@b.example", countryCode="XX"), "countryCode: unknown country code."),
        (person("a@b.example", countryCode="DEU"), "countryCode: unknown country code."),
        (
            person("a@b.example", countryCode="DE", officeAirportCode="QQQ"),
            "officeAirportCode: unknown airport code.",
        ),
        (
            person("a@b.example", countryCode="DE", officeAirportCode="JFK"),
            "officeAirportCode: airport JFK is not in DE.",
        ),
        (
            person("a@b.example", countryCode="DE", iataCode="123456", cassCode="1234"),
            "iataCode: must be exactly 7 digits.",
        ),
        (
            person("a@b.example", countryCode="DE", iataCode="1234567", cassCode="12b4"),
            "cassCode: must contain digits only.",
        ),
        (
            person("a@b.example", countryCode="DE", iataCode="1234567"),
            "cassCode: cannot be blank when iataCode is given.",
        ),
        (
            person("a@b.example", countryCode="DE", iataCode=FULLWIDTH_DIGITS, cassCode="1234"),
            "iataCode: must contain digits only.",
        ),
        (person("a@b.example", countryCode=49), "countryCode: must be a string."),
        (person("a@b.example", countryCode="DE", firstName=["A"]), "firstName: must be a string."),
        (person(42), "email: must be a string."),
        (person("a@b.example", countryCode="DE", iataCode=1234567), "iataCode: must be a string."),
        (person("a@b.example", countryCode="DE", partnerId=True), "partnerId: must be a string."),
        (person("a@b.example", countryCode="DE", offices="NL"), "offices: must be a list."),
        (
            person("a@b.example", offices=["NL"]),
            "offices[0]: must be an object.",
        ),
        (
            person("a@b.example", offices=[office(countryCode="")]),
            "offices[0].countryCode: cannot be blank.",
        ),
        (
            person("a@b.example", offices=[office(), office(officeAirportCode="XYZ1")]),
            "offices[1].officeAirportCode: unknown airport code.",
        ),
        (
            person("a@b.example", offices=[office(iataCode="abcdefg", cassCode="12345")]),
            "offices[0].iataCode: must contain digits only; offices[0].cassCode: must be "
            "exactly 4 digits.",
        ),
        (
            person("a@b.example", countryCode="DE", offices=[office()] * 51),
            "offices: size must be between 1 and 50.",
        ),
        (
            person("a@b.example", countryCode="DE", firstName="An\u0000na"),
            "firstName: must not contain control characters.",
        ),
        (
            person("a@b.example", countryCode="DE", lastName="\ud800"),
            "lastName: must not contain control characters.",
        ),
    ],
)
def test_a_bad_create_is_refused_naming_the_fields(compat, body, message):
    response = compat.post(body)
    assert response.status_code == 400
    assert response.json() == {"message": PREFIX + message}
    nothing_stored()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "malformed JSON body"),
        (b"firstName=Anna", "malformed JSON body"),
        (b'{"email": "a@b.example",', "malformed JSON body"),
        (b"\xff\xfe\x00", "malformed JSON body"),
        (b"[1, 2]", "the body must be a JSON object"),
        (b'"just a string"', "the body must be a JSON object"),
        (b"[" * 100_000 + b"]" * 100_000, "malformed JSON body"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused(compat, raw, message):
    response = compat.post(raw.decode("latin-1") if raw.startswith(b"\xff") else raw.decode())
    assert response.status_code == 400
    assert response.json() == {"message": PREFIX + message}
    nothing_stored()


def test_a_body_beyond_the_upload_limit_is_refused(compat, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = compat.post(person("a@b.example", countryCode="DE", note="x" * 2000))
    assert response.status_code == 400
    assert response.json() == {"message": PREFIX + "the body is too large"}
    nothing_stored()


def test_unknown_fields_are_ignored_like_the_legacy_api_did(compat):
    response = compat.post(person("a@b.example", countryCode="DE", phone="+49 40 1234"))
    assert response.status_code == 200
    assert "phone" not in User.objects.get().request_data


@pytest.mark.parametrize("header", [None, "", "garbage", "abc.def", "demo00000000.wrong"])
def test_a_missing_or_wrong_key_gets_one_answer(client, db, header):
    response = CompatClient(client, header).post(person("a@b.example", countryCode="DE"))
    assert response.status_code == 401
    assert response.json() == {"message": "Invalid or missing API key."}
    nothing_stored()


def test_a_revoked_key_gets_the_same_answer(client, partner):
    key, raw = api_key_for(partner)
    api_key_revoke(key=key)
    for call in ("post", "put"):
        response = getattr(CompatClient(client, raw), call)(person("a@b.example"))
        assert (response.status_code, response.json()) == (
            401,
            {"message": "Invalid or missing API key."},
        )
    assert CompatClient(client, raw).get("a@b.example").status_code == 401
    assert CompatClient(client, raw).delete("a@b.example").status_code == 401
    nothing_stored()


def test_a_wrong_method_answers_in_the_compat_shape(client, api_key):
    response = client.patch("/solutions/users", "{}", headers={"x-api-key": api_key})
    assert response.status_code == 405
    assert response.json() == {"message": PREFIX + "method PATCH not allowed"}


# --- errors about existing users -----------------------------------------------------------


@pytest.fixture
def member(partner):
    """An activated member of the partner."""
    return MembershipFactory(
        partner=partner,
        user=UserFactory(
            email="anna@acme-cargo.de", status=UserStatus.ACTIVATED, pending_reason=""
        ),
    ).user


def set_status(user, status, reason=""):
    User.objects.filter(pk=user.pk).update(status=status, pending_reason=reason)


def test_creating_a_member_again_says_it_already_exists(compat, member):
    response = compat.post(person("Anna@ACME-cargo.de", countryCode="DE"))
    assert response.status_code == 400
    assert response.json() == {"message": PREFIX + "User [anna@acme-cargo.de] already exist"}
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("status", "reason", "message"),
    [
        ("pending", "awaiting_support", "user not verified"),
        ("pending", "awaiting_details", "user not verified"),
        ("pending", "details_submitted", "user not verified"),
        (
            "disabled",
            "",
            "user account actually disabled, please contact support for additionnal details",
        ),
    ],
)
def test_no_token_for_an_account_that_is_not_activated(compat, member, status, reason, message):
    set_status(member, status, reason)
    response = compat.get("anna@acme-cargo.de")
    assert (response.status_code, response.json()) == (400, {"message": PREFIX + message})


def test_a_disabled_member_cannot_get_offices_added(compat, member):
    set_status(member, "disabled")
    response = compat.put(person("anna@acme-cargo.de", offices=[office()]))
    assert response.json() == {
        "error": PREFIX
        + "user account actually disabled, please contact support for additionnal details"
    }


@pytest.mark.parametrize("call", ["get", "put", "delete"])
@pytest.mark.parametrize("who", ["unknown", "another partner's"])
def test_an_unknown_user_and_another_partners_user_look_alike(compat, call, who):
    if who != "unknown":
        MembershipFactory(
            partner=PartnerFactory(name="Elsewhere"),
            user=UserFactory(email="anna@acme-cargo.de", status="activated", pending_reason=""),
        )
    if call == "put":
        response = compat.put(person("anna@acme-cargo.de", offices=[office()]))
    else:
        response = getattr(compat, call)("anna@acme-cargo.de")
    assert response.status_code == 400
    assert response.json() == {error_key(call): PREFIX + "user not found: anna@acme-cargo.de"}


def test_a_staff_account_is_unknown_to_partners(compat, db):
    UserFactory(email="support@example.com", is_staff=True, status="activated", pending_reason="")
    assert compat.get("support@example.com").json() == {
        "message": PREFIX + "user not found: support@example.com"
    }


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            "get",
            "User is not attached to your key, please use create user endpoint to link user "
            "with your key: anna@acme-cargo.de",
        ),
        (
            "put",
            "User is not attached to your key, please use create user endpoint to link user "
            "with your key: anna@acme-cargo.de",
        ),
        ("delete", "user does not belong to your provider: anna@acme-cargo.de"),
    ],
)
def test_a_user_this_partner_removed_earlier_is_named_as_detached(
    compat, partner, member, call, message
):
    MembershipFactory(user=member, partner=PartnerFactory(name="Elsewhere"))
    user_remove_from_partner(partner=partner, email=member.email, actor=_system())
    if call == "put":
        response = compat.put(person("anna@acme-cargo.de", offices=[office()]))
    else:
        response = getattr(compat, call)("anna@acme-cargo.de")
    assert (response.status_code, response.json()) == (400, {error_key(call): PREFIX + message})


@pytest.mark.parametrize("call", ["get", "delete"])
def test_an_email_query_parameter_is_required(compat, call):
    for value in (None, "", "  "):
        response = getattr(compat, call)(value)
        assert (response.status_code, response.json()) == (
            400,
            {"message": PREFIX + EMPTY_EMAIL},
        )


def test_a_put_needs_the_offices(compat, member):
    response = compat.put(person("anna@acme-cargo.de"))
    assert response.json() == {"error": PREFIX + "offices: cannot be blank."}


def test_a_query_email_with_control_characters_is_refused_not_crashed(compat):
    response = compat.get("anna\x00@acme-cargo.de")
    assert response.status_code == 400
    assert response.json() == {"message": PREFIX + "email: must be a well-formed email address."}


def _system():
    from provisioning.audit.records import Actor

    return Actor.system()
