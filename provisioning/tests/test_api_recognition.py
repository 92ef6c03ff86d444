import pytest
from django.utils import timezone

from provisioning.tests.factories import (
    MembershipFactory,
    OfficeFactory,
    PartnerFactory,
    UserFactory,
    api_key_for,
)
from recognition.models import Airline
from recognition.tests.factories import (
    AirlineCassConfigurationFactory,
    AirlineCustomerIdFactory,
    AirlineFactory,
    CassRegistrationFactory,
    ColoaderCoverageFactory,
    airline,
)

pytestmark = pytest.mark.django_db

PORTAL = "https://portal.example/login"


@pytest.fixture(autouse=True)
def _portal(settings):
    settings.PORTAL_URL = PORTAL


@pytest.fixture
def partner():
    return PartnerFactory(name="Freight Soft")


@pytest.fixture
def auth(partner):
    _key, raw_key = api_key_for(partner)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw_key}"}


@pytest.fixture
def hamburg():
    """ACME's Hamburg office: CASS known to Emirates, a Lufthansa customer ID missing."""
    office = OfficeFactory(company__legal_name="ACME Cargo GmbH", airport_code="HAM")
    registration = CassRegistrationFactory(office=office)
    for code in ("EK", "LH", "WS"):
        AirlineCassConfigurationFactory(registration=registration, airline=airline(code))
    AirlineCustomerIdFactory(company=office.company, airline=airline("AA"))
    ColoaderCoverageFactory(origin_country="DE")
    return office


@pytest.fixture
def member(partner, hamburg):
    user = UserFactory(email="anna@acme-cargo.de", company=hamburg.company)
    user.offices.add(hamburg)
    MembershipFactory(user=user, partner=partner)
    return user


def url(reference) -> str:
    return f"/api/v1/users/{reference}/recognition"


def get(client, auth, reference, **params):
    return client.get(url(reference), params, **auth)


def by_airline(response) -> dict:
    return {answer["airline"]: answer for answer in response.json()["airlines"]}


def test_a_partner_gets_each_airline_answer_for_its_member(client, auth, member):
    response = get(client, auth, member.email, origin="FRA", destination="JFK")

    assert response.status_code == 200
    body = response.json()
    assert body["user"] == {"id": member.pk, "email": member.email, "status": member.status}
    assert body["office"]["name"] == "ACME Cargo GmbH Hamburg"
    assert body["search"] == {
        "origin": "FRA",
        "originCountry": "DE",
        "destination": "JFK",
        "destinationCountry": "US",
        "type": "export",
    }
    assert body["flywindowLink"] == f"{PORTAL}?flywindow=1&origin=FRA&destination=JFK"
    answers = by_airline(response)
    assert answers["EK"] == {
        "airline": "EK",
        "airlineName": "Emirates SkyCargo",
        "channel": "airline_direct",
        "liveRates": True,
        "bookableViaApi": True,
        "flywindowLink": None,
        "reasons": ["Emirates SkyCargo has the CASS registration of ACME Cargo GmbH Hamburg "
                    "configured."],
    }  # fmt: skip
    assert answers["AA"]["channel"] == "airline_direct"
    assert answers["LH"]["channel"] == "coloader"
    assert answers["LH"]["reasons"][0] == (
        "Lufthansa Cargo requires a customer ID; none is registered for ACME Cargo GmbH Hamburg."
    )
    assert answers["LH"]["bookableViaApi"] is False
    assert answers["LH"]["flywindowLink"].endswith("&airline=LH")


def test_an_import_search_gets_coloader_or_nothing(client, auth, member):
    answers = by_airline(get(client, auth, member.pk, origin="US", destination="HAM"))

    assert {answer["channel"] for answer in answers.values()} == {"unavailable"}
    assert answers["EK"]["reasons"][0].startswith("An import into Germany")


def test_one_airline_can_be_asked_for_in_any_letter_case(client, auth, member):
    response = get(client, auth, member.pk, origin="fra", destination="jfk", airline="ek")

    assert response.status_code == 200
    assert list(by_airline(response)) == ["EK"]


