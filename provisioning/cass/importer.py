"""Import of the IATA CASS directory from CSV (format in docs/recognition.md).

Each row upserts one CassRegistration keyed by (IATA agent code, CASS address), with the
company, its domains and the office it belongs to, and the airlines that have it configured.
A bad row is reported with its line number and the others still import.

The file is read in batches of `batch_size` rows. For a batch, a handful of set-based queries
load what the database already knows of the batch's keys (registrations and their airlines,
the owners of its domains, companies by name, the offices of every company involved); then
each row is decided in file order against those facts, kept in memory and updated as rows
are decided, so a row sees what the rows before it did exactly as if they had been applied
one at a time; then the batch's changes are written with bulk_create/bulk_update, one
statement per table and kind. An unchanged row writes nothing.

A real run commits each batch on its own, so a long file never holds one long transaction
and its progress is visible as it goes. A dry run does all the work in one transaction that
is rolled back, so that it reports exactly what a real run would do. A batch whose writes the
database refuses (a concurrent change, say) is rolled back and done again one row at a time,
so that the refusal is reported against its line and the other rows still import.
"""

import csv
import re
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import TextIO

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django_countries import countries

from provisioning.accounts.domains import domain_normal_form, validate_company_domain
from provisioning.audit.records import Actor, audit_record
from provisioning.models import Company, CompanyDomain, Office
from recognition.models import Airline, AirlineCassConfiguration, CassRegistration
from recognition.validators import (
    airport_country,
    cass_check_digit_ok,
    validate_cass_code,
    validate_iata_agent_code,
)

# Rows decided and written together: a few thousand keep a batch's queries and memory small
# and its transaction short. docs/performance.md has the figures.
DEFAULT_BATCH_SIZE = 2_000

COLUMNS = (
    "company",
    "domains",
    "country",
    "office_airport",
    "iata_code",
    "cass_address",
    "active",
    "airlines",
)
# Header spellings accepted besides the canonical ones above.
_ALIASES = {
    "cass_code": "cass_address",
    "airport": "office_airport",
    "airlines_configured": "airlines",
}
_TRUE = {"", "1", "y", "yes", "true", "active"}
_FALSE = {"0", "n", "no", "false", "inactive"}
_LIST_SEPARATORS = re.compile(r"[\s;,]+")
_COMPANY_NAME_MAX = Company._meta.get_field("legal_name").max_length


class CassImportError(Exception):
    """The file as a whole cannot be read (no header, missing columns)."""


@dataclass(frozen=True)
class RowProblem:
    line: int
    message: str

    def __str__(self):
        return f"line {self.line}: {self.message}"


@dataclass
class ImportReport:
    dry_run: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowProblem] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)

    @property
    def summary(self) -> str:
        verb = "would be" if self.dry_run else "were"
        return (
            f"{self.created} registration(s) {verb} created, {self.updated} updated, "
            f"{self.unchanged} unchanged; {len(self.errors)} row(s) refused, "
            f"{len(self.warnings)} warning(s)."
        )


@dataclass(frozen=True)
class _Row:
    company: str
    domains: tuple[str, ...]
    country: str
    airport: str
    iata_code: str
    cass_code: str
    is_active: bool
    airlines: tuple[str, ...]


class _RowRefused(Exception):
    pass


def _header_name(raw: str) -> str:
    name = re.sub(r"[\s-]+", "_", (raw or "").strip().lower())
    return _ALIASES.get(name, name)


def _split(value: str) -> list[str]:
    return [part for part in _LIST_SEPARATORS.split(value or "") if part]


