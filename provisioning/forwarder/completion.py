"""Services behind the completion link (DESIGN §8): submitting the company details and the
reminder sweep (asking for a fresh link is in asks.py).

Split from services.py by concept; the same rules hold: each write runs in one transaction,
locks or compare-and-sets what it changes, records an AuditEvent and queues its emails in the
outbox (sent after commit). See docs/forwarder-pages.md for the decisions.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from provisioning.accounts.inputs import OfficeInput, UserInput
from provisioning.accounts.links import (
    CompletionLinkInvalid,
    completion_link_resolve,
    completion_link_token,
    completion_link_url,
    completion_link_use,
)
from provisioning.accounts.matching import (
    company_create_from_request,
    directory_facts,
    matching_offices,
    offices_create,
    request_warnings,
)
from provisioning.accounts.state import account_move
from provisioning.accounts.transitions import user_activate
from provisioning.audit.records import Actor, audit_record
from provisioning.delivery.notifications import email_completion_reminder, email_details_received
from provisioning.models import (
    Company,
    CompletionLink,
    EventType,
    PendingReason,
    User,
)
from provisioning.models import UserStatus as Status
from provisioning.models.audit import AuditAction
from recognition.models import Airline, AirlineCustomerId

# The reasons of a pending account for which the completion form is open. details_submitted is
# there so that a link support sends again lets the forwarder correct what it sent.
_OPEN_REASONS = (PendingReason.AWAITING_DETAILS, PendingReason.DETAILS_SUBMITTED)


@dataclass(frozen=True)
class CompanyDetails:
    """What the forwarder sent through the completion form, already validated."""

    legal_name: str
    address: str
    country: str  # ISO 3166-1 alpha-2
    phone: str  # E.164
    website: str = ""
    offices: tuple[OfficeInput, ...] = ()
    customer_ids: tuple[tuple[str, str], ...] = ()  # (airline IATA code, customer ID)

    def as_request_data(self) -> dict:
        """Stored under User.request_data["details"], for support and for a later resubmit."""
        return {
            "legalName": self.legal_name,
            "address": self.address,
            "countryCode": self.country,
            "phone": self.phone,
            "website": self.website,
            "offices": [office.as_dict() for office in self.offices],
            "customerIds": dict(self.customer_ids),
        }


@dataclass(frozen=True)
class DetailsSubmitted:
    user: User
    activated: bool  # the details matched the CASS directory and the account is now active


def accepts_details(user: User) -> bool:
    """Whether the completion form is open to this account."""
    return user.status == Status.PENDING and user.pending_reason in _OPEN_REASONS


def completion_link_open(*, token: str) -> CompletionLink:
    """The live link a token names, for showing the form; uses nothing.

    Raises CompletionLinkInvalid (tampered, unknown, used, superseded, expired, or `closed`
    when the account no longer waits for details).
    """
    link = completion_link_resolve(token=token)
    if not accepts_details(link.user):
        raise CompletionLinkInvalid("closed", link)
    return link


def user_submit_details(*, link: CompletionLink, details: CompanyDetails) -> DetailsSubmitted:
    """Use the link and store the details: company, offices, customer IDs; then re-run the
    matching. A CASS directory company of the user's email domain with an office in one of
    the given countries activates the account (welcome email, `user.activated`); otherwise it
    goes to support as pending/details_submitted (confirmation email, `user.details_submitted`).

    An existing company is never taken over: only a company this user's own earlier submission
    created is updated; any other gets its empty fields filled, the rest become warnings for
    support. Raises CompletionLinkInvalid when the link was used, replaced or expired meanwhile.
    """
    with transaction.atomic():
        user = User.objects.select_for_update(of=("self",)).get(pk=link.user_id)
        if not completion_link_use(link=link):
            # Raises with the reason; a link that resolves again lost a race with itself.
            completion_link_resolve(token=completion_link_token(link))
            raise CompletionLinkInvalid("used", link)
        if not accepts_details(user):
            raise CompletionLinkInvalid("closed", link)
        actor = Actor.forwarder(user)
        data = UserInput(
            email=user.email,
            first_name=user.first_name,
            last_name=user.last_name,
            company_name=details.legal_name,
            country=details.country,
            offices=details.offices,
        )
        known, registrations = directory_facts(user.email)
        owned_company_id = (user.request_data.get("details") or {}).get("companyId")
        user.request_data = {**user.request_data, "details": details.as_request_data()}

        if registrations:
            matched = matching_offices(known, data, registrations=registrations)
            if matched:
                user.save(update_fields=["request_data"])
                _customer_ids_store(company=known, details=details, own=False)
                user = user_activate(
                    user=user,
                    company=known,
                    offices=matched,
                    actor=actor,
                    note="The submitted company details matched the CASS directory.",
                )
                return DetailsSubmitted(user=user, activated=True)

        company, own, warnings = _company_for(
            user=user, known=known, details=details, data=data, owned_company_id=owned_company_id
        )
        if own:
            user.request_data["details"]["companyId"] = company.pk
        offices = offices_create(company, details.offices)
        warnings += _customer_ids_store(company=company, details=details, own=own)
        user.warnings = request_warnings(data, own_company=company) + warnings
        account_move(
            user,
            status=Status.PENDING,
            reason=PendingReason.DETAILS_SUBMITTED,
            company=company,
            offices=offices,
            actor=actor,
            action=AuditAction.USER_DETAILS_SUBMITTED,
            event=EventType.USER_DETAILS_SUBMITTED,
            note=_summary(company, offices, details),
            also_save=("request_data", "warnings"),
        )
        email_details_received(user=user)
    return DetailsSubmitted(user=user, activated=False)


def _summary(company: Company, offices, details: CompanyDetails) -> str:
    airports = ", ".join(office.airport_code for office in offices) or "none"
    airlines = ", ".join(code for code, _ in details.customer_ids) or "none"
    return f"Company {company.legal_name}; offices {airports}; customer IDs at {airlines}."


def _company_for(
    *,
    user: User,
    known: Company | None,
    details: CompanyDetails,
    data: UserInput,
    owned_company_id: int | None,
) -> tuple[Company, bool, list[dict]]:
    """The company the details go to: (company, owned by this forwarder, warnings).

    Owned: created by this user's earlier submission (owned_company_id) and nobody else's.
    """
    company = user.company or known
    if company is None:
        company, warnings = company_create_from_request(data)
        _company_fill(company, details, everything=True)
        return company, True, warnings
    owned = company.pk == owned_company_id and not (
        User.objects.filter(company=company).exclude(pk=user.pk).exists()
    )
    if owned:
        _company_fill(company, details, everything=True)
        return company, True, []
    _company_fill(company, details, everything=False)
    warnings = []
    if (company.legal_name.casefold(), company.country.code) != (
        details.legal_name.casefold(),
        details.country,
    ):
        warnings.append(
            {
                "code": "details_differ",
                "message": (
                    f"The forwarder sent {details.legal_name} ({details.country}); the account's "
                    f"company is {company.legal_name} ({company.country.code}) and was kept."
                ),
                "company_id": company.pk,
            }
        )
    return company, False, warnings


def _company_fill(company: Company, details: CompanyDetails, *, everything: bool) -> None:
    """Write the details onto company: all of them, or only into its empty fields."""
    values = {
        "legal_name": details.legal_name,
        "country": details.country,
        "address": details.address,
        "phone": details.phone,
        "website": details.website,
    }
    changed = []
    for field, value in values.items():
        current = getattr(company, field)
        current = current.code if field == "country" else current
        if value and value != current and (everything or not current):
            setattr(company, field, value)
            changed.append(field)
    if changed:
        company.save(update_fields=changed)


def _customer_ids_store(*, company: Company, details: CompanyDetails, own: bool) -> list[dict]:
    """Company-wide customer IDs. On the company this forwarder owns, the submission is the
    truth (IDs left out are removed); on any other, missing ones are added and a different
    one is kept and reported to support."""
    given = dict(details.customer_ids)
    airlines = {a.iata_code: a for a in Airline.objects.filter(iata_code__in=given)}
    existing = {
        row.airline.iata_code: row
        for row in AirlineCustomerId.objects.filter(
            company=company, office__isnull=True
        ).select_related("airline")
    }
    warnings = []
    if own:
        for code, row in existing.items():
            if code not in given:
                row.delete()
    for code, customer_id in given.items():
        row = existing.get(code)
        if code not in airlines:
            continue
        if row is None:
            AirlineCustomerId.objects.create(
                company=company, airline=airlines[code], customer_id=customer_id
            )
        elif row.customer_id != customer_id and own:
            row.customer_id = customer_id
            row.save(update_fields=["customer_id"])
        elif row.customer_id != customer_id:
            warnings.append(
                {
                    "code": "customer_id_differs",
                    "message": (
                        f"The forwarder sent customer ID {customer_id} for "
                        f"{airlines[code].name}; the company has {row.customer_id}, kept."
                    ),
                }
            )
    return warnings


# --- Reminders ---------------------------------------------------------------------------------


def completion_reminders_send(*, limit: int = 500) -> int:
    """Email one reminder per live link that is REMIND_AFTER_DAYS old and still unused.

    Each link is claimed by a compare-and-set on reminded_at, so several beat runs or workers
    at once still send one reminder per link. Returns how many were sent.
    """
    now = timezone.now()
    due = list(
        CompletionLink.objects.filter(
            used_at__isnull=True,
            superseded_at__isnull=True,
            reminded_at__isnull=True,
            created_at__lte=now - timedelta(days=CompletionLink.REMIND_AFTER_DAYS),
            expires_at__gt=now,
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for link_id in due:
        with transaction.atomic():
            claimed = CompletionLink.objects.filter(
                pk=link_id,
                used_at__isnull=True,
                superseded_at__isnull=True,
                reminded_at__isnull=True,
                expires_at__gt=now,
            ).update(reminded_at=now)
            if claimed != 1:
                continue
            link = CompletionLink.objects.select_related("user").get(pk=link_id)
            if not (
                link.user.status == Status.PENDING
                and link.user.pending_reason == PendingReason.AWAITING_DETAILS
            ):
                continue  # claimed all the same: the account needs no reminder any more
            audit_record(
                actor=Actor.system(),
                action=AuditAction.USER_COMPLETION_REMINDER_SENT,
                user=link.user,
                note=f"link #{link.pk}",
            )
            email_completion_reminder(user=link.user, link=link, url=completion_link_url(link))
            sent += 1
    return sent
