"""CASS imports uploaded in the admin: queued as a row, run by a worker, watched by the agent.

The upload stores the file in a CassImport row and nothing else: no request publishes to the
broker (DESIGN §2). A worker's periodic sweep (`cass_imports_start`, every
CASS_IMPORT_SWEEP_SECONDS) claims queued imports one at a time with a compare-and-set and runs
them, committing the counts after every batch, so the agent's progress page shows rows done
out of the total and the refused rows so far. In-process mode (no broker) has no worker: the
import runs in the uploading request right after its commit.
"""

import io
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from provisioning.audit.records import Actor
from provisioning.cass.importer import ImportReport, cass_directory_import, cass_rows_count
from provisioning.cass.rows import RowProblem
from provisioning.models import CassImport, CassImportStatus, User

logger = logging.getLogger(__name__)

# Problems kept in the row for the progress page; the counts are always complete.
PROBLEMS_KEPT = 500
# A running import whose worker committed nothing for this long is taken for dead: a batch
# takes seconds. A dry run commits nothing until it ends, hence the margin.
STALLED_AFTER = timedelta(minutes=30)


def _problems(problems: list[RowProblem]) -> list[list]:
    return [[problem.line, problem.message] for problem in problems[:PROBLEMS_KEPT]]


def _counts(report: ImportReport) -> dict:
    return {
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "error_count": len(report.errors),
        "warning_count": len(report.warnings),
        "errors": _problems(report.errors),
        "warnings": _problems(report.warnings),
    }


def cass_import_queue(*, file_name: str, content: str, dry_run: bool, user: User) -> CassImport:
    """Store an uploaded file (its header already checked) for a worker to import."""
    run = CassImport.objects.create(
        file_name=file_name[:255],
        content=content,
        dry_run=dry_run,
        requested_by=user,
        rows_total=cass_rows_count(io.StringIO(content, newline="")),
    )
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # In-process mode has no worker: the import runs here once the upload is committed.
        # With a broker, the beat's `cass_imports_sweep` claims it (no request publishes).
        transaction.on_commit(lambda: cass_import_execute(import_id=run.pk))
    return run


def cass_import_execute(*, import_id: int) -> bool:
    """Run one queued import; False when it is not queued (another worker has it, or it has
    ended), so that running it twice is harmless."""
    now = timezone.now()
    claimed = CassImport.objects.filter(pk=import_id, status=CassImportStatus.QUEUED).update(
        status=CassImportStatus.RUNNING, started_at=now, progressed_at=now
    )
    if not claimed:
        return False
    run = CassImport.objects.select_related("requested_by").get(pk=import_id)

    def progress(report: ImportReport, rows_done: int) -> None:
        CassImport.objects.filter(pk=import_id).update(
            rows_done=rows_done, progressed_at=timezone.now(), **_counts(report)
        )

    try:
        report = cass_directory_import(
            file=io.StringIO(run.content, newline=""),
            actor=Actor.staff(run.requested_by) if run.requested_by else Actor.system(),
            dry_run=run.dry_run,
            source=run.file_name,
            progress=progress,
        )
    except Exception as error:
        logger.exception("CASS import %s failed", import_id)
        _finish(import_id, status=CassImportStatus.FAILED, message=f"The import failed: {error}")
        return True
    _finish(
        import_id,
        status=CassImportStatus.DONE,
        message=("Dry run, nothing written: " if run.dry_run else "") + report.summary,
        rows_done=run.rows_total,
        **_counts(report),
    )
    return True


def _finish(import_id: int, *, status: CassImportStatus, message: str, **fields) -> None:
    now = timezone.now()
    CassImport.objects.filter(pk=import_id).update(
        status=status, message=message, content="", finished_at=now, progressed_at=now, **fields
    )


def cass_imports_start() -> int:
    """The worker sweep: fail the imports whose worker died, then run the queued ones, oldest
    first. Several workers may sweep at once: each import is claimed by one."""
    stalled = CassImport.objects.filter(
        status=CassImportStatus.RUNNING, progressed_at__lt=timezone.now() - STALLED_AFTER
    ).values_list("pk", flat=True)
    for import_id in stalled:
        _finish(
            import_id,
            status=CassImportStatus.FAILED,
            message="The worker running this import stopped. Upload the file again: the rows "
            "it had imported are found unchanged.",
        )
    ran = 0
    for import_id in (
        CassImport.objects.filter(status=CassImportStatus.QUEUED)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:10]
    ):
        ran += cass_import_execute(import_id=import_id)
    return ran
