"""Import of the IATA CASS directory from CSV (format in docs/recognition.md).

Each row upserts one CassRegistration keyed by (IATA agent code, CASS address), with the
company, its domains and the office it belongs to, and the airlines that have it configured.
Rows are independent: a bad row is reported with its line number and the others still
import. A dry run does all the work in a transaction that is rolled back, so that it reports
exactly what a real run would do.
"""

import csv
import re
from dataclasses import dataclass, field
from typing import TextIO

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django_countries import countries

from recognition.models import Airline, AirlineCassConfiguration, CassRegistration
from recognition.validators import (
    airport_country,
    cass_check_digit_ok,
    validate_cass_code,
    validate_iata_agent_code,
)

from .audit import Actor, audit_record
from .domains import domain_normal_form, validate_company_domain
from .models import Company, CompanyDomain, Office

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


def _row_parse(raw: dict[str, str], *, airlines: dict[str, Airline]) -> _Row:
    """The row's values, checked; _RowRefused naming every problem otherwise."""
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
    if country not in countries:
        problems.append(f"country: {values['country'] or '(blank)'} is not an ISO country code.")
    airport = values["office_airport"].upper()
    airport_in = airport_country(airport)
    if airport_in is None:
        problems.append(f"office_airport: {airport or '(blank)'} is not a known IATA airport.")
    elif country in countries and airport_in != country:
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


def _company_for(row: _Row, registration: CassRegistration | None) -> tuple[Company, bool]:
    """The row's company, and whether it was created or given a new domain.

    A registration already in the directory keeps its company; else a company owning one of
    the row's domains; else one of that name in that country; else a new one. A domain is
    never moved from one company to another.
    """
    owners = {
        domain.domain: domain.company
        for domain in CompanyDomain.objects.filter(domain__in=row.domains).select_related("company")
    }
    owner_ids = {company.pk for company in owners.values()}
    changed = False
    if registration is not None:
        company = registration.company
    elif len(owner_ids) > 1:
        raise _RowRefused(
            "domains: they belong to different companies ("
            + ", ".join(sorted({str(company) for company in owners.values()}))
            + ")."
        )
    elif owners:
        company = next(iter(owners.values()))
    else:
        company = (
            Company.objects.filter(legal_name__iexact=row.company, country=row.country)
            .order_by("pk")
            .first()
        )
        if company is None:
            company = Company.objects.create(legal_name=row.company, country=row.country)
            changed = True
    taken = [domain for domain, owner in owners.items() if owner.pk != company.pk]
    if taken:
        raise _RowRefused(
            f"domains: {', '.join(taken)} already belong(s) to another company "
            f"({owners[taken[0]]}), not to {company}."
        )
    for domain in row.domains:
        if domain not in owners:
            CompanyDomain.objects.create(company=company, domain=domain)
            changed = True
    return company, changed


def _office_for(
    row: _Row, company: Company, registration: CassRegistration | None
) -> tuple[Office, bool]:
    """The office the registration belongs to, and whether it was created or changed."""
    office = registration.office if registration is not None else None
    if office is None:
        office = company.offices.filter(iata_code=row.iata_code, cass_code=row.cass_code).first()
    if office is None:
        office = company.offices.filter(airport_code=row.airport, iata_code="").first()
    if office is None:
        office = Office.objects.create(
            company=company,
            country=row.country,
            airport_code=row.airport,
            iata_code=row.iata_code,
            cass_code=row.cass_code,
        )
        return office, True
    wanted = {
        "country": row.country,
        "airport_code": row.airport,
        "iata_code": row.iata_code,
        "cass_code": row.cass_code,
    }
    stale = [name for name, value in wanted.items() if str(getattr(office, name)) != value]
    for name in stale:
        setattr(office, name, wanted[name])
    if stale:
        office.save(update_fields=stale)
    return office, bool(stale)


def _row_apply(row: _Row, *, airlines: dict[str, Airline]) -> str:
    """Upsert one row; returns "created", "updated" or "unchanged"."""
    registration = (
        CassRegistration.objects.select_related("company", "office")
        .filter(iata_code=row.iata_code, cass_code=row.cass_code)
        .first()
    )
    company, company_changed = _company_for(row, registration)
    office, office_changed = _office_for(row, company, registration)
    if registration is None:
        registration = CassRegistration.objects.create(
            iata_code=row.iata_code,
            cass_code=row.cass_code,
            country=row.country,
            company=company,
            office=office,
            is_active=row.is_active,
        )
        outcome = "created"
    else:
        wanted = {"country": row.country, "office_id": office.pk, "is_active": row.is_active}
        stale = [name for name, value in wanted.items() if _value(registration, name) != value]
        for name in stale:
            setattr(registration, name, wanted[name])
        if stale:
            registration.save(update_fields=[*stale, "updated_at"])
        outcome = "updated" if stale or company_changed or office_changed else "unchanged"
    # The row lists every airline that has the registration configured: sync to it exactly.
    configured = dict(registration.airline_configurations.values_list("airline__iata_code", "pk"))
    added = [code for code in row.airlines if code not in configured]
    removed = [pk for code, pk in configured.items() if code not in row.airlines]
    AirlineCassConfiguration.objects.bulk_create(
        AirlineCassConfiguration(airline=airlines[code], registration=registration)
        for code in added
    )
    AirlineCassConfiguration.objects.filter(pk__in=removed).delete()
    if outcome == "unchanged" and (added or removed):
        outcome = "updated"
    return outcome


def _value(registration: CassRegistration, name: str):
    value = getattr(registration, name)
    return value.code if name == "country" else value


def cass_directory_import(
    *, file: TextIO, actor: Actor, dry_run: bool = False, source: str = ""
) -> ImportReport:
    """Upsert the CASS directory rows of a CSV file; see the module docstring."""
    reader = csv.DictReader(file)
    if not reader.fieldnames:
        raise CassImportError("The file is empty: a header row is expected.")
    reader.fieldnames = [_header_name(name) for name in reader.fieldnames]
    missing = [name for name in COLUMNS if name not in reader.fieldnames]
    if missing:
        raise CassImportError(
            f"Missing column(s): {', '.join(missing)}. Expected: {', '.join(COLUMNS)}."
        )
    airlines = {airline.iata_code: airline for airline in Airline.objects.all()}
    report = ImportReport(dry_run=dry_run)
    seen: dict[tuple[str, str], int] = {}
    with transaction.atomic():
        for raw in reader:
            line = reader.line_num
            if not any((value or "").strip() for value in raw.values() if isinstance(value, str)):
                continue  # a blank line
            try:
                row = _row_parse(raw, airlines=airlines)
                key = (row.iata_code, row.cass_code)
                if key in seen:
                    raise _RowRefused(
                        f"{row.iata_code}/{row.cass_code} is already on line {seen[key]}."
                    )
                seen[key] = line
                with transaction.atomic():
                    outcome = _row_apply(row, airlines=airlines)
            except _RowRefused as problem:
                report.errors.append(RowProblem(line, str(problem)))
                continue
            except (ValidationError, DatabaseError) as problem:
                report.errors.append(RowProblem(line, f"not stored: {problem}"))
                continue
            setattr(report, outcome, getattr(report, outcome) + 1)
            if not cass_check_digit_ok(row.iata_code, row.cass_code):
                report.warnings.append(
                    RowProblem(
                        line,
                        f"{row.iata_code}/{row.cass_code}: the CASS check digit does not match "
                        "(imported anyway; check with the forwarder).",
                    )
                )
        if dry_run:
            transaction.set_rollback(True)
        else:
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
