"""Recognition for a user's offices: load the facts, call the rules.

Callers pass plain data (the offices as `OfficeFacts`), so this app needs nothing from
provisioning. Whatever the number of airlines or the size of the CASS directory, one
recognition costs four queries, each on an indexed foreign key or code.
"""

from collections.abc import Sequence

from django.conf import settings
from django.db.models import Q

from recognition.models import Airline, AirlineCustomerId, CassRegistration, ColoaderCoverage
from recognition.rules import (
    AirlineFacts,
    CoverageRow,
    ForwarderFacts,
    OfficeFacts,
    Place,
    Recognition,
    office_choose,
    recognition_decide,
)


def airline_facts_list(*, airline_code: str | None = None) -> dict[int, AirlineFacts]:
    """The active airlines (or the one with airline_code) by id, as rules see them. One query."""
    airlines = Airline.objects.filter(is_active=True)
    if airline_code is not None:
        airlines = airlines.filter(iata_code=airline_code)
    return {
        pk: AirlineFacts(*facts)
        for pk, *facts in airlines.values_list(
            "pk", "iata_code", "name", "requires_customer_id", "accepts_cass", "api_booking"
        )
    }


def forwarder_facts_load(
    *, office: OfficeFacts | None, airlines: dict[int, AirlineFacts]
) -> ForwarderFacts:
    """What the airlines know of one office and its company. Two queries.

    The queries read airline ids, not codes, and are unordered: with no join and no sort to
    plan, their cost stays that of one index lookup each, whatever the directory's size.
    """
    if office is None:
        return ForwarderFacts(office=None)
    customer_id_airlines = (
        AirlineCustomerId.objects.filter(company_id=office.company_id)
        .filter(Q(office__isnull=True) | Q(office_id=office.id))
        .order_by()
        .values_list("airline_id", flat=True)
    )
    # One row per (active registration, airline configured); None for a registration that no
    # airline has configured yet, which still tells that the office has an active one.
    configured = list(
        CassRegistration.objects.filter(office_id=office.id, is_active=True)
        .order_by()
        .values_list("airline_configurations__airline_id", flat=True)
    )
    return ForwarderFacts(
        office=office,
        customer_id_airlines=_codes(customer_id_airlines, airlines),
        cass_configured_airlines=_codes(configured, airlines),
        has_active_cass=bool(configured),
    )


def _codes(airline_ids, airlines: dict[int, AirlineFacts]) -> frozenset[str]:
    return frozenset(airlines[pk].code for pk in airline_ids if pk in airlines)


def coverage_rows_list(*, origin: Place, airlines: dict[int, AirlineFacts]) -> list[CoverageRow]:
    """The coloader coverage of the origin's country. One query."""
    rows = (
        ColoaderCoverage.objects.filter(origin_country=origin.country)
        .order_by()
        .values_list("origin_airport", "airline_id")
    )
    return [
        CoverageRow(origin.country, airport, airlines[pk].code if pk else None)
        for airport, pk in rows
        # Rows of airlines left out of this answer (inactive, or not asked for) are dropped.
        if pk is None or pk in airlines
    ]


def recognition_get(
    *,
    offices: Sequence[OfficeFacts],
    origin: Place,
    destination: Place,
    airline_code: str | None = None,
) -> Recognition:
    """Per-airline recognition of a user for a search (DESIGN §11).

    The user's offices are given as plain facts; the rules pick the one the search is answered
    for. airline_code narrows the answer to one airline (an unknown code gives no answers).
    """
    office = office_choose(offices=offices, origin=origin, destination=destination)
    airlines = airline_facts_list(airline_code=airline_code)
    return recognition_decide(
        airlines=list(airlines.values()),
        facts=forwarder_facts_load(office=office, airlines=airlines),
        origin=origin,
        destination=destination,
        coverage=coverage_rows_list(origin=origin, airlines=airlines),
        portal_url=settings.PORTAL_URL,
    )
