"""Benchmark of the support queue page at 1,000 and at 1,000,000 users (DESIGN §7), or at the
sizes given by --small and --large.

Creates a PostgreSQL database with a unique name (bench_support_<pid>_<random>), migrates it,
bulk-loads users with INSERT ... SELECT generate_series (10% pending, spread over the three
reasons, with companies, memberships and audit rows of recent activations) and keeps a copy of
the database at 1,000 users in the schema `small` before growing `public` to 1,000,000. It then
measures the queue page (/admin/backoffice/account/) served to a Support agent through Django's
test client — server time and query count — alternating between the two schemas request by
request, so that both sizes see the same load on a shared machine; prints EXPLAIN ANALYZE of
the page's main query at the larger size; and drops the database it created. The sizes printed
are the rows really present in each copy, counted after loading.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/support_queue.py
    DATABASE_URL=… .venv/bin/python bench/support_queue.py --large 50000     # a quick look

DATABASE_URL only names the server (and a database to connect to for CREATE/DROP DATABASE).
With BENCH_DB=<name> the benchmark loads an existing, empty database of that name instead and
drops nothing.
"""

import argparse
import os
import re
import secrets
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
_sizes = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
_sizes.add_argument("--small", type=int, default=1_000, help="users in the small copy (1,000)")
_sizes.add_argument("--large", type=int, default=1_000_000, help="users in all (1,000,000)")
_args = _sizes.parse_args()
SMALL, LARGE = _args.small, _args.large
BENCH_DB = os.environ.get("BENCH_DB") or f"bench_support_{os.getpid()}_{secrets.token_hex(4)}"
OWNED = not os.environ.get("BENCH_DB")
PENDING_EVERY = 10  # one user in ten is pending
RUNS = 15

server_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
if not server_url.startswith("postgres"):
    sys.exit("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1/postgres")
bench_url = urlunsplit(urlsplit(server_url)._replace(path=f"/{BENCH_DB}"))


def admin_sql(*statements: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)


def setup_django() -> None:
    os.environ.update(
        DATABASE_URL=bench_url,
        DATABASE_POOL="false",
        DJANGO_SETTINGS_MODULE="backoffice.settings",
        LOG_LEVEL="WARNING",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def load_users(cursor, first: int, last: int) -> None:
    """Users first..last (ids), one in PENDING_EVERY pending, with memberships and, for one in
    twenty activated users, a recent activation audit row."""
    cursor.execute(
        """
        INSERT INTO provisioning_user (id, password, is_superuser, email, first_name, last_name,
            status, pending_reason, status_changed_at, request_data, warnings, is_staff,
            is_active, date_joined, company_id)
        SELECT i, '!', false, 'user' || i || '@forwarder' || (i %% 5000) || '.example',
            'First' || (i %% 97), 'Last' || (i %% 89),
            CASE WHEN i %% %(every)s = 0 THEN 'pending' ELSE 'activated' END,
            CASE WHEN i %% %(every)s <> 0 THEN ''
                 WHEN i %% 3 = 0 THEN 'awaiting_support'
                 WHEN i %% 3 = 1 THEN 'awaiting_details'
                 ELSE 'details_submitted' END,
            now() - (i %% 86400) * interval '37 seconds',
            jsonb_build_object('firstName', 'First' || (i %% 97), 'lastName', 'Last' || (i %% 89),
                'companyName', 'Forwarder ' || (i %% 20000), 'countryCode', 'DE',
                'offices', jsonb_build_array()),
            CASE WHEN i %% 70 = 0
                 THEN '[{"code": "free_mail", "message": "free-mail domain"}]'::jsonb
                 ELSE '[]'::jsonb END,
            false, true, now() - (i %% 86400) * interval '40 seconds',
            CASE WHEN i %% 4 = 0 THEN NULL ELSE 1 + i %% 20000 END
        FROM generate_series(%(first)s, %(last)s) AS i
        """,
        {"first": first, "last": last, "every": PENDING_EVERY},
    )
    cursor.execute(
        """
        INSERT INTO provisioning_membership (created_at, removed_at, user_id, partner_id)
        SELECT now(), NULL, i, 1 + i %% 3 FROM generate_series(%(first)s, %(last)s) AS i
        """,
        {"first": first, "last": last},
    )
    cursor.execute(
        """
        INSERT INTO provisioning_auditevent (created_at, actor_type, action, changes, note,
            user_id)
        SELECT now() - (i %% 7776000) * interval '1 second', 'staff', 'user.activated',
            '{"status": ["pending", "activated"]}'::jsonb, '', i
        FROM generate_series(%(first)s, %(last)s) AS i
        WHERE i %% %(every)s <> 0 AND i %% 20 = 1
        """,
        {"first": first, "last": last, "every": PENDING_EVERY},
    )


def load_reference(cursor) -> None:
    cursor.execute(
        "INSERT INTO provisioning_partner (id, name, webhook_url, webhook_secret, is_active,"
        " created_at) SELECT i, 'Partner ' || i, '', '', true, now()"
        " FROM generate_series(1, 3) AS i"
    )
    cursor.execute(
        "INSERT INTO provisioning_company (id, legal_name, country, address, phone, website,"
        " created_at) SELECT i, 'Forwarder ' || i || ' GmbH', 'DE', '', '', '', now()"
        " FROM generate_series(1, 20000) AS i"
    )
    # The rows above carry their own ids; the sequences continue after the largest load.
    for table, after in (("user", LARGE + 100), ("company", 20000), ("partner", 3)):
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('provisioning_{table}', 'id'), {after})"
        )


