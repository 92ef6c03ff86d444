"""Staff sign-in helpers: the lockout key and the optional authenticator code."""

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django_otp import devices_for_user, user_has_device


def lockout_username(request, credentials: dict) -> str:
    """The key login failures are counted under: the email as typed, in any letter case,
    counts for the one account it names (emails are unique whatever their case)."""
    return (credentials or {}).get("username", "").strip().lower()


class StaffAuthenticationForm(AdminAuthenticationForm):
    """The admin sign-in with an optional authenticator code.

    Staff with a confirmed authenticator must give its current code; a missing or wrong code
    gets the same answer as a wrong password (so the answer never confirms the password) and
    counts as a failed sign-in for the lockout. Staff without one sign in with the password,
    unless STAFF_REQUIRE_TOTP is on.
    """

    otp_token = forms.CharField(
        label="Authenticator code",
        required=False,
        max_length=16,
        help_text="The 6-digit code from your authenticator app, if your account has one.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": (
            "Please enter the correct %(username)s and password for a staff account, and the "
            "current authenticator code if your account has one. Note that the password is "
            "case-sensitive."
        ),
        "not_enrolled": (
            "Staff sign-in needs an authenticator app, and none is set up for this account "
            "yet. Ask an administrator to enrol you."
        ),
    }

    def clean(self):
        cleaned_data = super().clean()
        user = self.get_user()
        if user is not None:
            self._check_second_factor(user)
        return cleaned_data

    def _check_second_factor(self, user) -> None:
        token = "".join(self.cleaned_data.get("otp_token", "").split())
        # The throttle that a wrong code bumps must be committed, so verify inside the
        # transaction and raise outside it.
        with transaction.atomic():
            devices = list(devices_for_user(user, for_verify=True))
            verified = next((d for d in devices if token and d.verify_token(token)), None)
        if not devices:
            if settings.STAFF_REQUIRE_TOTP:
                self.user_cache = None
                raise forms.ValidationError(
                    self.error_messages["not_enrolled"], code="not_enrolled"
                )
            return
        if verified is None:
            self.user_cache = None
            user_login_failed.send(
                sender=__name__,
                credentials={"username": self.cleaned_data.get("username", "")},
                request=self.request,
            )
            raise self.get_invalid_login_error()
        # django-otp's user_logged_in handler stores the device in the session: verified.
        user.otp_device = verified


def second_factor_satisfied(request) -> bool:
    """Whether the signed-in staff member may use the admin as far as the second factor goes:
    verified by an authenticator in this session, or holding none while none is required.
    Fails closed for device holders when OTPMiddleware did not run. Cached per request (the
    admin asks several times per page)."""
    satisfied = getattr(request, "_second_factor_satisfied", None)
    if satisfied is None:
        user = request.user
        is_verified = getattr(user, "is_verified", None)
        satisfied = bool(is_verified and is_verified()) or (
            not settings.STAFF_REQUIRE_TOTP and not user_has_device(user)
        )
        request._second_factor_satisfied = satisfied
    return satisfied
