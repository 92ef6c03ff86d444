"""The account page's airline-recognition summary (DESIGN §7, §11).

Per office: the recognition service's answer for an export from the office's airport (the
portal shows the forwarder the same answer), sorted into what support acts on — the airlines
giving live rates, the customer-ID airlines still missing an ID, the CASS airlines that do not
know the registration. Four queries per office, at most MAX_OFFICES offices, plus one for the
company-wide list of missing customer IDs.
"""

from dataclasses import dataclass, field

from provisioning.forwarder.portal import missing_customer_ids, office_facts
from provisioning.models import Office, User
from recognition.models import Airline
from recognition.rules import AirlineAnswer, Channel, Place
from recognition.services import recognition_get

MAX_OFFICES = 3


@dataclass(frozen=True)
class AirlineLine:
    code: str
    name: str
    reason: str


@dataclass
class OfficeSummary:
    name: str
    airport_code: str
    live: list[AirlineLine] = field(default_factory=list)
    missing_customer_id: list[AirlineLine] = field(default_factory=list)
    cass_missing: list[AirlineLine] = field(default_factory=list)


@dataclass(frozen=True)
class RecognitionSummary:
    offices: list[OfficeSummary]
    missing_customer_ids: list[Airline]  # for the company and all the account's offices
    truncated: bool

    @property
    def customer_id_airlines(self) -> list[str]:
        return [airline.iata_code for airline in self.missing_customer_ids]


def _line(answer: AirlineAnswer) -> AirlineLine:
    return AirlineLine(answer.airline.code, answer.airline.name, " ".join(answer.reasons))


def office_summary(office: Office) -> OfficeSummary:
    airport = Place(
        code=office.airport_code, country=office.country.code, airport=office.airport_code
    )
    recognition = recognition_get(
        offices=[office_facts(office)], origin=airport, destination=airport
    )
    summary = OfficeSummary(name=str(office), airport_code=office.airport_code)
    for answer in recognition.answers:
        if answer.channel == Channel.AIRLINE_DIRECT:
            summary.live.append(_line(answer))
        elif answer.airline.requires_customer_id:
            summary.missing_customer_id.append(_line(answer))
        elif answer.airline.accepts_cass:
            summary.cass_missing.append(_line(answer))
    return summary


def recognition_summary(*, user: User, offices: list[Office]) -> RecognitionSummary:
    return RecognitionSummary(
        offices=[office_summary(office) for office in offices[:MAX_OFFICES]],
        missing_customer_ids=missing_customer_ids(user=user, offices=offices),
        truncated=len(offices) > MAX_OFFICES,
    )
