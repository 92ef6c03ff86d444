"""The emails the provisioning flows send: one function per email, queued in the outbox.

Each is called inside the transaction of the change that causes it, so a rolled-back change
sends nothing.
"""

from datetime import datetime

from django.conf import settings
from django.urls import reverse

from provisioning.delivery.outbox import email_send_now, outbox_email_queue
from provisioning.formats import date_for_people, datetime_for_people
from provisioning.models import CompletionLink, Partner, User


def _person(user: User) -> dict:
    return {"first_name": user.first_name or user.email, "email": user.email}


def sign_in_page_url() -> str:
    """Where an email's "Sign in" button goes: the page that emails a one-time portal link
    (the portal itself needs a token, which an email that may be read days later cannot hold)."""
    return f"{settings.SITE_URL}{reverse('provisioning:sign-in')}"


def email_welcome(*, user: User) -> None:
    office = user.offices.order_by("id").first()
    outbox_email_queue(
        template="welcome",
        to=user.email,
        context={
            **_person(user),
            "company_name": user.company.legal_name if user.company else "",
            "office": office.city if office else "",
            "sign_in_url": sign_in_page_url(),
        },
    )


def email_pending(*, user: User) -> None:
    outbox_email_queue(
        template="pending",
        to=user.email,
        context={
            **_person(user),
            "company_name": user.company.legal_name if user.company else "",
        },
    )


def email_completion_link(*, user: User, link: CompletionLink, url: str) -> None:
    outbox_email_queue(
        template="completion_link",
        to=user.email,
        context={
            **_person(user),
            "completion_url": url,
            "expires_on": date_for_people(link.expires_at),
        },
    )


def email_access_request(*, user: User, partner: Partner, url: str, expires_at) -> None:
    outbox_email_queue(
        template="access_request",
        to=user.email,
        context={
            **_person(user),
            "partner_name": partner.name,
            "consent_url": url,
            "expires_on": f"{expires_at:%d %B %Y}",
        },
    )


def email_completion_reminder(*, user: User, link: CompletionLink, url: str) -> None:
    outbox_email_queue(
        template="completion_reminder",
        to=user.email,
        context={
            **_person(user),
            "completion_url": url,
            "expires_on": date_for_people(link.expires_at),
        },
    )


def email_details_received(*, user: User) -> None:
    offices = [f"{office.city} ({office.airport_code})" for office in user.offices.order_by("id")]
    airlines = (
        user.company.airline_customer_ids.order_by("airline__name").values_list(
            "airline__name", flat=True
        )
        if user.company
        else []
    )
    outbox_email_queue(
        template="details_received",
        to=user.email,
        context={
            **_person(user),
            "company_name": user.company.legal_name if user.company else "",
            "offices": ", ".join(offices) or "none",
            "customer_id_airlines": ", ".join(dict.fromkeys(airlines)),
        },
    )


def email_activated_by_support(*, user: User) -> None:
    offices = [office.city for office in user.offices.order_by("id")]
    outbox_email_queue(
        template="activated_by_support",
        to=user.email,
        context={
            **_person(user),
            "company_name": user.company.legal_name if user.company else "",
            "offices": offices,
            "sign_in_url": sign_in_page_url(),
        },
    )


def email_rejected(*, user: User, reason: str) -> None:
    outbox_email_queue(
        template="rejected",
        to=user.email,
        context={**_person(user), "reason": reason},
    )


def email_sign_in_link(*, user: User, url: str, expires_at: datetime) -> None:
    """The one-time portal link asked for on the sign-in page. Sent at once, not queued: it
    runs inside the outbox delivery of the ask, and the raw token must never be stored."""
    email_send_now(
        template="sign_in_link",
        to=user.email,
        context={
            **_person(user),
            "portal_url": url,
            "expires_at": datetime_for_people(expires_at),
            "sign_in_url": sign_in_page_url(),
        },
    )
