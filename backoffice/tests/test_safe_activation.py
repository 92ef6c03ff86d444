"""The Activate form pre-selects only the account's own company or the one owning its domain or
CASS registration (DESIGN §7); a look-alike name is offered with its differences beside the
account's, and the account's warnings are repeated on the confirmation page."""

import pytest

from backoffice.tests.conftest import action_url, pending
from provisioning.tests.factories import CompanyFactory, OfficeFactory

pytestmark = pytest.mark.django_db


def lookalike_account(directory):
    return pending(
        "tomas.wong.15@queue.example",
        request_data={
            "firstName": "Tomas",
            "lastName": "Wong",
            "email": "tomas.wong.15@queue.example",
            "companyName": "Acme Cargo Hamburg",
            "countryCode": "DE",
            "offices": [
                {
                    "countryCode": "DE",
                    "officeAirportCode": "HAM",
                    "iataCode": "5298017",
                    "cassCode": "0009",
                }
            ],
        },
        warnings=[
            {
                "code": "cass_check_digit",
                "message": "CASS 5298017/0009: the CASS address's check digit does not match.",
            }
        ],
    )


def test_a_look_alike_name_is_offered_but_nothing_is_pre_selected(agent_client, directory):
    user = lookalike_account(directory)

    response = agent_client.get(action_url(user, "activate"))

    form = response.context["form"]
    assert form["company"].value() is None
    assert form["offices"].value() == []
    assert not form["create_office"].value()
    page = response.content.decode()
    assert "similar name only, in DE" in page
    assert "Not pre-chosen" in page
    assert "queue.example" in page and "acme-cargo.de" in page  # the domains side by side
    assert "5298017/0009" in page and "2347001/0002" in page  # the CASS side by side
    assert page.count("✗ differs") == 2  # domain and CASS; the country is the same
    assert 'id="confirm-warnings"' in page
    assert "CASS check digit does not match" in page
    assert " checked" not in page.split('id="choose-company"')[1].split('id="new-office"')[0]


def test_the_company_owning_the_domain_is_pre_selected(agent_client, directory):
    user = pending(
        "anna@acme-cargo.de",
        request_data={
            "companyName": "ACME",
            "countryCode": "DE",
            "offices": [{"countryCode": "DE", "officeAirportCode": "FRA"}],
        },
    )
    form = agent_client.get(action_url(user, "activate")).context["form"]
    assert form["company"].value() == str(directory.acme.pk)
    assert form["offices"].value() == [directory.fra.pk]


def test_two_strong_candidates_leave_the_choice_to_the_agent(agent_client, directory):
    other = CompanyFactory(legal_name="Second Owner", country="DE")
    OfficeFactory(company=other, country="DE", airport_code="MUC")
    from provisioning.tests.factories import CompanyDomainFactory

    CompanyDomainFactory(company=other, domain="both.example")
    user = pending(
        "x@both.example",
        request_data={
            "companyName": "X",
            "countryCode": "DE",
            "offices": [{"countryCode": "DE", "iataCode": "2347001", "cassCode": "0002"}],
        },
    )
    form = agent_client.get(action_url(user, "activate")).context["form"]
    assert form["company"].value() is None


def test_the_look_alike_can_still_be_chosen_deliberately(agent_client, directory):
    user = lookalike_account(directory)
    response = agent_client.post(
        action_url(user, "activate"),
        {"company": str(directory.acme.pk), "offices": [directory.ham.pk], "note": ""},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.status, user.company) == ("activated", directory.acme)
