"""What the portal page shows a signed-in forwarder (DESIGN §6): account status, company,
offices, each office's recognition by the airlines with the reasons, and what is missing.

Reads only. Recognition is the recognition service's answer for an export from the office's
airport: imports and cross-trades only ever get coloader offers (DESIGN §11), so the export is
the answer that differs per airline and says what the forwarder can change.
"""

from dataclasses import dataclass, field

from django.db.models import Q

from provisioning.models import Company, Office, PendingReason, User, UserStatus
from recognition.models import Airline, AirlineCustomerId
from recognition.rules import AirlineAnswer, AirlineFacts, Channel, OfficeFacts, Place
from recognition.services import recognition_get


@dataclass(frozen=True)
class AirlineGroup:
    """Airlines that mean the same for the forwarder, with one sentence saying what."""

    key: str  # api | flywindow | coloader | none
    title: str
    sentence: str
    airlines: tuple[AirlineFacts, ...]
    id_only: frozenset[str] = frozenset()  # codes of airlines shown as needing a customer ID


@dataclass(frozen=True)
class OfficeRecognition:
    office: Office
    answers: tuple[AirlineAnswer, ...]  # one per active airline

    @property
    def groups(self) -> list[AirlineGroup]:
        return airline_groups(self.office, self.answers)


@dataclass(frozen=True)
class PortalOverview:
    user: User
    company: Company | None
    offices: list[Office]
    recognitions: list[OfficeRecognition]
    missing_customer_ids: list[Airline] = field(default_factory=list)
    waiting_for: str = ""  # what a pending account waits for, in words

    @property
    def is_active(self) -> bool:
        return self.user.status == UserStatus.ACTIVATED


_WAITING_FOR = {
    PendingReason.AWAITING_SUPPORT: (
        "Our support team is checking your company's registration and will contact you."
    ),
    PendingReason.AWAITING_DETAILS: (
        "We need your company's details: use the link in the email we sent you, or ask "
        "support for a new one."
    ),
    PendingReason.DETAILS_SUBMITTED: (
        "We received your company details; our support team is reviewing them."
    ),
}


def portal_overview(*, user: User) -> PortalOverview:
    offices = list(user.offices.select_related("company").order_by("country", "airport_code"))
    return PortalOverview(
        user=user,
        company=user.company,
        offices=offices,
        recognitions=_recognitions(offices),
        missing_customer_ids=missing_customer_ids(user=user, offices=offices),
        waiting_for=_WAITING_FOR.get(user.pending_reason, "")
        if user.status == UserStatus.PENDING
        else "",
    )


def missing_customer_ids(*, user: User, offices: list[Office]) -> list[Airline]:
    """Airlines that need a customer ID and have none for the company or the user's offices."""
    needing = Airline.objects.filter(is_active=True, requires_customer_id=True).order_by("name")
    if user.company_id is None:
        return list(needing)
    known = AirlineCustomerId.objects.filter(company_id=user.company_id).filter(
        Q(office__isnull=True) | Q(office__in=offices)
    )
    return list(needing.exclude(pk__in=known.values("airline_id")))


def office_facts(office: Office) -> OfficeFacts:
    return OfficeFacts(
        id=office.pk,
        company_id=office.company_id,
        country=office.country.code,
        airport_code=office.airport_code,
        name=str(office),
    )


def _recognitions(offices: list[Office]) -> list[OfficeRecognition]:
    """Per office, the answer for an export from its airport (a domestic search counts as an
    export, and an export's answer does not depend on the destination)."""
    recognitions = []
    for office in offices:
        airport = Place(
            code=office.airport_code, country=office.country.code, airport=office.airport_code
        )
        answer = recognition_get(
            offices=[office_facts(office)], origin=airport, destination=airport
        )
        recognitions.append(OfficeRecognition(office=office, answers=answer.answers))
    return recognitions


def _group_key(answer: AirlineAnswer) -> str:
    if answer.channel == Channel.AIRLINE_DIRECT:
        return "api" if answer.bookable_via_api else "flywindow"
    return "coloader" if answer.channel == Channel.COLOADER else "none"


def airline_groups(office: Office, answers) -> list[AirlineGroup]:
    """The answers grouped by what they mean for the forwarder, in this order, empty groups
    left out: live rates booked through the booking software; live rates booked in FlyWINDOW;
    coloader offers (booked in FlyWINDOW); nothing yet, and what would change that."""
    by_key: dict[str, list[AirlineFacts]] = {}
    for answer in answers:
        by_key.setdefault(_group_key(answer), []).append(answer.airline)
    airport = office.airport_code
    none_yet = by_key.get("none", [])
    sentences = {
        "api": (
            "Live rates and booking through your booking software",
            f"These airlines know your office at {airport}: you see their live rates and book "
            "them from your booking software.",
        ),
        "flywindow": (
            "Live rates, booked in FlyWINDOW",
            f"These airlines know your office at {airport} and show live rates, but take no "
            "bookings through booking software: you book them in FlyWINDOW.",
        ),
        "coloader": (
            "Coloader offers, booked in FlyWINDOW",
            f"These airlines do not know your office yet, but our coloader network quotes them "
            f"from {airport}: you book those offers in FlyWINDOW.",
        ),
        "none": (
            "No offers yet",
            _what_to_do(none_yet),
        ),
    }
    return [
        AirlineGroup(
            key=key,
            title=title,
            sentence=sentence,
            airlines=tuple(by_key[key]),
            id_only=frozenset(a.code for a in by_key[key] if key == "none" and id_only(a)),
        )
        for key, (title, sentence) in sentences.items()
        if by_key.get(key)
    ]


def id_only(airline: AirlineFacts) -> bool:
    """The airline knows forwarders by a customer ID at the airline and by nothing else."""
    return airline.requires_customer_id or not airline.accepts_cass


def _what_to_do(airlines: list[AirlineFacts]) -> str:
    if all(id_only(airline) for airline in airlines):
        return (
            "Nothing from these airlines for now: they know forwarders only by a customer ID at "
            "the airline. Have one? Send it to our support team and we add it."
        )
    marked = " (those marked ID accept nothing else)" if any(map(id_only, airlines)) else ""
    return (
        "Nothing from these airlines for now: send our support team your customer ID at any of "
        f"them{marked}, or ask the airline to set up your IATA CASS registration."
    )
