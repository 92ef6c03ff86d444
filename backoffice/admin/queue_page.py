"""The pending-accounts queue: the changelist of the Account proxy, its columns, the
dashboard above it and the bulk actions on the accounts it lists."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from backoffice.actions import ACTIONS, MAX_BULK, AccountAction, Report
from backoffice.admin.base import AccountAdminBase
from backoffice.queue import (
    AgeFilter,
    ContactedFilter,
    CountryFilter,
    PartnerFilter,
    QueueChangeList,
    ReasonFilter,
    StatusViewFilter,
    age_bucket,
)
from backoffice.search import queue_search
from backoffice.selectors.dashboard import activation_stats, queue_stats
from backoffice.selectors.queue import current_memberships, duration_display
from provisioning.accounts.domains import email_domain, is_free_mail
from provisioning.audit.records import Actor
from provisioning.models import UserStatus

SHORT_REASONS = {
    "awaiting_support": "Awaiting support",
    "awaiting_details": "Awaiting details",
    "details_submitted": "Details submitted",
}


def _bulk_action(action: AccountAction):
    def run(modeladmin, request, queryset):
        return modeladmin.bulk_action(request, queryset, action)

    run.__name__ = f"bulk_{action.name}"
    return admin.action(permissions=["act"], description=f"{action.label}…")(run)


class QueuePage(AccountAdminBase):
    """The changelist of accounts, paged by key (backoffice.queue), oldest wait first."""

    list_display = [
        "account_column",
        "company_column",
        "reason_column",
        "waiting_column",
        "contacted_column",
    ]
    list_display_links = None
    list_filter = [
        StatusViewFilter,
        ReasonFilter,
        AgeFilter,
        CountryFilter,
        PartnerFilter,
        ContactedFilter,
    ]
    list_select_related = ["company", "contact_mark__contacted_by"]
    list_per_page = 50
    search_fields = ["email"]  # shows the search box; queue_search does the searching
    search_help_text = "An email address, a domain (acme-cargo.de) or a company name."
    sortable_by = ()
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    actions = [_bulk_action(action) for action in ACTIONS.values()]
    actions_selection_counter = False
    change_list_template = "admin/backoffice/account/change_list.html"

    # --- the queue -----------------------------------------------------------------------

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(is_staff=False)
            .prefetch_related(current_memberships())
        )

    def get_changelist(self, request, **kwargs):
        return QueueChangeList

    def get_search_results(self, request, queryset, search_term):
        return queue_search(queryset, search_term), False

    def changelist_view(self, request, extra_context=None):
        if (
            request.method == "POST"
            and request.POST.get("action")
            and not self.has_act_permission(request)
        ):
            raise PermissionDenied
        view = request.GET.get(StatusViewFilter.parameter_name)
        context = {"is_queue": view not in (UserStatus.DISABLED, UserStatus.DELETED)}
        if context["is_queue"] and request.method == "GET":
            context["stats"] = queue_stats()
            context["activations"] = activation_stats()
        context["title"] = "Pending accounts" if context["is_queue"] else "Accounts"
        return super().changelist_view(request, {**context, **(extra_context or {})})

    @admin.display(description="Account")
    def account_column(self, user):
        warnings = len(user.warnings or [])
        return format_html(
            '<a class="account-link" href="{}"><strong>{}</strong></a><br>'
            '<span class="quiet">{}</span>{}',
            getattr(user, "queue_link", None)
            or reverse("admin:backoffice_account_change", args=[user.pk]),
            user.email,
            f"{user.first_name} {user.last_name}".strip() or "—",
            format_html(
                ' <span class="badge badge-warn" title="{}">⚠ {}</span>',
                "; ".join(w.get("message", "") for w in user.warnings),
                warnings,
            )
            if warnings
            else "",
        )

    @admin.display(description="Company / domain")
    def company_column(self, user):
        domain = email_domain(user.email)
        domain_html = format_html(
            '<span class="quiet">{}{}</span>',
            domain,
            " · free mail" if is_free_mail(domain) else "",
        )
        if user.company_id:
            return format_html(
                "{} <span class='quiet'>{}</span><br>{}",
                user.company.legal_name,
                user.company.country.code,
                domain_html,
            )
        requested = user.request_data.get("companyName") or "—"
        country = user.request_data.get("countryCode") or ""
        return format_html(
            '<em title="Requested; no company yet">{}</em> <span class="quiet">{}</span><br>{}',
            requested,
            country,
            domain_html,
        )

    @admin.display(description="Status / partner")
    def reason_column(self, user):
        if user.status == UserStatus.PENDING:
            badge = format_html(
                '<span class="badge reason-{}">{}</span>',
                user.pending_reason,
                SHORT_REASONS.get(user.pending_reason, user.pending_reason),
            )
        else:
            badge = format_html('<span class="badge">{}</span>', user.get_status_display())
        partners = ", ".join(m.partner.name for m in getattr(user, "current_memberships", []))
        return format_html('{}<br><span class="quiet">{}</span>', badge, partners or "no partner")

    @admin.display(description="Waiting")
    def waiting_column(self, user):
        waited = timezone.now() - user.status_changed_at
        return format_html(
            '<span class="age age-{}" title="since {}">{}</span>',
            age_bucket(waited),
            f"{user.status_changed_at:%Y-%m-%d %H:%M} UTC",
            duration_display(waited),
        )

    @admin.display(description="Contacted")
    def contacted_column(self, user):
        mark = getattr(user, "contact_mark", None)
        if mark is None:
            return "—"
        who = mark.contacted_by.get_short_name() if mark.contacted_by else ""
        return format_html(
            "{} <span class='quiet'>{} {}</span>", f"{mark.contacted_on:%d %b}", mark.channel, who
        )

    # --- bulk actions --------------------------------------------------------------------

    def bulk_action(self, request, queryset, action: AccountAction):
        self._require_act(request)
        users = list(queryset.prefetch_related("offices")[: MAX_BULK + 1])
        if len(users) > MAX_BULK:
            self.message_user(
                request, f"Select at most {MAX_BULK} accounts at a time.", messages.ERROR
            )
            return None
        confirmed = "confirm" in request.POST
        form = action.bulk_form(request.POST if confirmed else None)
        if confirmed and form.is_valid():
            report = Report(action).run(users, Actor.staff(request.user), form.cleaned_data)
            self._report(request, report)
            return None
        return self._confirmation(request, action, users, form, bulk=True)
