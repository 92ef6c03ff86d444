"""The pending-accounts queue: the changelist of the Account proxy, its columns, the
dashboard above it and the bulk actions on the accounts it lists."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from backoffice.actions import ACTIONS, MAX_BULK, AccountAction, Report
from backoffice.admin.base import AccountAdminBase
from backoffice.queue import (
    AgeFilter,
    AssignedFilter,
    ContactedFilter,
    CountryFilter,
    PartnerFilter,
    QueueChangeList,
    ReasonFilter,
    StatusViewFilter,
    age_bucket,
)
from backoffice.search import queue_search
from backoffice.selectors.activation import activation_plans
from backoffice.selectors.dashboard import activation_stats, daily_activity, queue_stats
from backoffice.selectors.queue import current_memberships, duration_display
from backoffice.wording import SHORT_REASONS, warning_label
from provisioning.accounts.domains import email_domain, is_free_mail
from provisioning.audit.records import Actor
from provisioning.models import UserStatus


def _bulk_action(action: AccountAction):
    def run(modeladmin, request, queryset):
        return modeladmin.bulk_action(request, queryset, action)

    run.__name__ = f"bulk_{action.name}"
    return admin.action(permissions=["act"], description=f"{action.label}…")(run)


# Constant markup (format_html needs arguments; these have none).
FREE_MAIL_BADGE = format_html(' <span class="badge">{}</span>', "free mail")
UNASSIGNED = format_html('<span class="quiet">{}</span>', "—")
MINE_BADGE = format_html('<span class="badge badge-mine">{}</span>', "me")


class QueuePage(AccountAdminBase):
    """The changelist of accounts, paged by key (backoffice.queue), oldest wait first."""

    list_display = [
        "account_column",
        "company_column",
        "reason_column",
        "partner_column",
        "waiting_column",
        "contacted_column",
        "assigned_column",
        "bulk_column",
    ]
    list_display_links = None
    list_filter = [
        StatusViewFilter,
        AssignedFilter,
        ReasonFilter,
        AgeFilter,
        CountryFilter,
        PartnerFilter,
        ContactedFilter,
    ]
    list_select_related = ["company", "contact_mark__contacted_by", "support_claim__agent"]
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
            context["daily"] = daily_activity()
        context["title"] = "Pending accounts" if context["is_queue"] else "Accounts"
        return super().changelist_view(request, {**context, **(extra_context or {})})

    @admin.display(description="Account")
    def account_column(self, user):
        warnings = user.warnings or []
        domain = email_domain(user.email)
        name = f"{user.first_name} {user.last_name}".strip()
        return format_html(
            '<span class="cell"><a class="account-link" href="{}" title="{}">{}</a></span>{}{}',
            getattr(user, "queue_link", None)
            or reverse("admin:backoffice_account_change", args=[user.pk]),
            f"{name} <{user.email}>" if name else user.email,
            user.email,
            format_html(
                ' <span class="badge badge-warn" title="{}">⚠ {}</span>',
                "; ".join(warning_label(w.get("code", "")) for w in warnings),
                len(warnings),
            )
            if warnings
            else "",
            FREE_MAIL_BADGE if is_free_mail(domain) else "",
        )

    @admin.display(description="Company")
    def company_column(self, user):
        if user.company_id:
            name, country = user.company.legal_name, user.company.country.code
            return format_html(
                '<span class="cell" title="{}">{}</span> <span class="quiet">{}</span>',
                name,
                name,
                country,
            )
        data = user.request_data or {}
        requested = data.get("companyName") or "—"
        offices = data.get("offices") or [{}]
        country = data.get("countryCode") or (offices[0] or {}).get("countryCode") or ""
        return format_html(
            '<span class="cell" title="{} (requested; no company yet)"><em>{}</em></span>'
            ' <span class="quiet">{}</span>',
            requested,
            requested,
            country,
        )

    @admin.display(description="Status")
    def reason_column(self, user):
        if user.status == UserStatus.PENDING:
            return format_html(
                '<span class="badge reason-{}">{}</span>',
                user.pending_reason,
                SHORT_REASONS.get(user.pending_reason, user.pending_reason).capitalize(),
            )
        return format_html('<span class="badge">{}</span>', user.get_status_display())

    @admin.display(description="Partner")
    def partner_column(self, user):
        partners = ", ".join(m.partner.name for m in getattr(user, "current_memberships", []))
        return format_html(
            '<span class="cell quiet" title="{}">{}</span>', partners, partners or "none"
        )

    @admin.display(description="Waiting")
    def waiting_column(self, user):
        waited = timezone.now() - user.status_changed_at
        return format_html(
            '<span class="age age-{}" title="since {}">{}</span>',
            age_bucket(waited),
            date_format(user.status_changed_at, "DATETIME_FORMAT"),
            duration_display(waited),
        )

    @admin.display(description="Contacted")
    def contacted_column(self, user):
        mark = getattr(user, "contact_mark", None)
        if mark is None:
            return "—"
        who = mark.contacted_by.get_short_name() if mark.contacted_by else ""
        return format_html(
            '<span title="{} by {}{}">{}</span>',
            date_format(mark.contacted_on),
            mark.get_channel_display().lower(),
            f", {who}" if who else "",
            date_format(mark.contacted_on, "MONTH_DAY_FORMAT"),
        )

    @admin.display(description="Assigned")
    def assigned_column(self, user):
        claim = getattr(user, "support_claim", None)
        if claim is None:
            return UNASSIGNED
        if getattr(user, "claimed_by_viewer", False):
            return MINE_BADGE
        name = claim.agent.get_short_name() or claim.agent.email
        return format_html(
            '<span class="cell" title="Assigned to {}">{}</span>',
            claim.agent.get_full_name() or claim.agent.email,
            name,
        )

    @admin.display(description="In bulk")
    def bulk_column(self, user):
        plan = getattr(user, "activation_plan", None)
        if plan is None:
            return ""
        if plan.ready:
            return format_html(
                '<span class="cell bulk-ready" title="Bulk activation: {}">✓ {}</span>',
                plan.summary,
                plan.offices[0].airport_code if plan.offices else "ready",
            )
        return format_html(
            '<span class="cell bulk-no" title="Not in bulk: {}">{}</span>',
            plan.refusal,
            plan.short,
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
        if action.name == "activate":
            plans = activation_plans(users)
            for user in users:
                user.activation_plan = plans[user.pk]
        confirmed = "confirm" in request.POST
        form = action.bulk_form(request.POST if confirmed else None)
        if confirmed and form.is_valid():
            report = Report(action).run(users, Actor.staff(request.user), form.cleaned_data)
            self._report(request, report)
            return None
        return self._confirmation(request, action, users, form, bulk=True)
