from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class BackofficeConfig(AppConfig):
    name = "backoffice"
    verbose_name = "Support back-office"

    def ready(self):
        from backoffice.observability import signals

        signals.connect()


class SupportAdminConfig(AdminConfig):
    """django.contrib.admin with the support back-office's site as the default `admin.site`."""

    default_site = "backoffice.admin_site.SupportAdminSite"
