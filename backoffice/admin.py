"""The support portal in the admin: the pending-accounts queue, the account page and the
actions on accounts (DESIGN §7).

Thin by design: the queue's reads are in selectors.py and queue.py, the writes in
provisioning.support_services and backoffice.services; these views check the permission,
validate the confirmation form, call one service per account and render.
"""

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from provisioning.audit import Actor
from provisioning.domains import email_domain, is_free_mail
from provisioning.models import UserStatus
from provisioning.support_services import user_activate_by_support

from . import totp_admin  # noqa: F401 - registers the staff authenticators' admin
from .actions import ACTIONS, MAX_BULK, AccountAction, Report
from .forms import ActivateForm, ContactedForm, NoteForm
from .models import Account
from .queue import (
    AgeFilter,
    ContactedFilter,
    CountryFilter,
    PartnerFilter,
    QueueChangeList,
    ReasonFilter,
    StatusViewFilter,
    age_bucket,
)
from .recognition_summary import recognition_summary
from .search import queue_search
from .selectors.account import (
    account_get,
    account_history,
    account_memberships,
    account_notes,
    account_offices,
    company_suggestions,
)
from .selectors.dashboard import activation_stats, queue_stats
from .selectors.queue import current_memberships, duration_display, queue_position_neighbours
from .services import account_contacted_mark, account_note_add

