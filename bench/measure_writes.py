"""Print, as JSON, how many rows one create (flow 3) and one token call write.

Run by bench/api_load.py against its own database, with DJANGO_* and DATABASE_URL set. The
rows are PostgreSQL's own count of the tuples the call inserted and updated (the rate-limit
counter's upsert included), from pg_stat_xact_user_tables before and after the call, inside a
transaction that is then rolled back: a statement that writes several rows counts them all.
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

KEY = {"x-api-key": sys.argv[1]}
CREATE = {
    "firstName": "Probe",
    "lastName": "Writes",
    "email": "probe@probe-forwarder.example.com",
    "companyName": "Probe Forwarding",
    "countryCode": "DE",
}
TOKEN_FOR = {"email": "anna.schmidt@acme-cargo.de"}


class _Undo(Exception):
    pass


def tuples_written() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(n_tup_ins + n_tup_upd), 0) FROM pg_stat_xact_user_tables"
        )
        return int(cursor.fetchone()[0])


def rows_written(call) -> int:
    """Tuples the call inserted or updated: PostgreSQL's own count of this session's writes,
    before and after, inside a transaction that is then rolled back."""
    try:
        with transaction.atomic():
            before = tuples_written()
            response = call()
            if response.status_code != 200:
                sys.exit(f"probe failed: HTTP {response.status_code} {response.content[:200]!r}")
            written = tuples_written() - before
            raise _Undo
    except _Undo:
        pass
    return written


client = Client()
client.get("/solutions/users", TOKEN_FOR, headers=KEY)  # the key's first use is noted once
create = rows_written(
    lambda: client.post(
        "/solutions/users", json.dumps(CREATE), content_type="application/json", headers=KEY
    )
)
token = rows_written(lambda: client.get("/solutions/users", TOKEN_FOR, headers=KEY))
print(json.dumps({"create": create, "token": token}))
