"""The recognition rules, over plain data: no database (pytest-django would refuse a query)."""

import pytest

from recognition.rules import (
    AirlineFacts,
    Channel,
    CoverageRow,
    ForwarderFacts,
    OfficeFacts,
    Place,
    SearchType,
    airline_recognise,
    coverage_covers,
    office_choose,
    place_parse,
    recognition_decide,
    search_type,
)

PORTAL = "https://portal.example/login"
HAMBURG = OfficeFacts(
    id=1, company_id=7, country="DE", airport_code="HAM", name="ACME Cargo GmbH Hamburg"
)
FRA, JFK, SIN = place_parse("FRA"), place_parse("JFK"), place_parse("SIN")
SEARCHES = {
    SearchType.EXPORT: (FRA, JFK),
    SearchType.IMPORT: (JFK, FRA),
    SearchType.CROSS_TRADE: (JFK, SIN),
}


def airline(*, requires_customer_id=False, accepts_cass=True, api_booking=True, code="XX"):
    return AirlineFacts(
        code=code,
        name="Test Air Cargo",
        requires_customer_id=requires_customer_id,
        accepts_cass=accepts_cass,
        api_booking=api_booking,
    )


def facts(*, cass=False, customer_id=False, has_active_cass=None, code="XX"):
    return ForwarderFacts(
        office=HAMBURG,
        customer_id_airlines=frozenset({code} if customer_id else ()),
        cass_configured_airlines=frozenset({code} if cass else ()),
        has_active_cass=cass if has_active_cass is None else has_active_cass,
    )


def answer(kind, *, cass, customer_id, requires, covered, api_booking=True, accepts_cass=True):
    origin, destination = SEARCHES[kind]
    return airline_recognise(
        airline=airline(
            requires_customer_id=requires, api_booking=api_booking, accepts_cass=accepts_cass
        ),
        facts=facts(cass=cass, customer_id=customer_id),
        origin=origin,
        destination=destination,
        coverage=[CoverageRow(origin.country)] if covered else [],
        portal_url=PORTAL,
    )


DIRECT, COLOADER, NONE = Channel.AIRLINE_DIRECT, Channel.COLOADER, Channel.UNAVAILABLE
EXPORT, IMPORT, CROSS = SearchType.EXPORT, SearchType.IMPORT, SearchType.CROSS_TRADE

# search, CASS configured, customer ID, airline requires a customer ID, coverage → channel
TABLE = [
    (EXPORT, False, False, False, False, NONE),
    (EXPORT, False, False, False, True, COLOADER),
    (EXPORT, False, False, True, False, NONE),
    (EXPORT, False, False, True, True, COLOADER),
    (EXPORT, False, True, False, False, DIRECT),
    (EXPORT, False, True, False, True, DIRECT),
    (EXPORT, False, True, True, False, DIRECT),
    (EXPORT, False, True, True, True, DIRECT),
    (EXPORT, True, False, False, False, DIRECT),
    (EXPORT, True, False, False, True, DIRECT),
    (EXPORT, True, False, True, False, NONE),  # CASS is not enough where an ID is required
    (EXPORT, True, False, True, True, COLOADER),
    (EXPORT, True, True, False, False, DIRECT),
    (EXPORT, True, True, False, True, DIRECT),
    (EXPORT, True, True, True, False, DIRECT),
    (EXPORT, True, True, True, True, DIRECT),
    *[
        (kind, cass, customer_id, requires, covered, COLOADER if covered else NONE)
        for kind in (IMPORT, CROSS)
        for cass in (False, True)
        for customer_id in (False, True)
        for requires in (False, True)
        for covered in (False, True)
    ],
]


def test_the_table_covers_every_combination_once():
    assert len({row[:5] for row in TABLE}) == len(TABLE) == 3 * 2**4


@pytest.mark.parametrize(("kind", "cass", "customer_id", "requires", "covered", "channel"), TABLE)
def test_each_search_gets_the_channel_of_the_rules(
    kind, cass, customer_id, requires, covered, channel
):
    result = answer(kind, cass=cass, customer_id=customer_id, requires=requires, covered=covered)

    assert result.channel is channel
    assert result.live_rates is (channel is DIRECT)
    assert result.bookable_via_api is (channel is DIRECT)
    if channel is COLOADER:
        assert result.flywindow_link.startswith(PORTAL + "?")
    else:
        assert result.flywindow_link is None
    assert result.reasons and all(reason.endswith(".") for reason in result.reasons)


def test_a_direct_offer_of_an_airline_without_api_booking_is_booked_in_flywindow():
    result = answer(EXPORT, cass=True, customer_id=False, requires=False, covered=False,
                    api_booking=False)  # fmt: skip

    assert (result.channel, result.live_rates, result.bookable_via_api) == (DIRECT, True, False)
    assert "airline=XX" in result.flywindow_link
    assert "does not take bookings through the API" in result.reasons[-1]


