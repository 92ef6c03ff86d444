"""The sign-in page, where an activated forwarder asks for a one-time portal link by email;
and the site's front door (`/`, `/favicon.ico`)."""

from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods

from provisioning.forwarder.asks import sign_in_link_request
from provisioning.forwarder.forms import LinkRequestForm
from provisioning.forwarder.views.pages import ask_answer, page
from provisioning.forwarder.views.signed_in import forwarder


@require_http_methods(["GET", "POST"])
def sign_in(request):
    """GET: the form. POST: the same answer for any address (the lookup and the email happen
    after the response, see asks.py), or 429 over the rate limits."""
    if request.method == "GET":
        if forwarder(request) is not None:
            return redirect("provisioning:portal")
        return page(request, "provisioning/sign_in.html", {"form": LinkRequestForm()})
    form = LinkRequestForm(request.POST)
    if not form.is_valid():
        return page(request, "provisioning/sign_in.html", {"form": form}, status=400)
    allowed = sign_in_link_request(
        email=form.cleaned_data["email"], client_ip=request.META.get("REMOTE_ADDR", "")
    )
    return ask_answer(
        request, "provisioning/sign_in_sent.html", email=form.cleaned_data["email"], allowed=allowed
    )


@require_GET
def home(request):
    """`/` (the admin's "View site"): a signed-in forwarder's portal, else the sign-in page."""
    if forwarder(request) is not None:
        return redirect("provisioning:portal")
    return redirect("provisioning:sign-in")
