"""The per-key rate limit of the partner API (DESIGN §10).

A fixed window per API key, counted in the database: one `INSERT … ON CONFLICT DO UPDATE …
RETURNING` per request increments the key's counter and reads it in a single atomic
statement, so concurrent requests (threads, processes, hosts) never lose a hit. SQLite (3.35+)
and PostgreSQL both speak that statement, so the embedded default and production run the
same code, without Redis, and no process keeps state of its own. If the database is down the
call fails anyway; there is no second store whose failure could open or close the limit.
"""

import math
import re
import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from provisioning.models import ApiKey, RateLimitWindow

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
