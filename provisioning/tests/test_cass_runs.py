from datetime import timedelta

import pytest
from django.utils import timezone

from provisioning.cass.runs import STALLED_AFTER, cass_import_execute, cass_import_queue
from provisioning.models import AuditEvent, CassImport, CassImportStatus, User, UserStatus
from provisioning.tasks import cass_import_run, cass_imports_sweep
from recognition.models import CassRegistration

pytestmark = pytest.mark.django_db

CSV = (
    "company,domains,country,office_airport,iata_code,cass_address,active,airlines\n"
    "ACME Cargo GmbH,acme-cargo.de,DE,HAM,2347001,0001,yes,EK\n"
    "\n"
    ",bad.example,DE,HAM,2347003,0000,yes,EK\n"
)


@pytest.fixture
def agent():
    return User.objects.create_user(
        "sam@example.com", "pw", status=UserStatus.ACTIVATED, is_staff=True
    )


def test_a_queued_import_counts_its_rows_and_keeps_the_file_until_it_has_run(agent):
    run = cass_import_queue(file_name="d.csv", content=CSV, dry_run=False, user=agent)

    assert (run.status, run.rows_total, run.content) == ("queued", 2, CSV)

    assert cass_import_run(run.pk) is True
    run.refresh_from_db()
    assert (run.status, run.rows_done, run.created, run.error_count) == ("done", 2, 1, 1)
    assert run.errors == [[4, "company: cannot be blank."]]
    assert run.content == ""
    assert run.finished_at is not None
    assert AuditEvent.objects.get(action="cass_directory.imported").actor_user == agent


def test_an_import_runs_once_however_often_its_task_does(agent):
    run = cass_import_queue(file_name="d.csv", content=CSV, dry_run=False, user=agent)

    assert cass_import_execute(import_id=run.pk) is True
    assert cass_import_execute(import_id=run.pk) is False
    assert cass_imports_sweep() == 0
    assert AuditEvent.objects.filter(action="cass_directory.imported").count() == 1


def test_a_file_that_breaks_the_import_fails_it_with_the_reason(agent):
    run = cass_import_queue(
        file_name="d.csv", content="company,country\nACME,DE\n", dry_run=False, user=agent
    )

    cass_import_execute(import_id=run.pk)

    run.refresh_from_db()
    assert run.status == CassImportStatus.FAILED
    assert "Missing column(s)" in run.message


def test_the_sweep_fails_an_import_whose_worker_stopped():
    stalled = CassImport.objects.create(
        file_name="d.csv",
        content=CSV,
        status=CassImportStatus.RUNNING,
        progressed_at=timezone.now() - STALLED_AFTER - timedelta(seconds=1),
    )
    alive = CassImport.objects.create(
        file_name="e.csv",
        content=CSV,
        status=CassImportStatus.RUNNING,
        progressed_at=timezone.now(),
    )

    cass_imports_sweep()

    stalled.refresh_from_db()
    alive.refresh_from_db()
    assert stalled.status == CassImportStatus.FAILED
    assert "Upload the file again" in stalled.message
    assert alive.status == CassImportStatus.RUNNING
    assert not CassRegistration.objects.exists()
