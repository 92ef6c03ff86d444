"""/api/v1/users: create, read, list, add offices, delete and login tokens, through HTTP."""

import pytest

from provisioning.models import ApiKey, Membership, User, UserStatus
from provisioning.partner_api.keys import api_key_revoke
from provisioning.tests.conftest import allow_access, person
from provisioning.tests.factories import (
    CompanyFactory,
    MembershipFactory,
    OfficeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def office(country: str, airport: str = "", **codes) -> dict:
    return {"countryCode": country, **({"officeAirportCode": airport} if airport else {}), **codes}


@pytest.fixture
def anna(v1, directory) -> dict:
    """An activated user of the partner (flow 1, Hamburg)."""
    response = v1.post("users", person("anna@acme-cargo.de", countryCode="DE"))
    assert response.status_code == 201, response.content
    return response.json()


# --- Keys ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "Bearer nope.nope", "Basic abc", "Bearer "])
def test_a_missing_or_wrong_key_is_refused_with_401_without_saying_which(client, db, header):
    headers = {"Authorization": header} if header is not None else {}
    response = client.get("/api/v1/users", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"message": "Invalid or missing API key."}
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_key_is_refused_like_a_wrong_one(v1, api_key):
    api_key_revoke(key=ApiKey.objects.get(prefix=api_key.split(".")[0]))
    response = v1.get("users")
    assert response.status_code == 401
    assert response.json() == {"message": "Invalid or missing API key."}


def test_the_compat_key_header_does_not_open_the_native_surface(client, api_key):
    assert client.get("/api/v1/users", headers={"x-api-key": api_key}).status_code == 401


# --- Create -------------------------------------------------------------------------------------


def test_a_user_in_the_cass_directory_is_created_activated_with_201_and_its_location(v1, directory):
    response = v1.post("users", person("Jonas.Weber@ACME-cargo.de", offices=[office("DE", "FRA")]))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "jonas.weber@acme-cargo.de"
    assert (body["status"], body["pendingReason"]) == ("activated", None)
    assert body["company"] == {
        "id": directory.acme.pk,
        "name": "ACME Cargo GmbH",
        "countryCode": "DE",
    }
    assert [o["officeAirportCode"] for o in body["offices"]] == ["FRA"]
    assert body["completionLink"] is None
    assert response["Location"] == f"/api/v1/users/{body['id']}"
    assert response["Cache-Control"] == "no-store"


def test_a_user_without_cass_data_is_pending_with_the_completion_link(v1, db):
    response = v1.post("users", person("raj@indigo-cargo.in", countryCode="IN"))
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["pendingReason"]) == ("pending", "awaiting_details")
    assert body["company"] is None
    assert "/complete/" in body["completionLink"]


def test_creating_a_user_who_is_already_yours_answers_409(v1, anna):
    response = v1.post("users", person("ANNA@acme-cargo.de", countryCode="DE"))
    assert response.status_code == 409
    assert response.json() == {"message": "anna@acme-cargo.de is already a user of yours."}
    assert User.objects.filter(email__iexact="anna@acme-cargo.de").count() == 1


def test_creating_another_partners_user_shows_only_what_was_sent_until_allowed(
    v1, other_v1, directory
):
    first = other_v1.post("users", person("anna@acme-cargo.de", countryCode="DE")).json()
    response = v1.post("users", person("anna@acme-cargo.de", firstName="Ann", countryCode="DE"))
    assert response.status_code == 201
    asked = response.json()
    assert (asked["status"], asked["company"], asked["offices"]) == ("pending", None, [])
    assert asked["firstName"] == "Ann"  # what this partner sent, not the account's "Anna"
    assert v1.get("users/anna@acme-cargo.de").json() == {
        k: v for k, v in asked.items() if k != "completionLink"
    }
    assert v1.post("users/anna@acme-cargo.de/login-token").status_code == 409
    assert Membership.objects.filter(user_id=first["id"], removed_at__isnull=True).count() == 1
    allow_access()
    assert v1.get("users/anna@acme-cargo.de").json()["company"]["name"] == "ACME Cargo GmbH"


def test_invalid_fields_answer_422_naming_every_field_and_store_nothing(v1, db):
    response = v1.post(
        "users",
        {
            "firstName": "x" * 46,
            "lastName": 42,
            "email": "not-an-email",
            "companyName": "   ",
            "countryCode": "de",
            "offices": [{"countryCode": "DE", "iataCode": "12345"}],
        },
    )
    assert response.status_code == 422
    body = response.json()
    assert body["message"] == "The request has invalid fields."
    assert set(body["errors"]) == {
        "firstName",
        "lastName",
        "email",
        "companyName",
        "countryCode",
        "offices[0].iataCode",
    }
    assert all(isinstance(m, list) and m for m in body["errors"].values())
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            person("a@acme-cargo.de", offices=[office("DE", "JFK")]),
            "offices[0].officeAirportCode",
            "airport JFK is not in DE",
        ),
        (
            person("a@acme-cargo.de", offices=[office("DE", "HAM", iataCode="2347001")]),
            "offices[0].cassCode",
            "cannot be blank when iataCode is given",
        ),
        (person("a@acme-cargo.de"), "countryCode", "cannot be blank"),
        (person("a@mailinator.com", countryCode="DE"), "email", "disposable"),
    ],
)
def test_rules_beyond_the_schema_answer_422_too(v1, db, body, field, message):
    response = v1.post("users", body)
    assert response.status_code == 422, response.content
    assert message in " ".join(response.json()["errors"][field])
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("body", "status"),
    [("{not json", 400), ("[1, 2]", 422), ("", 422)],
)
def test_a_body_that_is_not_a_json_object_is_refused(v1, db, body, status):
    response = v1.post("users", body)
    assert response.status_code == status
    assert "message" in response.json()


