"""Creating accounts: the flows of DESIGN §4 and the partner rules of §5 and §10.

One transaction per call: the rows a create writes go in together, its emails and webhooks
are outbox rows of that transaction (sent only after commit), its audit row and partner event
are written by the function that makes the change.
"""

import secrets
from dataclasses import dataclass

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import IntegrityError, transaction

from provisioning.accounts.consent import access_request_open, membership_open
from provisioning.accounts.domains import email_domain, is_disposable
from provisioning.accounts.errors import InvalidInput, UserAlreadyExists
from provisioning.accounts.inputs import UserInput
from provisioning.accounts.links import completion_link_issue, completion_link_url
from provisioning.accounts.matching import (
    company_create_from_request,
    directory_facts,
    matching_offices,
    offices_create,
    request_warnings,
)
from provisioning.accounts.selectors import user_by_email_locked
from provisioning.accounts.state import account_move
from provisioning.audit.records import Actor, audit_record, state_changes
from provisioning.delivery.events import partner_events_emit
from provisioning.delivery.notifications import (
    email_completion_link,
    email_pending,
    email_welcome,
)
from provisioning.models import (
    AccessRequest,
    Company,
    CompletionLink,
    EventType,
    Membership,
    Office,
    Partner,
    PendingReason,
    User,
)
from provisioning.models import UserStatus as Status
from provisioning.models.audit import AuditAction
from provisioning.models.users import EMAIL_CONSTRAINT

DISPOSABLE_EMAIL = "disposable email addresses are not accepted"


@dataclass(frozen=True)
class Provisioned:
    """What a create or add-offices call did to the account."""

    user: User
    completion_url: str = ""  # the live completion link of a user awaiting details
    # An existing account another partner brought: access was asked for (DESIGN §5.2). The
    # caller answers as for a new account awaiting verification, with access.request_data.
    access: AccessRequest | None = None


@dataclass(frozen=True)
class Placement:
    """Where the flows of DESIGN §4 put an account: company, offices and status."""

    company: Company | None
    offices: list[Office]
    status: str
    reason: str
    warnings: list[dict]


def user_create(*, partner: Partner, data: UserInput, actor: Actor) -> Provisioned:
    """Create the account through the flows of DESIGN §4, or link an existing one.

    A current member of partner → UserAlreadyExists. Any other existing account (another
    partner's, one this partner removed, a staff login, a disabled account) is never handed
    over: an access request is opened instead (`consent.access_request_open`). A deleted
    account starts over. Safe under concurrent calls for one email: exactly one account
    results, the others see it as existing.
    """
    if is_disposable(email_domain(data.email)):
        raise InvalidInput([("email", DISPOSABLE_EMAIL)])
    for _attempt in range(2):
        # Most creates are of new accounts: the insert is tried first, and the unique email
        # index says when the email has an account already (or a parallel request has just
        # committed one); the transaction then undoes everything the attempt wrote.
        try:
            with transaction.atomic():
                return _account_create(partner=partner, data=data, actor=actor)
        except IntegrityError as exc:
            if not _email_taken(exc):
                raise
        with transaction.atomic():
            user = user_by_email_locked(data.email)
            if user is not None:
                return _create_existing(partner=partner, user=user, data=data, actor=actor)
        # The account in the way was erased meanwhile: try again.
    raise UserAlreadyExists(data.email)


def _account_create(*, partner: Partner, data: UserInput, actor: Actor) -> Provisioned:
    """A new account placed by the flows. IntegrityError on EMAIL_CONSTRAINT: the email has
    an account already."""
    placement = account_placement(data=data)
    user = User.objects.create(
        email=data.email,
        first_name=data.first_name,
        last_name=data.last_name,
        company=placement.company,
        status=placement.status,
        pending_reason=placement.reason,
        warnings=placement.warnings,
        request_data=data.as_request_data(),
        password=_unusable_password(),  # forwarders sign in with one-time links only
    )
    Membership.objects.create(user=user, partner=partner)
    if placement.offices:
        user.offices.add(*placement.offices)
    completion_url, note = "", ""
    if user.pending_reason == PendingReason.AWAITING_DETAILS:
        # The account's first link is part of its creation: one line of history, not two.
        link, completion_url = _completion_link_send(user=user)
        note = f"Completion link #{link.pk} emailed."
    elif user.status == Status.ACTIVATED:
        email_welcome(user=user)
    else:
        email_pending(user=user)
    changes = state_changes(None, user, offices=placement.offices)
    audit_record(
        actor=actor, action=AuditAction.USER_CREATED, user=user, changes=changes, note=note
    )
    partner_events_emit(user=user, type=EventType.USER_CREATED, changes=changes, partners=[partner])
    return Provisioned(user=user, completion_url=completion_url)


