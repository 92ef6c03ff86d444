"""`Idempotency-Key` for the native API's creates.

The record is inserted in the same transaction as the change it guards, before the change
runs. A second request with the same key therefore waits on the unique index until the first
commits (PostgreSQL; SQLite serialises writers anyway), then finds the stored answer and
replays it. A first request that fails with a server error rolls back its record too, so the
partner can retry with the same key. Records are replayed for API_IDEMPOTENCY_HOURS.

A one-time link is never stored (DESIGN §10: secrets stay out of tables other than their own):
the fields of ONE_TIME_FIELDS are kept as null, and the caller fills them again on replay from
where the secret lives (the completion link's own row, which can say whether it is still live).
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from provisioning.models import IdempotencyRecord, Partner

# Answer fields that carry a one-time secret: stored as null.
ONE_TIME_FIELDS = ("completionLink",)


def _storable(body: dict) -> dict:
    return {key: None if key in ONE_TIME_FIELDS else value for key, value in body.items()}


class IdempotencyKeyReused(Exception):
    """The key was used earlier with another request."""


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: dict
    replayed: bool = False


def request_hash(*, method: str, path: str, body: object) -> str:
    """The same JSON document (whatever its spacing or key order) hashes the same."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def _lifetime() -> timedelta:
    return timedelta(hours=settings.API_IDEMPOTENCY_HOURS)


def idempotent_call(
    *, partner: Partner, key: str, fingerprint: str, call: Callable[[], Answer]
) -> Answer:
    """Run call() once per (partner, key); later requests with the key get its answer."""
    with transaction.atomic():
        record = _claim(partner=partner, key=key, fingerprint=fingerprint)
        if record.pk is None:
            stored = IdempotencyRecord.objects.get(partner=partner, key=key)
            if stored.request_hash != fingerprint:
                raise IdempotencyKeyReused(key)
            return Answer(stored.status_code, stored.response_body, replayed=True)
        answer = call()
        record.status_code, record.response_body = answer.status_code, _storable(answer.body)
        record.save(update_fields=["status_code", "response_body"])
        return answer


def _claim(*, partner: Partner, key: str, fingerprint: str) -> IdempotencyRecord:
    """Insert the record; an unsaved one means another request holds the key."""
    now = timezone.now()
    IdempotencyRecord.objects.filter(
        partner=partner, key=key, created_at__lt=now - _lifetime()
    ).delete()
    record = IdempotencyRecord(
        partner=partner,
        key=key,
        request_hash=fingerprint,
        status_code=0,
        response_body={},
        created_at=now,
    )
    try:
        with transaction.atomic():
            record.save(force_insert=True)
    except IntegrityError:
        record.pk = None
    return record


def idempotency_records_purge() -> int:
    deleted, _ = IdempotencyRecord.objects.filter(
        created_at__lt=timezone.now() - _lifetime()
    ).delete()
    return deleted
