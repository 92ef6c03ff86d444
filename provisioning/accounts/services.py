"""Provisioning services: every write to a forwarder account goes through one of these.

The flows are DESIGN §4; the partner-facing rules (memberships, isolation) are DESIGN §5 and
§10. Each function runs in one transaction, locks the account it changes, records an
AuditEvent and queues its emails in the outbox (sent only after commit).
"""

import secrets
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, replace

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from provisioning.accounts.domains import email_domain, is_disposable
from provisioning.accounts.errors import (
    InvalidInput,
    ProvisioningError,
    UserAlreadyExists,
    UserDisabled,
    UserNotAttached,
    UserNotFound,
    UserNotVerified,
)
from provisioning.accounts.inputs import OfficeInput, UserInput
from provisioning.accounts.links import (
    completion_link_issue,
    completion_link_live,
    completion_link_url,
    login_token_create,
)
from provisioning.accounts.matching import (
    company_create_from_request,
    directory_facts,
    directory_registrations,
    domain_company,
    matching_offices,
    offices_create,
    request_warnings,
)
from provisioning.accounts.selectors import (
    DomainCompany,
    MemberRead,
    membership_by_email,
    user_by_email_locked,
)
from provisioning.audit.records import Actor, account_state, audit_record, state_changes
from provisioning.delivery.notifications import (
    email_completion_link,
    email_partner_access,
    email_pending,
    email_welcome,
)
from provisioning.models import (
    Company,
    CompletionLink,
    Membership,
    Office,
    Partner,
    PendingReason,
    User,
)
from provisioning.models import UserStatus as Status
from provisioning.models.users import EMAIL_CONSTRAINT
from provisioning.rows import new_rows, row_insert

DISPOSABLE_EMAIL = "disposable email addresses are not accepted"


class InvalidTransition(ProvisioningError):
    """The account's status does not allow this change (e.g. activating a deleted account)."""


@dataclass(frozen=True)
class Provisioned:
    """What a create or add-offices call did to the account."""

    user: User
    completion_url: str = ""  # the live completion link of a user awaiting details
    linked: bool = False  # an existing account was linked to the partner, not created


@dataclass(frozen=True)
class _Placement:
    """Where the flows of DESIGN §4 put an account: company, offices and status."""

    company: Company | None
    offices: list[Office]
    status: str
    reason: str
    warnings: list[dict]


# --- Create ----------------------------------------------------------------------------------


def user_create(
    *, partner: Partner, data: UserInput, actor: Actor, read: DomainCompany | None = None
) -> Provisioned:
    """Create the account through the flows of DESIGN §4, or link an existing one.

    A current member of partner → UserAlreadyExists. An account of other partners gains a
    membership (and the user a notice). A deleted account starts over. Safe under concurrent
    calls for one email: exactly one account results, the others see it as existing.

    read: the company of the email's domain, when the caller has read it already (the partner
    API reads it with the key); otherwise it is read here.
    """
    if is_disposable(email_domain(data.email)):
        raise InvalidInput([("email", DISPOSABLE_EMAIL)])
    for _attempt in range(2):
        # Most creates are of new accounts: the insert is tried first, and the unique email
        # index says when the email has an account already (or a parallel request has just
        # committed one); everything the attempt wrote is then undone.
        try:
            return _account_create(partner=partner, data=data, actor=actor, read=read)
        except IntegrityError as exc:
            if not _email_taken(exc):
                raise
        with transaction.atomic():
            user = user_by_email_locked(data.email)
            if user is not None:
                return _create_existing(partner=partner, user=user, data=data, actor=actor)
        # The account in the way was erased meanwhile: try again.
    raise UserAlreadyExists(data.email)


