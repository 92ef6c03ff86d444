"""The per-key rate limit of the partner API (DESIGN §10), and the admission of its calls.

A fixed window per API key, counted in the database: one `INSERT … ON CONFLICT DO UPDATE …
RETURNING` per request increments the key's counter and reads it in a single atomic
statement, so concurrent requests (threads, processes, hosts) never lose a hit. It works on
the embedded SQLite as on PostgreSQL, without Redis, and keeps no state in the process.

On PostgreSQL a call's admission — the key check, the count, and what the call reads first
(`Lookahead`: a create's email domain's company, a login token's member) — is one
statement: one round trip to the database where the call would otherwise pay two before its
insert.
"""

import math
import re
import time
from dataclasses import dataclass
from functools import cache, lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from provisioning.accounts.domains import email_domain, is_free_mail
from provisioning.accounts.selectors import (
    DomainCompany,
    MemberRead,
    domain_company_sql,
    member_sql,
    membership_at,
)
from provisioning.models import ApiKey, Company, Partner, RateLimitWindow
from provisioning.models.partners import hash_api_key
from provisioning.partner_api.keys import api_key_authenticate, api_key_mark_used, parse_raw_key
from provisioning.rows import hot_cursor, hydrate_at, select_list, table

PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)s?\s*$")


@dataclass(frozen=True)
class Rate:
    requests: int
    period: int  # seconds


@lru_cache(maxsize=8)
def parse_rate(text: str) -> Rate:
    """`"600/minute"` → Rate(600, 60). `API_RATE_LIMIT` takes second, minute, hour or day."""
    match = _RATE.match(text or "")
    if not match or int(match.group(1)) < 1:
        raise ImproperlyConfigured(
            f"API_RATE_LIMIT must read <requests>/<second|minute|hour|day>, got {text!r}."
        )
    return Rate(int(match.group(1)), PERIODS[match.group(2)])


@dataclass(frozen=True)
class Lookahead:
    """What a partner call reads first, for its admission statement to read along (once the
    key has passed): the company of a create's email domain, the member a login token is for.
    """

    domain: str | None = None
    member_email: str | None = None  # normalised, as the service looks it up

    # Both read a request before it is validated: a wrong value only costs a lookup that
    # finds nothing, and the services take an answer only for the value they accepted.

    @classmethod
    def create(cls, email) -> "Lookahead | None":
        """A create of email: its domain's company, if a company could own the domain."""
        if not _may_be_address(email):
            return None
        domain = email_domain(email)
        return cls(domain=domain) if domain and not is_free_mail(domain) else None

    @classmethod
    def member(cls, email) -> "Lookahead | None":
        """A call about the key's partner's member of email."""
        return cls(member_email=email.strip().lower()) if _may_be_address(email) else None


def _may_be_address(value) -> bool:
    # Control characters (NUL would not even reach PostgreSQL) and lone surrogates are not
    # printable; longer than 254 characters is no address (RFC 5321).
    return isinstance(value, str) and "@" in value and len(value) <= 254 and value.isprintable()


@dataclass(frozen=True)
class Admission:
    """A partner request's key (None: refused), past the rate limit the seconds to wait, and
    what its lookahead asked to read (None: not asked)."""

    key: ApiKey | None
    retry_after: float | None = None
    domain_company: DomainCompany | None = None
    member: MemberRead | None = None


