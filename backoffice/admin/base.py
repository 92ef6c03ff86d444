"""What the queue and the account page share: who may act, the confirmation page of an
action, the report of its outcome, and the queue's filters carried from page to page."""

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from backoffice.actions import Report

ACT_PERMISSION = "backoffice.act_on_accounts"


class ActionsOnly:
    """Rows never added, edited or deleted in the admin: agents act on them through the
    actions, with the act_on_accounts permission."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_act_permission(self, request):
        return request.user.has_perm(ACT_PERMISSION)


class AccountAdminBase(ActionsOnly, admin.ModelAdmin):
    """The accounts' admin (queue and account page); see ActionsOnly for who may act."""

    # --- permissions ---------------------------------------------------------------------

    def _require_act(self, request):
        if not (
            request.user.is_active and request.user.is_staff and self.has_act_permission(request)
        ):
            raise PermissionDenied

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
