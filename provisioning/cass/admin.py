"""The CASS directory's admin page, with its CSV upload.

recognition owns the admin of its models, but the import creates companies and offices, which
belong here; so this app re-registers the directory's admin with the upload added.
"""

import io

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path

from recognition.admin import CassRegistrationAdmin
from recognition.models import CassRegistration

from ..audit import Actor
from .importer import CassImportError, cass_directory_import

# A request imports row by row; bigger files go through `manage.py import_cass`.
MAX_UPLOAD_BYTES = 1024 * 1024


class CassImportForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="UTF-8, comma-separated, header row.")
    dry_run = forms.BooleanField(
        required=False, initial=True, help_text="Only report what would change."
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {MAX_UPLOAD_BYTES // 1024} KB: "
                "use manage.py import_cass for it."
            )
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise forms.ValidationError("The file is not UTF-8 text.") from error


class CassDirectoryAdmin(CassRegistrationAdmin):
    change_list_template = "admin/recognition/cassregistration/change_list.html"

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="recognition_cassregistration_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        report = None
        form = CassImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                report = cass_directory_import(
                    file=io.StringIO(form.cleaned_data["file"], newline=""),
                    actor=Actor.staff(request.user),
                    dry_run=form.cleaned_data["dry_run"],
                    source=request.FILES["file"].name,
                )
            except CassImportError as error:
                form.add_error("file", str(error))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import the CASS directory",
            "form": form,
            "report": report,
            "max_kb": MAX_UPLOAD_BYTES // 1024,
        }
        return TemplateResponse(request, "admin/recognition/cassregistration/import.html", context)


admin.site.unregister(CassRegistration)
admin.site.register(CassRegistration, CassDirectoryAdmin)
