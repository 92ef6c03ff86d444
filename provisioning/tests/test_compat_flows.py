"""/solutions/users creates users through the three flows of DESIGN §4."""

import pytest

from provisioning.models import AuditEvent, Company, CompanyDomain, Membership, User
from provisioning.models.links import CompletionLink, LoginToken
from provisioning.tests.conftest import person
from provisioning.tests.factories import CompanyDomainFactory, CompanyFactory

pytestmark = pytest.mark.django_db

VENDOR_SAMPLE = {
    "firstName": "John",
    "lastName": "Doe",
    "email": "john.doe@acme-cargo.de",
    "companyName": "ACME Cargo",
    "offices": [
        {
            "iataCode": "0000000",
            "cassCode": "0000",
            "countryCode": "US",
            "officeAirportCode": "JFK",
        },
        {
            "iataCode": "0000000",
            "cassCode": "0000",
            "countryCode": "NL",
            "officeAirportCode": "AMS",
        },
    ],
}


def created(response) -> User:
    assert response.status_code == 200, response.content
    # The vendor's activated answer does not name the address; each test creates one user.
    return User.objects.get()


@pytest.mark.parametrize(
    ("body", "status", "reason", "office"),
    [
        # flow 1: the domain's company has an active CASS office in the request's country
        (person("anna@acme-cargo.de", countryCode="DE"), "activated", "", "HAM"),
        (person("anna@acme-cargo.de", countryCode="US"), "activated", "", "JFK"),
        # … the request's airport picks among the offices of that country
        (
            person("anna@acme-cargo.de", countryCode="DE", officeAirportCode="FRA"),
            "activated",
            "",
            "FRA",
        ),
        # … the offices' countries stand in for a missing countryCode
        (
            person("anna@acme-cargo.de", offices=[{"countryCode": "US"}]),
            "activated",
            "",
            "JFK",
        ),
        # … no office in that country: support finishes it
        (person("anna@acme-cargo.de", countryCode="FR"), "pending", "awaiting_support", None),
        # flow 2: unknown domain with CASS data, top level or in offices[]
        (
            person("bob@newco.example", countryCode="DE", iataCode="1234567", cassCode="1234"),
            "pending",
            "awaiting_support",
            "-",
        ),
        (
            person(
                "bob@newco.example",
                offices=[
                    {
                        "countryCode": "NL",
                        "officeAirportCode": "AMS",
                        "iataCode": "1234567",
                        "cassCode": "1234",
                    }
                ],
            ),
            "pending",
            "awaiting_support",
            "AMS",
        ),
        # flow 3: no CASS data, unknown domain
        (person("carl@newco.example", countryCode="DE"), "pending", "awaiting_details", None),
        (
            person("carl@newco.example", countryCode="NL", officeAirportCode="AMS"),
            "pending",
            "awaiting_details",
            None,
        ),
    ],
)
def test_each_flow_gives_the_expected_status_and_office(
    compat, directory, body, status, reason, office
):
    user = created(compat.post(body))
    assert (user.status, user.pending_reason) == (status, reason)
    offices = [o.airport_code for o in user.offices.all()]
    if office is None:
        assert offices == []
    elif office != "-":
        assert offices == [office]
    assert user.memberships.get().partner.name == "Freight Soft"


def test_an_activated_user_gets_a_login_token_and_portal_link(compat, directory, settings):
    settings.PORTAL_URL = "https://portal.example/login"
    body = compat.post(person("anna@acme-cargo.de", countryCode="DE")).json()
    assert body["status"] == "Activated"
    assert body["message"] == "Successful request: User created and account already activated"
    assert body["link"] == f"https://portal.example/login?auth={body['token']}"
    assert len(body["token"]) >= 43  # 256 random bits, url-safe base64
    assert LoginToken.objects.get().user.email == "anna@acme-cargo.de"


def test_a_user_awaiting_details_gets_the_completion_link_and_no_token(compat, settings):
    settings.SITE_URL = "https://back.example"
    body = compat.post(person("carl@newco.example", countryCode="DE")).json()
    assert body["status"] == "Pending"
    assert "token" not in body
    assert body["link"].startswith("https://back.example/complete/")
    assert CompletionLink.objects.get().user.email == "carl@newco.example"


def test_a_user_awaiting_support_gets_neither_token_nor_link(compat, directory):
    body = compat.post(person("anna@acme-cargo.de", countryCode="FR")).json()
    assert body == {
        "status": "Pending",
        "message": (
            "Successful request: User has been created and is pending verification: "
            "anna@acme-cargo.de"
        ),
    }