def _account_create(
    *, partner: Partner, data: UserInput, actor: Actor, read: DomainCompany | None
) -> Provisioned:
    """A new account through the flows of DESIGN §4, its rows inserted together (rows.py).
    IntegrityError on EMAIL_CONSTRAINT: the email has an account."""
    known, registrations = directory_facts(data.email, read=read)
    # Flows 1 and 2 write offices or a company before the account's rows and need a
    # transaction around them all; flow 3's rows are one statement, atomic by itself. Within
    # a caller's transaction, a savepoint keeps a refused insert from aborting it.
    writes_first = bool(registrations) or data.has_cass
    with (
        transaction.atomic() if writes_first or connection.in_atomic_block else nullcontext(),
        new_rows(reserve=_NEW_ACCOUNT_IDS),
    ):
        placement = _placement(data=data, known=known, registrations=registrations)
        return _account_insert(partner=partner, data=data, placement=placement, actor=actor)


# The new rows of a create whose ids are needed before they are inserted: the account's (the
# other rows point at it) and flow 3's completion link (its URL carries it).
_NEW_ACCOUNT_IDS = (User, CompletionLink)


def _account_insert(
    *, partner: Partner, data: UserInput, placement: _Placement, actor: Actor
) -> Provisioned:
    user = User(
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
    row_insert(user, with_id=True)
    row_insert(Membership(user=user, partner=partner))
    if placement.offices:
        user.offices.add(*placement.offices)
    audit_record(
        actor=actor,
        action="user.created",
        user=user,
        changes=state_changes(None, user, offices=placement.offices),
        audience=[partner],  # the new account's only member
    )
    completion_url = _announce(user=user, actor=actor, new=True, offices=placement.offices)
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
    if user.is_staff:
        raise UserAlreadyExists(data.email)
    membership = Membership.objects.filter(user=user, partner=partner).first()
    if user.status == Status.DELETED:
        return _start_over(
            partner=partner, user=user, membership=membership, data=data, actor=actor
        )
    if membership is not None and membership.removed_at is None:
        raise UserAlreadyExists(data.email)
    if user.status == Status.DISABLED:
        raise UserDisabled(data.email)
    if membership is None:
        Membership.objects.create(user=user, partner=partner)
    else:
        membership.removed_at = None
        membership.save(update_fields=["removed_at"])
    audit_record(
        actor=actor,
        action="user.partner_linked",
        user=user,
        changes={"partner": [None, partner.name]},
        note=f"{partner.name} now has access; the user is told by email.",
    )
    email_partner_access(user=user, partner=partner)
    link = completion_link_live(user=user)
    return Provisioned(
        user=user, completion_url=completion_link_url(link) if link else "", linked=True
    )


def _start_over(*, partner, user: User, membership, data: UserInput, actor: Actor):
    """A deleted account is created again: same row (support keeps its history), new request."""
    before = account_state(user)
    if membership is None:
        Membership.objects.create(user=user, partner=partner)
    else:
        membership.removed_at = None
        membership.save(update_fields=["removed_at"])
    user.first_name, user.last_name = data.first_name, data.last_name
    user.request_data = data.as_request_data()
    user.save(update_fields=["first_name", "last_name", "request_data"])
    _place(user=user, data=data)
    audit_record(
        actor=actor,
        action="user.created",
        user=user,
        changes=state_changes(before, user),
        note="The deleted account was created again and went through the flows anew.",
    )
    return Provisioned(user=user, completion_url=_announce(user=user, actor=actor))


def _placement(*, data: UserInput, known: Company | None, registrations: list) -> _Placement:
    """Decide company, offices and status from the request (DESIGN §4), given the domain's
    company and its directory entries (`directory_facts`). Flow 2 creates the company and
    offices it names."""
    if registrations:  # flow 1
        offices = matching_offices(known, data, registrations=registrations)
        status, reason = (
            (Status.ACTIVATED, "") if offices else (Status.PENDING, PendingReason.AWAITING_SUPPORT)
        )
        return _Placement(known, offices, status, reason, request_warnings(data, own_company=known))
    if data.has_cass:  # flow 2
        warnings = []
        if known is not None:
            company = known  # the domain's company, not (yet) in the CASS directory
        else:
            company, warnings = company_create_from_request(data)
        offices = offices_create(company, data.offices)
        warnings = request_warnings(data, own_company=company) + warnings
        return _Placement(
            company, offices, Status.PENDING, PendingReason.AWAITING_SUPPORT, warnings
        )
    # flow 3
    warnings = request_warnings(data, own_company=known)
    return _Placement(known, [], Status.PENDING, PendingReason.AWAITING_DETAILS, warnings)


def _place(*, user: User, data: UserInput) -> None:
    """Place an existing account anew from the request and save it; its offices are replaced."""
    known, registrations = directory_facts(user.email)
    placement = _placement(data=data, known=known, registrations=registrations)
    user.company = placement.company
    user.status, user.pending_reason = placement.status, placement.reason
    user.status_changed_at = timezone.now()
    user.warnings = placement.warnings
    user.save(
        update_fields=["company", "status", "pending_reason", "status_changed_at", "warnings"]
    )
    user.offices.set(placement.offices)


def _announce(
    *, user: User, actor: Actor, new: bool = False, offices: list[Office] | None = None
) -> str:
    """Queue the email of the account's new state. Returns the completion link, if one.

    new: the account was inserted in this transaction (it has no links to supersede).
    offices: the account's offices, when the caller has them all in hand."""
    if user.status == Status.ACTIVATED:
        email_welcome(user=user, offices=offices)
    elif user.pending_reason == PendingReason.AWAITING_SUPPORT:
        email_pending(user=user)
    elif user.pending_reason == PendingReason.AWAITING_DETAILS:
        return user_send_completion_link(user=user, actor=actor, first=new)
    return ""


def user_send_completion_link(*, user: User, actor: Actor, first: bool = False) -> str:
    """Issue a new completion link (older ones stop working), email it, return its URL.

    first: the account was inserted in this transaction, so it has no older links."""
    link = completion_link_issue(user=user, first=first)
    url = completion_link_url(link)
    audit_record(
        actor=actor, action="user.completion_link_sent", user=user, note=f"link #{link.pk}"
    )
    email_completion_link(user=user, link=link, url=url)
    return url


# --- Transitions -------------------------------------------------------------------------------


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
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.status == Status.ACTIVATED:
            return locked
        if locked.status == Status.DELETED:
            raise InvalidTransition(f"{locked.email} is deleted; create it again instead.")
        before = account_state(locked)
        locked.company = company
        locked.status, locked.pending_reason = Status.ACTIVATED, ""
        locked.status_changed_at = timezone.now()
        locked.save(update_fields=["company", "status", "pending_reason", "status_changed_at"])
        if replace_offices:
            locked.offices.set(offices)
        else:
            locked.offices.add(*offices)
        _kill_completion_links(locked)
        audit_record(
            actor=actor,
            action="user.activated",
            user=locked,
            changes=state_changes(before, locked),
            note=note,
        )
        email(user=locked)
    return locked


def _kill_completion_links(user: User) -> None:
    CompletionLink.objects.filter(
        user=user, used_at__isnull=True, superseded_at__isnull=True
    ).update(superseded_at=timezone.now())


# --- Partner calls on an existing member ----------------------------------------------------------


def _member(
    *,
    partner: Partner,
    email: str,
    lock: bool = False,
    company: bool = True,
    read: MemberRead | None = None,
) -> User:
    """The partner's current member, else UserNotFound (unknown, or another partner's user)
    or UserNotAttached (this partner removed it earlier). company: read its company too.
    read: the membership of some email, read earlier in the request (without company or
    lock); taken when it is this email's."""
    if read is not None and not (lock or company) and read.email == email.strip().lower():
        membership = read.membership
    else:
        membership = membership_by_email(partner=partner, email=email, lock=lock, company=company)
    if membership is None:
        raise UserNotFound(email)
    if membership.removed_at is not None:
        raise UserNotAttached(email)
    return membership.user


def user_issue_token(
    *, partner: Partner, email: str, actor: Actor, read: MemberRead | None = None
) -> tuple[User, str]:
    """A one-time portal login token for an activated member. Returns (user, raw token).

    read: the member, when the caller has read it already (the partner API reads it with
    the key); otherwise it is read here."""
    user = _member(partner=partner, email=email, company=False, read=read)
    if user.status == Status.DISABLED:
        raise UserDisabled(email)
    if user.status != Status.ACTIVATED:
        raise UserNotVerified(email)
    with new_rows():
        token, raw = login_token_create(user=user, partner=partner)
        audit_record(
            actor=actor,
            action="user.login_token_issued",
            user=user,
            note=f"valid until {token.expires_at:%Y-%m-%d %H:%M:%S} UTC",
        )
    return user, raw


def user_add_offices(
    *, partner: Partner, email: str, offices: tuple[OfficeInput, ...], actor: Actor
) -> Provisioned:
    """Add offices to a member and re-run the matching: a pending account whose new office
    matches its company's CASS directory entry is activated; one awaiting details that now
    gives CASS data goes to support (flow 2)."""
    with transaction.atomic():
        user = _member(partner=partner, email=email, lock=True)
        if user.status == Status.DISABLED:
            raise UserDisabled(email)
        stored = UserInput.from_request_data(user.request_data, email=user.email)
        data = stored.with_offices(offices)
        before_offices = sorted(user.offices.values_list("pk", flat=True))
        user.request_data = {**user.request_data, "offices": data.as_request_data()["offices"]}
        user.save(update_fields=["request_data"])

        directory_company = next(
            (c for c in (user.company, domain_company(email_domain(user.email))) if c), None
        )
        registrations = directory_registrations(directory_company)
        in_directory = registrations != []
        if in_directory:
            # Only the new offices count here, not the request's country.
            new = matching_offices(
                directory_company,
                replace(data, offices=offices, country=""),
                registrations=registrations,
            )
        elif user.company is not None:
            new = offices_create(user.company, offices)
        else:
            new = []
        user.offices.add(*new)
        audit_record(
            actor=actor,
            action="user.offices_added",
            user=user,
            changes={
                "offices": [before_offices, sorted(user.offices.values_list("pk", flat=True))]
            },
            note="Requested: " + ", ".join(_office_label(o) for o in offices),
        )
        completion_url = ""
        if user.status == Status.PENDING:
            if in_directory and new:
                user = user_activate(
                    user=user,
                    company=directory_company,
                    offices=new,
                    actor=actor,
                    note="A new office matched the CASS directory.",
                )
            elif user.pending_reason == PendingReason.AWAITING_DETAILS and data.has_cass:
                before = account_state(user)
                _kill_completion_links(user)
                _place(user=user, data=data)
                audit_record(
                    actor=actor,
                    action="user.pending",
                    user=user,
                    changes=state_changes(before, user),
                    note="CASS data given with new offices.",
                )
                completion_url = _announce(user=user, actor=actor)
            else:
                user.warnings = request_warnings(data, own_company=user.company)
                user.save(update_fields=["warnings"])
                link = completion_link_live(user=user)
                completion_url = completion_link_url(link) if link else ""
    return Provisioned(user=user, completion_url=completion_url)


def _office_label(office: OfficeInput) -> str:
    codes = f" {office.iata_code}/{office.cass_code}" if office.has_cass else ""
    return f"{office.country}/{office.airport_code or '-'}{codes}"


def user_remove_from_partner(*, partner: Partner, email: str, actor: Actor) -> User:
    """End the partner's membership. Removing the last one sets the account to deleted (kept
    for support history; creating the email again starts over)."""
    with transaction.atomic():
        user = _member(partner=partner, email=email, lock=True)
        now = timezone.now()
        Membership.objects.filter(user=user, partner=partner).update(removed_at=now)
        audit_record(
            actor=actor,
            action="user.partner_removed",
            user=user,
            changes={"partner": [partner.name, None]},
        )
        if not user.memberships.filter(removed_at__isnull=True).exists():
            before = account_state(user)
            user.status, user.pending_reason, user.status_changed_at = Status.DELETED, "", now
            user.save(update_fields=["status", "pending_reason", "status_changed_at"])
            _kill_completion_links(user)
            audit_record(
                actor=actor,
                action="user.deleted",
                user=user,
                changes=state_changes(before, user),
                note="The last partner removed the user.",
            )
    return user
