"""Print, as JSON, how many rows one create (flow 3) and one token call write.

Run by bench/api_load.py against its own database, with DJANGO_* and DATABASE_URL set.
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

KEY = {"x-api-key": sys.argv[1]}
CREATE = {
    "firstName": "Probe",
    "lastName": "Writes",
    "email": "probe@probe-forwarder.example.com",
    "companyName": "Probe Forwarding",
    "countryCode": "DE",
}


def inserts(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = call()
    if response.status_code != 200:
        sys.exit(f"probe call failed: HTTP {response.status_code} {response.content[:200]!r}")
    return sum(query["sql"].startswith("INSERT") for query in queries.captured_queries)


client = Client()
create = inserts(
    lambda: client.post(
        "/solutions/users", json.dumps(CREATE), content_type="application/json", headers=KEY
    )
)
token = inserts(
    lambda: client.get("/solutions/users", {"email": "anna.schmidt@acme-cargo.de"}, headers=KEY)
)
print(json.dumps({"create": create, "token": token}))
