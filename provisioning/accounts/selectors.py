"""Reads that are more than one line.

The few that every partner call runs are written in SQL over the models' own column lists
(`rows.py` says why); each is tested against what the ORM query it stands for returns.
"""

from dataclasses import dataclass
from functools import cache

from django.db import connection
from django.db.models import Prefetch
from django.db.models.functions import Lower

from provisioning.models import (
    Company,
    CompanyDomain,
    Membership,
    Office,
    Partner,
    PartnerEvent,
    User,
)
from provisioning.rows import column, hot_cursor, hydrate_at, select_list, table


def partner_member_get(
    *, partner: Partner, email: str | None = None, pk: int | None = None
) -> User | None:
    """The user if it is a current member of partner, else None.

    A user of another partner and an unknown one look the same to the caller (DESIGN §10).
    """
    members = User.objects.filter(
        memberships__partner=partner, memberships__removed_at__isnull=True
    ).select_related("company")
    if email is not None:
        return members.filter(email__iexact=email.strip()).first()
    if pk is not None:
        return members.filter(pk=pk).first()
    return None


def user_by_email(email: str):
    """Users whose email is `email` whatever the letter case (uses the unique lower() index)."""
    return User.objects.alias(email_lower=Lower("email")).filter(email_lower=email.strip().lower())


def user_by_email_locked(email: str) -> User | None:
    """The user of `email` (any letter case), locked for the rest of the transaction."""
    with hot_cursor() as cursor:
        cursor.execute(_user_locked_sql(), [email.strip().lower()])
        row = cursor.fetchone()
    return hydrate_at(User, row, 0)[0] if row else None


@cache
def _user_locked_sql() -> str:
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    return (
        f"SELECT {select_list(User, 'u')} FROM {table(User)} u "  # noqa: S608 - our own names
        f"WHERE LOWER(u.{column(User, 'email')}) = %s{lock}"  # the unique lower(email) index
    )


def membership_by_email(
    *, partner: Partner, email: str, lock: bool = False, company: bool = True
) -> Membership | None:
    """The membership, current or removed, of partner with the (non-staff) user of `email`,
    with the user and (company) its company, in one query. lock: lock the user row."""
    with hot_cursor() as cursor:
        cursor.execute(_membership_sql(lock, company), [partner.pk, email.strip().lower()])
        row = cursor.fetchone()
    return membership_at(row, 0, partner=partner, company=company)[0] if row else None


def membership_at(
    row, start: int, *, partner: Partner, company: bool
) -> tuple[Membership | None, int]:
    """The membership whose columns (`member_sql`'s, then the company's if selected) start at
    row[start] (None: all NULL), with user and partner attached; and where the row goes on."""
    membership, at = hydrate_at(Membership, row, start)
    user, at = hydrate_at(User, row, at)
    if company:
        found, at = hydrate_at(Company, row, at)
        if user is not None:
            User._meta.get_field("company").set_cached_value(user, found)
    if membership is not None:
        Membership._meta.get_field("user").set_cached_value(membership, user)
        Membership._meta.get_field("partner").set_cached_value(membership, partner)
    return membership, at


@cache
def _membership_sql(lock: bool, company: bool) -> str:
    lock_user = " FOR UPDATE OF u" if lock and connection.features.has_select_for_update else ""
    if not company:
        return member_sql("%s") + lock_user
    return (
        f"SELECT {select_list(Membership, 'm')}, {select_list(User, 'u')}, "
        f"{select_list(Company, 'c')} {_member_from('%s')} "
        f"LEFT JOIN {table(Company)} c ON c.id = u.{column(User, 'company')} "
        f"{_member_where()}{lock_user}"
    )


@cache
def member_sql(partner: str) -> str:
    """The membership (current or removed) and non-staff user of the email given as parameter,
    of the partner whose id is `partner` (a placeholder, or a column of an outer query)."""
    return (
        f"SELECT {select_list(Membership, 'm')}, {select_list(User, 'u')} "
        f"{_member_from(partner)} {_member_where()}"
    )


def _member_from(partner: str) -> str:
    return (
        f"FROM {table(Membership)} m "
        f"JOIN {table(User)} u ON u.id = m.{column(Membership, 'user')} "
        f"AND m.{column(Membership, 'partner')} = {partner}"
    )


def _member_where() -> str:
    return f"WHERE LOWER(u.{column(User, 'email')}) = %s AND NOT u.{column(User, 'is_staff')}"


@dataclass(frozen=True)
class MemberRead:
    """The membership of a partner with the user of an email (None: none), as read by an
    earlier statement of the same request (`ratelimit.api_request_admit`)."""

    email: str
    membership: Membership | None


@dataclass(frozen=True)
class DomainCompany:
    """The company owning an email domain (None: no company), as read by an earlier statement
    of the same request (`ratelimit.api_request_admit`)."""

    domain: str
    company: Company | None


def domain_company(domain: str) -> Company | None:
    """The company owning this email domain (a plain lookup; see matching.domain_company)."""
    with hot_cursor() as cursor:
        cursor.execute(domain_company_sql(), [domain])
        row = cursor.fetchone()
    return hydrate_at(Company, row, 0)[0] if row else None


@cache
def domain_company_sql() -> str:
    """The company's columns (`select_list(Company, "c")`) for the domain given as parameter."""
    return (
        f"SELECT {select_list(Company, 'c')} FROM {table(CompanyDomain)} d "  # noqa: S608 - our own names
        f"JOIN {table(Company)} c ON c.id = d.{column(CompanyDomain, 'company')} "
        f"WHERE d.{column(CompanyDomain, 'domain')} = %s"
    )


def partner_members(*, partner: Partner):
    """The partner's current members, with what the API shows of them (company, offices)."""
    return (
        User.objects.filter(
            memberships__partner=partner, memberships__removed_at__isnull=True, is_staff=False
        )
        .select_related("company")
        .prefetch_related(Prefetch("offices", queryset=Office.objects.order_by("pk")))
    )


def partner_member_by_ref(*, partner: Partner, ref: str) -> User | None:
    """A current member named by its id or its email (any letter case), else None — for an
    unknown user and another partner's alike."""
    members = partner_members(partner=partner)
    if ref.isascii() and ref.isdigit():
        pk = int(ref)
        return members.filter(pk=pk).first() if 0 < pk < 2**63 else None
    if "@" in ref:
        return members.alias(email_lower=Lower("email")).filter(email_lower=ref.lower()).first()
    return None


def partner_events(*, partner: Partner):
    """The partner's event feed, oldest first."""
    return PartnerEvent.objects.filter(partner=partner).order_by("id")
