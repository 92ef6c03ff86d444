"""Reads of the account page: the account, its offices, partners, history and notes, and the
companies it may belong to."""

from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.db.models.functions import Lower

from backoffice.models import AccountNote
from backoffice.selectors.activation import account_country, request_cass
from provisioning.accounts.domains import email_domain, is_free_mail
from provisioning.models import AuditEvent, Company, CompanyDomain, Membership, Office, User
from recognition.models import CassRegistration

HISTORY_LIMIT = 50
NOTES_LIMIT = 50
SUGGESTION_LIMIT = 8


def account_get(*, pk: int) -> User | None:
    """A forwarder account with its company, contact mark and offices. Two queries."""
    return (
        User.objects.filter(pk=pk, is_staff=False)
        .select_related("company", "contact_mark__contacted_by", "support_claim__agent")
        .prefetch_related(
            Prefetch(
                "offices",
                queryset=Office.objects.select_related("company").order_by(
                    "country", "airport_code"
                ),
            )
        )
        .first()
    )


@dataclass
class Suggestion:
    """A company the account may belong to, and why support is shown it."""

    company: Company
    reasons: list[str] = field(default_factory=list)
    is_current: bool = False
    offices: list[Office] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    # own, domain, cass (the evidence that may pre-select it); iata, name (that may not)
    kinds: set[str] = field(default_factory=set)
    differences: list = field(default_factory=list)  # filled by the Activate form's view
    cass: list[str] = field(default_factory=list)  # its CASS registrations, "2347001/0002"

    @property
    def is_strong(self) -> bool:
        """The account's company, or one that owns its domain or its CASS registration."""
        return bool(self.kinds & STRONG_KINDS)


STRONG_KINDS = {"own", "domain", "cass"}


# Words that say nothing about which company it is.
_GENERIC_WORDS = {
    "the",
    "air",
    "cargo",
    "freight",
    "forwarding",
    "forwarders",
    "logistics",
    "logistic",
    "shipping",
    "transport",
    "international",
    "global",
    "services",
    "express",
    "gmbh",
    "ltd",
    "limited",
    "inc",
    "llc",
    "bv",
    "ab",
    "sa",
    "pte",
    "co",
    "and",
}


def name_key(name: str) -> str:
    """The first distinctive word of a company name, lower case ("" when there is none)."""
    for word in "".join(c if c.isalnum() else " " for c in name.lower()).split():
        if word not in _GENERIC_WORDS and len(word) >= 3:
            return word
    return ""


def company_suggestions(*, user: User) -> list[Suggestion]:
    """The account's company, then companies with the same email domain, the same IATA agent
    code / CASS, or a similar name in the same country. Six queries: domain, CASS, name,
    and the suggestions' offices, domains and CASS registrations."""
    found: dict[int, Suggestion] = {}

    def add(company: Company, reason: str, kind: str) -> None:
        suggestion = found.setdefault(company.pk, Suggestion(company=company))
        suggestion.reasons.append(reason)
        suggestion.kinds.add(kind)

    if user.company_id:
        found[user.company_id] = Suggestion(
            company=user.company, is_current=True, reasons=["the account's company"], kinds={"own"}
        )
    domain = email_domain(user.email)
    if not is_free_mail(domain):
        for row in CompanyDomain.objects.select_related("company").filter(domain=domain):
            add(row.company, f"owns the domain {domain}", "domain")
    pairs = request_cass(user)
    if pairs:
        registrations = (
            CassRegistration.objects.select_related("company")
            .filter(iata_code__in=[iata for iata, _ in pairs])
            .order_by("iata_code", "cass_code")[:20]
        )
        for registration in registrations:
            same = (registration.iata_code, registration.cass_code) in pairs
            add(
                registration.company,
                f"{'has the CASS' if same else 'has the IATA agent code of'} "
                f"{registration.iata_code}/{registration.cass_code}",
                "cass" if same else "iata",
            )
    requested = user.request_data.get("companyName") or ""
    key = name_key(requested)
    country = account_country(user)
    if key and country:
        # company_country_name_idx: country, then lower(legal_name) by prefix.
        similar = (
            Company.objects.annotate(name_lower=Lower("legal_name"))
            .filter(country=country, name_lower__startswith=key)
            .order_by("name_lower")[:SUGGESTION_LIMIT]
        )
        for company in similar:
            add(company, f"similar name only, in {country}", "name")
    suggestions = sorted(
        found.values(), key=lambda s: (not s.is_current, not s.is_strong, -len(s.reasons))
    )
    suggestions = suggestions[: SUGGESTION_LIMIT + 1]
    by_pk = {s.company.pk: s for s in suggestions}
    if by_pk:
        for office in Office.objects.filter(company_id__in=by_pk).order_by(
            "company_id", "country", "airport_code"
        )[:200]:
            office.company = by_pk[office.company_id].company
            by_pk[office.company_id].offices.append(office)
        for company_id, name in CompanyDomain.objects.filter(company_id__in=by_pk).values_list(
            "company_id", "domain"
        )[:100]:
            by_pk[company_id].domains.append(name)
        for company_id, iata, cass in (
            CassRegistration.objects.filter(company_id__in=by_pk, is_active=True)
            .order_by("company_id", "iata_code", "cass_code")
            .values_list("company_id", "iata_code", "cass_code")[:200]
        ):
            by_pk[company_id].cass.append(f"{iata}/{cass}")
    return suggestions


def account_offices(*, user: User) -> list[Office]:
    """The account's offices (prefetched by account_get)."""
    return list(user.offices.all())


def account_memberships(*, user: User) -> list[Membership]:
    return list(user.memberships.select_related("partner").order_by("created_at")[:50])


def account_history(*, user: User) -> tuple[list[AuditEvent], bool]:
    """The newest HISTORY_LIMIT audit rows (audit_user_created_idx) and whether there are more."""
    rows = list(
        AuditEvent.objects.filter(user=user)
        .select_related("actor_user", "actor_partner")
        .order_by("-created_at", "-id")[: HISTORY_LIMIT + 1]
    )
    return rows[:HISTORY_LIMIT], len(rows) > HISTORY_LIMIT


def account_notes(*, user: User) -> list[AccountNote]:
    return list(
        AccountNote.objects.filter(user=user)
        .select_related("author")
        .order_by("-created_at", "-id")[:NOTES_LIMIT]
    )