def test_an_airline_that_ignores_cass_recognises_a_customer_id_only():
    without_id = answer(EXPORT, cass=True, customer_id=False, requires=False, covered=False,
                        accepts_cass=False)  # fmt: skip
    with_id = answer(EXPORT, cass=True, customer_id=True, requires=False, covered=False,
                     accepts_cass=False)  # fmt: skip

    assert without_id.channel is NONE
    assert "does not recognise forwarders by CASS" in without_id.reasons[0]
    assert with_id.channel is DIRECT


def test_the_reasons_name_the_airline_and_the_office():
    lufthansa = AirlineFacts("LH", "Lufthansa Cargo", True, True, True)
    result = airline_recognise(
        airline=lufthansa,
        facts=facts(code="LH"),
        origin=FRA,
        destination=JFK,
        coverage=[CoverageRow("DE")],
        portal_url=PORTAL,
    )

    assert result.reasons == (
        "Lufthansa Cargo requires a customer ID; none is registered for ACME Cargo GmbH Hamburg.",
        "The coloader network quotes Lufthansa Cargo from FRA (Germany); book in FlyWINDOW.",
    )


def test_an_office_whose_registration_is_not_configured_is_told_so():
    result = airline_recognise(
        airline=airline(),
        facts=facts(cass=False, has_active_cass=True),
        origin=FRA,
        destination=JFK,
        coverage=[],
        portal_url=PORTAL,
    )

    assert result.reasons[0].startswith(
        "The CASS registration of ACME Cargo GmbH Hamburg is not configured at Test Air Cargo"
    )


def test_a_user_without_an_office_gets_coloader_offers_at_best():
    recognition = recognition_decide(
        airlines=[airline()],
        facts=ForwarderFacts(office=None),
        origin=FRA,
        destination=JFK,
        coverage=[CoverageRow("DE")],
        portal_url=PORTAL,
    )

    assert recognition.search_type is None
    assert recognition.answers[0].channel is COLOADER
    assert recognition.answers[0].reasons[0].startswith("No office is registered")
    assert recognition.flywindow_link == f"{PORTAL}?flywindow=1&origin=FRA&destination=JFK"


@pytest.mark.parametrize(
    ("rows", "origin", "covered"),
    [
        ([CoverageRow("DE")], "FRA", True),
        ([CoverageRow("DE")], "DE", True),
        ([CoverageRow("DE", "FRA")], "FRA", True),
        ([CoverageRow("DE", "MUC")], "FRA", False),
        ([CoverageRow("DE", "FRA")], "DE", False),  # one airport does not cover the country
        ([CoverageRow("DE", airline="XX")], "FRA", True),
        ([CoverageRow("DE", airline="YY")], "FRA", False),
        ([CoverageRow("US")], "FRA", False),
    ],
)
def test_coverage_is_by_origin_country_airport_and_airline(rows, origin, covered):
    assert coverage_covers(rows=rows, origin=place_parse(origin), airline_code="XX") is covered


@pytest.mark.parametrize(
    ("origin", "destination", "kind"),
    [
        ("FRA", "JFK", EXPORT),
        ("DE", "US", EXPORT),
        ("FRA", "MUC", EXPORT),  # domestic
        ("JFK", "HAM", IMPORT),
        ("JFK", "SIN", CROSS),
    ],
)
def test_the_search_type_depends_on_the_office_country(origin, destination, kind):
    assert (
        search_type(
            office_country="DE", origin=place_parse(origin), destination=place_parse(destination)
        )
        is kind
    )


def test_a_user_with_several_offices_is_answered_for_the_best_placed_one():
    frankfurt = OfficeFacts(2, 7, "DE", "FRA", "ACME Cargo GmbH Frankfurt")
    new_york = OfficeFacts(3, 7, "US", "JFK", "ACME Cargo GmbH New York")
    offices = [new_york, frankfurt, HAMBURG]

    def chosen(origin, destination):
        return office_choose(
            offices=offices, origin=place_parse(origin), destination=place_parse(destination)
        )

    assert chosen("FRA", "SIN") == frankfurt  # the origin airport
    assert chosen("MUC", "SIN") == HAMBURG  # the origin country, lowest id
    assert chosen("SIN", "EWR") == new_york  # the destination country
    assert chosen("SIN", "NRT") == HAMBURG  # the first
    assert office_choose(offices=[], origin=FRA, destination=JFK) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("fra", Place("FRA", "DE", "FRA")),
        (" DE ", Place("DE", "DE")),
        ("ZZZ", None),
        ("XX", None),
        ("FRANKFURT", None),
        ("", None),
    ],
)
def test_a_place_is_a_known_airport_or_country(value, expected):
    assert place_parse(value) == expected