def _row_parse(
    raw: dict[str, str], *, airlines: dict[str, Airline], country_codes: frozenset[str]
) -> _Row:
    """The row's values, checked; _RowRefused naming every problem otherwise.

    country_codes: the codes of `countries`, read once per import (a lookup in `countries`
    itself goes through the active translation, and costs more than the rest of the row)."""
    values = {name: (raw.get(name) or "").strip() for name in COLUMNS}
    problems = []

    def check(validator, value, column):
        try:
            validator(value)
        except ValidationError as error:
            problems.append(f"{column}: {' '.join(error.messages)}")

    company = values["company"]
    if not company:
        problems.append("company: cannot be blank.")
    elif len(company) > _COMPANY_NAME_MAX:
        problems.append(f"company: at most {_COMPANY_NAME_MAX} characters.")
    domains = tuple(dict.fromkeys(domain_normal_form(d) for d in _split(values["domains"])))
    for domain in domains:
        check(validate_company_domain, domain, "domains")
    country = values["country"].upper()
    if country not in country_codes:
        problems.append(f"country: {values['country'] or '(blank)'} is not an ISO country code.")
    airport = values["office_airport"].upper()
    airport_in = airport_country(airport)
    if airport_in is None:
        problems.append(f"office_airport: {airport or '(blank)'} is not a known IATA airport.")
    elif country in country_codes and airport_in != country:
        problems.append(f"office_airport: {airport} is not in {countries.name(country)}.")
    check(validate_iata_agent_code, values["iata_code"], "iata_code")
    check(validate_cass_code, values["cass_address"], "cass_address")
    active = values["active"].lower()
    if active not in _TRUE | _FALSE:
        problems.append(f"active: {values['active']} is not yes/no.")
    codes = tuple(dict.fromkeys(code.upper() for code in _split(values["airlines"])))
    unknown = [code for code in codes if code not in airlines]
    if unknown:
        problems.append(f"airlines: unknown airline code(s) {', '.join(unknown)}.")
    if problems:
        raise _RowRefused(" ".join(problems))
    return _Row(
        company=company,
        domains=domains,
        country=country,
        airport=airport,
        iata_code=values["iata_code"],
        cass_code=values["cass_address"],
        is_active=active in _TRUE,
        airlines=codes,
    )


_REGISTRATION_FIELDS = ("country", "office", "is_active", "updated_at")
_OFFICE_FIELDS = ("country", "airport_code", "iata_code", "cass_code")


# The batch's facts are plain records, not model instances: a batch reads tens of thousands of
# rows and most of them change nothing, so they are never worth a model instance. Instances
# are made for the rows that are written, in `_batch_write`.
@dataclass(eq=False, slots=True)
class _Company:
    pk: int | None
    legal_name: str
    country: str

    def __str__(self):
        return f"{self.legal_name} ({self.country})"


@dataclass(eq=False, slots=True)
class _Office:
    pk: int | None
    company: _Company
    country: str
    airport_code: str
    iata_code: str
    cass_code: str


@dataclass(eq=False, slots=True)
class _Registration:
    pk: int | None
    iata_code: str
    cass_code: str
    country: str
    company: _Company
    office: _Office | None
    office_id: int | None
    is_active: bool