def test_a_body_that_is_not_json_at_all_answers_415(v1, db):
    response = v1.client.post(
        "/api/v1/users", "a=b", content_type="text/plain", headers=v1.headers()
    )
    assert response.status_code == 415


# --- Retrieve, delete ------------------------------------------------------------------------


def test_a_user_is_found_by_id_and_by_email_in_any_letter_case(v1, anna):
    by_id = v1.get(f"users/{anna['id']}")
    by_email = v1.get("users/Anna@ACME-Cargo.de")
    assert by_id.status_code == by_email.status_code == 200
    assert by_id.json() == by_email.json()
    assert by_id.json()["email"] == "anna@acme-cargo.de"


@pytest.mark.parametrize("ref", ["999999", "nobody@example.com", "abc", "0", "9" * 30])
def test_an_unknown_user_answers_404(v1, db, ref):
    response = v1.get(f"users/{ref}")
    assert response.status_code == 404
    assert response.json() == {"message": "No such user."}


def test_another_partners_user_looks_exactly_like_an_unknown_one(v1, other_v1, directory):
    theirs = other_v1.post("users", person("lena@acme-cargo.de", countryCode="DE")).json()
    for ref in (str(theirs["id"]), "lena@acme-cargo.de"):
        unknown = [
            v1.get("users/nobody@acme-cargo.de"),
            v1.delete("users/nobody@acme-cargo.de"),
            v1.post("users/nobody@acme-cargo.de/offices", {"offices": [office("US", "JFK")]}),
            v1.post("users/nobody@acme-cargo.de/login-token"),
        ]
        known = [
            v1.get(f"users/{ref}"),
            v1.delete(f"users/{ref}"),
            v1.post(f"users/{ref}/offices", {"offices": [office("US", "JFK")]}),
            v1.post(f"users/{ref}/login-token"),
        ]
        assert [(r.status_code, r.json()) for r in known] == [
            (r.status_code, r.json()) for r in unknown
        ]
        assert {r.status_code for r in known} == {404}
    assert v1.get("users").json()["results"] == []
    assert User.objects.get(pk=theirs["id"]).status == UserStatus.ACTIVATED


def test_deleting_a_user_answers_204_and_the_user_is_gone_for_the_partner(v1, anna):
    response = v1.delete(f"users/{anna['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert v1.get(f"users/{anna['id']}").status_code == 404
    assert v1.delete(f"users/{anna['id']}").status_code == 404
    assert User.objects.get(pk=anna["id"]).status == UserStatus.DELETED


# --- Offices, login token ---------------------------------------------------------------------


def test_adding_a_matching_office_activates_a_pending_user(v1, directory):
    created = v1.post("users", person("lena@acme-cargo.de", countryCode="FR")).json()
    assert created["status"] == "pending"
    response = v1.post(f"users/{created['id']}/offices", {"offices": [office("US", "JFK")]})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "activated"
    assert [o["officeAirportCode"] for o in body["offices"]] == ["JFK"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "offices"),
        ({"offices": []}, "offices"),
        ({"offices": [{"countryCode": "XX"}]}, "offices[0].countryCode"),
        ({"offices": [office("US", "HAM")]}, "offices[0].officeAirportCode"),
    ],
)
def test_invalid_offices_answer_422(v1, anna, body, field):
    response = v1.post(f"users/{anna['id']}/offices", body)
    assert response.status_code == 422
    assert field in response.json()["errors"]


def test_a_login_token_is_issued_for_an_activated_user(v1, anna, settings):
    response = v1.post(f"users/{anna['email']}/login-token")
    assert response.status_code == 201
    body = response.json()
    assert body["link"] == f"{settings.PORTAL_URL}?auth={body['token']}"
    assert len(body["token"]) >= 32
    assert body["expiresAt"]
    assert response["Cache-Control"] == "no-store"


def test_a_login_token_for_a_pending_or_disabled_user_answers_409(v1, partner):
    pending = MembershipFactory(partner=partner).user
    disabled = MembershipFactory(
        partner=partner, user=UserFactory(status=UserStatus.DISABLED, pending_reason="")
    ).user
    for user, text in ((pending, "pending"), (disabled, "disabled")):
        response = v1.post(f"users/{user.pk}/login-token")
        assert response.status_code == 409
        assert text in response.json()["message"]


