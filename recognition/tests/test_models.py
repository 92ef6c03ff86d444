import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction

from provisioning.tests.factories import CompanyFactory, OfficeFactory
from recognition.models import (
    Airline,
    AirlineCustomerId,
    CassRegistration,
    ColoaderCoverage,
)
from recognition.validators import cass_check_digit_ok

pytestmark = pytest.mark.django_db

CUSTOMER_ID_AIRLINES = {"AA", "AY", "VS", "LH", "SQ", "QF", "WS"}


def refused(write) -> None:
    # PostgreSQL refuses a too-long value by its column width (DataError) before any check.
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        write()


def test_the_reference_airlines_ship_with_the_seven_customer_id_airlines_flagged():
    airlines = {a.iata_code: a for a in Airline.objects.all()}
    assert len(airlines) >= 26
    assert {code for code, a in airlines.items() if a.requires_customer_id} == CUSTOMER_ID_AIRLINES
    assert (airlines["LH"].awb_prefix, airlines["EK"].awb_prefix) == ("020", "176")


@pytest.mark.parametrize("prefix", ["20", "0200", "A20"])
def test_an_awb_prefix_is_three_digits(prefix):
    airline = Airline(iata_code="ZZ", icao_code="ZZZ", awb_prefix=prefix, name="Test")
    with pytest.raises(ValidationError) as error:
        airline.full_clean()
    assert "AWB prefix must be exactly 3 digits." in error.value.message_dict["awb_prefix"]
    refused(lambda: Airline.objects.create(iata_code="ZZ", awb_prefix=prefix, name="Test"))


def test_a_cass_registration_is_listed_once():
    company = CompanyFactory()
    CassRegistration.objects.create(
        iata_code="1234567", cass_code="0001", country="DE", company=company
    )
    refused(
        lambda: CassRegistration.objects.create(
            iata_code="1234567", cass_code="0001", country="DE", company=company
        )
    )


@pytest.mark.parametrize(("iata_code", "cass_code"), [("123456", "0001"), ("1234567", "01")])
def test_the_database_refuses_malformed_cass_registrations(iata_code, cass_code):
    refused(
        lambda: CassRegistration.objects.create(
            iata_code=iata_code, cass_code=cass_code, country="DE", company=CompanyFactory()
        )
    )


def test_a_company_has_one_company_wide_customer_id_per_airline():
    company = CompanyFactory()
    lufthansa = Airline.objects.get(iata_code="LH")
    AirlineCustomerId.objects.create(airline=lufthansa, company=company, customer_id="A1")
    refused(
        lambda: AirlineCustomerId.objects.create(
            airline=lufthansa, company=company, customer_id="A2"
        )
    )


def test_an_office_may_have_its_own_customer_id_beside_the_company_one():
    office = OfficeFactory()
    lufthansa = Airline.objects.get(iata_code="LH")
    AirlineCustomerId.objects.create(airline=lufthansa, company=office.company, customer_id="A1")
    AirlineCustomerId.objects.create(
        airline=lufthansa, company=office.company, office=office, customer_id="A2"
    )
    refused(
        lambda: AirlineCustomerId.objects.create(
            airline=lufthansa, company=office.company, office=office, customer_id="A3"
        )
    )


def test_coloader_coverage_for_all_airlines_is_listed_once_per_market():
    ColoaderCoverage.objects.create(origin_country="DE")
    refused(lambda: ColoaderCoverage.objects.create(origin_country="DE"))


def test_the_cass_check_digit_follows_the_public_samples():
    # (1234567 followed by 000) mod 7 = 1234567000 mod 7 = 2
    assert cass_check_digit_ok("1234567", "0002")
    assert not cass_check_digit_ok("1234567", "0005")
    assert not cass_check_digit_ok("12345", "0005")
