"""How a request finds its company and offices in the CASS directory (DESIGN §4).

Reads only, plus the creation of a new company for flow 2. The services decide the status
from what these return.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from provisioning.accounts import selectors
from provisioning.accounts.domains import email_domain, is_free_mail, validate_company_domain
from provisioning.accounts.inputs import OfficeInput, UserInput
from provisioning.models import Company, CompanyDomain, Office
from recognition.models import CassRegistration
from recognition.validators import cass_check_digit_ok


def domain_company(domain: str) -> Company | None:
    """The company owning this email domain. Free-mail domains never identify one."""
    if is_free_mail(domain):
        return None
    return selectors.domain_company(domain)


def directory_registrations(company: Company | None) -> list[CassRegistration]:
    """The company's active CASS registrations with an office; none: not in the directory."""
    if company is None:
        return []
    return list(
        CassRegistration.objects.filter(company=company, is_active=True, office__isnull=False)
        .select_related("office")
        .order_by("id")
    )


def directory_facts(email: str) -> tuple[Company | None, list[CassRegistration]]:
    """The email domain's company and its CASS directory entries: what the flows decide on."""
    known = domain_company(email_domain(email))
    return known, directory_registrations(known)


def _best(registrations: list[CassRegistration], office: OfficeInput) -> Office | None:
    in_country = [r for r in registrations if r.country.code == office.country]
    if not in_country:
        return None

    def closeness(registration: CassRegistration) -> tuple[bool, bool]:
        same_cass = office.has_cass and (registration.iata_code, registration.cass_code) == (
            office.iata_code,
            office.cass_code,
        )
        same_airport = bool(office.airport_code) and (
            registration.office.airport_code == office.airport_code
        )
        return (not same_cass, not same_airport)  # best first; ties keep directory order

    return min(in_country, key=closeness).office


def matching_offices(
    company: Company, data: UserInput, *, registrations: list[CassRegistration] | None = None
) -> list[Office]:
    """The company's active CASS offices that the request aligns with, by country.

    Each requested office picks the best office of its country (same CASS, then same airport);
    when none of them finds one, the request's own country is tried. registrations: the
    company's `directory_registrations`, when the caller has read them already.
    """
    if registrations is None:
        registrations = directory_registrations(company)
    found: list[Office] = []
    for office in data.offices:
        match = _best(registrations, office)
        if match is not None and match not in found:
            found.append(match)
    if not found and data.country:
        match = _best(registrations, OfficeInput(country=data.country))
        if match is not None:
            found.append(match)
    return found


def request_warnings(data: UserInput, *, own_company: Company | None = None) -> list[dict]:
    """What support should check: CASS codes of another company, failed check digits, …"""
    warnings: list[dict] = []
    domain = data.email.rsplit("@", 1)[-1]
    if is_free_mail(domain):
        warnings.append(
            {
                "code": "free_mail",
                "message": f"{domain} is a free-mail domain: it cannot identify the company.",
            }
        )
    for office in data.offices:
        if not office.has_cass:
            continue
        codes = f"{office.iata_code}/{office.cass_code}"
        if not cass_check_digit_ok(office.iata_code, office.cass_code):
            warnings.append(
                {
                    "code": "cass_check_digit",
                    "message": f"CASS {codes}: the CASS address's check digit does not match.",
                }
            )
        registration = (
            CassRegistration.objects.select_related("company")
            .filter(iata_code=office.iata_code, cass_code=office.cass_code)
            .first()
        )
        if registration is not None and registration.company_id != getattr(own_company, "pk", None):
            warnings.append(
                {
                    "code": "cass_other_company",
                    "message": (
                        f"CASS {codes} is registered to {registration.company.legal_name} "
                        f"(company #{registration.company_id})."
                    ),
                    "company_id": registration.company_id,
                }
            )
    return warnings


def company_create_from_request(data: UserInput) -> tuple[Company, list[dict]]:
    """Flow 2: a new company with the request's name, country and email domain."""
    company = Company.objects.create(legal_name=data.company_name, country=data.company_country)
    warnings = []
    domain = data.email.rsplit("@", 1)[-1]
    if not is_free_mail(domain):
        try:
            validate_company_domain(domain)
            # A parallel request may claim the domain first; the company then goes without.
            with transaction.atomic():
                CompanyDomain.objects.create(company=company, domain=domain)
        except (ValidationError, IntegrityError):
            warnings.append(
                {
                    "code": "domain_not_recorded",
                    "message": f"{domain} could not be recorded as the company's domain.",
                }
            )
    return company, warnings


def offices_create(company: Company, offices: tuple[OfficeInput, ...]) -> list[Office]:
    """The requested offices as Office rows of company, reusing an identical one.

    An office without an airport cannot be stored; it stays in the request data for support.
    """
    created = []
    for office in offices:
        if not office.airport_code:
            continue
        row, _ = Office.objects.get_or_create(
            company=company,
            country=office.country,
            airport_code=office.airport_code,
            iata_code=office.iata_code,
            cass_code=office.cass_code,
        )
        if row not in created:
            created.append(row)
    return created
