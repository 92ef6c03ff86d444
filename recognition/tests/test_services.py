import pytest

from provisioning.tests.factories import OfficeFactory
from recognition.rules import Channel, OfficeFacts, place_parse
from recognition.services import recognition_get
from recognition.tests.factories import (
    AirlineCassConfigurationFactory,
    AirlineCustomerIdFactory,
    AirlineFactory,
    CassRegistrationFactory,
    ColoaderCoverageFactory,
    airline,
)

pytestmark = pytest.mark.django_db


def facts_of(office) -> OfficeFacts:
    return OfficeFacts(
        id=office.pk,
        company_id=office.company_id,
        country=office.country.code,
        airport_code=office.airport_code,
        name=str(office),
    )


def channels(recognition) -> dict[str, Channel]:
    return {answer.airline.code: answer.channel for answer in recognition.answers}


def recognise(office, origin="FRA", destination="JFK", **kwargs):
    return recognition_get(
        offices=[facts_of(office)],
        origin=place_parse(origin),
        destination=place_parse(destination),
        **kwargs,
    )


def test_the_loaded_facts_decide_each_airline():
    office = OfficeFactory(company__legal_name="ACME Cargo GmbH", airport_code="HAM")
    registration = CassRegistrationFactory(office=office)
    AirlineCassConfigurationFactory(registration=registration, airline=airline("EK"))
    AirlineCassConfigurationFactory(registration=registration, airline=airline("LH"))
    AirlineCustomerIdFactory(company=office.company, airline=airline("AA"))
    AirlineCustomerIdFactory(company=office.company, office=office, airline=airline("QR"))
    other_office = OfficeFactory(company=office.company, airport_code="FRA")
    AirlineCustomerIdFactory(company=office.company, office=other_office, airline=airline("AY"))
    ColoaderCoverageFactory(origin_country="DE", airline=airline("TK"))

    found = channels(recognise(office))

    assert found["EK"] == found["AA"] == found["QR"] == Channel.AIRLINE_DIRECT
    assert found["LH"] == Channel.UNAVAILABLE  # configured by CASS, but needs a customer ID
    assert found["AY"] == Channel.UNAVAILABLE  # another office's customer ID
    assert found["TK"] == Channel.COLOADER
    assert found["CX"] == Channel.UNAVAILABLE


def test_an_inactive_registration_recognises_nothing():
    office = OfficeFactory()
    registration = CassRegistrationFactory(office=office, is_active=False)
    AirlineCassConfigurationFactory(registration=registration, airline=airline("EK"))

    recognition = recognise(office, airline_code="EK")

    assert channels(recognition) == {"EK": Channel.UNAVAILABLE}
    assert "has no active CASS registration" in recognition.answers[0].reasons[0]


def test_inactive_airlines_are_left_out_and_one_airline_can_be_asked_for():
    airline("EK").__class__.objects.filter(iata_code="CX").update(is_active=False)
    office = OfficeFactory()

    assert "CX" not in channels(recognise(office))
    assert list(channels(recognise(office, airline_code="EK"))) == ["EK"]


def test_the_query_count_does_not_grow_with_airlines_or_the_directory(
    django_assert_num_queries,
):
    office = OfficeFactory()
    for _ in range(4):
        registration = CassRegistrationFactory(office=office)
        AirlineCassConfigurationFactory(registration=registration, airline=AirlineFactory())
        CassRegistrationFactory()  # someone else's
    ColoaderCoverageFactory(origin_country="DE")

    with django_assert_num_queries(4):
        recognition = recognise(office)

    assert len(recognition.answers) == 30
