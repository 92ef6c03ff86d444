from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class CassImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class CassImport(models.Model):
    """One CSV file of the CASS directory uploaded in the admin, and how far its import got.

    The file's text is kept in the row until the import ends: the worker that runs it may be
    on another host than the web process that received it, and shares only the database."""

    status = models.CharField(
        max_length=10, choices=CassImportStatus.choices, default=CassImportStatus.QUEUED
    )
    dry_run = models.BooleanField(default=False)
    file_name = models.CharField(max_length=255)
    content = models.TextField(blank=True, help_text="The file, until its import has ended.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    warning_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(
        default=list, blank=True, help_text="[line, message] of the first refused rows."
    )
    warnings = models.JSONField(
        default=list, blank=True, help_text="[line, message] of the first warnings."
    )
    message = models.TextField(blank=True, help_text="The summary, or why the import failed.")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progressed_at = models.DateTimeField(
        null=True, blank=True, help_text="The last batch a worker committed (or its start)."
    )

    class Meta:
        verbose_name = "CASS import"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CassImportStatus.values), name="cass_import_status_valid"
            ),
        ]
        indexes = [
            # The sweep starts the queued imports and finds the ones whose worker died.
            models.Index(fields=["status", "created_at"], name="cass_import_status_idx"),
        ]

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display().lower()})"

    @property
    def is_finished(self) -> bool:
        return self.status in {CassImportStatus.DONE, CassImportStatus.FAILED}

    @property
    def percent_done(self) -> int:
        if self.status == CassImportStatus.DONE:
            return 100
        return min(100, self.rows_done * 100 // self.rows_total) if self.rows_total else 0
