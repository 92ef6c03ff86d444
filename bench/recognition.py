"""Time per recognition call with a CASS directory of 100 registrations and of 100,000.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h2 python bench/recognition.py

Builds each directory in a PostgreSQL schema of its own, named for this run (created, migrated,
filled with bulk_create, vacuumed and analysed like a live database, dropped at the end), so
that it leaves nothing behind in the database it is pointed at. Calls alternate between the two
directories, so that the load of a shared machine weighs on both figures alike.

Each directory has 30 airlines, companies of five offices, one CASS registration per office
configured at three airlines and a customer ID per company. It times the recognition service
and the HTTP endpoint for one forwarder's user (a company in the middle of the directory), and
prints the query count per call and the ratio of the two directories' times, which should stay
near 1. BENCH_EXPLAIN=1 also prints each query's plan and timings.
"""

import io
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
# One connection for the whole run, so that `SET search_path` holds for every query.
os.environ["DATABASE_POOL"] = "false"
# The timed calls come from one key, faster than a partner's rate limit allows.
os.environ.setdefault("API_RATE_LIMIT", "1000000/minute")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from provisioning.models import Company, Membership, Office, Partner, User  # noqa: E402
from provisioning.partner_api.recognition import office_facts_list  # noqa: E402
from recognition.models import (  # noqa: E402
    Airline,
    AirlineCassConfiguration,
    AirlineCustomerId,
    CassRegistration,
    ColoaderCoverage,
)
from recognition.rules import place_parse  # noqa: E402
from recognition.services import recognition_get  # noqa: E402

SIZES = tuple(int(n) for n in os.environ.get("BENCH_SIZES", "100,100000").split(","))
OFFICES_PER_COMPANY = 5
BATCH = 5_000
CALLS = 500
WARM_UP = 100
# One airport per country, so that offices are spread over the world.
AIRPORTS = [
    ("DE", "FRA"), ("US", "JFK"), ("GB", "LHR"), ("FR", "CDG"), ("NL", "AMS"), ("SG", "SIN"),
    ("HK", "HKG"), ("CN", "PVG"), ("JP", "NRT"), ("KR", "ICN"), ("AE", "DXB"), ("IN", "BOM"),
    ("BR", "GRU"), ("MX", "MEX"), ("CA", "YYZ"), ("AU", "SYD"), ("ZA", "JNB"), ("TR", "IST"),
    ("IT", "MXP"), ("ES", "MAD"),
]  # fmt: skip
SEARCHES = [("FRA", "JFK"), ("DE", "SG"), ("JFK", "HAM"), ("PVG", "LAX"), ("HAM", "DXB")]


def cass_address(iata_code: str) -> str:
    return "000" + str(int(iata_code + "000") % 7)


