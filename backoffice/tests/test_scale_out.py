"""The scale-out proof, short: bench/scale_out.py with two web instances, two Celery workers
and one beat on a PostgreSQL database and a Redis of its own (docs/operations.md)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from conftest import require

pytestmark = pytest.mark.integration

ROOT = Path(settings.BASE_DIR)


def test_two_of_each_process_deliver_every_email_and_run_every_periodic_job_once():
    require(
        settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql",
        "the scale-out run needs PostgreSQL (set DATABASE_URL=postgres://…)",
    )
    run = subprocess.run(
        [sys.executable, "bench/scale_out.py", "--calls", "90", "--clients", "6", "--json"],
        cwd=ROOT,
        env={**os.environ},
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    assert run.returncode in {0, 1}, run.stderr[-3000:]
    report = json.loads(run.stdout)

    assert report["failures"] == []
    assert report["calls"] >= 90
    assert len(report["calls_by_instance"]) == 2
    assert not any(status.startswith("5") for status in report["statuses"])
    assert report["emails_received"] == report["email_rows"] > 0
    assert report["emails_received_twice"] == 0
    assert len(report["deliveries_by_worker"]) == 2
    assert report["periodic_sent_by_beat"] == report["periodic_run_by_workers"]
    assert len(report["periodic_run_by_workers"]) == 5  # every periodic job of the beat
    assert report["task_ids_run_twice"] == 0
    assert report["reminder_emails"] == report["links_made_due"] > 0
    assert set(report["duplicates"].values()) == {0}
