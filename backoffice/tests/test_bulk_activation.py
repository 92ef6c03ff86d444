"""Bulk activation uses the account's own company, or its single strong match (the company
owning its email domain or its CASS registration), with an office in the account's country;
every other account is skipped with the reason and a link to open it."""

import pytest

from backoffice.tests.conftest import QUEUE_URL, pending
from backoffice.tests.test_actions import bulk
from provisioning.models import OutboxMessage, User
from provisioning.tests.factories import CompanyDomainFactory, CompanyFactory, OfficeFactory

pytestmark = pytest.mark.django_db


def request(email, *, company="Someone Freight", country="DE", offices=()):
    return {
        "firstName": "Ana",
        "lastName": "Example",
        "email": email,
        "companyName": company,
        "countryCode": country,
        "offices": list(offices),
    }


@pytest.fixture
def mix(directory, flow2_account):
    """Five pending accounts: three a bulk activation can take, two it must skip."""
    by_domain = pending(
        "dora@acme-cargo.de",
        request_data=request(
            "dora@acme-cargo.de", offices=[{"countryCode": "DE", "officeAirportCode": "HAM"}]
        ),
    )
    by_cass = pending(
        "cass@elsewhere.example",
        request_data=request(
            "cass@elsewhere.example",
            offices=[
                {
                    "countryCode": "DE",
                    "officeAirportCode": "FRA",
                    "iataCode": "2347002",
                    "cassCode": "0003",
                }
            ],
        ),
    )
    lookalike = pending(
        "tomas@queue.example", request_data=request("tomas@queue.example", company="Acme Cargo")
    )
    warned = pending(
        "warn@acme-cargo.de",
        request_data=request("warn@acme-cargo.de"),
        warnings=[{"code": "cass_check_digit", "message": "CASS 1234567/0009: check digit."}],
    )
    return {
        "ready": [flow2_account, by_domain, by_cass],
        "skipped": [lookalike, warned],
        "acme": directory,
    }


def test_the_queue_marks_which_rows_a_bulk_activation_takes_and_why_not(agent_client, mix):
    page = agent_client.get(QUEUE_URL).content.decode()
    assert page.count('class="cell bulk-ready"') == 3
    assert "no company owns its domain or CASS" in page  # the look-alike's reason, in a title
    assert "it has warnings: open it to review them" in page


def test_bulk_activation_applies_to_the_eligible_rows_with_their_strong_match(agent_client, mix):
    everyone = mix["ready"] + mix["skipped"]
    confirmation = bulk(agent_client, "activate", everyone).content.decode()
    assert "Activate 3 accounts" in confirmation
    assert "Activates for ACME Cargo GmbH, Hamburg (HAM) — owns acme-cargo.de" in confirmation
    assert "Activates for ACME Cargo GmbH, Frankfurt" in confirmation  # the CASS's office
    assert confirmation.count('class="skipped"') == 2
    assert f'href="/admin/backoffice/account/{mix["skipped"][0].pk}/change/"' in confirmation

    response = bulk(agent_client, "activate", everyone, {"note": ""})

    assert response.status_code == 302
    statuses = dict(
        User.objects.filter(pk__in=[u.pk for u in everyone]).values_list("email", "status")
    )
    assert statuses == {
        "carl@newco-air.de": "activated",
        "dora@acme-cargo.de": "activated",
        "cass@elsewhere.example": "activated",
        "tomas@queue.example": "pending",
        "warn@acme-cargo.de": "pending",
    }
    dora = User.objects.get(email="dora@acme-cargo.de")
    assert dora.company == mix["acme"].acme
    assert list(dora.offices.all()) == [mix["acme"].ham]
    cass = User.objects.get(email="cass@elsewhere.example")
    assert list(cass.offices.all()) == [mix["acme"].fra]
    assert OutboxMessage.objects.filter(template="activated_by_support").count() == 3


def test_two_strong_matches_or_no_office_in_the_country_are_skipped(agent_client, directory):
    other = CompanyFactory(legal_name="Other Owner", country="DE")
    OfficeFactory(company=other, country="DE", airport_code="MUC")
    CompanyDomainFactory(company=other, domain="shared.example")
    two = pending(
        "two@shared.example",
        request_data=request(
            "two@shared.example",
            offices=[{"countryCode": "DE", "iataCode": "2347001", "cassCode": "0002"}],
        ),
    )
    abroad = pending("far@acme-cargo.de", request_data=request("far@acme-cargo.de", country="FI"))
    unsure = pending("which@acme-cargo.de", request_data=request("which@acme-cargo.de"))

    page = bulk(agent_client, "activate", [two, abroad, unsure]).content.decode()

    assert "2 companies match (ACME Cargo GmbH, Other Owner): open it to choose" in page
    assert "ACME Cargo GmbH has no office in FI: open it to create one" in page
    assert "ACME Cargo GmbH has 2 offices in DE: open it to choose" in page
    assert "does not apply to any of the selected accounts" in page
