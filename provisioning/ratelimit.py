"""The per-key rate limit of the partner API (DESIGN §10), and the admission of its calls.

A fixed window per API key, counted in the database: one `INSERT … ON CONFLICT DO UPDATE …
RETURNING` per request increments the key's counter and reads it in a single atomic
statement, so concurrent requests (threads, processes, hosts) never lose a hit. It works on
the embedded SQLite as on PostgreSQL, without Redis, and keeps no state in the process.

On PostgreSQL a call's admission — the key check, the count, and for a create the company of
the new user's email domain — is one statement: one round trip to the database where a
create would otherwise pay two before its insert.
"""

import math
import re
import time
from dataclasses import dataclass
from functools import cache, lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from .keys import api_key_authenticate, api_key_mark_used, parse_raw_key
from .models import ApiKey, Company, Partner, RateLimitWindow
from .models.partners import hash_api_key
from .rows import hot_cursor, hydrate_at, select_list, table
from .selectors import DomainCompany, domain_company_sql

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
class Admission:
    """A partner request's key (None: refused), past the rate limit the seconds to wait, and
    the company of the email domain it was asked to read (None: not read)."""

    key: ApiKey | None
    retry_after: float | None = None
    domain_company: DomainCompany | None = None


def api_request_admit(
    raw_key: str | None, *, now: float | None = None, email_domain: str | None = None
) -> Admission:
    """Authenticate raw_key and count the request against its key's rate limit.

    On PostgreSQL this is one statement: the key lookup and the counter's upsert, so that a
    partner call pays one round trip for both. A wrong secret counts nothing (only a found key
    is counted). Elsewhere, the two steps one after the other.

    email_domain: a create's; the statement also reads the domain's company (once the key has
    passed), which the create then takes instead of reading it again. Not read elsewhere."""
    if connection.vendor != "postgresql":
        key = api_key_authenticate(raw_key)
        return Admission(key, rate_limit_hit(api_key=key, now=now) if key else None)
    prefix = parse_raw_key(raw_key)
    if prefix is None:
        return Admission(None)
    rate = parse_rate(settings.API_RATE_LIMIT)
    now = time.time() if now is None else now
    window = int(now // rate.period)
    params = [prefix, hash_api_key(raw_key), window]
    if email_domain is not None:
        params.append(email_domain)
    with hot_cursor() as cursor:
        # Inside a caller's transaction the setting would hold for all of its writes: not there.
        cursor.execute(
            _admit_sql(durable=connection.in_atomic_block, domain=email_domain is not None),
            params,
        )
        row = cursor.fetchone()
    if row is None:
        return Admission(None)
    key, at = hydrate_at(ApiKey, row, 0)
    partner, at = hydrate_at(Partner, row, at)
    ApiKey._meta.get_field("partner").set_cached_value(key, partner)
    api_key_mark_used(key)
    read = None
    if email_domain is not None:
        read = DomainCompany(email_domain, hydrate_at(Company, row, at + 1)[0])
    return Admission(key, _wait(rate, window, now, count=row[at]), read)


@cache
def _admit_sql(*, durable: bool, domain: bool) -> str:
    """The key lookup and the counter's upsert of `api_request_admit`, as one statement, and
    with domain the company of the email domain given last (NULLs when none owns it).

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
        # The count is the only write here; it need not wait for the disk (see above).
        + ("NULL" if durable else "set_config('synchronous_commit', 'off', true)")
        + " FROM k"
        + (f" LEFT JOIN ({domain_company_sql()}) dc ON true" if domain else "")
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
