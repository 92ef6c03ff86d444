"""Words for people: the account's status, warnings and history as an agent reads them.

The database keeps codes (`pending`, `awaiting_support`, `user.activated`, company ids); the
back-office shows sentences ("Pending — awaiting support", "Company: Tulip Freight BV"). The
history's ids are resolved to names for a whole page of events at once (`history_lines`: one
query for the companies, one for the offices, one for the agents).
"""

from dataclasses import dataclass, field
from datetime import date

from django.utils.dateformat import format as date_format
from django.utils.formats import get_format
from django_countries import countries

from backoffice.selectors.activation import account_country, request_cass
from provisioning.accounts.domains import email_domain
from provisioning.models import AuditEvent, Company, Office, PendingReason, User, UserStatus
from provisioning.models.audit import ActorType, AuditAction

WARNING_LABELS = {
    "free_mail": "Free-mail address",
    "cass_check_digit": "CASS check digit does not match",
    "cass_other_company": "CASS belongs to another company",
    "domain_not_recorded": "Email domain not recorded",
    "details_differ": "Details differ from the request",
    "customer_id_differs": "Customer ID differs",
}

SHORT_REASONS = {
    PendingReason.AWAITING_SUPPORT: "awaiting support",
    PendingReason.AWAITING_DETAILS: "awaiting details",
    PendingReason.DETAILS_SUBMITTED: "details submitted",
}

FIELD_LABELS = {
    "status": "Status",
    "pending_reason": "Pending reason",
    "company": "Company",
    "offices": "Offices",
    "partner": "Partner",
    "personal_data": "Personal data",
    "contacted": "Contacted",
    "assigned_to": "Assigned to",
}

CHANNEL_WORDS = {"phone": "by phone", "email": "by email", "other": "another way"}


def warning_label(code: str) -> str:
    return WARNING_LABELS.get(code) or code.replace("_", " ").capitalize()


def status_words(status: str, reason: str = "") -> str:
    """ "Pending — awaiting support", "Activated", "Rejected (disabled)"."""
    if not status:
        return "—"
    label = UserStatus(status).label if status in UserStatus.values else status.capitalize()
    if status == UserStatus.DISABLED:
        label = "Rejected (disabled)"
    if status == UserStatus.PENDING and reason:
        return f"{label} — {SHORT_REASONS.get(reason, reason.replace('_', ' '))}"
    return label


def action_words(action: str) -> str:
    if action in AuditAction.values:
        return AuditAction(action).label
    return action.replace(".", " ").replace("_", " ").capitalize()


def people_date(value) -> str:
    """A date or datetime in the admin's one format for people (settings: DATE_FORMAT)."""
    if value is None:
        return "—"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return date_format(value, get_format("DATE_FORMAT"))


@dataclass
class HistoryLine:
    event: AuditEvent
    actor: str
    changes: list[str] = field(default_factory=list)


def history_lines(events: list[AuditEvent]) -> list[HistoryLine]:
    """The events with their actors and changes in words; ids resolved in three queries."""
    company_ids, office_ids, agent_ids = set(), set(), set()
    for event in events:
        for key, pair in (event.changes or {}).items():
            values = [v for v in _pair(pair) if v is not None]
            if key == "company":
                company_ids.update(v for v in values if isinstance(v, int))
            elif key == "offices":
                office_ids.update(i for v in values if isinstance(v, list) for i in v)
            elif key == "assigned_to":
                agent_ids.update(v for v in values if isinstance(v, int))
    names = {
        "company": dict(Company.objects.filter(pk__in=company_ids).values_list("pk", "legal_name"))
        if company_ids
        else {},
        "offices": {
            o.pk: f"{o.company.legal_name}, {o.city} ({o.airport_code})"
            for o in Office.objects.filter(pk__in=office_ids).select_related("company")
        }
        if office_ids
        else {},
        "assigned_to": {
            u.pk: u.get_full_name() or u.email for u in User.objects.filter(pk__in=agent_ids)
        }
        if agent_ids
        else {},
    }
    return [
        HistoryLine(event=event, actor=_actor(event), changes=_changes(event.changes, names))
        for event in events
    ]


