from axes.apps import AppConfig as AxesConfig
from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django_otp.plugins.otp_totp.apps import DefaultConfig as OtpTotpConfig


class BackofficeConfig(AppConfig):
    name = "backoffice"
    verbose_name = "Support back-office"

    def ready(self):
        from backoffice.observability import signals

        signals.connect()


class SupportAdminConfig(AdminConfig):
    """django.contrib.admin with the support back-office's site as the default `admin.site`."""

    default_site = "backoffice.admin_site.SupportAdminSite"


class AuthenticatorsConfig(OtpTotpConfig):
    """django-otp's TOTP devices, under a name people read on the admin index."""

    verbose_name = "Staff authenticators"


class SignInLockoutsConfig(AxesConfig):
    """django-axes' failed sign-ins and lockouts, under a name people read."""

    verbose_name = "Sign-in lockouts"
