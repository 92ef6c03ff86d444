"""Every route under `/api/v1/`, in one place."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from provisioning.partner_api import openapi  # noqa: F401 - registers the key schemes with drf-spectacular
from provisioning.partner_api.recognition import UserRecognitionApi
from provisioning.partner_api.v1.errors import not_found
from provisioning.partner_api.v1.events import EventsView
from provisioning.partner_api.v1.users import (
    UserLoginTokenView,
    UserOfficesView,
    UsersView,
    UserView,
)

app_name = "api-v1"

urlpatterns = [
    path("users", UsersView.as_view(), name="users"),
    path("users/<str:user>", UserView.as_view(), name="user"),
    path("users/<str:user>/offices", UserOfficesView.as_view(), name="user-offices"),
    path("users/<str:user>/login-token", UserLoginTokenView.as_view(), name="user-login-token"),
    path(
        "users/<str:user_ref>/recognition",
        UserRecognitionApi.as_view(),
        name="user-recognition",
    ),
    path("events", EventsView.as_view(), name="events"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-v1:schema"), name="docs"),
    # Anything else under /api/v1/ answers in JSON too.
    re_path(r"^.*$", not_found),
]
