"""The transitions of an account (DESIGN §3.1, §7): activation, and what support does from
the back-office.

One service per transition. Each locks the account row (`account_lock`), returns early when
the account is already where the action would take it — so two agents acting at once make
one transition and send one email — moves it with `account_move` (audit row and the partner
event it names) and queues its email in the outbox (sent after commit).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from provisioning.accounts.domains import validate_company_domain
from provisioning.accounts.errors import InvalidTransition
from provisioning.accounts.inputs import OfficeInput
from provisioning.accounts.links import completion_link_live, completion_links_revoke
from provisioning.accounts.matching import offices_create
from provisioning.accounts.services import user_send_completion_link
from provisioning.accounts.state import account_lock, account_move
from provisioning.audit.records import Actor, audit_record
from provisioning.delivery.notifications import (
    email_activated_by_support,
    email_pending,
    email_rejected,
    email_welcome,
)
from provisioning.models import (
    Company,
    CompanyDomain,
    EventType,
    Office,
    OutboxMessage,
    PartnerEvent,
    PendingReason,
    User,
)
from provisioning.models import UserStatus as Status
from provisioning.models.audit import AuditAction
from provisioning.models.outbox import OutboxKind, OutboxStatus

ERASED_DOMAIN = "erased.invalid"
# The request fields that describe the company, not the person; erasure keeps them.
_NON_PERSONAL_REQUEST_FIELDS = ("companyName", "countryCode", "offices")
# A link issued this recently is not issued again: a double click or two agents at once.
RESEND_GRACE = timedelta(minutes=2)


@dataclass(frozen=True)
class Outcome:
    """What a support action did: changed is False when the account was already there."""

    user: User
    changed: bool
    detail: str = ""


@dataclass(frozen=True)
class CompanyDraft:
    """A company support creates while activating (the request named an unknown one)."""

    legal_name: str
    country: str
    domain: str = ""


# --- Activate ------------------------------------------------------------------------------


def user_activate(
    *,
    user: User,
    company: Company,
    offices: list[Office],
    actor: Actor,
    note: str = "",
    replace_offices: bool = False,
    email: Callable[..., None] = email_welcome,
) -> User:
    """pending or disabled → activated, attached to company and offices; welcome email.

    replace_offices: the offices become the user's only ones (support chose them); otherwise
    they are added. email: the email that tells the user (support sends its own wording).
    Idempotent: an activated account is returned unchanged.
    """
    with transaction.atomic():
        locked = account_lock(user)
        if locked.status == Status.ACTIVATED:
            return locked
        if locked.status == Status.DELETED:
            raise InvalidTransition(f"{locked.email} is deleted; create it again instead.")
        account_move(
            locked,
            status=Status.ACTIVATED,
            company=company,
            offices=offices,
            replace_offices=replace_offices,
            actor=actor,
            action=AuditAction.USER_ACTIVATED,
            event=EventType.USER_ACTIVATED,
            note=note,
        )
        email(user=locked)
    return locked


def user_activate_by_support(
    *,
    user: User,
    actor: Actor,
    company: Company | None = None,
    new_company: CompanyDraft | None = None,
    offices: list[Office] | tuple[Office, ...] = (),
    new_office: OfficeInput | None = None,
    note: str = "",
) -> Outcome:
    """pending (or disabled) → activated, attached to the company and offices support chose.

    Either company or new_company; the offices must belong to it, and new_office is created
    under it. At least one office is required: without one no airline can recognise the user.
    The chosen offices replace the user's (a flow-2 company may be swapped for the right one).
    The activated-by-support email goes out instead of the automatic welcome.
    """
    with transaction.atomic():
        locked = account_lock(user)
        if locked.status == Status.ACTIVATED:
            return Outcome(locked, False, "already activated")
        if locked.status == Status.DELETED:
            raise InvalidTransition(
                f"{locked.email} was removed by its partners; it cannot be activated."
            )
        if new_company is not None:
            company = _company_create(new_company)
        if company is None:
            raise InvalidTransition("Choose the company to activate the account for.")
        chosen = list(offices)
        if any(office.company_id != company.pk for office in chosen):
            raise InvalidTransition(f"Every office must belong to {company.legal_name}.")
        if new_office is not None:
            chosen += [o for o in offices_create(company, (new_office,)) if o not in chosen]
        if not chosen:
            raise InvalidTransition("Choose or create at least one office.")
        activated = user_activate(
            user=locked,
            company=company,
            offices=chosen,
            actor=actor,
            note=note or "Activated by support.",
            replace_offices=True,
            email=email_activated_by_support,
        )
    return Outcome(activated, True)


def _company_create(draft: CompanyDraft) -> Company:
    company = Company.objects.create(legal_name=draft.legal_name, country=draft.country)
    if draft.domain:
        try:
            validate_company_domain(draft.domain)
        except ValidationError as exc:
            raise InvalidTransition(" ".join(exc.messages)) from None
        if CompanyDomain.objects.filter(domain=draft.domain).exists():
            raise InvalidTransition(f"{draft.domain} already belongs to another company.")
        CompanyDomain.objects.create(company=company, domain=draft.domain)
    return company


# --- Reject, re-open -------------------------------------------------------------------------


def user_reject(*, user: User, reason: str, actor: Actor) -> Outcome:
    """pending or activated → disabled, with the reason support gives; the user is emailed it.

    The reason goes to the forwarder and into the audit trail.
    """
    reason = reason.strip()
    if not reason:
        raise InvalidTransition("A reason is required to reject an account.")
    with transaction.atomic():
        locked = account_lock(user)
        if locked.status == Status.DISABLED:
            return Outcome(locked, False, "already disabled")
        if locked.status == Status.DELETED:
            raise InvalidTransition(f"{locked.email} was removed by its partners already.")
        account_move(
            locked,
            status=Status.DISABLED,
            actor=actor,
            action=AuditAction.USER_DISABLED,
            event=EventType.USER_DISABLED,
            note=f"Rejected: {reason}",
        )
        email_rejected(user=locked, reason=reason)
    return Outcome(locked, True)


def user_reopen(*, user: User, actor: Actor, note: str = "") -> Outcome:
    """disabled or activated → pending / awaiting_support: back in the queue, support owns it.

    The user gets the "support will contact you" email. A deleted account is not re-opened:
    it comes back when a partner creates it again (DESIGN §5.2).
    """
    with transaction.atomic():
        locked = account_lock(user)
        if locked.status == Status.PENDING:
            return Outcome(locked, False, "already pending")
        if locked.status == Status.DELETED:
            raise InvalidTransition(
                f"{locked.email} was removed by its partners; a partner must create it again."
            )
        if locked.email.endswith("@" + ERASED_DOMAIN):
            raise InvalidTransition("The account's personal data was erased.")
        account_move(
            locked,
            status=Status.PENDING,
            reason=PendingReason.AWAITING_SUPPORT,
            actor=actor,
            action=AuditAction.USER_PENDING,
            event=EventType.USER_PENDING,
            note=note or "Re-opened by support.",
        )
        email_pending(user=locked)
    return Outcome(locked, True)


# --- Completion link -------------------------------------------------------------------------


def user_resend_completion_link(*, user: User, actor: Actor) -> Outcome:
    """A new completion link for a pending account (older ones stop working), emailed.

    The pending reason is left as it is: sending the form does not decide the account. A link
    issued in the last two minutes is not issued again (double click, two agents).
    """
    with transaction.atomic():
        locked = account_lock(user)
        if locked.status != Status.PENDING:
            raise InvalidTransition(
                f"{locked.email} is {locked.get_status_display().lower()}: only pending "
                "accounts get a completion link."
            )
        live = completion_link_live(user=locked)
        if live is not None and live.created_at > timezone.now() - RESEND_GRACE:
            return Outcome(locked, False, "a link was sent moments ago")
        user_send_completion_link(user=locked, actor=actor)
    return Outcome(locked, True)


# --- Erase -----------------------------------------------------------------------------------


def erased_email(user: User) -> str:
    return f"erased-{user.pk}@{ERASED_DOMAIN}"


def user_is_erased(user: User) -> bool:
    return user.email.endswith("@" + ERASED_DOMAIN)


def user_erase(*, user: User, actor: Actor) -> Outcome:
    """Erase a disabled or deleted account's personal data, keeping a pseudonymous trail.

    The row stays (its id ties the audit trail, memberships and company together); email,
    names and the personal fields of the request are replaced, the password made unusable,
    and the emails addressed to it lose their address and content (pending ones are dropped).
    The partner events kept for the feed (and their webhook messages) name the account by the
    pseudonym from then on. Audit rows hold no personal data to begin with: they record states,
    ids and notes.
    """
    with transaction.atomic():
        locked = account_lock(user)
        if user_is_erased(locked):
            return Outcome(locked, False, "already erased")
        if locked.status not in (Status.DISABLED, Status.DELETED):
            raise InvalidTransition(
                f"{locked.email} is {locked.get_status_display().lower()}: reject it first, "
                "then erase its personal data."
            )
        old_email = locked.email
        locked.email = erased_email(locked)
        locked.first_name = locked.last_name = ""
        locked.request_data = {
            key: value
            for key, value in locked.request_data.items()
            if key in _NON_PERSONAL_REQUEST_FIELDS
        }
        locked.is_active = False
        locked.set_unusable_password()
        locked.save(
            update_fields=[
                "email",
                "first_name",
                "last_name",
                "request_data",
                "is_active",
                "password",
            ]
        )
        completion_links_revoke(user=locked)
        # The outbox has no index on the recipient: erasure is rare enough to scan it.
        emails = OutboxMessage.objects.filter(kind=OutboxKind.EMAIL, recipient=old_email)
        emails.filter(status=OutboxStatus.PENDING).update(
            status=OutboxStatus.FAILED, last_error="The recipient's personal data was erased."
        )
        emails.update(recipient=locked.email, context={})
        _events_pseudonymise(user=locked, old_email=old_email)
        audit_record(
            actor=actor,
            action=AuditAction.USER_ERASED,
            user=locked,
            changes={"personal_data": ["present", "erased"]},
        )
    return Outcome(locked, True)


def _events_pseudonymise(*, user: User, old_email: str) -> None:
    """Replace the email in the user's stored partner events and their webhook payloads (a
    few rows per account; delivered ones keep their outcome)."""
    for event in PartnerEvent.objects.filter(user=user).select_related("delivery"):
        _replace_email(event.payload, old_email, user.email)
        event.save(update_fields=["payload"])
        if event.delivery is not None:
            _replace_email(event.delivery.context, old_email, user.email)
            event.delivery.save(update_fields=["context"])


def _replace_email(payload: dict, old_email: str, new_email: str) -> None:
    person = (payload.get("data") or {}).get("user") or {}
    if person.get("email") == old_email:
        person["email"] = new_email
