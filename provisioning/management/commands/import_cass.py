"""`manage.py import_cass FILE.csv [--dry-run] [--batch-size N]`: load the IATA CASS directory."""

from django.core.management.base import BaseCommand, CommandError

from provisioning.audit.records import Actor
from provisioning.cass.importer import DEFAULT_BATCH_SIZE, cass_directory_import
from provisioning.cass.rows import CassImportError


class Command(BaseCommand):
    help = (
        "Upsert CASS registrations, their companies, domains and offices, and the airlines "
        "that have them configured, from a CSV file (format: docs/recognition.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file, UTF-8, with a header row.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; write nothing."
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"Rows read and written together (default {DEFAULT_BATCH_SIZE}).",
        )

    def handle(self, *args, file, dry_run=False, batch_size=DEFAULT_BATCH_SIZE, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")

        def progress(report, rows_done):
            if options.get("verbosity", 1) >= 2:
                self.stdout.write(f"{rows_done} rows done, {len(report.errors)} refused so far")

        try:
            with open(file, encoding="utf-8-sig", newline="") as handle:
                report = cass_directory_import(
                    file=handle,
                    actor=Actor.system(),
                    dry_run=dry_run,
                    source=file,
                    batch_size=batch_size,
                    progress=progress,
                )
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from error
        except UnicodeDecodeError as error:
            raise CommandError(f"{file} is not UTF-8 text.") from error
        except CassImportError as error:
            raise CommandError(str(error)) from error
        for problem in report.errors:
            self.stderr.write(f"Refused {problem}")
        for problem in report.warnings:
            self.stdout.write(self.style.WARNING(f"Warning {problem}"))
        prefix = "Dry run, nothing written: " if dry_run else ""
        style = self.style.WARNING if report.errors else self.style.SUCCESS
        self.stdout.write(style(prefix + report.summary))
