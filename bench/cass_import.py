"""Speed of `manage.py import_cass` on PostgreSQL: a first import and an unchanged re-import.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/cass_import.py

Generates a synthetic CASS directory of 20,000 rows and one of 100,000 (BENCH_SIZES=20000,100000):
companies of one to five offices, spread over 20 countries (one airport each), one
registration per office with a valid check digit, configured at three airlines, one email
domain per company. For each size it creates a PostgreSQL database of its own (a unique
name, or BENCH_DB), migrates it, runs the command on the file twice (the second run changes
nothing), prints rows per second, this process's CPU time (on a shared machine, the part of
the wall time the import itself spent in Python) and the queries per batch, and drops the
database. BENCH_EXPLAIN=1 also prints the plan of a batch's company lookup by name.
DATABASE_URL only names the server and a database to connect to for CREATE/DROP DATABASE.
"""

import csv
import io
import os
import random
import sys
import tempfile
import time
import uuid
from contextlib import redirect_stdout
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
SIZES = tuple(int(n) for n in os.environ.get("BENCH_SIZES", "20000,100000").split(","))
COUNTRIES = [
    ("DE", "FRA"), ("US", "JFK"), ("GB", "LHR"), ("FR", "CDG"), ("NL", "AMS"), ("SG", "SIN"),
    ("HK", "HKG"), ("CN", "PVG"), ("JP", "NRT"), ("KR", "ICN"), ("AE", "DXB"), ("IN", "BOM"),
    ("BR", "GRU"), ("MX", "MEX"), ("CA", "YYZ"), ("AU", "SYD"), ("ZA", "JNB"), ("TR", "IST"),
    ("IT", "MXP"), ("ES", "MAD"),
]  # fmt: skip
# Shipped airlines that accept CASS (recognition/migrations/0002_airlines.py).
AIRLINES = ["EK", "QR", "CX", "TK", "AF", "KL", "BA", "IB", "KE", "CI", "CV", "EY", "NH", "DL"]

server_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
if not server_url.startswith("postgres"):
    sys.exit("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/h5")


def directory(size: int) -> str:
    """size rows of CSV; the same size always gives the same file."""
    rng = random.Random(size)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "company",
            "domains",
            "country",
            "office_airport",
            "iata_code",
            "cass_address",
            "active",
            "airlines",
        ]
    )
    row = company = 0
    while row < size:
        company += 1
        for office in range(min(rng.randint(1, 5), size - row)):
            country, airport = COUNTRIES[(company + office) % len(COUNTRIES)]
            iata_code = f"{1_000_000 + row:07d}"
            cass = f"000{int(iata_code + '000') % 7}"
            writer.writerow(
                [
                    f"Bench Forwarder {company} Ltd",
                    f"bench-forwarder-{company}.com",
                    country,
                    airport,
                    iata_code,
                    cass,
                    "yes" if row % 50 else "no",
                    " ".join(rng.sample(AIRLINES, 3)),
                ]
            )
            row += 1
    return out.getvalue()


def admin_sql(statement: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(statement)


def timed_import(path: str) -> tuple[float, str, int]:
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    out = io.StringIO()
    with CaptureQueriesContext(connection) as queries, redirect_stdout(out):
        started, cpu = time.perf_counter(), time.process_time()
        call_command("import_cass", path, stdout=out)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return elapsed, cpu, out.getvalue().strip().splitlines()[-1], len(queries)


def explain_name_lookup(text: str, rows: int) -> str:
    """The plan of the company lookup by name of a batch of `rows` rows, as the importer
    builds it."""
    from django.db import connection
    from django.db.models.functions import Lower

    from provisioning.models import Company

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # plan with the statistics of the imported directory
    rows = list(csv.DictReader(io.StringIO(text)))[:rows]
    plan = (
        Company.objects.annotate(name_lower=Lower("legal_name"))
        .filter(
            country__in={row["country"] for row in rows},
            name_lower__in={row["company"].lower() for row in rows},
        )
        .values_list("pk", "legal_name", "country")
        .order_by("pk")
        .explain()
    )
    return "\n".join(line[:150] for line in plan.splitlines())


def bench(size: int, database: str) -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    from provisioning.cass.importer import DEFAULT_BATCH_SIZE

    connections.close_all()
    settings.DATABASES["default"]["NAME"] = database
    call_command("migrate", verbosity=0)
    text = directory(size)
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as handle:
        handle.write(text)
    batches = -(-size // DEFAULT_BATCH_SIZE)
    try:
        for label in ("first import", "unchanged re-import"):
            elapsed, cpu, summary, queries = timed_import(handle.name)
            print(
                f"{size:>8,}  {label:<20} {elapsed:7.2f} s  {size / elapsed:8,.0f} rows/s  "
                f"(this process's CPU {cpu:6.2f} s)  {queries / batches:5.1f} queries/batch"
                f"   {summary}"
            )
        if os.environ.get("BENCH_EXPLAIN"):
            for rows in (DEFAULT_BATCH_SIZE, 20):
                print(f"company lookup by name, {rows} rows:\n" + explain_name_lookup(text, rows))
    finally:
        os.unlink(handle.name)
        connections.close_all()


def main() -> None:
    os.environ.update(
        DATABASE_URL=server_url,
        DATABASE_POOL="false",
        DJANGO_SETTINGS_MODULE="backoffice.settings",
        LOG_LEVEL="WARNING",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    connection.force_debug_cursor = True  # count the queries without DEBUG's other costs
    print(
        f"PostgreSQL {connection.cursor().connection.info.server_version}; " + time.strftime("%F")
    )
    for size in SIZES:
        database = os.environ.get("BENCH_DB") or f"bench_cass_{uuid.uuid4().hex[:8]}"
        admin_sql(f'DROP DATABASE IF EXISTS "{database}"')
        admin_sql(f'CREATE DATABASE "{database}"')
        try:
            bench(size, database)
        finally:
            from django.db import connections

            connections.close_all()
            admin_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


if __name__ == "__main__":
    main()
