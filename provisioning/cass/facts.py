"""What the database already knows of one batch's keys, read in a handful of set-based queries.

The queries take the batch's keys, domains and names as sets, so that a batch costs the same
few round trips whatever its size, never a query per row.
"""

from dataclasses import dataclass

from django.db.models.functions import Lower

from provisioning.cass.rows import Row
from provisioning.models import Company, CompanyDomain, Office
from recognition.models import AirlineCassConfiguration, CassRegistration


# The batch's facts are plain records, not model instances: a batch reads tens of thousands of
# rows and most of them change nothing, so they are never worth a model instance. Instances
# are made for the rows that are written (batches.py).
@dataclass(eq=False, slots=True)
class CompanyRecord:
    pk: int | None
    legal_name: str
    country: str

    def __str__(self):
        return f"{self.legal_name} ({self.country})"


@dataclass(eq=False, slots=True)
class OfficeRecord:
    pk: int | None
    company: CompanyRecord
    country: str
    airport_code: str
    iata_code: str
    cass_code: str


@dataclass(eq=False, slots=True)
class RegistrationRecord:
    pk: int | None
    iata_code: str
    cass_code: str
    country: str
    company: CompanyRecord
    office: OfficeRecord | None
    office_id: int | None
    is_active: bool


class BatchFacts:
    """What the database knows of one batch's keys, updated as the batch's rows are decided.

    Each company and office is one record here, however it was reached (a registration, a
    domain, a name), so that a change made for one row is seen by the next."""

    def __init__(self, rows: list[tuple[int, Row]]):
        keys = {(row.iata_code, row.cass_code) for _, row in rows}
        domains = {domain for _, row in rows for domain in row.domains}
        names = {row.company.lower() for _, row in rows}
        self.companies: dict[int, CompanyRecord] = {}
        self.registrations: dict[tuple[str, str], RegistrationRecord] = {}
        for pk, iata_code, cass_code, country, office_id, is_active, *company in (
            CassRegistration.objects.filter(iata_code__in={code for code, _ in keys})
            .values_list(
                "pk",
                "iata_code",
                "cass_code",
                "country",
                "office_id",
                "is_active",
                "company_id",
                "company__legal_name",
                "company__country",
            )
            .order_by()
        ):
            if (iata_code, cass_code) in keys:  # not another CASS address of the same agent
                self.registrations[(iata_code, cass_code)] = RegistrationRecord(
                    pk, iata_code, cass_code, country, self._company(*company), None, office_id,
                    is_active,
                )  # fmt: skip
        # Registration id -> {airline code: configuration id}.
        self.configured: dict[int, dict[str, int]] = {}
        if self.registrations:
            for registration_id, code, pk in (
                AirlineCassConfiguration.objects.filter(
                    registration_id__in=[r.pk for r in self.registrations.values()]
                )
                .values_list("registration_id", "airline__iata_code", "pk")
                .order_by()
            ):
                self.configured.setdefault(registration_id, {})[code] = pk
        self.domain_owners: dict[str, CompanyRecord] = {
            domain: self._company(*company)
            for domain, *company in CompanyDomain.objects.filter(domain__in=domains)
            .values_list("domain", "company_id", "company__legal_name", "company__country")
            .order_by()
        }
        # By name in a country, any letter case. The filter on Lower("legal_name") is the
        # expression of the index company_country_name_idx (country, lower(legal_name)), so it
        # is the one the query uses (`legal_name__iexact` compiles to UPPER() and used none).
        self.by_name: dict[tuple[str, str], CompanyRecord] = {}
        for company in (
            Company.objects.annotate(name_lower=Lower("legal_name"))
            .filter(country__in={row.country for _, row in rows}, name_lower__in=names)
            .values_list("pk", "legal_name", "country")
            .order_by("pk")
        ):
            company = self._company(*company)
            self.by_name.setdefault((company.legal_name.lower(), company.country), company)
        # Company -> its offices (in the order a lookup prefers them), for every company a row
        # of the batch may join; then the registrations' offices that belong to none of these
        # companies (support moved one by hand), which are rare: a second query only for them.
        # Two queries rather than one with an OR, which PostgreSQL answers with a scan.
        self.offices: dict[int, list[OfficeRecord]] = {id(c): [] for c in self.companies.values()}
        offices_by_pk: dict[int, OfficeRecord] = {}
        self._offices_load(
            Office.objects.filter(company_id__in=list(self.companies)), offices_by_pk
        )
        elsewhere = {r.office_id for r in self.registrations.values() if r.office_id}
        elsewhere -= offices_by_pk.keys()
        if elsewhere:
            self._offices_load(Office.objects.filter(pk__in=elsewhere), offices_by_pk)
        for registration in self.registrations.values():
            registration.office = offices_by_pk.get(registration.office_id)

    def _offices_load(self, offices, offices_by_pk: dict[int, OfficeRecord]) -> None:
        for pk, country, airport_code, iata_code, cass_code, *company in offices.values_list(
            "pk",
            "country",
            "airport_code",
            "iata_code",
            "cass_code",
            "company_id",
            "company__legal_name",
            "company__country",
        ).order_by("country", "airport_code", "pk"):
            company = self._company(*company)
            office = OfficeRecord(pk, company, country, airport_code, iata_code, cass_code)
            self.offices.setdefault(id(company), []).append(office)
            offices_by_pk[pk] = office

    def _company(self, pk: int, legal_name: str, country: str) -> CompanyRecord:
        company = self.companies.get(pk)
        if company is None:
            company = self.companies[pk] = CompanyRecord(pk, legal_name, country)
        return company