ACT_PERMISSION = "backoffice.act_on_accounts"
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


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
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

    # --- permissions ---------------------------------------------------------------------

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_act_permission(self, request):
        return request.user.has_perm(ACT_PERMISSION)

    def _require_act(self, request):
        if not (
            request.user.is_active and request.user.is_staff and self.has_act_permission(request)
        ):
            raise PermissionDenied

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

    # --- the account page and its actions -----------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/do/<str:action_name>/",
                wrap(self.account_action_view),
                name="backoffice_account_action",
            ),
            path("<path:object_id>/note/", wrap(self.note_view), name="backoffice_account_note"),
            path(
                "<path:object_id>/contacted/",
                wrap(self.contacted_view),
                name="backoffice_account_contacted",
            ),
            *super().get_urls(),
        ]

    def _account(self, request, object_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        pk = unquote(object_id)
        account = account_get(pk=int(pk)) if str(pk).isdigit() else None
        if account is None:
            raise Http404("No such account.")
        return account

    def change_view(self, request, object_id, form_url="", extra_context=None):
        account = self._account(request, object_id)
        history, more_history = account_history(user=account)
        offices = account_offices(user=account)
        can_act = self.has_act_permission(request)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": account.email,
            "account": account,
            "offices": offices,
            "memberships": account_memberships(user=account),
            "suggestions": company_suggestions(user=account),
            "recognition": recognition_summary(user=account, offices=offices),
            "history": history,
            "more_history": more_history,
            "notes": account_notes(user=account)
            if request.user.has_perm("backoffice.view_accountnote")
            else None,
            "note_form": NoteForm()
            if request.user.has_perm("backoffice.add_accountnote")
            else None,
            "contacted_form": ContactedForm() if can_act else None,
            "actions": [a for a in ACTIONS.values() if not a.refusal(account)] if can_act else [],
            "next_account": queue_position_neighbours(user=account),
            "queue_url": self._queue_url(request),
            "changelist_filters": self._changelist_filters(request),
        }
        return TemplateResponse(request, "backoffice/account.html", context)

    def account_action_view(self, request, object_id, action_name):
        self._require_act(request)
        action = ACTIONS.get(action_name)
        if action is None:
            raise Http404("No such action.")
        account = self._account(request, object_id)
        if action.name == "activate":
            return self._activate(request, account, action)
        confirmed = request.method == "POST"
        form = action.bulk_form(request.POST if confirmed else None)
        if confirmed and form.is_valid():
            report = Report(action).run([account], Actor.staff(request.user), form.cleaned_data)
            return self._after_action(request, account, report)
        return self._confirmation(request, action, [account], form, bulk=False)

    def _activate(self, request, account, action):
        suggestions = company_suggestions(user=account)
        form = ActivateForm(
            request.POST if request.method == "POST" else None,
            account=account,
            suggestions=suggestions,
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data

            def chosen(user, actor, _data):
                return user_activate_by_support(
                    user=user,
                    actor=actor,
                    company=data["company_obj"],
                    new_company=data["new_company"],
                    offices=data["office_objs"],
                    new_office=data["new_office"],
                    note=data["note"],
                )

            report = Report(action).run([account], Actor.staff(request.user), data, chosen)
            return self._after_action(request, account, report)
        return self._confirmation(
            request, action, [account], form, bulk=False, suggestions=suggestions
        )

    def note_view(self, request, object_id):
        if request.method != "POST" or not request.user.has_perm("backoffice.add_accountnote"):
            raise PermissionDenied
        account = self._account(request, object_id)
        form = NoteForm(request.POST)
        if form.is_valid():
            account_note_add(user=account, author=request.user, body=form.cleaned_data["body"])
            self.message_user(request, "Note added.")
        else:
            self.message_user(request, "A note cannot be empty.", messages.ERROR)
        return HttpResponseRedirect(self._account_url(request, account))

    def contacted_view(self, request, object_id):
        self._require_act(request)
        if request.method != "POST":
            raise PermissionDenied
        account = self._account(request, object_id)
        form = ContactedForm(request.POST)
        if form.is_valid():
            outcome = account_contacted_mark(
                user=account,
                actor=Actor.staff(request.user),
                contacted_on=form.cleaned_data["contacted_on"],
                channel=form.cleaned_data["channel"],
            )
            self.message_user(
                request, "Marked as contacted." if outcome.changed else "Already marked."
            )
        else:
            self.message_user(
                request, " ".join(form.errors.get("contacted_on", [])), messages.ERROR
            )
        return HttpResponseRedirect(self._account_url(request, account))

    # --- rendering helpers -----------------------------------------------------------------

    def _confirmation(self, request, action, users, form, *, bulk, suggestions=None):
        rows = [(user, action.refusal(user, bulk=bulk)) for user in users]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{action.label}: confirm",
            "action": action,
            "rows": rows,
            "applicable": sum(1 for _user, refusal in rows if not refusal),
            "form": form,
            "bulk": bulk,
            "suggestions": suggestions,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "bulk_action_name": f"bulk_{action.name}",
            "queue_url": self._queue_url(request),
            "account_url": self._account_url(request, users[0]) if not bulk else "",
            "changelist_filters": self._changelist_filters(request),
        }
        return TemplateResponse(request, "backoffice/confirm.html", context)

    def _report(self, request, report: Report):
        action = report.action
        if report.changed:
            self.message_user(
                request,
                format_html(
                    "{} {}: {}",
                    _plural(len(report.changed)),
                    action.done,
                    format_html_join(
                        ", ",
                        '<a href="{}">{}</a>',
                        (
                            (reverse("admin:backoffice_account_change", args=[u.pk]), u.email)
                            for u in report.changed[:10]
                        ),
                    ),
                ),
                messages.SUCCESS,
            )
        for user, detail in report.unchanged:
            self.message_user(request, f"{user.email}: nothing to do, {detail}.", messages.INFO)
        for user, refusal in report.refused:
            self.message_user(
                request, f"{user.email} was not {action.done}: {refusal}.", messages.WARNING
            )

    def _after_action(self, request, account, report: Report):
        self._report(request, report)
        if report.changed and report.action.name in ("activate", "reject"):
            # Done with this account: back to the queue where the agent left it.
            return HttpResponseRedirect(self._queue_url(request))
        return HttpResponseRedirect(self._account_url(request, account))

    @staticmethod
    def _changelist_filters(request) -> str:
        """The queue's query string the agent came from, carried through the account pages."""
        return request.GET.get("_changelist_filters") or request.POST.get("_changelist_filters", "")

    def _queue_url(self, request) -> str:
        base = reverse("admin:backoffice_account_changelist")
        filters = self._changelist_filters(request)
        return f"{base}?{filters}" if filters else base

    def _account_url(self, request, account) -> str:
        url = reverse("admin:backoffice_account_change", args=[account.pk])
        filters = self._changelist_filters(request)
        return f"{url}?{urlencode({'_changelist_filters': filters})}" if filters else url


def _plural(count: int) -> str:
    return "1 account" if count == 1 else f"{count} accounts"
