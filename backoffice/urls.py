from django.contrib import admin
from django.urls import include, path

from backoffice.observability.views import metrics, readyz
from backoffice.views import favicon, healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("favicon.ico", favicon, name="favicon"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("api/v1/", include("provisioning.partner_api.v1.urls")),
    path("scim/v2/", include("provisioning.partner_api.scim.urls")),
    path("", include("provisioning.urls")),
]

handler500 = "backoffice.views.server_error"
