"""The account page: one account with its offices, partners, recognition, history and notes,
and the views that act on it (an action, a note, the contacted mark)."""

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path

from backoffice.actions import ACTIONS, Report
from backoffice.admin.base import AccountAdminBase
from backoffice.forms import ActivateForm, ContactedForm, NoteForm
from backoffice.recognition_summary import recognition_summary
from backoffice.selectors.account import (
    account_get,
    account_history,
    account_memberships,
    account_notes,
    account_offices,
    company_suggestions,
)
from backoffice.selectors.queue import queue_position_neighbours
from backoffice.services import (
    account_claim,
    account_contacted_mark,
    account_note_add,
    account_release,
)
from backoffice.wording import differences, history_lines
from provisioning.accounts.transitions import user_activate_by_support
from provisioning.audit.records import Actor


class AccountPage(AccountAdminBase):
    """The change page of an account, replaced by the account page, and its own URLs."""

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/do/<str:action_name>/",
                wrap(self.account_action_view),
                name="backoffice_account_action",
            ),
            path("<path:object_id>/note/", wrap(self.note_view), name="backoffice_account_note"),
            path("<path:object_id>/claim/", wrap(self.claim_view), name="backoffice_account_claim"),
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
            "history": history_lines(history),
            "request_country": account_country_requested(account),
            "claim": getattr(account, "support_claim", None),
            "more_history": more_history,
            "notes": account_notes(user=account)
            if request.user.has_perm("backoffice.view_accountnote")
            else None,
            "note_form": NoteForm()
            if request.user.has_perm("backoffice.add_accountnote")
            else None,
            "contacted_form": ContactedForm() if can_act else None,
            "can_act": can_act,
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
        for suggestion in suggestions:
            suggestion.differences = differences(account, suggestion)
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

    def claim_view(self, request, object_id):
        """Take the account (deliberately from another agent with take_over), or release it."""
        self._require_act(request)
        if request.method != "POST":
            raise PermissionDenied
        account = self._account(request, object_id)
        if request.POST.get("release"):
            outcome = account_release(user=account, agent=request.user)
            done = "Released: the account is back in the queue for anyone."
        else:
            outcome = account_claim(
                user=account, agent=request.user, take_over=bool(request.POST.get("take_over"))
            )
            done = "Assigned to you."
        if outcome.changed:
            self.message_user(request, done)
        else:
            self.message_user(request, f"Nothing changed: {outcome.detail}.", messages.WARNING)
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

    def _after_action(self, request, account, report: Report):
        self._report(request, report)
        if report.changed and report.action.name in ("activate", "reject"):
            # Done with this account: back to the queue where the agent left it.
            return HttpResponseRedirect(self._queue_url(request))
        return HttpResponseRedirect(self._account_url(request, account))


def account_country_requested(account) -> str:
    """The country the partner sent: its countryCode, else its first office's (an account
    created with offices only has no top-level country)."""
    data = account.request_data or {}
    offices = data.get("offices") or [{}]
    return data.get("countryCode") or (offices[0] or {}).get("countryCode") or ""
