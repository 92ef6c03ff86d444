"""The completion form (DESIGN §8). GET shows it and uses nothing, POST submits it."""

from django.http import QueryDict
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from provisioning.forwarder.asks import completion_link_request
from provisioning.forwarder.completion import (
    CompletionLinkInvalid,
    accepts_details,
    completion_link_open,
    user_submit_details,
)
from provisioning.forwarder.forms import (
    CompanyForm,
    CustomerIdsForm,
    LinkRequestForm,
    company_details,
    customer_id_airlines,
    office_formset,
    phone_examples,
    raw_rows,
)
from provisioning.forwarder.views.pages import ask_answer, page
from provisioning.models import CompletionLink, User, UserStatus

# The page per reason a link cannot be used, and its HTTP status.
INVALID_STATUS = {
    "tampered": 404,
    "unknown": 404,
    "used": 410,
    "superseded": 410,
    "expired": 410,
    "closed": 410,
}
_SESSION_KEY = "completion_result"


@require_http_methods(["GET", "POST"])
def completion_form(request, token: str):
    try:
        link = completion_link_open(token=token)
    except CompletionLinkInvalid as invalid:
        return link_invalid(request, invalid.reason, link=invalid.link)
    airlines = customer_id_airlines()
    if request.method == "GET":
        return _form_page(request, link, **_prefilled(link.user, airlines))
    if request.POST.get("action") == "add_office":
        # Without JavaScript, "Add another office" posts the form: show it again as typed,
        # one row longer, without judging it yet (and without using the link).
        return _form_page(request, link, **_as_typed(request.POST, airlines, add_row=True))

    company = CompanyForm(request.POST)
    offices = office_formset(data=request.POST)
    customer_ids = CustomerIdsForm(request.POST, airlines=airlines)
    if not (company.is_valid() & offices.is_valid() & customer_ids.is_valid()):
        return _form_page(
            request, link, company=company, offices=offices, customer_ids=customer_ids, status=400
        )
    try:
        result = user_submit_details(
            link=link, details=company_details(company, offices, customer_ids)
        )
    except CompletionLinkInvalid as invalid:
        return link_invalid(request, invalid.reason, link=invalid.link)
    request.session[_SESSION_KEY] = {
        "activated": result.activated,
        "email": result.user.email,
        "company": result.user.company.legal_name if result.user.company else "",
    }
    return redirect("provisioning:completion-done")


def _form_page(request, link: CompletionLink, *, company, offices, customer_ids, status=200):
    return page(
        request,
        "provisioning/completion_form.html",
        {
            "user": link.user,
            "link": link,
            "company_form": company,
            "offices": offices,
            "customer_ids": customer_ids,
            "has_errors": status != 200,
            "phone_examples": phone_examples(),
        },
        status=status,
    )


def _prefilled(user: User, airlines) -> dict:
    """The form as the partner's request and the account's company already know it."""
    sent = user.request_data or {}
    details = sent.get("details") or {}
    company = user.company
    initial = {
        "legal_name": details.get("legalName")
        or (company.legal_name if company else sent.get("companyName", "")),
        "address": details.get("address") or (company.address if company else ""),
        "country": details.get("countryCode")
        or (company.country.code if company else sent.get("countryCode", "")),
        "phone": details.get("phone") or (company.phone if company else ""),
        "website": details.get("website") or (company.website if company else ""),
    }
    rows = [
        {
            "country": office.get("countryCode", ""),
            "airport_code": office.get("officeAirportCode", ""),
            "iata_code": office.get("iataCode", ""),
            "cass_code": office.get("cassCode", ""),
        }
        for office in details.get("offices") or sent.get("offices") or []
        if isinstance(office, dict)
    ]
    if not rows and initial["country"]:
        rows = [{"country": initial["country"]}]
    return {
        "company": CompanyForm(initial=initial),
        "offices": office_formset(rows=rows),
        "customer_ids": CustomerIdsForm(
            initial=details.get("customerIds") or {}, airlines=airlines
        ),
    }


def _as_typed(data: QueryDict, airlines, *, add_row: bool) -> dict:
    company_fields = CompanyForm.base_fields
    cid_initial = {
        key.removeprefix("cid-"): value
        for key, value in data.items()
        if key.startswith("cid-") and value
    }
    return {
        "company": CompanyForm(initial={f: data.get(f, "") for f in company_fields}),
        "offices": office_formset(rows=raw_rows(data), add_row=add_row),
        "customer_ids": CustomerIdsForm(initial=cid_initial, airlines=airlines),
    }


@require_GET
def completion_done(request):
    """The confirmation after a submit. What it says comes from this browser's session, set
    by the submit; opened without one, it says only how to complete the details."""
    result = request.session.get(_SESSION_KEY)
    return page(request, "provisioning/completion_done.html", {"result": result})


def _account_state(link: CompletionLink | None) -> str:
    """What the page can offer for the link's account: "open" (a new link can be emailed),
    "active" (sign in instead), "closed" (support decides), "unknown" (no link to tell)."""
    if link is None:
        return "unknown"
    if accepts_details(link.user):
        return "open"
    if link.user.status == UserStatus.ACTIVATED:
        return "active"
    return "closed"


def link_invalid(
    request,
    reason: str,
    *,
    link: CompletionLink | None = None,
    form: LinkRequestForm | None = None,
    status=None,
):
    return page(
        request,
        "provisioning/link_invalid.html",
        {"reason": reason, "account": _account_state(link), "form": form or LinkRequestForm()},
        status=status or INVALID_STATUS.get(reason, 404),
    )


@require_POST
def link_request(request):
    """ "Email me a new link": the same answer whether or not the address has an account."""
    form = LinkRequestForm(request.POST)
    reason = request.POST.get("reason", "unknown")
    if reason not in INVALID_STATUS:
        reason = "unknown"
    if not form.is_valid():
        return link_invalid(request, reason, form=form, status=400)
    allowed = completion_link_request(
        email=form.cleaned_data["email"], client_ip=request.META.get("REMOTE_ADDR", "")
    )
    return ask_answer(
        request,
        "provisioning/link_requested.html",
        email=form.cleaned_data["email"],
        allowed=allowed,
    )
