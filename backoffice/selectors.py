"""Reads of the support back-office: the queue, its dashboard and the account page.

Every function here runs a fixed number of queries whatever the size of the tables, each
bounded by an index or a LIMIT (docs/support-queue.md lists them with their plans).
"""

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Prefetch,
    Q,
    QuerySet,
)
from django.db.models.functions import Lower
from django.utils import timezone

from backoffice.models import AccountNote
from provisioning.accounts.domains import email_domain, is_free_mail
from provisioning.models import (
    AuditEvent,
    Company,
    CompanyDomain,
    Membership,
    Office,
    PendingReason,
    User,
    UserStatus,
)
from recognition.models import CassRegistration

# Counts per pending reason stop here: past it the queue shows "10,000+" instead of counting
# every pending row.
REASON_COUNT_CAP = 10_000
MEDIAN_WINDOW = timedelta(days=90)
MEDIAN_SAMPLE = 1_000  # the most recent activations out of the queue in the window
HISTORY_LIMIT = 50
NOTES_LIMIT = 50
SUGGESTION_LIMIT = 8


# --- The queue -------------------------------------------------------------------------------


def current_memberships() -> Prefetch:
    """The partners an account belongs to now, with their names, in one query per page."""
    return Prefetch(
        "memberships",
        queryset=Membership.objects.filter(removed_at__isnull=True)
        .select_related("partner")
        .order_by("id"),
        to_attr="current_memberships",
    )


def pending_accounts() -> QuerySet[User]:
    """Pending forwarder accounts; ordered by the caller (the queue walks user_pending_queue_idx
    oldest first)."""
    return User.objects.filter(status=UserStatus.PENDING, is_staff=False)


@dataclass(frozen=True)
class ReasonCount:
    reason: str
    label: str
    count: int
    capped: bool  # count is REASON_COUNT_CAP and there are more

    @property
    def display(self) -> str:
        return f"{self.count:,}+" if self.capped else f"{self.count:,}"


@dataclass(frozen=True)
class QueueStats:
    by_reason: list[ReasonCount]
    oldest: User | None

    @property
    def oldest_display(self) -> str:
        if self.oldest is None:
            return "—"
        return duration_display(timezone.now() - self.oldest.status_changed_at)


def queue_stats() -> QueueStats:
    """Pending accounts per reason (each count capped, on user_pending_reason_idx) and the
    oldest waiting account (the first entry of user_pending_queue_idx). Two queries."""
    counts = _capped_counts()
    oldest = (
        pending_accounts()
        .order_by("status_changed_at", "id")
        .only("id", "email", "status_changed_at", "pending_reason")
        .first()
    )
    return QueueStats(
        by_reason=[
            ReasonCount(
                reason=reason.value,
                label=reason.label,
                count=min(counts.get(reason.value, 0), REASON_COUNT_CAP),
                capped=counts.get(reason.value, 0) > REASON_COUNT_CAP,
            )
            for reason in PendingReason
        ],
        oldest=oldest,
    )


def _capped_counts() -> dict[str, int]:
    """{reason: pending accounts with it, up to REASON_COUNT_CAP + 1}, in one query."""
    table = connection.ops.quote_name(User._meta.db_table)
    one = (
        f"SELECT %s, COUNT(*) FROM (SELECT 1 FROM {table}"  # noqa: S608 - our table's name
        " WHERE status = %s AND pending_reason = %s LIMIT %s) AS capped"
    )
    params = []
    for reason in PendingReason.values:
        params += [reason, UserStatus.PENDING, reason, REASON_COUNT_CAP + 1]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join([one] * len(PendingReason.values)), params)
        return {reason: count for reason, count in cursor.fetchall()}


@dataclass(frozen=True)
class ActivationStats:
    this_week: int
    this_week_by_support: int
    median_wait: timedelta | None
    sample_size: int

    @property
    def median_display(self) -> str:
        return duration_display(self.median_wait)


