"""`/scim/v2/` through HTTP, as an identity provider calls it: discovery, create through the
flows of DESIGN §4, lookups by filter, PUT, PATCH (Entra's path-less form included), DELETE,
the consent rule, isolation between partners, refusals in the SCIM error shape, and a bounded
number of statements per call."""

import json

import pytest

from provisioning.models import AuditEvent, Membership, User
from provisioning.models.audit import AuditAction
from provisioning.tests.conftest import CompatClient, allow_access
from provisioning.tests.factories import PartnerFactory, api_key_for

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CARGO = "urn:ietf:params:scim:schemas:extension:cargo:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
STATUS = f"{CARGO}:status,{CARGO}:pendingReason,userName,active"


class ScimClient:
    def __init__(self, client, key):
        self.client, self.key = client, key

    def _headers(self, **extra):
        return {"Authorization": f"Bearer {self.key}", **extra}

    def get(self, path, params=None, **headers):
        return self.client.get(f"/scim/v2/{path}", params or {}, headers=self._headers(**headers))

    def send(self, method, path, body, content_type="application/scim+json", **headers):
        data = json.dumps(body) if isinstance(body, dict | list) else body
        return self.client.generic(
            method,
            f"/scim/v2/{path}",
            data,
            content_type=content_type,
            headers=self._headers(**headers),
        )

    def create(self, body):
        return self.send("POST", "Users", body)

    def patch(self, ident, *operations, **headers):
        body = {"schemas": [PATCH_OP], "Operations": list(operations)}
        return self.send("PATCH", f"Users/{ident}", body, **headers)

    def delete(self, ident):
        return self.client.delete(f"/scim/v2/Users/{ident}", headers=self._headers())

    def find(self, email):
        return self.get("Users", {"filter": f'userName eq "{email}"'}).json()


def scim_user(email, *, country="DE", organization="ACME Cargo GmbH", **extra):
    return {
        "schemas": [CORE, ENTERPRISE, CARGO],
        "userName": email,
        "name": {"givenName": "Anna", "familyName": "Schmidt"},
        "emails": [{"value": email, "type": "work", "primary": True}],
        "active": True,
        ENTERPRISE: {"organization": organization},
        CARGO: {"country": country},
        **extra,
    }


@pytest.fixture
def scim(client, api_key):
    return ScimClient(client, api_key)


@pytest.fixture
def other_scim(client, db):
    _, raw = api_key_for(PartnerFactory(name="Other Vendor"))
    return ScimClient(client, raw)