def api_request_admit(
    raw_key: str | None, *, now: float | None = None, lookahead: Lookahead | None = None
) -> Admission:
    """Authenticate raw_key and count the request against its key's rate limit.

    On PostgreSQL this is one statement: the key lookup and the counter's upsert, so that a
    partner call pays one round trip for both. A wrong secret counts nothing (only a found key
    is counted). Elsewhere, the two steps one after the other.

    lookahead: on PostgreSQL the statement also reads what the call will need first, which
    the service then takes instead of reading it again. Not read elsewhere."""
    if connection.vendor != "postgresql":
        key = api_key_authenticate(raw_key)
        return Admission(key, rate_limit_hit(api_key=key, now=now) if key else None)
    prefix = parse_raw_key(raw_key)
    if prefix is None:
        return Admission(None)
    rate = parse_rate(settings.API_RATE_LIMIT)
    now = time.time() if now is None else now
    window = int(now // rate.period)
    ahead = lookahead or Lookahead()
    domain, member = ahead.domain is not None, ahead.member_email is not None
    params = [prefix, hash_api_key(raw_key), window]
    params += [value for value in (ahead.domain, ahead.member_email) if value is not None]
    with hot_cursor() as cursor:
        # Inside a caller's transaction the setting would hold for all of its writes: not there.
        cursor.execute(
            _admit_sql(durable=connection.in_atomic_block, domain=domain, member=member), params
        )
        row = cursor.fetchone()
    if row is None:
        return Admission(None)
    key, at = hydrate_at(ApiKey, row, 0)
    partner, at = hydrate_at(Partner, row, at)
    ApiKey._meta.get_field("partner").set_cached_value(key, partner)
    api_key_mark_used(key)
    count, at = row[at], at + 1
    domain_company = member_read = None
    if domain:
        company, at = hydrate_at(Company, row, at)
        domain_company = DomainCompany(ahead.domain, company)
    if member:
        membership, at = membership_at(row, at, partner=partner, company=False)
        member_read = MemberRead(ahead.member_email, membership)
    return Admission(key, _wait(rate, window, now, count=count), domain_company, member_read)


@cache
def _admit_sql(*, durable: bool, domain: bool, member: bool) -> str:
    """The key lookup and the counter's upsert of `api_request_admit`, as one statement; with
    domain, the company of the email domain given next (NULLs when none owns it); with member,
    the key's partner's membership of the email given last, with its user (NULLs: none).

    The hash comparison happens in SQL: it compares digests of the presented key, which an
    attacker cannot steer byte by byte, so its timing reveals nothing of the secret.

    The statement commits without waiting for its WAL to reach the disk (synchronous_commit
    off, for this statement's transaction only): a crash of PostgreSQL may forget the last
    fraction of a second of counts, and so let a key a few requests more, but costs every
    partner call a disk flush less. Nothing else is written here."""
    counter, key, win, hits = _counter_names()
    return (
        f"WITH k AS (SELECT {select_list(ApiKey, 'ak', label='k')}, "  # noqa: S608 - our own names
        f"{select_list(Partner, 'p', label='p')} "
        f"FROM {table(ApiKey)} ak JOIN {table(Partner)} p ON p.id = ak.partner_id "
        "WHERE ak.prefix = %s AND ak.hashed_key = %s AND ak.revoked_at IS NULL "
        "AND p.is_active), "
        f"hit AS (INSERT INTO {counter} ({key}, {win}, {hits}) SELECT k.k_id, %s, 1 FROM k "
        f"ON CONFLICT ({key}, {win}) DO UPDATE SET {hits} = {counter}.{hits} + 1 "
        f"RETURNING {hits}) "
        "SELECT k.*, (SELECT hit.hits FROM hit), "
        + (f"{select_list(Company, 'dc')}, " if domain else "")
        + ("mu.*, " if member else "")
        # The count is the only write here; it need not wait for the disk (see above).
        + ("NULL" if durable else "set_config('synchronous_commit', 'off', true)")
        + " FROM k"
        + (f" LEFT JOIN ({domain_company_sql()}) dc ON true" if domain else "")
        + (f" LEFT JOIN LATERAL ({member_sql('k.k_partner_id')}) mu ON true" if member else "")
    )


def rate_limit_hit(*, api_key: ApiKey, now: float | None = None) -> float | None:
    """Count one request of api_key. Returns None when allowed, else the seconds to wait."""
    rate = parse_rate(settings.API_RATE_LIMIT)
    now = time.time() if now is None else now
    window = int(now // rate.period)
    counter, key, win, hits = _counter_names()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {counter} ({key}, {win}, {hits}) VALUES (%s, %s, 1) "  # noqa: S608 - our own names
            f"ON CONFLICT ({key}, {win}) DO UPDATE SET {hits} = {counter}.{hits} + 1 "
            f"RETURNING {hits}",
            [api_key.pk, window],
        )
        (count,) = cursor.fetchone()
    return _wait(rate, window, now, count=count)


def _counter_names() -> tuple[str, ...]:
    q = connection.ops.quote_name  # "window" is a reserved word in PostgreSQL
    return tuple(q(n) for n in (RateLimitWindow._meta.db_table, "api_key_id", "window", "hits"))


def _wait(rate: Rate, window: int, now: float, *, count: int) -> float | None:
    if count <= rate.requests:
        return None
    return max(1.0, math.ceil((window + 1) * rate.period - now))


def rate_limit_windows_purge(*, now: float | None = None) -> int:
    """Delete the counters of windows that are over (any period up to a day)."""
    now = time.time() if now is None else now
    rate = parse_rate(settings.API_RATE_LIMIT)
    deleted, _ = RateLimitWindow.objects.filter(window__lt=int(now // rate.period) - 1).delete()
    return deleted
