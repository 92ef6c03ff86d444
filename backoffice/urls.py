from django.contrib import admin
from django.urls import include, path

from .views import healthz

admin.site.site_header = "Forwarder accounts — support back-office"
admin.site.site_title = "Support back-office"
admin.site.index_title = "Support"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include("provisioning.api.v1.urls")),
    path("", include("provisioning.urls")),
]

handler500 = "backoffice.views.server_error"
