"""One batch of rows: each decided in file order against the batch's facts, then all written.

The facts (facts.py) are updated as rows are decided, so a row sees what the rows before it
did exactly as if they had been applied one at a time; then the batch's changes are written
with bulk_create/bulk_update, one statement per table and kind. An unchanged row writes
nothing.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from provisioning.cass.facts import BatchFacts, CompanyRecord, OfficeRecord, RegistrationRecord
from provisioning.cass.rows import Row, RowProblem, RowRefused
from provisioning.models import Company, CompanyDomain, Office
from recognition.models import Airline, AirlineCassConfiguration, CassRegistration

_REGISTRATION_FIELDS = ("country", "office", "is_active", "updated_at")
_OFFICE_FIELDS = ("country", "airport_code", "iata_code", "cass_code")


@dataclass
class _Writes:
    """A batch's changes, written together by `_batch_write`."""

    companies: list[CompanyRecord] = field(default_factory=list)
    domains: list[tuple[str, CompanyRecord]] = field(default_factory=list)
    new_offices: list[OfficeRecord] = field(default_factory=list)
    changed_offices: dict[int, OfficeRecord] = field(default_factory=dict)
    office_fields: set[str] = field(default_factory=set)
    new_registrations: list[RegistrationRecord] = field(default_factory=list)
    changed_registrations: dict[int, RegistrationRecord] = field(default_factory=dict)
    configurations: list[tuple[RegistrationRecord, Airline]] = field(default_factory=list)
    unconfigured: list[int] = field(default_factory=list)


def _company_for(
    row: Row, registration: RegistrationRecord | None, facts: BatchFacts
) -> tuple[CompanyRecord, list[str]]:
    """The row's company and the row's domains it lacks; RowRefused when they conflict.

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
        raise RowRefused(
            "domains: they belong to different companies ("
            + ", ".join(sorted({str(company) for company in owners.values()}))
            + ")."
        )
    elif owners:
        company = next(iter(owners.values()))
    else:
        company = facts.by_name.get((row.company.lower(), row.country)) or CompanyRecord(
            None, row.company, row.country
        )
    taken = [domain for domain, owner in owners.items() if owner is not company]
    if taken:
        raise RowRefused(
            f"domains: {', '.join(taken)} already belong(s) to another company "
            f"({owners[taken[0]]}), not to {company}."
        )
    return company, [domain for domain in row.domains if domain not in owners]


def _office_for(
    row: Row, company: CompanyRecord, registration: RegistrationRecord | None, facts: BatchFacts
) -> OfficeRecord | None:
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


def _row_decide(
    row: Row, *, facts: BatchFacts, writes: _Writes, airlines: dict[str, Airline]
) -> str:
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
        office = OfficeRecord(None, company, *wanted)
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
        registration = RegistrationRecord(
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
class BatchResult:
    outcomes: list[tuple[int, Row, str]] = field(default_factory=list)
    refused: list[RowProblem] = field(default_factory=list)


def batch_apply(rows: list[tuple[int, Row]], *, airlines: dict[str, Airline]) -> BatchResult:
    """Decide and write one batch in one transaction (a savepoint inside a dry run's)."""
    result = BatchResult()
    with transaction.atomic():
        facts = BatchFacts(rows)
        writes = _Writes()
        for line, row in rows:
            try:
                outcome = _row_decide(row, facts=facts, writes=writes, airlines=airlines)
            except RowRefused as problem:
                result.refused.append(RowProblem(line, str(problem)))
                continue
            result.outcomes.append((line, row, outcome))
        _batch_write(writes)
    return result