def build_directory(size: int) -> User:
    """size registrations; returns a user whose company sits in the middle of them."""
    extra = 30 - Airline.objects.count()
    Airline.objects.bulk_create(
        Airline(iata_code=f"Z{n}", icao_code="ZZZ", awb_prefix=f"{990 + n}", name=f"Bench {n}")
        for n in range(extra)
    )
    airlines = list(Airline.objects.order_by("pk"))
    companies = Company.objects.bulk_create(
        (
            Company(legal_name=f"Bench Forwarder {n}", country=AIRPORTS[n % len(AIRPORTS)][0])
            for n in range(size // OFFICES_PER_COMPANY)
        ),
        batch_size=BATCH,
    )
    offices = Office.objects.bulk_create(
        (
            Office(
                company=companies[n // OFFICES_PER_COMPANY],
                country=AIRPORTS[n % len(AIRPORTS)][0],
                airport_code=AIRPORTS[n % len(AIRPORTS)][1],
                iata_code=f"{n:07d}",
                cass_code=cass_address(f"{n:07d}"),
            )
            for n in range(size)
        ),
        batch_size=BATCH,
    )
    registrations = CassRegistration.objects.bulk_create(
        (
            CassRegistration(
                iata_code=office.iata_code,
                cass_code=office.cass_code,
                country=office.country,
                company=office.company,
                office=office,
            )
            for office in offices
        ),
        batch_size=BATCH,
    )
    AirlineCassConfiguration.objects.bulk_create(
        (
            AirlineCassConfiguration(
                registration=registration, airline=airlines[(n + k * 7) % len(airlines)]
            )
            for n, registration in enumerate(registrations)
            for k in range(3)
        ),
        batch_size=BATCH,
    )
    AirlineCustomerId.objects.bulk_create(
        (
            AirlineCustomerId(
                company=company, airline=airlines[n % len(airlines)], customer_id=f"C{n}"
            )
            for n, company in enumerate(companies)
        ),
        batch_size=BATCH,
    )
    ColoaderCoverage.objects.bulk_create(
        ColoaderCoverage(origin_country=country, origin_airport=airport, airline=airline)
        for country, airport in AIRPORTS
        for airline in (None, airlines[0])
    )
    # A company near the middle whose offices, registrations and customer ID follow the same
    # pattern in every directory size, so that the timed searches take the same paths.
    middle = len(companies) // 2 // 60 * 60
    user = User.objects.create_user(
        f"bench-{size}@example.com", company=companies[middle], status="activated"
    )
    user.offices.set(offices[middle * OFFICES_PER_COMPANY : (middle + 1) * OFFICES_PER_COMPANY])
    return user


# Schemas of this run alone: the benchmark drops only what it created.
RUN = f"{os.getpid()}_{secrets.token_hex(4)}"


def schema_name(size: int) -> str:
    return f"bench_recognition_{size}_{RUN}"


def use(size: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SET search_path TO {schema_name(size)}")


def drop(size: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET search_path TO DEFAULT")
        cursor.execute(f"DROP SCHEMA IF EXISTS {schema_name(size)} CASCADE")


def setup(size: int) -> dict:
    """Build one directory in its own schema; the callables that time one recognition."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {schema_name(size)}")
    use(size)
    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    with transaction.atomic():
        user = build_directory(size)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would have, on a live database
    built = time.perf_counter() - start
    assert CassRegistration.objects.count() == size
    partner = Partner.objects.create(name=f"Bench partner {size}")
    Membership.objects.create(user=user, partner=partner)
    issued = io.StringIO()
    call_command(
        "create_api_key", partner.name, "--name", "bench", stdout=issued, stderr=io.StringIO()
    )
    raw_key = issued.getvalue().strip()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw_key}")

    def service(n):
        origin, destination = SEARCHES[n % len(SEARCHES)]
        recognition = recognition_get(
            offices=office_facts_list(user=user),
            origin=place_parse(origin),
            destination=place_parse(destination),
        )
        assert len(recognition.answers) == 30

    def endpoint(n):
        origin, destination = SEARCHES[n % len(SEARCHES)]
        response = client.get(
            f"/api/v1/users/{user.pk}/recognition",
            {"origin": origin, "destination": destination},
        )
        assert response.status_code == 200, response.content

    return {"size": size, "built": built, "service": service, "endpoint": endpoint}


def explain(call) -> None:
    """Print the plan and execution time of each query of one call."""
    with CaptureQueriesContext(connection) as queries:
        call(0)
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + query["sql"])
            print("\n".join(row[0] for row in cursor.fetchall()), end="\n\n")


def timed(setups: list[dict], kind: str) -> None:
    """Time `kind` calls, alternating directories call by call so that the machine's load
    weighs on both alike; store (median ms, p95 ms, queries per call) in each setup."""
    durations: dict[int, list[float]] = {setup["size"]: [] for setup in setups}
    for n in range(WARM_UP + CALLS):
        for setup in setups:
            use(setup["size"])
            start = time.perf_counter()
            setup[kind](n)
            if n >= WARM_UP:
                durations[setup["size"]].append((time.perf_counter() - start) * 1000)
    for setup in setups:
        use(setup["size"])
        with CaptureQueriesContext(connection) as queries:
            setup[kind](0)
        found = durations[setup["size"]]
        setup[kind + "_ms"] = (
            statistics.median(found),
            statistics.quantiles(found, n=20)[-1],
            len(queries),
        )
        if kind == "service" and os.environ.get("BENCH_EXPLAIN"):
            print(f"--- {setup['size']:,} registrations")
            explain(setup[kind])


def main() -> None:
    vendor = connection.vendor
    settings.DEBUG = False  # no query log growing in memory
    if vendor != "postgresql":
        raise SystemExit("The benchmark builds PostgreSQL schemas: point DATABASE_URL at one.")
    print(f"database: {vendor} {connection.settings_dict['NAME']}; {CALLS} calls per figure")
    try:
        setups = [setup(size) for size in SIZES]
        timed(setups, "service")
        timed(setups, "endpoint")
    finally:
        for size in SIZES:
            drop(size)
    print(f"{'registrations':>13} {'build s':>8}  {'service ms median/p95':>22} "
          f"{'endpoint ms median/p95':>23} {'queries':>8}")  # fmt: skip
    for r in setups:
        (s_med, s_p95, s_q), (e_med, e_p95, e_q) = r["service_ms"], r["endpoint_ms"]
        print(
            f"{r['size']:>13,} {r['built']:>8.1f}  {s_med:>12.2f} / {s_p95:<7.2f} "
            f"{e_med:>13.2f} / {e_p95:<7.2f} {s_q:>3} / {e_q:<3}"
        )
    small, large = setups
    print(
        f"ratio {large['size']:,} / {small['size']:,}: "
        f"service {large['service_ms'][0] / small['service_ms'][0]:.2f}, "
        f"endpoint {large['endpoint_ms'][0] / small['endpoint_ms'][0]:.2f}"
    )


if __name__ == "__main__":
    main()