def test_the_vendor_sample_request_is_accepted_verbatim(compat, directory):
    response = compat.post(VENDOR_SAMPLE)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "Activated"
    user = User.objects.get()
    assert [o.airport_code for o in user.offices.all()] == ["JFK"]
    assert user.request_data["offices"][1]["officeAirportCode"] == "AMS"


def test_the_vendor_sample_with_an_unknown_domain_creates_the_company_with_both_offices(compat):
    response = compat.post({**VENDOR_SAMPLE, "email": "john.doe@newco.example"})
    assert response.json()["status"] == "Pending"
    user = User.objects.get()
    assert user.pending_reason == "awaiting_support"
    # the first office's country stands for the missing countryCode
    assert (user.company.legal_name, user.company.country.code) == ("ACME Cargo", "US")
    assert sorted(o.airport_code for o in user.company.offices.all()) == ["AMS", "JFK"]
    assert sorted(o.airport_code for o in user.offices.all()) == ["AMS", "JFK"]
    assert CompanyDomain.objects.get(domain="newco.example").company == user.company


def test_flow_two_warns_when_the_cass_belongs_to_another_company(compat, directory):
    compat.post(person("bob@newco.example", countryCode="DE", iataCode="2347001", cassCode="0002"))
    user = User.objects.get()
    assert user.company != directory.acme
    codes = [w["code"] for w in user.warnings]
    assert "cass_other_company" in codes
    assert "ACME Cargo GmbH" in next(
        w["message"] for w in user.warnings if w["code"] == "cass_other_company"
    )


def test_a_failed_cass_check_digit_is_a_warning_never_a_refusal(compat):
    response = compat.post(
        person("bob@newco.example", countryCode="DE", iataCode="1234567", cassCode="1239")
    )
    assert response.status_code == 200
    assert [w["code"] for w in User.objects.get().warnings] == ["cass_check_digit"]


def test_free_mail_never_matches_a_company_even_one_claiming_the_domain(compat, directory):
    response = compat.post(person("anna@gmail.com", countryCode="DE"))
    user = created(response)
    assert (user.status, user.pending_reason, user.company) == (
        "pending",
        "awaiting_details",
        None,
    )
    assert [w["code"] for w in user.warnings] == ["free_mail"]


def test_free_mail_with_cass_data_creates_a_company_without_a_domain(compat):
    compat.post(person("anna@gmail.com", countryCode="DE", iataCode="1234567", cassCode="1234"))
    user = User.objects.get()
    assert user.pending_reason == "awaiting_support"
    assert user.company is not None
    assert not CompanyDomain.objects.exists()


def test_a_disposable_domain_is_refused_and_nothing_is_stored(compat):
    response = compat.post(person("anna@mailinator.com", countryCode="DE"))
    assert response.status_code == 400
    assert response.json() == {
        "message": "Invalid request: email: disposable email addresses are not accepted."
    }
    assert not User.objects.exists()


def test_a_known_domain_of_a_company_outside_the_directory_joins_that_company(compat):
    company = CompanyFactory(legal_name="Small Forwarder")
    CompanyDomainFactory(company=company, domain="small.example")
    user = created(compat.post(person("sue@small.example", countryCode="DE")))
    assert (user.company, user.pending_reason) == (company, "awaiting_details")
    assert Company.objects.count() == 1


def test_every_creation_is_audited_without_secrets(compat, directory):
    body = compat.post(person("anna@acme-cargo.de", countryCode="DE")).json()
    events = AuditEvent.objects.filter(user__email="anna@acme-cargo.de")
    assert {e.action for e in events} == {"user.created", "user.login_token_issued"}
    created_event = events.get(action="user.created")
    assert created_event.actor_type == "partner"
    assert created_event.actor_partner.name == "Freight Soft"
    assert created_event.changes["status"] == [None, "activated"]
    assert body["token"] not in str(list(events.values()))


def test_the_request_is_kept_for_support(compat):
    compat.post(person("carl@newco.example", countryCode="de", partnerId=4711))
    data = User.objects.get().request_data
    assert data["countryCode"] == "DE"
    assert data["partnerId"] == "4711"
    assert data["companyName"] == "ACME Cargo GmbH"


def test_the_email_is_stored_in_lower_case(compat):
    created(compat.post(person("  Carl.Meyer@NewCo.Example ", countryCode="DE")))
    assert User.objects.get().email == "carl.meyer@newco.example"
    assert Membership.objects.count() == 1
