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
from recognition.rules import AirlineAnswer, OfficeFacts, Place
from recognition.services import recognition_get


@dataclass(frozen=True)
class OfficeRecognition:
    office: Office
    answers: tuple[AirlineAnswer, ...]  # one per active airline


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
