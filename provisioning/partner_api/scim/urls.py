"""Every route under `/scim/v2/` (RFC 7644 §3.2)."""

from django.urls import path, re_path

from provisioning.partner_api.scim.discovery import DiscoveryView, NotFoundView
from provisioning.partner_api.scim.views import (
    UsersSearchView,
    UsersView,
    UserView,
)

app_name = "scim"

urlpatterns = [
    path("ServiceProviderConfig", DiscoveryView.as_view(document="config"), name="config"),
    path("ResourceTypes", DiscoveryView.as_view(document="resource_types"), name="types"),
    path("ResourceTypes/<str:ident>", DiscoveryView.as_view(document="resource_types")),
    path("Schemas", DiscoveryView.as_view(document="schemas"), name="schemas"),
    path("Schemas/<str:ident>", DiscoveryView.as_view(document="schemas")),
    path("Users", UsersView.as_view(), name="users"),
    path("Users/.search", UsersSearchView.as_view(), name="users-search"),
    path(".search", UsersSearchView.as_view(), name="search"),  # Users are the one resource
    path("Users/<str:ref>", UserView.as_view(), name="user"),
    re_path(r"^.*$", NotFoundView.as_view()),
]
