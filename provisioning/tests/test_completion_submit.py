"""Submitting the company details (the service behind the form): the matching re-runs, an
existing company is never taken over, and a resubmission corrects the forwarder's own one."""

import pytest

from provisioning.accounts.inputs import OfficeInput, UserInput
from provisioning.accounts.links import CompletionLinkInvalid, completion_link_live
from provisioning.accounts.services import user_create, user_send_completion_link
from provisioning.audit.records import Actor
from provisioning.forwarder.completion import CompanyDetails, user_submit_details
from provisioning.models import AuditEvent, Company
from provisioning.tests.factories import CompanyDomainFactory, CompanyFactory, UserFactory
from recognition.models import Airline, AirlineCustomerId

pytestmark = pytest.mark.django_db


def invite(partner, email="carl@newco.example", **fields):
    data = UserInput(
        email=email, first_name="Carl", last_name="Meyer", company_name="NewCo", **fields
    )
    return user_create(partner=partner, data=data, actor=Actor.system()).user


def details(**changes) -> CompanyDetails:
    values = {
        "legal_name": "NewCo Logistics GmbH",
        "address": "Am Sandtorkai 1, 20457 Hamburg",
        "country": "DE",
        "phone": "+49401234567",
        "website": "https://newco.example",
        "offices": (OfficeInput(country="DE", airport_code="HAM"),),
        "customer_ids": (("LH", "LH-1"),),
    }
    return CompanyDetails(**{**values, **changes})


def submit(user, **changes):
    return user_submit_details(link=completion_link_live(user=user), details=details(**changes))


def test_a_cass_directory_match_of_the_same_domain_activates(
    partner, directory, mailoutbox, django_capture_on_commit_callbacks
):
    # The account waited for details because its domain was unknown; since then the domain
    # has been recorded for a company of the CASS directory.
    user = invite(partner, email="carl@acme-air.example", country="FR")
    assert user.pending_reason == "awaiting_details"
    CompanyDomainFactory(company=directory.acme, domain="acme-air.example")

    with django_capture_on_commit_callbacks(execute=True):
        result = submit(user, offices=(OfficeInput(country="DE", airport_code="FRA"),))

    assert result.activated
    user.refresh_from_db()
    assert (user.status, user.company) == ("activated", directory.acme)
    assert list(user.offices.all()) == [directory.fra]
    actions = list(user.audit_events.values_list("action", flat=True))
    assert actions[0] == "user.activated" and "user.details_submitted" not in actions
    assert mailoutbox[-1].subject == "Welcome to CargoMART, Carl: your account is active"
    assert directory.acme.airline_customer_ids.get().customer_id == "LH-1"


def test_without_a_match_the_account_waits_for_support(partner, mailoutbox):
    user = invite(partner, country="DE")
    result = submit(user)
    assert not result.activated
    user.refresh_from_db()
    assert (user.status, user.pending_reason) == ("pending", "details_submitted")
    event = AuditEvent.objects.get(action="user.details_submitted")
    assert event.changes["pending_reason"] == ["awaiting_details", "details_submitted"]
    assert "offices HAM" in event.note
    assert user.request_data["details"]["legalName"] == "NewCo Logistics GmbH"


def test_cass_codes_of_another_company_are_a_warning_for_support(partner, directory):
    user = invite(partner, country="DE")
    office = OfficeInput(country="DE", airport_code="HAM", iata_code="2347001", cass_code="0002")
    submit(user, offices=(office,))
    user.refresh_from_db()
    assert user.status == "pending"
    assert "cass_other_company" in [w["code"] for w in user.warnings]


def test_an_existing_company_of_the_domain_is_not_taken_over(partner):
    known = CompanyFactory(legal_name="Real NewCo AG", country="DE", phone="+4940999")
    CompanyDomainFactory(company=known, domain="newco.example")
    UserFactory(company=known, email="boss@newco.example")
    user = invite(partner, country="DE")
    assert user.company == known

    submit(user, legal_name="Hijacked Ltd", country="GB", phone="+442071234567")

    known.refresh_from_db()
    assert (known.legal_name, known.country.code, known.phone) == (
        "Real NewCo AG",
        "DE",
        "+4940999",
    )
    assert known.address == "Am Sandtorkai 1, 20457 Hamburg"  # an empty field is filled in
    user.refresh_from_db()
    assert user.company == known
    assert "details_differ" in [w["code"] for w in user.warnings]
    assert Company.objects.count() == 1


def test_a_different_customer_id_of_a_shared_company_is_kept_and_reported(partner):
    known = CompanyFactory(legal_name="NewCo Logistics GmbH", country="DE")
    CompanyDomainFactory(company=known, domain="newco.example")
    AirlineCustomerId.objects.create(
        company=known, airline=Airline.objects.get(iata_code="LH"), customer_id="LH-ORIGINAL"
    )
    user = invite(partner, country="DE")
    submit(user, customer_ids=(("LH", "LH-1"), ("AA", "AA-9")))
    assert dict(known.airline_customer_ids.values_list("airline__iata_code", "customer_id")) == {
        "LH": "LH-ORIGINAL",
        "AA": "AA-9",
    }
    user.refresh_from_db()
    assert "customer_id_differs" in [w["code"] for w in user.warnings]


def test_a_free_mail_user_gets_a_company_of_its_own_without_a_domain(partner):
    user = invite(partner, email="carl.newco@gmail.com", country="DE")
    submit(user)
    user.refresh_from_db()
    assert user.company.legal_name == "NewCo Logistics GmbH"
    assert not user.company.domains.exists()


def test_a_resubmission_through_a_new_link_corrects_the_forwarders_own_company(partner):
    user = invite(partner, country="DE")
    submit(user)
    company = Company.objects.get()
    user_send_completion_link(user=user, actor=Actor.staff(UserFactory(is_staff=True)))

    submit(
        user,
        legal_name="NewCo Logistik GmbH",
        offices=(OfficeInput(country="DE", airport_code="FRA"),),
        customer_ids=(("AA", "AA-2"),),
    )

    company.refresh_from_db()
    assert company.legal_name == "NewCo Logistik GmbH"
    user.refresh_from_db()
    assert user.company == company
    assert [o.airport_code for o in user.offices.all()] == ["FRA"]
    assert list(company.airline_customer_ids.values_list("airline__iata_code", flat=True)) == ["AA"]


def test_a_used_link_cannot_submit_twice(partner):
    user = invite(partner, country="DE")
    link = completion_link_live(user=user)
    user_submit_details(link=link, details=details())
    with pytest.raises(CompletionLinkInvalid) as refused:
        user_submit_details(link=link, details=details(legal_name="Again"))
    assert refused.value.reason == "used"
    assert AuditEvent.objects.filter(action="user.details_submitted").count() == 1