def test_the_answer_for_thirty_airlines_costs_a_constant_number_of_queries(
    client, auth, member, django_assert_num_queries
):
    get(client, auth, member.pk, origin="FRA", destination="JFK")  # the key's last use is noted
    with django_assert_num_queries(9) as one_airline:
        get(client, auth, member.pk, origin="FRA", destination="JFK", airline="EK")
    for _ in range(30 - Airline.objects.count()):
        AirlineCassConfigurationFactory(
            registration=member.offices.get().cass_registrations.get(), airline=AirlineFactory()
        )
    assert Airline.objects.count() == 30

    with django_assert_num_queries(len(one_airline)):
        response = get(client, auth, member.pk, origin="FRA", destination="JFK")

    assert len(response.json()["airlines"]) == 30


def test_a_user_without_offices_is_answered_with_coloader_offers_at_best(client, auth, partner):
    user = MembershipFactory(partner=partner).user
    ColoaderCoverageFactory(origin_country="DE")

    body = get(client, auth, user.pk, origin="DE", destination="US").json()

    assert body["office"] is None
    assert body["search"]["type"] is None
    assert {answer["channel"] for answer in body["airlines"]} == {"coloader"}


def test_the_office_in_the_origin_country_answers_for_a_user_with_several(client, auth, member):
    new_york = OfficeFactory(company=member.company, country="US", airport_code="JFK")
    member.offices.add(new_york)

    body = get(client, auth, member.pk, origin="EWR", destination="FRA").json()

    assert body["office"]["airportCode"] == "JFK"
    assert body["search"]["type"] == "export"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_AUTHORIZATION": "Bearer nope.nope"},
        {"HTTP_AUTHORIZATION": "Token x"},
    ],
)
def test_a_request_without_a_valid_key_is_refused(client, member, headers):
    response = client.get(url(member.pk), {"origin": "FRA", "destination": "JFK"}, **headers)

    assert response.status_code == 401
    assert response.json() == {"message": "Invalid or missing API key."}


def test_a_revoked_key_is_refused(client, partner, member):
    key, raw_key = api_key_for(partner)
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])

    response = client.get(
        url(member.pk), {"origin": "FRA", "destination": "JFK"},
        HTTP_AUTHORIZATION=f"Bearer {raw_key}",
    )  # fmt: skip

    assert response.status_code == 401


def test_another_partners_user_looks_exactly_like_an_unknown_one(client, auth, member):
    stranger = MembershipFactory(user__email="zoe@elsewhere.example").user
    removed = MembershipFactory(partner=member.memberships.get().partner, removed_at=timezone.now())

    answers = [
        get(client, auth, reference, origin="FRA", destination="JFK")
        for reference in (
            stranger.pk,
            stranger.email,
            removed.user.email,
            "nobody@nowhere.example",
            999999,
            "99999999999999999999999",
            "not-an-id",
        )
    ]

    assert {(r.status_code, r.content) for r in answers} == {(404, b'{"message":"No such user."}')}


def test_a_member_is_found_by_email_in_any_letter_case(client, auth, member):
    assert (
        get(client, auth, "Anna@ACME-Cargo.de", origin="FRA", destination="JFK").status_code == 200
    )


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        (
            {},
            {"origin": ["This field is required."], "destination": ["This field is required."]},
        ),
        (
            {"origin": "ZZZ", "destination": "JFK"},
            {"origin": ["ZZZ is neither a known IATA airport code nor an ISO country code."]},
        ),
        (
            {"origin": "FRA", "destination": "Frankfurt"},
            {
                "destination": [
                    "Frankfurt is neither a known IATA airport code nor an ISO country code."
                ]
            },
        ),
        (
            {"origin": "FRA", "destination": "JFK", "airline": "Lufthansa"},
            {"airline": ["Enter a 2-character IATA airline code such as LH."]},
        ),
        (
            {"origin": "FRA", "destination": "JFK", "airline": "ZZ"},
            {"airline": ["ZZ is not an airline we know."]},
        ),
    ],
)
def test_bad_search_parameters_are_named_field_by_field(client, auth, member, params, errors):
    response = get(client, auth, member.pk, **params)

    assert response.status_code == 422
    assert response.json() == {"message": "The request has invalid fields.", "errors": errors}


def test_the_endpoint_is_described_in_the_openapi_schema():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)

    operation = schema["paths"]["/api/v1/users/{user_ref}/recognition"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {
        "user_ref",
        "origin",
        "destination",
        "airline",
    }
    assert operation["security"] == [{"bearerKey": []}]
    assert set(operation["responses"]) == {"200", "401", "404", "405", "406", "422", "429"}