def use_schema(schema: str) -> None:
    """Point the connection (and any reconnection) at one of the two copies."""
    from django.db import connection

    global SCHEMA
    SCHEMA = schema
    with connection.cursor() as cursor:
        cursor.execute(f"SET search_path TO {schema}")


SCHEMA = "public"


def _on_connect(sender, connection, **kwargs):
    with connection.cursor() as cursor:
        cursor.execute(f"SET search_path TO {SCHEMA}")


def measure(client, url: str, schemas: dict[str, str]):
    """Median server time per schema, requests interleaved; the queries of one request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings = {name: [] for name in schemas}
    for round_ in range(RUNS + 3):
        for name, schema in schemas.items():
            use_schema(schema)
            started = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, response.status_code
            if round_ >= 3:  # the first rounds warm templates, plans and pages
                timings[name].append(elapsed)
    captured = {}
    for name, schema in schemas.items():
        use_schema(schema)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        captured[name] = queries.captured_queries
    return {name: statistics.median(t) * 1000 for name, t in timings.items()}, captured


def copy_to_schema(cursor, schema: str) -> None:
    """A copy of every table of public (rows, indexes, defaults; no foreign keys) in schema."""
    cursor.execute(f"CREATE SCHEMA {schema}")
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    for (table,) in cursor.fetchall():
        cursor.execute(f'CREATE TABLE {schema}."{table}" (LIKE public."{table}" INCLUDING ALL)')
        cursor.execute(f'INSERT INTO {schema}."{table}" SELECT * FROM public."{table}"')


def main() -> None:
    if OWNED:
        admin_sql(f'CREATE DATABASE "{BENCH_DB}"')
    try:
        setup_django()
        run()
    finally:
        if OWNED:
            from django.db import connections

            connections.close_all()
            admin_sql(f'DROP DATABASE IF EXISTS "{BENCH_DB}"')
            print(f"\nDropped {BENCH_DB}.")


def run() -> None:
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection
    from django.db.backends.signals import connection_created
    from django.test import Client

    from provisioning.models import AuditEvent, Company, Membership, User

    connection_created.connect(_on_connect)
    print(f"Migrating {BENCH_DB}…")
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        load_reference(cursor)
    agent = User.objects.create_user(
        "agent@support.example", "x", is_staff=True, status="activated", pending_reason=""
    )
    agent.groups.add(Group.objects.get(name="Support"))
    client = Client()
    client.force_login(agent)
    with connection.cursor() as cursor:
        load_users(cursor, 1, SMALL)
        copy_to_schema(cursor, "small")
        print(f"Loading users {SMALL + 1:,}…{LARGE:,} …")
        started = time.perf_counter()
        load_users(cursor, SMALL + 1, LARGE)
        cursor.execute("VACUUM ANALYZE")
        print(f"  loaded in {time.perf_counter() - started:.0f} s")
    schemas = {}
    print("Rows present:")
    for schema in ("small", "public"):
        use_schema(schema)
        users = User.objects.filter(is_staff=False).count()
        schemas[f"{users:,} users"] = schema
        print(
            f"  {schema:<7} {users:,} users ({User.objects.filter(status='pending').count():,}"
            f" pending), {Membership.objects.count():,} memberships, "
            f"{AuditEvent.objects.count():,} audit events, {Company.objects.count():,} companies"
        )
    small_name, large_name = schemas

    pages = {
        "queue": "/admin/backoffice/account/",
        "queue, reason filter": "/admin/backoffice/account/?reason=awaiting_support",
        "queue, country filter": "/admin/backoffice/account/?country=DE&partner=2",
        "queue, email search": "/admin/backoffice/account/?q=user990%40forwarder990.example",
        "queue, next page": None,  # the page after the first, by its cursor
    }
    rows = []
    for page, url in pages.items():
        if url is None:
            use_schema("public")
            first_page = client.get(pages["queue"]).content.decode()
            url = pages["queue"] + re.search(r'href="(\?[^"]*after=[^"]*)"', first_page)[1]
            url = url.replace("&amp;", "&")
        times, captured = measure(client, url, schemas)
        small, large = (times[name] for name in schemas)
        counts = [len(captured[name]) for name in schemas]
        rows.append((page, small, counts[0], large, counts[1]))
        if page == "queue":
            main_query = next(
                q["sql"]
                for q in captured[large_name]
                if "status_changed_at" in q["sql"] and q["sql"].endswith("LIMIT 51")
            )
            slowest = sorted(captured[large_name], key=lambda q: -float(q["time"]))
            print(f"\nSlowest queries of the queue page at {large_name}:")
            for query in slowest[:4]:
                print(f"  {float(query['time']) * 1000:5.1f} ms  {query['sql'][:100]}")

    use_schema("public")
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + main_query)
        print(f"\nThe queue page's main query at {large_name}:\n  " + main_query[:200] + " …")
        print("\n".join("    " + row[0] for row in cursor.fetchall()))

    print(f"\nServer time, median of {RUNS} interleaved requests each:")
    print(f"{'page':<24}{small_name:>18}{large_name:>22}{'ratio':>8}")
    for page, small, small_q, large, large_q in rows:
        print(
            f"{page:<24}{small:>9.1f} ms {small_q:2d} q{large:>13.1f} ms {large_q:2d} q"
            f"{large / small:>8.2f}"
        )


if __name__ == "__main__":
    main()