class _Facts:
    """What the database knows of one batch's keys, updated as the batch's rows are decided.

    Each company and office is one record here, however it was reached (a registration, a
    domain, a name), so that a change made for one row is seen by the next."""

    def __init__(self, rows: list[tuple[int, _Row]]):
        keys = {(row.iata_code, row.cass_code) for _, row in rows}
        domains = {domain for _, row in rows for domain in row.domains}
        names = {row.company.lower() for _, row in rows}
        self.companies: dict[int, _Company] = {}
        self.registrations: dict[tuple[str, str], _Registration] = {}
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
                self.registrations[(iata_code, cass_code)] = _Registration(
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
        self.domain_owners: dict[str, _Company] = {
            domain: self._company(*company)
            for domain, *company in CompanyDomain.objects.filter(domain__in=domains)
            .values_list("domain", "company_id", "company__legal_name", "company__country")
            .order_by()
        }
        # By name in a country, any letter case. The filter on Lower("legal_name") is the
        # expression of the index company_country_name_idx (country, lower(legal_name)), so it
        # is the one the query uses (`legal_name__iexact` compiles to UPPER() and used none).
        self.by_name: dict[tuple[str, str], _Company] = {}
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
        self.offices: dict[int, list[_Office]] = {id(c): [] for c in self.companies.values()}
        offices_by_pk: dict[int, _Office] = {}
        self._offices_load(
            Office.objects.filter(company_id__in=list(self.companies)), offices_by_pk
        )
        elsewhere = {r.office_id for r in self.registrations.values() if r.office_id}
        elsewhere -= offices_by_pk.keys()
        if elsewhere:
            self._offices_load(Office.objects.filter(pk__in=elsewhere), offices_by_pk)
        for registration in self.registrations.values():
            registration.office = offices_by_pk.get(registration.office_id)

    def _offices_load(self, offices, offices_by_pk: dict[int, _Office]) -> None:
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
            office = _Office(pk, company, country, airport_code, iata_code, cass_code)
            self.offices.setdefault(id(company), []).append(office)
            offices_by_pk[pk] = office

    def _company(self, pk: int, legal_name: str, country: str) -> _Company:
        company = self.companies.get(pk)
        if company is None:
            company = self.companies[pk] = _Company(pk, legal_name, country)
        return company


@dataclass
class _Writes:
    """A batch's changes, written together by `_batch_write`."""

    companies: list[_Company] = field(default_factory=list)
    domains: list[tuple[str, _Company]] = field(default_factory=list)
    new_offices: list[_Office] = field(default_factory=list)
    changed_offices: dict[int, _Office] = field(default_factory=dict)
    office_fields: set[str] = field(default_factory=set)
    new_registrations: list[_Registration] = field(default_factory=list)
    changed_registrations: dict[int, _Registration] = field(default_factory=dict)
    configurations: list[tuple[_Registration, Airline]] = field(default_factory=list)
    unconfigured: list[int] = field(default_factory=list)


def _company_for(
    row: _Row, registration: _Registration | None, facts: _Facts
) -> tuple[_Company, list[str]]:
    """The row's company and the row's domains it lacks; _RowRefused when they conflict.

    A registration already in the directory keeps its company; else a company owning one of
    the row's domains; else one of that name in that country (any letter case); else a new
    one (not yet in `facts`: the caller records it once the row is accepted). A domain is
    never moved from one company to another.
    """
    owners = {
        domain: facts.domain_owners[domain]
        for domain in row.domains
        if domain in facts.domain_owners
    }
    if registration is not None:
        company = registration.company
    elif len({id(owner) for owner in owners.values()}) > 1:
        raise _RowRefused(
            "domains: they belong to different companies ("
            + ", ".join(sorted({str(company) for company in owners.values()}))
            + ")."
        )
    elif owners:
        company = next(iter(owners.values()))
    else:
        company = facts.by_name.get((row.company.lower(), row.country)) or _Company(
            None, row.company, row.country
        )
    taken = [domain for domain, owner in owners.items() if owner is not company]
    if taken:
        raise _RowRefused(
            f"domains: {', '.join(taken)} already belong(s) to another company "
            f"({owners[taken[0]]}), not to {company}."
        )
    return company, [domain for domain in row.domains if domain not in owners]


def _office_for(
    row: _Row, company: _Company, registration: _Registration | None, facts: _Facts
) -> _Office | None:
    """The office the registration belongs to; None when a new one is needed: the
    registration's office; else the company's office with the same codes; else its office
    at that airport without codes."""
    if registration is not None and registration.office is not None:
        return registration.office
    offices = facts.offices.get(id(company), [])
    for office in offices:
        if (office.iata_code, office.cass_code) == (row.iata_code, row.cass_code):
            return office
    for office in offices:
        if office.airport_code == row.airport and office.iata_code == "":
            return office
    return None


def _row_decide(row: _Row, *, facts: _Facts, writes: _Writes, airlines: dict[str, Airline]) -> str:
    """Decide one row against `facts`, record its changes in `writes` and in `facts`; returns
    "created", "updated" or "unchanged". Nothing is recorded for a refused row."""
    registration = facts.registrations.get((row.iata_code, row.cass_code))
    company, new_domains = _company_for(row, registration, facts)
    # The row is accepted from here on.
    changed = bool(new_domains)
    if id(company) not in facts.offices:
        writes.companies.append(company)
        facts.by_name[(row.company.lower(), row.country)] = company
        facts.offices[id(company)] = []
        changed = True
    for domain in new_domains:
        writes.domains.append((domain, company))
        facts.domain_owners[domain] = company
    office = _office_for(row, company, registration, facts)
    wanted = (row.country, row.airport, row.iata_code, row.cass_code)
    if office is None:
        office = _Office(None, company, *wanted)
        writes.new_offices.append(office)
        facts.offices[id(company)].append(office)
        changed = True
    else:
        stale = [
            name
            for name, value in zip(_OFFICE_FIELDS, wanted, strict=True)
            if getattr(office, name) != value
        ]
        if stale:
            office.country, office.airport_code, office.iata_code, office.cass_code = wanted
            changed = True
            if office.pk is not None:
                writes.office_fields.update(stale)
                writes.changed_offices[office.pk] = office
    if registration is None:
        registration = _Registration(
            None, row.iata_code, row.cass_code, row.country, company, office, None, row.is_active
        )
        writes.new_registrations.append(registration)
        facts.registrations[(row.iata_code, row.cass_code)] = registration
        configured: dict[str, int] = {}
        outcome = "created"
    else:
        if (
            registration.country != row.country
            or registration.is_active != row.is_active
            or registration.office is not office
        ):
            registration.country, registration.is_active = row.country, row.is_active
            registration.office = office
            writes.changed_registrations[registration.pk] = registration
            changed = True
        configured = facts.configured.get(registration.pk, {})
        outcome = "updated" if changed else "unchanged"
    # The row lists every airline that has the registration configured: sync to it exactly.
    added = [code for code in row.airlines if code not in configured]
    removed = [pk for code, pk in configured.items() if code not in row.airlines]
    writes.configurations.extend((registration, airlines[code]) for code in added)
    writes.unconfigured.extend(removed)
    if outcome == "unchanged" and (added or removed):
        outcome = "updated"
    return outcome


def _batch_write(writes: _Writes) -> None:
    """One statement per table and kind of change (more only where the database limits the
    number of parameters of one statement); none for what the batch left unchanged. Parents
    first, so that children are built with their parents' ids."""
    if writes.companies:
        created = Company.objects.bulk_create(
            Company(legal_name=c.legal_name, country=c.country) for c in writes.companies
        )
        for record, company in zip(writes.companies, created, strict=True):
            record.pk = company.pk
    if writes.domains:
        CompanyDomain.objects.bulk_create(
            CompanyDomain(domain=domain, company_id=company.pk)
            for domain, company in writes.domains
        )
    if writes.new_offices:
        created = Office.objects.bulk_create(
            Office(
                company_id=o.company.pk,
                country=o.country,
                airport_code=o.airport_code,
                iata_code=o.iata_code,
                cass_code=o.cass_code,
            )
            for o in writes.new_offices
        )
        for record, office in zip(writes.new_offices, created, strict=True):
            record.pk = office.pk
    if writes.changed_offices:
        Office.objects.bulk_update(
            [
                Office(pk=o.pk, **{name: getattr(o, name) for name in _OFFICE_FIELDS})
                for o in writes.changed_offices.values()
            ],
            fields=sorted(writes.office_fields),
        )
    now = timezone.now()
    if writes.new_registrations:
        # Another import may add the same key meanwhile: the row then updates it, as it would
        # have had it come second.
        created = CassRegistration.objects.bulk_create(
            [
                CassRegistration(
                    iata_code=r.iata_code,
                    cass_code=r.cass_code,
                    country=r.country,
                    company_id=r.company.pk,
                    office_id=r.office.pk,
                    is_active=r.is_active,
                    created_at=now,
                    updated_at=now,
                )
                for r in writes.new_registrations
            ],
            update_conflicts=True,
            unique_fields=["iata_code", "cass_code"],
            update_fields=list(_REGISTRATION_FIELDS),
        )
        for record, registration in zip(writes.new_registrations, created, strict=True):
            record.pk = registration.pk
    if writes.changed_registrations:
        CassRegistration.objects.bulk_update(
            [
                CassRegistration(
                    pk=r.pk,
                    country=r.country,
                    office_id=r.office.pk,
                    is_active=r.is_active,
                    updated_at=now,
                )
                for r in writes.changed_registrations.values()
            ],
            fields=list(_REGISTRATION_FIELDS),
        )
    if writes.configurations:
        AirlineCassConfiguration.objects.bulk_create(
            [
                AirlineCassConfiguration(
                    airline_id=airline.pk, registration_id=registration.pk, created_at=now
                )
                for registration, airline in writes.configurations
            ],
            ignore_conflicts=True,
        )
    if writes.unconfigured:
        AirlineCassConfiguration.objects.filter(pk__in=writes.unconfigured).delete()


@dataclass
class _BatchResult:
    outcomes: list[tuple[int, _Row, str]] = field(default_factory=list)
    refused: list[RowProblem] = field(default_factory=list)


def _batch_apply(rows: list[tuple[int, _Row]], *, airlines: dict[str, Airline]) -> _BatchResult:
    """Decide and write one batch in one transaction (a savepoint inside a dry run's)."""
    result = _BatchResult()
    with transaction.atomic():
        facts = _Facts(rows)
        writes = _Writes()
        for line, row in rows:
            try:
                outcome = _row_decide(row, facts=facts, writes=writes, airlines=airlines)
            except _RowRefused as problem:
                result.refused.append(RowProblem(line, str(problem)))
                continue
            result.outcomes.append((line, row, outcome))
        _batch_write(writes)
    return result


def _batch_import(
    rows: list[tuple[int, _Row]], *, airlines: dict[str, Airline], report: ImportReport
):
    try:
        result = _batch_apply(rows, airlines=airlines)
    except (ValidationError, DatabaseError) as problem:
        if len(rows) == 1:
            report.errors.append(RowProblem(rows[0][0], f"not stored: {problem}"))
            return
        # Find the row the database refused: the same work, one row at a time.
        for line_row in rows:
            _batch_import([line_row], airlines=airlines, report=report)
        return
    report.errors.extend(result.refused)
    for line, row, outcome in result.outcomes:
        setattr(report, outcome, getattr(report, outcome) + 1)
        if not cass_check_digit_ok(row.iata_code, row.cass_code):
            report.warnings.append(
                RowProblem(
                    line,
                    f"{row.iata_code}/{row.cass_code}: the CASS check digit does not match "
                    "(imported anyway; check with the forwarder).",
                )
            )


def _reader(file: TextIO) -> csv.DictReader:
    reader = csv.DictReader(file)
    if not reader.fieldnames:
        raise CassImportError("The file is empty: a header row is expected.")
    reader.fieldnames = [_header_name(name) for name in reader.fieldnames]
    missing = [name for name in COLUMNS if name not in reader.fieldnames]
    if missing:
        raise CassImportError(
            f"Missing column(s): {', '.join(missing)}. Expected: {', '.join(COLUMNS)}."
        )
    return reader


def cass_header_check(file: TextIO) -> None:
    """CassImportError when the file's header lacks a column (read before queuing an upload)."""
    _reader(file)


def cass_rows_count(file: TextIO) -> int:
    """The number of data rows of a CSV file (blank lines left out), for progress."""
    return max(0, sum(1 for cells in csv.reader(file) if any(c.strip() for c in cells)) - 1)


def _batches(reader: csv.DictReader, size: int) -> Iterable[list[tuple[int, dict]]]:
    batch = []
    for raw in reader:
        if not any((value or "").strip() for value in raw.values() if isinstance(value, str)):
            continue  # a blank line
        batch.append((reader.line_num, raw))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def cass_directory_import(
    *,
    file: TextIO,
    actor: Actor,
    dry_run: bool = False,
    source: str = "",
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[ImportReport, int], None] | None = None,
) -> ImportReport:
    """Upsert the CASS directory rows of a CSV file; see the module docstring.

    progress(report, rows_done) is called after each batch of a real run is committed (a dry
    run is one transaction: nothing of it is visible before it ends)."""
    reader = _reader(file)
    airlines = {airline.iata_code: airline for airline in Airline.objects.all()}
    country_codes = frozenset(code for code, _ in countries)
    report = ImportReport(dry_run=dry_run)
    seen: dict[tuple[str, str], int] = {}
    rows_done = 0
    with transaction.atomic() if dry_run else nullcontext():
        for batch in _batches(reader, batch_size):
            first_error = len(report.errors)
            rows = []
            for line, raw in batch:
                try:
                    row = _row_parse(raw, airlines=airlines, country_codes=country_codes)
                    key = (row.iata_code, row.cass_code)
                    if key in seen:
                        raise _RowRefused(
                            f"{row.iata_code}/{row.cass_code} is already on line {seen[key]}."
                        )
                    seen[key] = line
                except _RowRefused as problem:
                    report.errors.append(RowProblem(line, str(problem)))
                    continue
                rows.append((line, row))
            if rows:
                _batch_import(rows, airlines=airlines, report=report)
            # Parsing refusals come before the batch's others: put the batch's in line order.
            report.errors[first_error:] = sorted(
                report.errors[first_error:], key=lambda problem: problem.line
            )
            rows_done += len(batch)
            if progress is not None and not dry_run:
                progress(report, rows_done)
        if dry_run:
            transaction.set_rollback(True)
    if not dry_run:
        with transaction.atomic():
            audit_record(
                actor=actor,
                action="cass_directory.imported",
                user=None,
                changes={
                    "created": report.created,
                    "updated": report.updated,
                    "unchanged": report.unchanged,
                    "refused": len(report.errors),
                },
                note=source,
            )
    return report
