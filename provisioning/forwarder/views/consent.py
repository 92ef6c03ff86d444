"""The consent page (DESIGN §5.2): a partner asks to manage an account. GET shows the question
and decides nothing (mail scanners open links); POST allows or declines."""

from django.views.decorators.http import require_http_methods

from provisioning.accounts.consent import (
    AccessLinkInvalid,
    access_link_resolve,
    access_request_decide,
)
from provisioning.audit.records import Actor
from provisioning.forwarder.views.pages import page

INVALID_STATUS = {"tampered": 404, "unknown": 404, "decided": 410, "expired": 410}


@require_http_methods(["GET", "POST"])
def consent(request, token: str):
    try:
        access = access_link_resolve(token=token)
    except AccessLinkInvalid as exc:
        return page(
            request,
            "provisioning/consent_invalid.html",
            {"reason": exc.reason},
            status=INVALID_STATUS[exc.reason],
        )
    context = {"partner": access.partner.name, "email": access.user.email}
    if request.method == "GET":
        return page(request, "provisioning/consent.html", context)
    choice = request.POST.get("decision")
    if choice not in ("allow", "decline"):
        return page(
            request,
            "provisioning/consent.html",
            {**context, "error": "Choose Allow or Decline."},
            status=400,
        )
    allow = choice == "allow"
    if not access_request_decide(access=access, allow=allow, actor=Actor.forwarder(access.user)):
        return page(request, "provisioning/consent_invalid.html", {"reason": "decided"}, status=410)
    return page(request, "provisioning/consent_done.html", {**context, "allowed": allow})