# --- List ---------------------------------------------------------------------------------------


@pytest.fixture
def roster(partner):
    """Users of the partner in each status, one removed, and one of another partner."""
    acme = CompanyFactory(legal_name="ACME Cargo GmbH", country="DE")
    tulip = CompanyFactory(legal_name="Tulip Freight BV", country="NL")
    users = {
        "active": UserFactory(
            email="anna@acme.example", company=acme, status="activated", pending_reason=""
        ),
        "support": UserFactory(email="bert@tulip.example", company=tulip),
        "details": UserFactory(
            email="cem@indigo.example",
            pending_reason="awaiting_details",
            request_data={"countryCode": "IN"},
        ),
        "disabled": UserFactory(
            email="dora@acme.example", company=acme, status="disabled", pending_reason=""
        ),
    }
    for user in users.values():
        MembershipFactory(user=user, partner=partner)
    removed = MembershipFactory(partner=partner, user=UserFactory(email="eve@acme.example"))
    Membership.objects.filter(pk=removed.pk).update(removed_at="2026-01-01T00:00Z")
    MembershipFactory(user=UserFactory(email="fritz@acme.example", company=acme))
    return users


def emails(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(user["email"] for user in response.json()["results"])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {},
            ["anna@acme.example", "bert@tulip.example", "cem@indigo.example", "dora@acme.example"],
        ),
        ({"status": "activated"}, ["anna@acme.example"]),
        ({"status": "pending"}, ["bert@tulip.example", "cem@indigo.example"]),
        ({"pending_reason": "awaiting_details"}, ["cem@indigo.example"]),
        ({"country": "de"}, ["anna@acme.example", "dora@acme.example"]),
        ({"country": "IN"}, ["cem@indigo.example"]),
        ({"company_name": "tulip"}, ["bert@tulip.example"]),
        ({"email": "ACME"}, ["anna@acme.example", "dora@acme.example"]),
        ({"created_after": "2999-01-01T00:00:00Z"}, []),
        ({"created_before": "2999-01-01T00:00:00Z", "status": "disabled"}, ["dora@acme.example"]),
    ],
)
def test_the_list_shows_only_current_members_and_filters(v1, roster, params, expected):
    assert emails(v1.get("users", params)) == expected


def test_the_list_filters_by_company_id(v1, roster):
    company = roster["support"].company_id
    assert emails(v1.get("users", {"company": company})) == ["bert@tulip.example"]


@pytest.mark.parametrize(
    "params",
    [
        {"status": "gone"},
        {"pending_reason": "x"},
        {"created_after": "yesterday"},
        {"ordering": "password"},
        {"page_size": "0"},
        {"page_size": "201"},
        {"page_size": "ten"},
        {"country": "DEU"},
        {"company": "abc"},
    ],
)
def test_a_parameter_that_cannot_be_used_answers_422_naming_it(v1, roster, params):
    response = v1.get("users", params)
    assert response.status_code == 422
    assert set(response.json()["errors"]) == set(params)


def test_the_list_pages_by_cursor_in_the_requested_order(v1, roster):
    seen = []
    response = v1.get("users", {"page_size": 3, "ordering": "email"})
    while True:
        body = response.json()
        seen += [user["email"] for user in body["results"]]
        if not body["next"]:
            break
        response = v1.client.get(body["next"], headers=v1.headers())
    assert seen == sorted(u.email for u in roster.values())
    backwards = v1.get("users", {"ordering": "-email"}).json()["results"]
    assert [u["email"] for u in backwards] == sorted(seen, reverse=True)


def test_an_invalid_cursor_answers_404(v1, roster):
    response = v1.get("users", {"cursor": "garbage"})
    assert response.status_code == 404
    assert response.json() == {"message": "Invalid cursor."}


def test_the_list_costs_the_same_few_queries_whatever_the_page_size(
    v1, partner, django_assert_max_num_queries
):
    company = CompanyFactory()
    OfficeFactory(company=company, airport_code="HAM")
    OfficeFactory(company=company, airport_code="FRA")
    for _ in range(60):
        user = UserFactory(company=company)
        user.offices.add(*company.offices.all())
        MembershipFactory(user=user, partner=partner)
    v1.get("users")  # the key's last_used_at is written once a minute, not per request
    # key lookup, rate-limit counter, one page of users with companies, their offices
    with django_assert_max_num_queries(4) as queries:
        response = v1.get("users", {"page_size": 50})
    assert len(response.json()["results"]) == 50
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)


@pytest.mark.parametrize(
    "moment",
    ["0061-05-03T00:34:54+22:11", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:60-23:59"],
)
def test_any_rfc3339_moment_filters_without_error(v1, roster, moment):
    assert v1.get("users", {"created_after": moment}).status_code == 200
    assert v1.get("users", {"created_before": moment}).status_code == 200
