from django.http import HttpResponse
from django.urls import path, re_path

from .api.compat import CompatUsersView

app_name = "provisioning"


def completion_form(request, token):
    # The completion form (DESIGN §8) takes this route over; until then the emailed link
    # lands on a page that burns nothing.
    return HttpResponse(
        "The company details form is not open yet. Our support team will contact you.",
        content_type="text/plain; charset=utf-8",
    )


urlpatterns = [
    re_path(r"^solutions/users/?$", CompatUsersView.as_view(), name="compat-users"),
    path("complete/<str:token>", completion_form, name="completion-form"),
]