def _pair(pair) -> list:
    return list(pair) if isinstance(pair, list | tuple) and len(pair) == 2 else [None, pair]


def _actor(event: AuditEvent) -> str:
    if event.actor_type == ActorType.STAFF:
        who = event.actor_user.get_full_name() or event.actor_user.email if event.actor_user else ""
        return f"{who or 'a former agent'} (support)"
    if event.actor_type == ActorType.PARTNER:
        name = event.actor_partner.name if event.actor_partner else "a partner"
        return f"{name} (partner API)"
    if event.actor_type == ActorType.FORWARDER:
        return "the forwarder"
    return "the system"


def _changes(changes: dict, names: dict) -> list[str]:
    changes = dict(changes or {})
    lines = []
    if "status" in changes or "pending_reason" in changes:
        old_status, new_status = _pair(changes.pop("status", [None, None]))
        old_reason, new_reason = _pair(changes.pop("pending_reason", [None, None]))
        if new_status is None:  # only the reason changed
            lines.append(
                "Pending reason: "
                + _arrow(
                    _reason(old_reason),
                    _reason(new_reason),
                )
            )
        else:
            lines.append(
                "Status: "
                + _arrow(
                    status_words(old_status, old_reason or "") if old_status else None,
                    status_words(new_status, new_reason or ""),
                )
            )
    for key, pair in changes.items():
        old, new = _pair(pair)
        label = FIELD_LABELS.get(key) or key.replace("_", " ").capitalize()
        lines.append(f"{label}: " + _arrow(_value(key, old, names), _value(key, new, names)))
    return lines


def _reason(reason) -> str | None:
    return SHORT_REASONS.get(reason, str(reason).replace("_", " ")) if reason else None


def _arrow(old: str | None, new: str | None) -> str:
    if old in (None, "") and new in (None, ""):
        return "none"
    if old in (None, ""):
        return str(new)
    if new in (None, ""):
        return f"{old} → none"
    return f"{old} → {new}"


def _value(key: str, value, names: dict) -> str | None:
    if value is None or value == "" or value == []:
        return None
    if key == "company":
        return names["company"].get(value, f"a company since removed (#{value})")
    if key == "offices" and isinstance(value, list):
        return "; ".join(
            names["offices"].get(pk, f"an office since removed (#{pk})") for pk in value
        )
    if key == "assigned_to":
        return names["assigned_to"].get(value, "a former agent")
    if key == "contacted" and isinstance(value, list) and len(value) == 2:
        return f"{people_date(value[0])} {CHANNEL_WORDS.get(value[1], value[1])}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value).replace("_", " ")


@dataclass(frozen=True)
class Difference:
    label: str
    account: str
    company: str
    same: bool


def differences(user: User, suggestion) -> list[Difference]:
    """The account's email domain, country and CASS beside a suggested company's, so that an
    agent sees what a look-alike name does not share (DESIGN §7)."""
    domain = email_domain(user.email)
    country = account_country(user)
    company = suggestion.company
    pairs = {f"{iata}/{cass}" for iata, cass in request_cass(user)}
    company_pairs = set(suggestion.cass) | {
        f"{o.iata_code}/{o.cass_code}" for o in suggestion.offices if o.iata_code
    }
    return [
        Difference(
            "Email domain",
            domain or "—",
            ", ".join(suggestion.domains) or "none recorded",
            domain in suggestion.domains,
        ),
        Difference(
            "Country",
            country_words(country),
            country_words(company.country.code),
            country == company.country.code,
        ),
        Difference(
            "CASS",
            ", ".join(sorted(pairs)) or "none sent",
            ", ".join(sorted(company_pairs)) or "none recorded",
            bool(pairs & company_pairs),
        ),
    ]


def country_words(code: str) -> str:
    if not code:
        return "—"
    name = countries.name(code)
    return f"{name} ({code})" if name else code
