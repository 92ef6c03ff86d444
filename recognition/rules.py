"""The airline-recognition rules (DESIGN §11), as pure functions over plain data.

Nothing here touches the database: recognition.services loads the facts into the dataclasses
below and calls `airline_recognise` once per airline. Everything an answer says is derivable
from these facts, so nothing is stored.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from urllib.parse import urlencode

from django_countries import countries

from recognition.validators import airport_country


class SearchType(StrEnum):
    EXPORT = "export"  # the origin is in the office's country
    IMPORT = "import"  # the destination is in the office's country
    CROSS_TRADE = "cross_trade"  # neither


class Channel(StrEnum):
    AIRLINE_DIRECT = "airline_direct"
    COLOADER = "coloader"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class Place:
    """A search origin or destination: an IATA airport code or an ISO country code."""

    code: str
    country: str
    airport: str = ""  # empty when the search names a whole country

    @cached_property  # worded once per search, not once per airline
    def label(self) -> str:
        country = countries.name(self.country) or self.country
        return f"{self.airport} ({country})" if self.airport else country


@dataclass(frozen=True)
class AirlineFacts:
    code: str
    name: str
    requires_customer_id: bool
    accepts_cass: bool
    api_booking: bool


@dataclass(frozen=True)
class OfficeFacts:
    id: int
    company_id: int
    country: str
    airport_code: str
    name: str  # how reasons name it: "ACME Cargo GmbH Hamburg"


@dataclass(frozen=True)
class ForwarderFacts:
    """What airlines know of one office and its company, by airline code."""

    office: OfficeFacts | None
    customer_id_airlines: frozenset[str] = frozenset()  # company-wide or this office's
    cass_configured_airlines: frozenset[str] = frozenset()  # an active registration is known
    has_active_cass: bool = False  # the office has at least one active registration


@dataclass(frozen=True)
class CoverageRow:
    """One ColoaderCoverage row: airport empty = the whole country, airline None = all."""

    origin_country: str
    origin_airport: str = ""
    airline: str | None = None


@dataclass(frozen=True)
class AirlineAnswer:
    airline: AirlineFacts
    channel: Channel
    live_rates: bool
    bookable_via_api: bool
    flywindow_link: str | None
    reasons: tuple[str, ...]


def place_parse(value: str) -> Place | None:
    """A 3-letter known IATA airport or a 2-letter ISO country, any letter case; else None."""
    code = (value or "").strip().upper()
    if len(code) == 3:
        country = airport_country(code)
        return Place(code=code, country=country, airport=code) if country else None
    if len(code) == 2 and code in countries:
        return Place(code=code, country=code)
    return None


def search_type(*, office_country: str, origin: Place, destination: Place) -> SearchType:
    # A domestic search (both ends in the office's country) counts as an export: the office
    # is the shipper's forwarder, which is what airlines recognise.
    if origin.country == office_country:
        return SearchType.EXPORT
    if destination.country == office_country:
        return SearchType.IMPORT
    return SearchType.CROSS_TRADE


def office_choose(
    *, offices: Sequence[OfficeFacts], origin: Place, destination: Place
) -> OfficeFacts | None:
    """The office a search is answered for, when the user works for several.

    The office at the origin airport, else one in the origin country (an export, the only
    search that can get live rates), else one in the destination country (an import), else
    the first. Ties go to the lowest id so that the answer is stable.
    """
    ordered = sorted(offices, key=lambda office: office.id)
    for matches in (
        lambda o: bool(origin.airport) and o.airport_code == origin.airport,
        lambda o: o.country == origin.country,
        lambda o: o.country == destination.country,
    ):
        for office in ordered:
            if matches(office):
                return office
    return ordered[0] if ordered else None


def coverage_covers(*, rows: Iterable[CoverageRow], origin: Place, airline_code: str) -> bool:
    """Whether the coloader network quotes this airline from the origin.

    A row for one airport covers searches from that airport only; a search from a whole
    country needs a country-wide row.
    """
    return any(
        row.origin_country == origin.country
        and (not row.origin_airport or row.origin_airport == origin.airport)
        and (row.airline is None or row.airline == airline_code)
        for row in rows
    )


def flywindow_link(
    *, portal_url: str, origin: Place, destination: Place, airline_code: str | None = None
) -> str:
    """The portal link that opens FlyWINDOW on this search. It carries no credentials: the
    portal asks the forwarder to log in, or the partner appends a one-time `auth` token."""
    params = {"flywindow": "1", "origin": origin.code, "destination": destination.code}
    if airline_code:
        params["airline"] = airline_code
    separator = "&" if "?" in portal_url else "?"
    return f"{portal_url}{separator}{urlencode(params)}"


def _satisfaction(
    airline: AirlineFacts, facts: ForwarderFacts, office: OfficeFacts
) -> tuple[bool, str]:
    """Whether the airline recognises the office for live rates, and the reason why (not)."""
    has_customer_id = airline.code in facts.customer_id_airlines
    if airline.requires_customer_id:
        if has_customer_id:
            return True, f"{airline.name} requires a customer ID; {office.name} has one."
        return False, (
            f"{airline.name} requires a customer ID; none is registered for {office.name}."
        )
    if airline.accepts_cass and airline.code in facts.cass_configured_airlines:
        return True, f"{airline.name} has the CASS registration of {office.name} configured."
    if has_customer_id:
        return True, f"{office.name} has a customer ID at {airline.name}."
    if not airline.accepts_cass:
        return False, (
            f"{airline.name} does not recognise forwarders by CASS and no customer ID at "
            f"{airline.name} is registered for {office.name}."
        )
    if facts.has_active_cass:
        return False, (
            f"The CASS registration of {office.name} is not configured at {airline.name} and "
            f"no customer ID at {airline.name} is registered for it."
        )
    return False, (
        f"{office.name} has no active CASS registration and no customer ID at {airline.name} "
        "is registered for it."
    )


def airline_recognise(
    *,
    airline: AirlineFacts,
    facts: ForwarderFacts,
    origin: Place,
    destination: Place,
    coverage: Sequence[CoverageRow],
    portal_url: str,
) -> AirlineAnswer:
    """The answer of DESIGN §11 for one airline and one search."""
    office = facts.office
    link = flywindow_link(
        portal_url=portal_url, origin=origin, destination=destination, airline_code=airline.code
    )
    reasons: list[str] = []
    if office is None:
        reasons.append("No office is registered for this user, so no airline can recognise it.")
    else:
        kind = search_type(office_country=office.country, origin=origin, destination=destination)
        if kind is SearchType.EXPORT:
            satisfied, why = _satisfaction(airline, facts, office)
            reasons.append(why)
            if satisfied and airline.api_booking:
                return AirlineAnswer(
                    airline, Channel.AIRLINE_DIRECT, True, True, None, tuple(reasons)
                )
            if satisfied:
                reasons.append(
                    f"{airline.name} does not take bookings through the API; book in FlyWINDOW."
                )
                return AirlineAnswer(
                    airline, Channel.AIRLINE_DIRECT, True, False, link, tuple(reasons)
                )
        else:
            office_country = countries.name(office.country) or office.country
            if kind is SearchType.IMPORT:
                reasons.append(
                    f"An import into {office_country}, the country of {office.name}: airlines "
                    "give live rates to the forwarder at origin only."
                )
            else:
                reasons.append(
                    f"A cross-trade: neither {origin.label} nor {destination.label} is in "
                    f"{office_country}, the country of {office.name}."
                )
    if coverage_covers(rows=coverage, origin=origin, airline_code=airline.code):
        reasons.append(
            f"The coloader network quotes {airline.name} from {origin.label}; book in FlyWINDOW."
        )
        return AirlineAnswer(airline, Channel.COLOADER, False, False, link, tuple(reasons))
    reasons.append(f"The coloader network does not quote {airline.name} from {origin.label}.")
    return AirlineAnswer(airline, Channel.UNAVAILABLE, False, False, None, tuple(reasons))


@dataclass(frozen=True)
class Recognition:
    """The answers for one search: the office they are for, and one answer per airline."""

    office: OfficeFacts | None
    origin: Place
    destination: Place
    search_type: SearchType | None  # None when the user has no office
    flywindow_link: str
    answers: tuple[AirlineAnswer, ...]


def recognition_decide(
    *,
    airlines: Sequence[AirlineFacts],
    facts: ForwarderFacts,
    origin: Place,
    destination: Place,
    coverage: Sequence[CoverageRow],
    portal_url: str,
) -> Recognition:
    office = facts.office
    return Recognition(
        office=office,
        origin=origin,
        destination=destination,
        search_type=(
            search_type(office_country=office.country, origin=origin, destination=destination)
            if office
            else None
        ),
        flywindow_link=flywindow_link(
            portal_url=portal_url, origin=origin, destination=destination
        ),
        answers=tuple(
            airline_recognise(
                airline=airline,
                facts=facts,
                origin=origin,
                destination=destination,
                coverage=coverage,
                portal_url=portal_url,
            )
            for airline in airlines
        ),
    )