def _unusable_password() -> str:
    """What `set_unusable_password` stores — the unusable prefix and 40 random characters —
    drawn from the system's random source once instead of once a character."""
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)


def _email_taken(exc: IntegrityError) -> bool:
    """The insert lost to a parallel create of the same email (and not to another rule)."""
    constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
    return constraint == EMAIL_CONSTRAINT or (constraint is None and "email" in str(exc).lower())


def _create_existing(*, partner: Partner, user: User, data: UserInput, actor: Actor):
    membership = Membership.objects.filter(user=user, partner=partner).first()
    if user.status == Status.DELETED and not user.is_staff:
        return _start_over(
            partner=partner, user=user, membership=membership, data=data, actor=actor
        )
    if membership is not None and membership.removed_at is None and not user.is_staff:
        raise UserAlreadyExists(data.email)
    access = access_request_open(partner=partner, user=user, data=data, actor=actor)
    return Provisioned(user=user, access=access)


def _start_over(*, partner, user: User, membership, data: UserInput, actor: Actor):
    """A deleted account is created again: same row (support keeps its history), new request."""
    membership_open(partner=partner, user=user, membership=membership)
    user.first_name, user.last_name = data.first_name, data.last_name
    user.request_data = data.as_request_data()
    account_place(
        user=user,
        data=data,
        actor=actor,
        action=AuditAction.USER_CREATED,
        event=EventType.USER_CREATED,
        note="The deleted account was created again and went through the flows anew.",
        also_save=("first_name", "last_name", "request_data"),
    )
    return Provisioned(user=user, completion_url=account_announce(user=user, actor=actor))


def account_placement(*, data: UserInput) -> Placement:
    """Decide company, offices and status from the request (DESIGN §4). Flow 2 creates the
    company and offices it names."""
    known, registrations = directory_facts(data.email)
    if registrations:  # flow 1
        offices = matching_offices(known, data, registrations=registrations)
        status, reason = (
            (Status.ACTIVATED, "") if offices else (Status.PENDING, PendingReason.AWAITING_SUPPORT)
        )
        return Placement(known, offices, status, reason, request_warnings(data, own_company=known))
    if data.has_cass:  # flow 2
        warnings = []
        if known is not None:
            company = known  # the domain's company, not (yet) in the CASS directory
        else:
            company, warnings = company_create_from_request(data)
        offices = offices_create(company, data.offices)
        warnings = request_warnings(data, own_company=company) + warnings
        return Placement(company, offices, Status.PENDING, PendingReason.AWAITING_SUPPORT, warnings)
    # flow 3
    warnings = request_warnings(data, own_company=known)
    return Placement(known, [], Status.PENDING, PendingReason.AWAITING_DETAILS, warnings)


def account_place(
    *,
    user: User,
    data: UserInput,
    actor: Actor,
    action: AuditAction,
    event: EventType,
    note: str,
    also_save: tuple[str, ...] = (),
) -> None:
    """Place an existing, locked account anew from the request; its offices are replaced."""
    placement = account_placement(data=data)
    user.warnings = placement.warnings
    account_move(
        user,
        status=placement.status,
        reason=placement.reason,
        company=placement.company,
        offices=placement.offices,
        actor=actor,
        action=action,
        event=event,
        note=note,
        also_save=("warnings", *also_save),
    )


def account_announce(*, user: User, actor: Actor) -> str:
    """Queue the email of the account's new state. Returns the completion link, if one."""
    if user.status == Status.ACTIVATED:
        email_welcome(user=user)
    elif user.pending_reason == PendingReason.AWAITING_SUPPORT:
        email_pending(user=user)
    elif user.pending_reason == PendingReason.AWAITING_DETAILS:
        return user_send_completion_link(user=user, actor=actor)
    return ""


def user_send_completion_link(*, user: User, actor: Actor) -> str:
    """Issue a new completion link (older ones stop working), email it, return its URL."""
    link, url = _completion_link_send(user=user)
    audit_record(
        actor=actor,
        action=AuditAction.USER_COMPLETION_LINK_SENT,
        user=user,
        note=f"link #{link.pk}",
    )
    return url


def _completion_link_send(*, user: User) -> tuple[CompletionLink, str]:
    link = completion_link_issue(user=user)
    url = completion_link_url(link)
    email_completion_link(user=user, link=link, url=url)
    return link, url
