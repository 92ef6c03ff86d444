"""Benchmark of the support queue page at 1,000 and at 1,000,000 users (DESIGN §7).

Creates the PostgreSQL database `bench_support`, migrates it, bulk-loads users with
INSERT ... SELECT generate_series (10% pending, spread over the three reasons, with
companies, memberships and audit rows of recent activations), measures the queue page
(/admin/backoffice/account/) served to a Support agent through Django's test client — server
time and query count — first with 1,000 users, then after growing the table to 1,000,000,
prints EXPLAIN ANALYZE of the page's main query, and drops the database again.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h5 .venv/bin/python bench/support_queue.py

DATABASE_URL only names the server (and a database to connect to for CREATE/DROP DATABASE);
the benchmark's data lives in `bench_support` alone.
"""

import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

BENCH_DB = "bench_support"
ROOT = Path(__file__).resolve().parent.parent
SMALL, LARGE = 1_000, 1_000_000
PENDING_EVERY = 10  # one user in ten is pending
RUNS = 15

server_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
if not server_url.startswith("postgres"):
    sys.exit("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/h5")
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


def measure(client, url: str):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):  # warm the caches: templates, plans, pages
        client.get(url)
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(timings) * 1000, len(queries.captured_queries), queries


def main() -> None:
    admin_sql(f"DROP DATABASE IF EXISTS {BENCH_DB}", f"CREATE DATABASE {BENCH_DB}")
    try:
        setup_django()
        run()
    finally:
        from django.db import connections

        connections.close_all()
        admin_sql(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        print(f"\nDropped {BENCH_DB}.")


def run() -> None:
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from provisioning.models import User

    print(f"Migrating {BENCH_DB}…")
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        load_reference(cursor)
        load_users(cursor, 1, SMALL)
        cursor.execute("ANALYZE")
    agent = User.objects.create_user(
        "agent@support.example", "x", is_staff=True, status="activated", pending_reason=""
    )
    agent.groups.add(Group.objects.get(name="Support"))
    client = Client()
    client.force_login(agent)

    pages = {
        "queue": "/admin/backoffice/account/",
        "queue, reason filter": "/admin/backoffice/account/?reason=awaiting_support",
        "queue, email search": "/admin/backoffice/account/?q=user990%40forwarder990.example",
    }
    results = {}
    for size, grow in ((SMALL, None), (LARGE, (SMALL + 1, LARGE))):
        if grow:
            print(f"Loading users {grow[0]:,}…{grow[1]:,} …")
            started = time.perf_counter()
            with connection.cursor() as cursor:
                load_users(cursor, *grow)
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
            print(f"  loaded in {time.perf_counter() - started:.0f} s")
        counts = User.objects.values_list("status").order_by()
        pending = counts.filter(status="pending").count()
        print(f"\n{size:,} users, {pending:,} pending")
        for name, url in pages.items():
            ms, queries, captured = measure(client, url)
            results[(name, size)] = (ms, queries)
            if name == "queue":
                queue_queries = captured.captured_queries
            slowest = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:2]
            for query in slowest:
                print(f"      {float(query['time']) * 1000:6.1f} ms  {query['sql'][:110]}")
            print(f"  {name:<24} {ms:7.1f} ms  {queries:2d} queries")
        main_query = next(
            q["sql"]
            for q in queue_queries
            if "ORDER BY" in q["sql"] and "status_changed_at" in q["sql"] and "LIMIT 51" in q["sql"]
        )
        if size == LARGE:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + main_query)
                print("\nThe queue page's main query:\n  " + main_query[:300] + " …")
                print("\n".join("    " + row[0] for row in cursor.fetchall()))

    print("\nPage                      1,000 users        1,000,000 users    ratio")
    for name in pages:
        small, large = results[(name, SMALL)], results[(name, LARGE)]
        print(
            f"{name:<24} {small[0]:7.1f} ms {small[1]:2d} q   {large[0]:7.1f} ms {large[1]:2d} q"
            f"   {large[0] / small[0]:5.2f}"
        )


if __name__ == "__main__":
    main()
