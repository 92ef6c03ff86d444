"""Staff authenticators (TOTP devices) in the admin: only superusers enrol staff, and the
device's secret is shown once, right after it is added (docs/support-queue.md)."""

from base64 import b32encode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from provisioning.models import User

# The device whose provisioning URI the administrator who added it may still see (once).
SHOW_ONCE_SESSION_KEY = "backoffice_totp_show_once"

# Importing the plugin's admin registered its own; this one replaces it.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class StaffTOTPDeviceAdmin(TOTPDeviceAdmin):
    # The plugin's list and change pages already leave the key out with
    # OTP_ADMIN_HIDE_SENSITIVE_DATA; the add page asks only whose device it is.

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            # The key is generated, never typed in or shown on a form.
            return [(None, {"fields": ["user", "name"]})]
        return super().get_fieldsets(request, obj)

    def get_changeform_initial_data(self, request):
        return {"name": "Authenticator app", **super().get_changeform_initial_data(request)}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = User.objects.filter(is_staff=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_urls(self):
        return [
            path(
                "<int:pk>/provisioning/",
                self.admin_site.admin_view(self.provisioning_view),
                name="otp_totp_totpdevice_provisioning",
            ),
            *super().get_urls(),
        ]

    def response_add(self, request, obj, post_url_continue=None):
        if "_popup" in request.POST:
            return super().response_add(request, obj, post_url_continue)
        request.session[SHOW_ONCE_SESSION_KEY] = obj.pk
        return redirect("admin:otp_totp_totpdevice_provisioning", obj.pk)

    def provisioning_view(self, request, pk):
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.session.get(SHOW_ONCE_SESSION_KEY) != pk:
            # Shown already (or never added here): delete the device and add a new one.
            raise PermissionDenied
        del request.session[SHOW_ONCE_SESSION_KEY]
        device = get_object_or_404(TOTPDevice.objects.select_related("user"), pk=pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Authenticator for {device.user.email}",
            "device": device,
            "config_url": device.config_url,
            "secret": b32encode(device.bin_key).decode(),
        }
        return TemplateResponse(request, "backoffice/totp_provisioning.html", context)
