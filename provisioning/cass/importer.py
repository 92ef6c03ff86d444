"""Import of the IATA CASS directory from CSV (format in docs/recognition.md).

Each row upserts one CassRegistration keyed by (IATA agent code, CASS address), with the
company, its domains and the office it belongs to, and the airlines that have it configured.
A bad row is reported with its line number and the others still import.

The file is read in batches of `batch_size` rows, each row parsed and checked on its own
(rows.py). For a batch, a handful of set-based queries load what the database already knows
of the batch's keys (registrations and their airlines, the owners of its domains, companies
by name, the offices of every company involved: facts.py); then each row is decided in file
order against those facts, kept in memory and updated as rows are decided, so a row sees what
the rows before it did exactly as if they had been applied one at a time; then the batch's
changes are written with bulk_create/bulk_update, one statement per table and kind
(batches.py). An unchanged row writes nothing.

A real run commits each batch on its own, so a long file never holds one long transaction
and its progress is visible as it goes. A dry run does all the work in one transaction that
is rolled back, so that it reports exactly what a real run would do. A batch whose writes the
database refuses (a concurrent change, say) is rolled back and done again one row at a time,
so that the refusal is reported against its line and the other rows still import.
"""

import csv
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import TextIO

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django_countries import countries

from provisioning.audit.records import Actor, audit_record
from provisioning.cass.batches import batch_apply
from provisioning.cass.rows import Row, RowProblem, RowRefused, raw_batches, row_parse, rows_reader
from recognition.models import Airline
from recognition.validators import cass_check_digit_ok

# Rows decided and written together: a few thousand keep a batch's queries and memory small
# and its transaction short. docs/performance.md has the figures.
DEFAULT_BATCH_SIZE = 2_000


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


def _batch_import(
    rows: list[tuple[int, Row]], *, airlines: dict[str, Airline], report: ImportReport
):
    try:
        result = batch_apply(rows, airlines=airlines)
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


def cass_header_check(file: TextIO) -> None:
    """CassImportError when the file's header lacks a column (read before queuing an upload)."""
    rows_reader(file)


def cass_rows_count(file: TextIO) -> int:
    """The number of data rows of a CSV file (blank lines left out), for progress."""
    return max(0, sum(1 for cells in csv.reader(file) if any(c.strip() for c in cells)) - 1)


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
    reader = rows_reader(file)
    airlines = {airline.iata_code: airline for airline in Airline.objects.all()}
    country_codes = frozenset(code for code, _ in countries)
    report = ImportReport(dry_run=dry_run)
    seen: dict[tuple[str, str], int] = {}
    rows_done = 0
    with transaction.atomic() if dry_run else nullcontext():
        for batch in raw_batches(reader, batch_size):
            first_error = len(report.errors)
            rows = []
            for line, raw in batch:
                try:
                    row = row_parse(raw, airlines=airlines, country_codes=country_codes)
                    key = (row.iata_code, row.cass_code)
                    if key in seen:
                        raise RowRefused(
                            f"{row.iata_code}/{row.cass_code} is already on line {seen[key]}."
                        )
                    seen[key] = line
                except RowRefused as problem:
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
