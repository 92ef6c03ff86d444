"""Recognition for a user's offices: load the facts, call the rules.

Callers pass plain data (the offices as `OfficeFacts`), so this app needs nothing from
provisioning. Whatever the number of airlines or the size of the CASS directory, one
recognition costs four queries, each on an indexed foreign key or code.
"""

from collections.abc import Sequence

from django.conf import settings
from django.db.models import Q

from .models import Airline, AirlineCustomerId, CassRegistration, ColoaderCoverage
from .rules import (
    AirlineFacts,
    CoverageRow,
    ForwarderFacts,
    OfficeFacts,
    Place,
    Recognition,
    office_choose,
    recognition_decide,
)


def airline_facts_list(*, airline_code: str | None = None) -> list[AirlineFacts]:
    """The active airlines (or the one with airline_code), as rules see them. One query."""
    airlines = Airline.objects.filter(is_active=True)
    if airline_code is not None:
        airlines = airlines.filter(iata_code=airline_code)
    return [
        AirlineFacts(*row)
        for row in airlines.values_list(
            "iata_code", "name", "requires_customer_id", "accepts_cass", "api_booking"
        )
    ]


def forwarder_facts_load(*, office: OfficeFacts | None) -> ForwarderFacts:
    """What the airlines know of one office and its company. Two queries."""
    if office is None:
        return ForwarderFacts(office=None)
    customer_id_airlines = (
        AirlineCustomerId.objects.filter(company_id=office.company_id)
        .filter(Q(office__isnull=True) | Q(office_id=office.id))
        .values_list("airline__iata_code", flat=True)
    )
    # One row per (active registration, airline configured); None for a registration that no
    # airline has configured yet, which still tells that the office has an active one.
    configured = list(
        CassRegistration.objects.filter(office_id=office.id, is_active=True).values_list(
            "airline_configurations__airline__iata_code", flat=True
        )
    )
    return ForwarderFacts(
        office=office,
        customer_id_airlines=frozenset(customer_id_airlines),
        cass_configured_airlines=frozenset(code for code in configured if code),
        has_active_cass=bool(configured),
    )


def coverage_rows_list(*, origin: Place) -> list[CoverageRow]:
    """The coloader coverage of the origin's country. One query."""
    rows = ColoaderCoverage.objects.filter(origin_country=origin.country).values_list(
        "origin_country", "origin_airport", "airline__iata_code"
    )
    return [CoverageRow(*row) for row in rows]


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
    return recognition_decide(
        airlines=airline_facts_list(airline_code=airline_code),
        facts=forwarder_facts_load(office=office),
        origin=origin,
        destination=destination,
        coverage=coverage_rows_list(origin=origin),
        portal_url=settings.PORTAL_URL,
    )
