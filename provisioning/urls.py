from django.urls import path, re_path

from provisioning.forwarder.views import completion, consent, portal
from provisioning.partner_api.compat import CompatUsersView

app_name = "provisioning"

urlpatterns = [
    re_path(r"^solutions/users/?$", CompatUsersView.as_view(), name="compat-users"),
    # The two fixed pages come before the token route (no signed token reads like them).
    path("complete/new-link", completion.link_request, name="completion-link-request"),
    path("complete/done", completion.completion_done, name="completion-done"),
    path("complete/<str:token>", completion.completion_form, name="completion-form"),
    path("consent/<str:token>", consent.consent, name="consent"),
    path("portal/login", portal.portal_login, name="portal-login"),
    path("portal/", portal.portal_home, name="portal"),
    path("portal/logout", portal.portal_logout, name="portal-logout"),
]
