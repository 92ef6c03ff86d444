"""Shared fixtures for the support back-office: agents with and without the support
permission, and forwarder accounts in the queue."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from provisioning.models import Membership, PendingReason, User, UserStatus
from provisioning.tests.conftest import directory  # noqa: F401 - shared fixture
from provisioning.tests.factories import (
    CompanyDomainFactory,
    CompanyFactory,
    OfficeFactory,
    PartnerFactory,
    UserFactory,
)

QUEUE_URL = "/admin/backoffice/account/"


def account_url(user, suffix="change/") -> str:
    return f"{QUEUE_URL}{user.pk}/{suffix}"


def action_url(user, action: str) -> str:
    return account_url(user, f"do/{action}/")


def make_staff(email: str, *, support: bool) -> User:
    staff = User.objects.create_user(
        email, "pw", first_name=email.split("@")[0].title(), status=UserStatus.ACTIVATED
    )
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    if support:
        staff.groups.add(Group.objects.get(name="Support"))
    return staff


@pytest.fixture
def agent(db) -> User:
    return make_staff("sam@support.example", support=True)


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def staff_client(client, db):
    """A staff member without the support permission (e.g. an engineer)."""
    client.force_login(make_staff("eve@staff.example", support=False))
    return client


def pending(
    email: str,
    *,
    reason: str = PendingReason.AWAITING_SUPPORT,
    waited: timedelta = timedelta(hours=5),
    company=None,
    offices=(),
    partner=None,
    request_data: dict | None = None,
    warnings: list | None = None,
) -> User:
    user = UserFactory(
        email=email,
        status=UserStatus.PENDING,
        pending_reason=reason,
        status_changed_at=timezone.now() - waited,
        date_joined=timezone.now() - waited,
        company=company,
        request_data=request_data
        or {
            "firstName": "Alex",
            "lastName": "Example",
            "email": email,
            "companyName": company.legal_name if company else "Newco Freight",
            "countryCode": "DE",
            "offices": [],
        },
        warnings=warnings or [],
    )
    if offices:
        user.offices.set(offices)
    if partner is not None:
        Membership.objects.create(user=user, partner=partner)
    return user


@pytest.fixture
def flow2_account(db):
    """A flow-2 account: a company created from the request, with its office, awaiting
    support; it belongs to the partner "Freight Soft"."""
    company = CompanyFactory(legal_name="Newco Air Freight", country="DE")
    CompanyDomainFactory(company=company, domain="newco-air.de")
    office = OfficeFactory(company=company, country="DE", airport_code="HAM")
    return pending(
        "carl@newco-air.de",
        company=company,
        offices=[office],
        partner=PartnerFactory(name="Freight Soft"),
        request_data={
            "firstName": "Carl",
            "lastName": "Meyer",
            "email": "carl@newco-air.de",
            "companyName": "Newco Air Freight",
            "countryCode": "DE",
            "offices": [
                {
                    "countryCode": "DE",
                    "officeAirportCode": "HAM",
                    "iataCode": "2347001",
                    "cassCode": "0002",
                }
            ],
        },
    )
