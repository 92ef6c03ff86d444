"""Staff sign-in helpers: the lockout key and limits, and the optional authenticator code."""

from axes.handlers.database import AxesDatabaseHandler
from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.db.models import Sum
from django_otp import devices_for_user, user_has_device

from provisioning.accounts.domains import email_normal_form


def lockout_username(request, credentials: dict) -> str:
    """The key login failures are counted under: the address in the one normal form that the
    login lookup uses too (`UserManager.get_by_natural_key`), so that every spelling that can
    sign in to an account counts against that account, and none that counts elsewhere can."""
    return email_normal_form((credentials or {}).get("username") or "")


class StaffLoginAttempts(AxesDatabaseHandler):
    """django-axes' database handler with two limits instead of one.

    AXES_LOCKOUT_PARAMETERS counts failures per (email, address) and per address. An email is
    locked from one address after AXES_FAILURE_LIMIT failures (a colleague behind the same
    office address is not); an address is locked for every email after AXES_IP_FAILURE_LIMIT
    failures across emails, so spreading guesses over many names gains nothing.
    """

    def get_failures(self, request, credentials=None) -> int:
        per_account, per_address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        if per_address >= settings.AXES_IP_FAILURE_LIMIT:
            # Axes compares this one number with AXES_FAILURE_LIMIT: over the address's own
            # limit, the request is as locked as an account past its limit.
            return max(per_account, settings.AXES_FAILURE_LIMIT)
        return per_account

    def reset_user_attempts(self, request, credentials=None) -> int:
        # A success clears this email's failures only, not those of others at the address.
        account, _address = self.filter_user_attempts(request, credentials)
        count, _ = account.delete()
        return count


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