def duration_display(value: timedelta | None) -> str:
    """2 d 4 h, 5 h 10 min, 12 min: a waiting time at the precision an agent reads it."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def activation_stats(*, now: datetime | None = None) -> ActivationStats:
    """Activations since Monday 00:00 (audit rows on their created_at index) and the median
    time from account creation to activation of the last MEDIAN_SAMPLE accounts activated out
    of the pending queue in the last 90 days. Two queries."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    week_start = (local - timedelta(days=local.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    activated = AuditEvent.objects.filter(action="user.activated")
    week = activated.filter(created_at__gte=week_start).aggregate(
        total=Count("id"), by_support=Count("id", filter=Q(actor_type="staff"))
    )
    # The newest MEDIAN_SAMPLE activations in the window, read backwards on the audit rows'
    # created_at index; of those, the ones that came out of the queue (previous status
    # pending) count. Tested inside the LIMIT, the JSON condition makes PostgreSQL sort the
    # whole window instead.
    recent = activated.filter(created_at__gte=now - MEDIAN_WINDOW).order_by("-created_at")[
        :MEDIAN_SAMPLE
    ]
    if connection.vendor == "postgresql":
        median, size = _pg_median(recent.values("user_id", "created_at", "changes"))
    else:
        rows = (
            AuditEvent.objects.filter(pk__in=recent.values("pk"))
            .filter(changes__status__0="pending")
            .annotate(
                wait=ExpressionWrapper(
                    F("created_at") - F("user__date_joined"), output_field=DurationField()
                )
            )
            .values_list("wait", flat=True)
        )
        waits = [wait for wait in rows if wait is not None]
        median = statistics.median(waits) if waits else None
        size = len(waits)
    return ActivationStats(
        this_week=week["total"],
        this_week_by_support=week["by_support"],
        median_wait=median,
        sample_size=size,
    )


def _pg_median(sample: QuerySet) -> tuple[timedelta | None, int]:
    """percentile_cont over the sample of (user_id, created_at, changes) audit rows. The
    sample is taken first and only then joined to the users by primary key: joined before the
    LIMIT, the planner hashes the whole user table."""
    sql, params = sample.query.sql_with_params()
    users = connection.ops.quote_name(User._meta.db_table)
    # The ORM's own SQL for the sample and our table's name; the parameters go apart.
    median_sql = (
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY sample.created_at - u.date_joined),"  # noqa: S608
        f" COUNT(*) FROM ({sql}) AS sample JOIN {users} AS u ON u.id = sample.user_id"
        " WHERE sample.changes -> 'status' ->> 0 = 'pending'"
    )
    with connection.cursor() as cursor:
        cursor.execute(median_sql, params)
        median, size = cursor.fetchone()
    return median, size


# --- The account page ------------------------------------------------------------------------


def account_get(*, pk: int) -> User | None:
    """A forwarder account with its company, contact mark and offices. Two queries."""
    return (
        User.objects.filter(pk=pk, is_staff=False)
        .select_related("company", "contact_mark__contacted_by")
        .prefetch_related(
            Prefetch(
                "offices",
                queryset=Office.objects.select_related("company").order_by(
                    "country", "airport_code"
                ),
            )
        )
        .first()
    )


@dataclass
class Suggestion:
    """A company the account may belong to, and why support is shown it."""

    company: Company
    reasons: list[str] = field(default_factory=list)
    is_current: bool = False
    offices: list[Office] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)


# Words that say nothing about which company it is.
_GENERIC_WORDS = {
    "the",
    "air",
    "cargo",
    "freight",
    "forwarding",
    "forwarders",
    "logistics",
    "logistic",
    "shipping",
    "transport",
    "international",
    "global",
    "services",
    "express",
    "gmbh",
    "ltd",
    "limited",
    "inc",
    "llc",
    "bv",
    "ab",
    "sa",
    "pte",
    "co",
    "and",
}


def name_key(name: str) -> str:
    """The first distinctive word of a company name, lower case ("" when there is none)."""
    for word in "".join(c if c.isalnum() else " " for c in name.lower()).split():
        if word not in _GENERIC_WORDS and len(word) >= 3:
            return word
    return ""


def _request_cass(user: User) -> list[tuple[str, str]]:
    pairs = []
    for office in user.request_data.get("offices") or []:
        iata, cass = office.get("iataCode") or "", office.get("cassCode") or ""
        if iata and (iata, cass) not in pairs:
            pairs.append((iata, cass))
    return pairs[:10]


