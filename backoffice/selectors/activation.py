"""Which accounts can be activated without opening them, and for which company and offices.

DESIGN §7: only the account's own company, or a company that owns its email domain or its
CASS registration, may be chosen without an agent looking; a look-alike name never is. A bulk
activation therefore uses, per account, its own company or its single strong match, with the
account's offices of that company or the company's office in the account's country; anything
less certain is skipped with the reason, and the agent opens the account.

`activation_plans` reads the facts of a whole page of accounts in three queries (domains,
CASS registrations, offices of the candidate companies), whatever the page's size.
"""

from dataclasses import dataclass, field

from provisioning.accounts.domains import email_domain, is_free_mail
from provisioning.models import Company, CompanyDomain, Office, User
from recognition.models import CassRegistration


@dataclass
class Plan:
    """What a bulk activation would do with one account, or why it would skip it."""

    company: Company | None = None
    offices: list[Office] = field(default_factory=list)
    why: str = ""  # why this company: "its company", "owns acme-cargo.de", "has CASS …"
    refusal: str = ""  # why not, for the confirmation page ("" when it applies)
    short: str = ""  # the same in two or three words, for the queue's column

    @property
    def ready(self) -> bool:
        return self.company is not None and not self.refusal

    @property
    def summary(self) -> str:
        if not self.ready:
            return self.refusal
        places = ", ".join(f"{o.city} ({o.airport_code})" for o in self.offices)
        return f"{self.company.legal_name}, {places} — {self.why}"


def account_country(user: User) -> str:
    """The account's country: its company's, else the requested one, else the first office's
    the partner sent."""
    if user.company_id:
        return user.company.country.code
    data = user.request_data or {}
    offices = data.get("offices") or [{}]
    return data.get("countryCode") or (offices[0] or {}).get("countryCode") or ""


def request_cass(user: User) -> list[tuple[str, str]]:
    """The (IATA agent code, CASS address) pairs of the request's offices."""
    pairs = []
    for office in (user.request_data or {}).get("offices") or []:
        iata, cass = office.get("iataCode") or "", office.get("cassCode") or ""
        if iata and (iata, cass) not in pairs:
            pairs.append((iata, cass))
    return pairs[:10]


def activation_plans(users: list[User]) -> dict[int, Plan]:
    """{account id: Plan} for pending or disabled accounts. The accounts' offices must be
    prefetched ("offices"); three queries for the page."""
    domains = {email_domain(u.email) for u in users if not is_free_mail(email_domain(u.email))} - {
        ""
    }
    owners: dict[str, Company] = {
        row.domain: row.company
        for row in CompanyDomain.objects.select_related("company").filter(domain__in=domains)
    }
    pairs = {pair for u in users for pair in request_cass(u)}
    registrations: dict[tuple[str, str], CassRegistration] = {}
    if pairs:
        for registration in CassRegistration.objects.select_related("company").filter(
            iata_code__in={iata for iata, _ in pairs}, is_active=True
        )[:1000]:
            registrations[(registration.iata_code, registration.cass_code)] = registration

    candidates: dict[int, list[tuple[Company, str, CassRegistration | None]]] = {}
    for user in users:
        strong: list[tuple[Company, str, CassRegistration | None]] = []
        if user.company_id:
            strong.append((user.company, "its company", None))
        else:
            domain = email_domain(user.email)
            if domain in owners:
                strong.append((owners[domain], f"owns {domain}", None))
            for pair in request_cass(user):
                if pair in registrations:
                    registration = registrations[pair]
                    strong.append(
                        (registration.company, f"has CASS {pair[0]}/{pair[1]}", registration)
                    )
        candidates[user.pk] = strong

    company_ids = {c.pk for strong in candidates.values() for c, _why, _reg in strong}
    offices_of: dict[int, list[Office]] = {}
    for office in Office.objects.filter(company_id__in=company_ids).order_by(
        "company_id", "airport_code", "id"
    )[:2000]:
        offices_of.setdefault(office.company_id, []).append(office)

    return {user.pk: _plan(user, candidates[user.pk], offices_of) for user in users}


def _plan(
    user: User,
    strong: list[tuple[Company, str, CassRegistration | None]],
    offices_of: dict[int, list[Office]],
) -> Plan:
    if user.warnings:
        return Plan(refusal="it has warnings: open it to review them", short="warnings")
    companies = {company.pk: company for company, _why, _reg in strong}
    if not companies:
        return Plan(
            refusal="no company owns its domain or CASS: open it to choose one",
            short="no match",
        )
    if len(companies) > 1:
        names = ", ".join(sorted(c.legal_name for c in companies.values()))
        return Plan(
            refusal=f"{len(companies)} companies match ({names}): open it to choose",
            short=f"{len(companies)} matches",
        )
    company = strong[0][0]
    registration = next((reg for _c, _w, reg in strong if reg is not None), None)
    whys = "; ".join(dict.fromkeys(w for _c, w, _r in strong))
    plan = Plan(company=company, why=whys)
    for office in offices_of.get(company.pk, []):
        office.company = company
    own = [o for o in user.offices.all() if o.company_id == company.pk]
    if own:
        plan.offices = own
        return plan
    country = account_country(user)
    in_country = [o for o in offices_of.get(company.pk, []) if o.country.code == country]
    if registration is not None and registration.office_id:
        by_registration = [o for o in in_country if o.pk == registration.office_id]
        if by_registration:
            plan.offices = by_registration
            return plan
    requested = {
        (o.get("officeAirportCode") or "").upper()
        for o in (user.request_data or {}).get("offices") or []
    }
    at_airport = [o for o in in_country if o.airport_code in requested]
    if at_airport or len(in_country) == 1:
        plan.offices = at_airport or in_country
        return plan
    if not in_country:
        return Plan(
            refusal=f"{company.legal_name} has no office in {country or 'its country'}: "
            "open it to create one",
            short=f"no office in {country}" if country else "no office",
        )
    return Plan(
        refusal=f"{company.legal_name} has {len(in_country)} offices in {country}: "
        "open it to choose",
        short="choose office",
    )
