"""The CASS directory's admin page, with its CSV upload and the upload's progress page.

recognition owns the admin of its models, but the import creates companies and offices, which
belong here; so this app re-registers the directory's admin with the upload added. An upload
is imported by a worker (runs.py); the agent is sent to a page that follows it.
"""

import io

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path

from provisioning.cass.importer import cass_header_check
from provisioning.cass.rows import CassImportError
from provisioning.cass.runs import cass_import_queue
from provisioning.models import CassImport
from recognition.admin import CassRegistrationAdmin
from recognition.models import CassRegistration

# The file is kept in the database until a worker has imported it; a world directory of
# 100,000 rows is about 9 MB.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# How often the progress page reloads itself while the import runs.
REFRESH_SECONDS = 2


class CassImportForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="UTF-8, comma-separated, header row.")
    dry_run = forms.BooleanField(
        required=False, initial=True, help_text="Only report what would change."
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB: "
                "use manage.py import_cass for it."
            )
        try:
            content = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise forms.ValidationError("The file is not UTF-8 text.") from error
        if "\x00" in content:
            raise forms.ValidationError("The file is not a CSV text file.")
        try:
            cass_header_check(io.StringIO(content, newline=""))
        except CassImportError as error:
            raise forms.ValidationError(str(error)) from error
        return content


class CassDirectoryAdmin(CassRegistrationAdmin):
    change_list_template = "admin/recognition/cassregistration/change_list.html"

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="recognition_cassregistration_import",
            ),
            path(
                "import/<int:import_id>/",
                self.admin_site.admin_view(self.import_progress_view),
                name="recognition_cassregistration_import_progress",
            ),
            *super().get_urls(),
        ]

    def _check_import_permission(self, request):
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied

    def import_view(self, request):
        self._check_import_permission(request)
        form = CassImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            run = cass_import_queue(
                file_name=request.FILES["file"].name,
                content=form.cleaned_data["file"],
                dry_run=form.cleaned_data["dry_run"],
                user=request.user,
            )
            return redirect("admin:recognition_cassregistration_import_progress", run.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import the CASS directory",
            "form": form,
            "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
            "recent": CassImport.objects.select_related("requested_by").defer("content")[:10],
        }
        return TemplateResponse(request, "admin/recognition/cassregistration/import.html", context)

    def import_progress_view(self, request, import_id: int):
        self._check_import_permission(request)
        run = get_object_or_404(CassImport.objects.defer("content"), pk=import_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"CASS import of {run.file_name}",
            "run": run,
            "refresh_seconds": None if run.is_finished else REFRESH_SECONDS,
        }
        return TemplateResponse(
            request, "admin/recognition/cassregistration/import_progress.html", context
        )


admin.site.unregister(CassRegistration)
admin.site.register(CassRegistration, CassDirectoryAdmin)
