from django.contrib import admin
from django.shortcuts import redirect

from backoffice.auth import StaffAuthenticationForm, second_factor_satisfied


class SupportAdminSite(admin.AdminSite):
    """The admin, with the pending-accounts queue as the support agents' home page."""

    site_header = "Forwarder accounts — support back-office"
    site_title = "Support back-office"
    index_title = "Site administration"
    # The back-office has no public site of its own to view: "View site" is hidden.
    site_url = None
    login_form = StaffAuthenticationForm
    login_template = "backoffice/login.html"

    def has_permission(self, request):
        # A staff member with an authenticator gets in only with a session verified by its
        # code, whatever path created the session.
        return super().has_permission(request) and second_factor_satisfied(request)

    def index(self, request, extra_context=None):
        # Agents land on the queue; administrators keep the index of every model (the queue is
        # one click away in the sidebar).
        if not request.user.is_superuser and request.user.has_perm("backoffice.view_account"):
            return redirect("admin:backoffice_account_changelist")
        return super().index(request, extra_context)
