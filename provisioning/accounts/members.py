"""A partner's calls on an account it already has (DESIGN §5.2): login token, add offices,
remove. Another partner's account and an unknown one look alike (DESIGN §10)."""

from dataclasses import replace

from django.db import IntegrityError, transaction
from django.utils import timezone

from provisioning.accounts.consent import (
    access_request_add_offices,
    access_request_pending,
    access_request_withdraw,
)
from provisioning.accounts.domains import email_domain
from provisioning.accounts.errors import (
    ExternalIdTaken,
    UserDisabled,
    UserNotAttached,
    UserNotFound,
    UserNotVerified,
)
from provisioning.accounts.inputs import OfficeInput, UserInput
from provisioning.accounts.links import (
    completion_link_live,
    completion_link_url,
    login_token_create,
)
from provisioning.accounts.matching import (
    directory_registrations,
    domain_company,
    matching_offices,
    offices_create,
    request_warnings,
)
from provisioning.accounts.selectors import membership_by_email
from provisioning.accounts.services import Provisioned, account_announce, account_place
from provisioning.accounts.state import account_move
from provisioning.accounts.transitions import user_activate
from provisioning.audit.records import Actor, audit_record
from provisioning.models import (
    AccessRequest,
    EventType,
    Membership,
    Partner,
    PendingReason,
    User,
)
from provisioning.models import UserStatus as Status
from provisioning.models.audit import AuditAction


def _member(*, partner: Partner, email: str, lock: bool = False) -> User:
    """The partner's current member, else UserNotFound (unknown, or another partner's user)
    or UserNotAttached (this partner removed it earlier)."""
    membership = membership_by_email(partner=partner, email=email, lock=lock)
    if membership is None:
        raise UserNotFound(email)
    if membership.removed_at is not None:
        raise UserNotAttached(email)
    return membership.user


def _waiting(*, partner: Partner, email: str, error: Exception) -> AccessRequest:
    """The partner's open access request for email, else the error `_member` raised."""
    access = access_request_pending(partner=partner, email=email)
    if access is None:
        raise error
    return access


def user_issue_token(*, partner: Partner, email: str, actor: Actor) -> tuple[User, str]:
    """A one-time portal login token for an activated member. Returns (user, raw token).
    An account the partner has only asked for is not verified (for this partner)."""
    try:
        user = _member(partner=partner, email=email)
    except (UserNotFound, UserNotAttached) as exc:
        _waiting(partner=partner, email=email, error=exc)
        raise UserNotVerified(email) from None
    if user.status == Status.DISABLED:
        raise UserDisabled(email)
    if user.status != Status.ACTIVATED:
        raise UserNotVerified(email)
    with transaction.atomic():
        token, raw = login_token_create(user=user, partner=partner)
        audit_record(
            actor=actor,
            action=AuditAction.USER_LOGIN_TOKEN_ISSUED,
            user=user,
            note=f"valid until {token.expires_at:%Y-%m-%d %H:%M:%S} UTC",
        )
    return user, raw


def user_add_offices(
    *, partner: Partner, email: str, offices: tuple[OfficeInput, ...], actor: Actor
) -> Provisioned:
    """Add offices to a member and re-run the matching: a pending account whose new office
    matches its company's CASS directory entry is activated; one awaiting details that now
    gives CASS data goes to support (flow 2). While the partner only asked for access, the
    offices are kept with its request."""
    with transaction.atomic():
        try:
            user = _member(partner=partner, email=email, lock=True)
        except (UserNotFound, UserNotAttached) as exc:
            access = _waiting(partner=partner, email=email, error=exc)
            access_request_add_offices(access=access, offices=offices)
            return Provisioned(user=access.user, access=access)
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
            action=AuditAction.USER_OFFICES_ADDED,
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
                account_place(
                    user=user,
                    data=data,
                    actor=actor,
                    action=AuditAction.USER_PENDING,
                    event=EventType.USER_PENDING,
                    note="CASS data given with new offices.",
                )
                completion_url = account_announce(user=user, actor=actor)
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
    for support history; creating the email again starts over). A partner that only asked
    for access withdraws its request."""
    with transaction.atomic():
        try:
            user = _member(partner=partner, email=email, lock=True)
        except (UserNotFound, UserNotAttached) as exc:
            access = _waiting(partner=partner, email=email, error=exc)
            access_request_withdraw(access=access, actor=actor)
            return access.user
        Membership.objects.filter(user=user, partner=partner).update(removed_at=timezone.now())
        audit_record(
            actor=actor,
            action=AuditAction.USER_PARTNER_REMOVED,
            user=user,
            changes={"partner": [partner.name, None]},
        )
        if not user.memberships.filter(removed_at__isnull=True).exists():
            account_move(
                user,
                status=Status.DELETED,
                actor=actor,
                action=AuditAction.USER_DELETED,
                event=EventType.USER_DELETED,
                note="The last partner removed the user.",
            )
    return user


def user_rename(
    *,
    partner: Partner,
    email: str,
    first_name: str,
    last_name: str,
    company_name: str,
    actor: Actor,
) -> User:
    """Change a member's names as the partner gives them (already validated): first and last
    name, and the company name of the account's request. The company the account belongs
    to is support's and the directory's to decide, not changed here."""
    with transaction.atomic():
        user = _member(partner=partner, email=email, lock=True)
        request = user.request_data or {}
        before = {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "company_name": request.get("companyName", ""),
        }
        after = {"first_name": first_name, "last_name": last_name, "company_name": company_name}
        changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
        if not changes:
            return user
        user.first_name, user.last_name = first_name, last_name
        user.request_data = {
            **request,
            "firstName": first_name,
            "lastName": last_name,
            "companyName": company_name,
        }
        user.save(update_fields=["first_name", "last_name", "request_data"])
        audit_record(actor=actor, action=AuditAction.USER_RENAMED, user=user, changes=changes)
    return user


def membership_set_external_id(*, membership: Membership, external_id: str) -> None:
    """Keep the partner's own identifier of the user (SCIM externalId): unique per partner."""
    if membership.external_id == external_id:
        return
    membership.external_id = external_id
    try:
        with transaction.atomic():
            membership.save(update_fields=["external_id"])
    except IntegrityError:
        raise ExternalIdTaken(external_id) from None


def membership_forget(*, partner: Partner, user: User) -> None:
    """Drop a membership the partner ended, so the partner no longer sees the user at all
    (SCIM DELETE). The account and its history stay."""
    Membership.objects.filter(user=user, partner=partner, removed_at__isnull=False).delete()