def error_of(response, status, scim_type=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/scim+json"
    body = response.json()
    assert body["schemas"] == [ERROR] and body["status"] == str(status)
    if scim_type:
        assert body["scimType"] == scim_type, body
    return body


# --- Discovery ---------------------------------------------------------------------------------


def test_discovery_documents_describe_users_and_our_extension(scim):
    config = scim.get("ServiceProviderConfig")
    assert config.status_code == 200 and config["Content-Type"] == "application/scim+json"
    assert config.json()["patch"]["supported"] and config.json()["filter"]["supported"]
    types = scim.get("ResourceTypes").json()["Resources"]
    assert [t["endpoint"] for t in types] == ["/Users"]
    schemas = {s["id"]: s for s in scim.get("Schemas").json()["Resources"]}
    assert set(schemas) == {CORE, ENTERPRISE, CARGO}
    cargo = {a["name"]: a for a in schemas[CARGO]["attributes"]}
    assert cargo["status"]["mutability"] == "readOnly"
    assert cargo["offices"]["multiValued"]
    assert scim.get(f"Schemas/{CARGO}").json()["id"] == CARGO
    error_of(scim.get("Schemas/urn:nope"), 404)
    error_of(scim.get("Groups"), 404)


def test_a_wrong_key_is_refused_in_the_scim_shape(client, db):
    error_of(ScimClient(client, "nope").get("Users"), 401)
    assert client.get("/scim/v2/Users")["WWW-Authenticate"].startswith("Bearer")


def test_the_v1_openapi_has_no_scim_paths(client):
    paths = client.get("/api/v1/schema/", headers={"Accept": "application/json"}).json()["paths"]
    assert not [path for path in paths if "scim" in path.lower()]


# --- Create ------------------------------------------------------------------------------------


def test_create_in_the_directory_activates_with_the_matching_office(scim, directory):
    response = scim.create(scim_user("Jonas.Weber@ACME-cargo.de", externalId="okta-1"))
    assert response.status_code == 201, response.content
    assert response["Content-Type"] == "application/scim+json"
    body = response.json()
    assert response["Location"].endswith(f"/scim/v2/Users/{body['id']}")
    assert response["ETag"] == body["meta"]["version"]
    assert body["userName"] == "jonas.weber@acme-cargo.de"
    assert body["emails"] == [
        {"value": "jonas.weber@acme-cargo.de", "type": "work", "primary": True}
    ]
    assert body["externalId"] == "okta-1" and body["active"] is True
    assert body[CARGO]["offices"] == [{"country": "DE", "airportCode": "HAM"}]
    membership = Membership.objects.get(pk=body["id"])
    assert membership.user.status == "activated" and membership.external_id == "okta-1"
    shown = scim.get(f"Users/{body['id']}", {"attributes": STATUS}).json()
    assert shown[CARGO] == {"status": "activated"}


def test_create_without_cass_waits_for_details_and_emails_the_completion_link(scim, db):
    body = scim.create(scim_user("ops@new-forwarder.fr", country="FR")).json()
    user = User.objects.get(email="ops@new-forwarder.fr")
    assert (user.status, user.pending_reason) == ("pending", "awaiting_details")
    assert AuditEvent.objects.filter(user=user, action=AuditAction.USER_CREATED).exists()
    shown = scim.get(f"Users/{body['id']}", {"attributes": STATUS}).json()
    assert shown[CARGO] == {"status": "pending", "pendingReason": "awaiting_details"}


def test_create_with_cass_data_goes_to_support(scim, db):
    office = {"country": "FR", "airportCode": "CDG", "iataCode": "2012345", "cassCode": "0011"}
    body = scim.create(scim_user("ops@fr-cargo.fr", country="FR", **{CARGO: {"offices": [office]}}))
    assert body.status_code == 201, body.content
    user = User.objects.get(email="ops@fr-cargo.fr")
    assert (user.status, user.pending_reason) == ("pending", "awaiting_support")


def test_create_refusals_name_the_scim_attribute(scim, db):
    long_name = scim_user("a@forwarder-one.de", name={"givenName": "A" * 46, "familyName": "B"})
    assert "name.givenName" in error_of(scim.create(long_name), 400, "invalidValue")["detail"]
    no_org = scim_user("b@forwarder-one.de")
    del no_org[ENTERPRISE]
    error_of(scim.create(no_org), 400)
    error_of(scim.create(scim_user("not-an-email")), 400, "invalidValue")
    error_of(scim.create(scim_user("c@forwarder-one.de", country="XX")), 400, "invalidValue")
    error_of(scim.create(scim_user("d@mailinator.com")), 400, "invalidValue")
    assert not User.objects.exists()


def test_creating_a_member_twice_is_a_uniqueness_error(scim, db):
    scim.create(scim_user("e@forwarder-one.de"))
    error_of(scim.create(scim_user("E@forwarder-one.de")), 409, "uniqueness")
    scim.create(scim_user("f@forwarder-one.de", externalId="same"))
    error_of(scim.create(scim_user("g@forwarder-one.de", externalId="same")), 409, "uniqueness")
    assert not User.objects.filter(email="g@forwarder-one.de").exists()


# --- Consent and isolation ---------------------------------------------------------------------


def test_another_partners_user_is_asked_for_and_shows_only_what_we_sent(scim, other_scim, db):
    theirs = other_scim.create(scim_user("h@forwarder-one.de", organization="Theirs Ltd")).json()
    error_of(scim.get(f"Users/{theirs['id']}"), 404)
    assert scim.find("h@forwarder-one.de")["totalResults"] == 0

    ours = scim.create(scim_user("h@forwarder-one.de", organization="Ours GmbH"))
    assert ours.status_code == 201, ours.content
    body = ours.json()
    assert body["id"].startswith("r") and body[ENTERPRISE] == {"organization": "Ours GmbH"}
    assert "externalId" not in body
    shown = scim.get(f"Users/{body['id']}", {"attributes": STATUS}).json()
    assert shown[CARGO] == {"status": "pending"}
    assert scim.find("h@forwarder-one.de")["Resources"][0]["id"] == body["id"]

    allow_access()
    allowed = scim.get(f"Users/{body['id']}").json()
    assert allowed["id"].isdigit() and allowed["active"] is True
    assert scim.find("h@forwarder-one.de")["Resources"][0]["id"] == allowed["id"]


def test_a_staff_login_is_answered_like_a_pending_new_account(scim, db):
    User.objects.create_superuser("root@backoffice-staff.de", "pw", status="activated")
    body = scim.create(scim_user("root@backoffice-staff.de")).json()
    assert body["id"].startswith("r") and body["active"] is True
    assert scim.delete(body["id"]).status_code == 204
    error_of(scim.get(f"Users/{body['id']}"), 404)


def test_no_call_reaches_another_partners_user(scim, other_scim, db):
    theirs = other_scim.create(scim_user("i@forwarder-one.de")).json()
    ident = theirs["id"]
    error_of(scim.patch(ident, {"op": "replace", "path": "active", "value": False}), 404)
    error_of(scim.send("PUT", f"Users/{ident}", scim_user("i@forwarder-one.de")), 404)
    error_of(scim.delete(ident), 404)
    assert Membership.objects.get(pk=ident).removed_at is None


# --- Read, list, filter ------------------------------------------------------------------------


def test_filters_and_paging(scim, db):
    for n in range(5):
        scim.create(scim_user(f"p{n}@forwarder-one.de", externalId=f"x{n}"))
    page = scim.get("Users", {"startIndex": 2, "count": 2}).json()
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (5, 2, 2)
    assert [r["userName"] for r in page["Resources"]] == [
        "p1@forwarder-one.de",
        "p2@forwarder-one.de",
    ]

    def names(text):
        response = scim.get("Users", {"filter": text})
        assert response.status_code == 200, response.content
        return [r["userName"] for r in response.json()["Resources"]]

    assert names('userName eq "P3@Forwarder-One.de"') == ["p3@forwarder-one.de"]
    assert names('emails.value eq "p1@forwarder-one.de"') == ["p1@forwarder-one.de"]
    assert names('emails[type eq "work" and value eq "p2@forwarder-one.de"]') == [
        "p2@forwarder-one.de"
    ]
    assert names('externalId eq "x4" and active eq true') == ["p4@forwarder-one.de"]
    assert names("active eq false") == []
    search = scim.send("POST", "Users/.search", {"filter": 'externalId eq "x0"', "count": 1})
    assert search.json()["Resources"][0]["userName"] == "p0@forwarder-one.de"
    only = scim.get("Users", {"attributes": "userName", "count": 1}).json()["Resources"][0]
    assert set(only) == {"schemas", "id", "userName"}


@pytest.mark.parametrize(
    "text",
    ['userName co "p"', 'title eq "x"', "userName eq", "((", 'userName eq "\x00"', "a" * 2000],
)
def test_bad_filters_are_invalid_filter(scim, db, text):
    error_of(scim.get("Users", {"filter": text}), 400, "invalidFilter")


def test_list_get_and_create_cost_a_bounded_number_of_statements(
    scim, directory, django_assert_max_num_queries
):
    for n in range(3):
        scim.create(scim_user(f"q{n}@acme-cargo.de"))
    with django_assert_max_num_queries(8):
        assert scim.get("Users", {"count": 50}).json()["totalResults"] == 3
    ident = Membership.objects.first().pk
    with django_assert_max_num_queries(6):
        assert scim.get(f"Users/{ident}").status_code == 200
    with django_assert_max_num_queries(40):
        assert scim.create(scim_user("q9@acme-cargo.de")).status_code == 201
    with django_assert_max_num_queries(25):
        patched = scim.patch(ident, {"op": "replace", "path": "name.givenName", "value": "Q"})
        assert patched.status_code == 200


# --- Replace, patch, delete --------------------------------------------------------------------


def test_put_renames_adds_offices_and_keeps_the_email(scim, directory):
    body = scim.create(scim_user("r@acme-cargo.de")).json()
    replaced = scim_user(
        "r@acme-cargo.de", externalId="new-id", name={"givenName": "Rita", "familyName": "Roe"}
    )
    replaced[CARGO]["offices"] = [{"country": "DE", "airportCode": "FRA"}]
    answer = scim.send("PUT", f"Users/{body['id']}", replaced)
    assert answer.status_code == 200, answer.content
    shown = answer.json()
    assert shown["name"] == {"givenName": "Rita", "familyName": "Roe"}
    assert shown["externalId"] == "new-id"
    assert {o["airportCode"] for o in shown[CARGO]["offices"]} == {"HAM", "FRA"}
    moved = scim_user("other@acme-cargo.de")
    error_of(scim.send("PUT", f"Users/{body['id']}", moved), 400, "mutability")


def test_patch_checks_the_etag_when_asked(scim, db):
    body = scim.create(scim_user("s@forwarder-one.de")).json()
    op = {"op": "replace", "path": "externalId", "value": "e"}
    error_of(scim.patch(body["id"], op, **{"If-Match": 'W/"stale"'}), 412)
    assert scim.patch(body["id"], op, **{"If-Match": body["meta"]["version"]}).status_code == 200


def test_patch_refusals(scim, db):
    ident = scim.create(scim_user("t@forwarder-one.de")).json()["id"]
    error_of(
        scim.patch(ident, {"op": "replace", "path": "userName", "value": "u@x.de"}),
        400,
        "mutability",
    )
    error_of(
        scim.patch(ident, {"op": "jump", "path": "active", "value": True}), 400, "invalidValue"
    )
    error_of(scim.patch(ident, {"op": "remove"}), 400)
    error_of(scim.patch(ident, {"op": "replace", "path": "name.givenName", "value": "\ud800"}), 400)
    error_of(scim.send("PATCH", f"Users/{ident}", {"Operations": "nope"}), 400)
    emails = {"op": "replace", "path": 'emails[type eq "work"].value', "value": "z@z.de"}
    assert scim.patch(ident, emails).json()["userName"] == "t@forwarder-one.de"


def test_delete_removes_the_partners_membership_only(scim, other_scim, db):
    ident = scim.create(scim_user("v@forwarder-one.de")).json()["id"]
    other_scim.create(scim_user("v@forwarder-one.de"))
    allow_access()
    assert scim.delete(ident).status_code == 204
    error_of(scim.get(f"Users/{ident}"), 404)
    error_of(scim.delete(ident), 404)
    user = User.objects.get(email="v@forwarder-one.de")
    assert user.status != "deleted" and user.memberships.count() == 1


# --- An identity provider's day ----------------------------------------------------------------


def test_an_identity_providers_sequence(client, scim, api_key, directory):
    """create → filter by userName → PATCH name → PATCH active=false (Entra's path-less form)
    → the partner's login token is refused → PATCH active=true."""
    compat = CompatClient(client, api_key)
    created = scim.create(scim_user("anna@acme-cargo.de", externalId="entra-7"))
    assert created.status_code == 201
    found = scim.find("anna@acme-cargo.de")
    assert found["totalResults"] == 1
    ident = found["Resources"][0]["id"]

    renamed = scim.patch(
        ident,
        {"op": "Replace", "path": "name.givenName", "value": "Anne"},
        {"op": "Replace", "path": "name.familyName", "value": "Schmitt"},
    )
    assert renamed.json()["name"] == {"givenName": "Anne", "familyName": "Schmitt"}
    assert User.objects.get(email="anna@acme-cargo.de").first_name == "Anne"
    assert AuditEvent.objects.filter(action=AuditAction.USER_RENAMED).count() == 1
    assert compat.get("anna@acme-cargo.de").status_code == 200

    disabled = scim.patch(ident, {"op": "Replace", "value": {"active": False}})
    assert disabled.status_code == 200 and disabled.json()["active"] is False
    refused = compat.get("anna@acme-cargo.de")
    assert refused.status_code == 400 and "not attached" in refused.json()["message"]
    assert scim.get("Users", {"filter": "active eq false"}).json()["totalResults"] == 1

    enabled = scim.patch(ident, {"op": "replace", "path": "active", "value": "True"})
    assert enabled.status_code == 200 and enabled.json()["active"] is True
    assert enabled.json()["id"] == ident and enabled.json()["externalId"] == "entra-7"
    assert compat.get("anna@acme-cargo.de").json()["status"] == "Activated"


def test_an_account_others_have_is_asked_for_again_after_active_false(scim, other_scim, db):
    ident = scim.create(scim_user("w@forwarder-one.de")).json()["id"]
    other_scim.create(scim_user("w@forwarder-one.de"))
    allow_access()
    scim.patch(ident, {"op": "replace", "path": "active", "value": False})
    again = scim.patch(ident, {"op": "replace", "path": "active", "value": True}).json()
    assert again["id"] == ident and again["active"] is True
    shown = scim.get(f"Users/{ident}", {"attributes": STATUS}).json()
    assert shown[CARGO] == {"status": "pending"}
    assert Membership.objects.get(pk=ident).removed_at is not None  # until the forwarder allows


# --- Bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b"[]",
        b'{"userName": "\\ud800@x.de"}',
        b'{"userName": "a\\u0000@x.de"}',
        b"[" * 100_000 + b"]" * 100_000,
        b"\xff\xfe",
    ],
)
def test_bad_bodies_are_4xx_never_5xx(scim, db, raw):
    response = scim.send("POST", "Users", raw)
    assert 400 <= response.status_code < 500, response.content
    assert response.json()["schemas"] == [ERROR]


def test_a_huge_body_is_refused(scim, db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = scim_user("x@forwarder-one.de", externalId="x" * 5000)
    error_of(scim.create(body), 413)


def test_other_content_types_are_refused(scim, db):
    error_of(
        scim.send("POST", "Users", "userName=x", content_type="text/plain"), 400, "invalidSyntax"
    )
    ok = scim.send(
        "POST", "Users", scim_user("y@forwarder-one.de"), content_type="application/json"
    )
    assert ok.status_code == 201


def test_a_filter_finds_an_address_in_any_spelling_of_its_domain(scim, db):
    scim.create(scim_user("ida@bücher.de"))
    for spelling in ("ida@bücher.de", "IDA@xn--bcher-kva.de", "Ida@BÜCHER.de"):
        page = scim.get("Users", {"filter": f'userName eq "{spelling}"'}).json()
        assert [r["userName"] for r in page["Resources"]] == ["ida@xn--bcher-kva.de"], spelling
