"""The actions support takes on accounts, single (account page) and bulk (queue).

Each action names its confirmation form and the one service it calls; the admin views only
authenticate, validate the form, call `run` per account and report the outcomes.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms

from backoffice.forms import EmptyForm, EraseForm, NoteOnlyForm, RejectForm
from backoffice.services import account_erase
from provisioning.accounts.errors import InvalidTransition
from provisioning.accounts.transitions import (
    Outcome,
    user_activate_by_support,
    user_is_erased,
    user_reject,
    user_reopen,
    user_resend_completion_link,
)
from provisioning.audit.records import Actor
from provisioning.models import User, UserStatus

MAX_BULK = 100


@dataclass(frozen=True)
class AccountAction:
    name: str
    label: str  # the button
    done: str  # "activated", for the result message
    explanation: str  # what the confirmation page says will happen
    statuses: tuple[str, ...]  # the statuses it applies to
    bulk_form: type[forms.Form]
    run_bulk: Callable[[User, Actor, dict], Outcome]
    danger: bool = False
    email: str = ""  # which email the user gets
    extra_check: Callable[[User], str] = field(default=lambda user: "")
    bulk_check: Callable[[User], str] = field(default=lambda user: "")

    def refusal(self, user: User, *, bulk: bool = False) -> str:
        """Why the action does not apply to this account ("" when it does)."""
        if user.status not in self.statuses:
            return f"it is {user.get_status_display().lower()}"
        return self.extra_check(user) or (self.bulk_check(user) if bulk else "")


def _activate_as_planned(user: User, actor: Actor, data: dict) -> Outcome:
    # In bulk there is nothing to choose: the account's own company or its single strong
    # match, with the offices its plan names (backoffice.selectors.activation).
    plan = user.activation_plan
    return user_activate_by_support(
        user=user,
        actor=actor,
        company=plan.company,
        offices=plan.offices,
        note=data.get("note", "") or f"Activated in bulk: {plan.why}.",
    )


def _activation_gap(user: User) -> str:
    plan = getattr(user, "activation_plan", None)
    if plan is None:
        return "open it to choose its company"
    return plan.refusal


def _not_erased(user: User) -> str:
    return "its personal data is erased already" if user_is_erased(user) else ""


ACTIONS: dict[str, AccountAction] = {
    action.name: action
    for action in [
        AccountAction(
            name="activate",
            label="Activate",
            done="activated",
            explanation="Each account is activated for its own company, or the one company "
            "that owns its email domain or its CASS registration, with the office shown.",
            statuses=(UserStatus.PENDING, UserStatus.DISABLED),
            bulk_form=NoteOnlyForm,
            run_bulk=_activate_as_planned,
            email="activated by support",
            bulk_check=_activation_gap,
        ),
        AccountAction(
            name="reject",
            label="Reject",
            done="rejected",
            explanation="The account is disabled; the user is emailed the reason.",
            statuses=(UserStatus.PENDING, UserStatus.ACTIVATED),
            bulk_form=RejectForm,
            run_bulk=lambda user, actor, data: user_reject(
                user=user, reason=data["reason"], actor=actor
            ),
            danger=True,
            email="rejected, with the reason",
        ),
        AccountAction(
            name="resend_link",
            label="Resend completion link",
            done="sent a new completion link",
            explanation="A new completion link is emailed; older links stop working.",
            statuses=(UserStatus.PENDING,),
            bulk_form=EmptyForm,
            run_bulk=lambda user, actor, data: user_resend_completion_link(user=user, actor=actor),
            email="completion link",
        ),
        AccountAction(
            name="reopen",
            label="Re-open",
            done="re-opened",
            explanation="The account goes back to the queue, awaiting support.",
            statuses=(UserStatus.DISABLED, UserStatus.ACTIVATED),
            bulk_form=NoteOnlyForm,
            run_bulk=lambda user, actor, data: user_reopen(
                user=user, actor=actor, note=data.get("note", "")
            ),
            email="support will contact you",
            extra_check=_not_erased,
        ),
        AccountAction(
            name="erase",
            label="Erase personal data",
            done="erased",
            explanation="Email, names and the personal parts of the request are erased for "
            "good; the history stays, pseudonymous.",
            statuses=(UserStatus.DISABLED, UserStatus.DELETED),
            bulk_form=EraseForm,
            run_bulk=lambda user, actor, data: account_erase(user=user, actor=actor),
            danger=True,
            extra_check=_not_erased,
        ),
    ]
}


@dataclass
class Report:
    """The outcome of one action over one or more accounts, for the result message."""

    action: AccountAction
    changed: list[User] = field(default_factory=list)
    unchanged: list[tuple[User, str]] = field(default_factory=list)
    refused: list[tuple[User, str]] = field(default_factory=list)

    def run(self, users: list[User], actor: Actor, data: dict, runner=None) -> "Report":
        """Run the action's service per account; runner replaces the bulk call (the single
        activation passes the company and offices support chose)."""
        bulk = runner is None
        runner = runner or self.action.run_bulk
        for user in users:
            refusal = self.action.refusal(user, bulk=bulk)
            if refusal:
                self.refused.append((user, refusal))
                continue
            try:
                outcome = runner(user, actor, data)
            except InvalidTransition as exc:
                self.refused.append((user, str(exc)))
                continue
            if outcome.changed:
                self.changed.append(outcome.user)
            else:
                self.unchanged.append((outcome.user, outcome.detail))
        return self