def account_country(user: User) -> str:
    if user.company_id:
        return user.company.country.code
    data = user.request_data
    offices = data.get("offices") or [{}]
    return data.get("countryCode") or offices[0].get("countryCode") or ""


def company_suggestions(*, user: User) -> list[Suggestion]:
    """The account's company, then companies with the same email domain, the same IATA agent
    code / CASS, or a similar name in the same country. Five queries: domain, CASS, name,
    and the suggestions' offices and domains."""
    found: dict[int, Suggestion] = {}

    def add(company: Company, reason: str) -> None:
        found.setdefault(company.pk, Suggestion(company=company)).reasons.append(reason)

    if user.company_id:
        found[user.company_id] = Suggestion(
            company=user.company, is_current=True, reasons=["the account's company"]
        )
    domain = email_domain(user.email)
    if not is_free_mail(domain):
        for row in CompanyDomain.objects.select_related("company").filter(domain=domain):
            add(row.company, f"owns the domain {domain}")
    pairs = _request_cass(user)
    if pairs:
        registrations = (
            CassRegistration.objects.select_related("company")
            .filter(iata_code__in=[iata for iata, _ in pairs])
            .order_by("iata_code", "cass_code")[:20]
        )
        for registration in registrations:
            same = (registration.iata_code, registration.cass_code) in pairs
            add(
                registration.company,
                f"{'has the CASS' if same else 'has the IATA agent code of'} "
                f"{registration.iata_code}/{registration.cass_code}",
            )
    requested = user.request_data.get("companyName") or ""
    key = name_key(requested)
    country = account_country(user)
    if key and country:
        # company_country_name_idx: country, then lower(legal_name) by prefix.
        similar = (
            Company.objects.annotate(name_lower=Lower("legal_name"))
            .filter(country=country, name_lower__startswith=key)
            .order_by("name_lower")[:SUGGESTION_LIMIT]
        )
        for company in similar:
            add(company, f"similar name in {country}")
    suggestions = sorted(found.values(), key=lambda s: (not s.is_current, -len(s.reasons)))
    suggestions = suggestions[: SUGGESTION_LIMIT + 1]
    by_pk = {s.company.pk: s for s in suggestions}
    if by_pk:
        for office in Office.objects.filter(company_id__in=by_pk).order_by(
            "company_id", "country", "airport_code"
        )[:200]:
            office.company = by_pk[office.company_id].company
            by_pk[office.company_id].offices.append(office)
        for company_id, name in CompanyDomain.objects.filter(company_id__in=by_pk).values_list(
            "company_id", "domain"
        )[:100]:
            by_pk[company_id].domains.append(name)
    return suggestions


def account_offices(*, user: User) -> list[Office]:
    """The account's offices (prefetched by account_get)."""
    return list(user.offices.all())


def account_memberships(*, user: User) -> list[Membership]:
    return list(user.memberships.select_related("partner").order_by("created_at")[:50])


def account_history(*, user: User) -> tuple[list[AuditEvent], bool]:
    """The newest HISTORY_LIMIT audit rows (audit_user_created_idx) and whether there are more."""
    rows = list(
        AuditEvent.objects.filter(user=user)
        .select_related("actor_user", "actor_partner")
        .order_by("-created_at", "-id")[: HISTORY_LIMIT + 1]
    )
    return rows[:HISTORY_LIMIT], len(rows) > HISTORY_LIMIT


def account_notes(*, user: User) -> list[AccountNote]:
    return list(
        AccountNote.objects.filter(user=user)
        .select_related("author")
        .order_by("-created_at", "-id")[:NOTES_LIMIT]
    )


def queue_position_neighbours(*, user: User) -> User | None:
    """The next account in the queue after this one (oldest first), for "next account"."""
    if user.status != UserStatus.PENDING:
        return None
    return (
        pending_accounts()
        .filter(
            Q(status_changed_at__gt=user.status_changed_at)
            | Q(status_changed_at=user.status_changed_at, id__gt=user.pk)
        )
        .order_by("status_changed_at", "id")
        .only("id", "email")
        .first()
    )
