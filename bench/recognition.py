"""Time per recognition call with a CASS directory of 100 registrations and of 100,000.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h2 python bench/recognition.py

Migrates the database it is pointed at, then builds each directory inside a transaction that
is rolled back at the end, so that it leaves nothing behind. Each directory has 30 airlines,
companies of five offices, one CASS registration per office configured at three airlines and
a customer ID per company. It times the recognition service and the HTTP endpoint for one
forwarder's user (a company in the middle of the directory), and prints the query count per
call and the ratio of the two directories' times, which should stay near 1.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from provisioning.api.recognition import office_facts_list  # noqa: E402
from provisioning.keys import api_key_create  # noqa: E402
from provisioning.models import Company, Membership, Office, Partner, User  # noqa: E402
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
    with connection.cursor() as cursor:
        for model in (Company, Office, CassRegistration, AirlineCassConfiguration,
                      AirlineCustomerId, ColoaderCoverage):  # fmt: skip
            cursor.execute(f"ANALYZE {model._meta.db_table}")
    return user


def timed(call) -> tuple[float, float, int]:
    """(median ms, p95 ms, queries) of CALLS calls after a warm-up."""
    for n in range(WARM_UP):
        call(n)
    durations = []
    for n in range(CALLS):
        start = time.perf_counter()
        call(n)
        durations.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as queries:
        call(0)
    return statistics.median(durations), statistics.quantiles(durations, n=20)[-1], len(queries)


def explain(call) -> None:
    """Print the plan and execution time of each query of one call."""
    with CaptureQueriesContext(connection) as queries:
        call(0)
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + query["sql"])
            print("\n".join(row[0] for row in cursor.fetchall()), end="\n\n")


def measure(size: int) -> dict:
    with transaction.atomic():
        start = time.perf_counter()
        user = build_directory(size)
        built = time.perf_counter() - start
        assert CassRegistration.objects.count() == size

        def service(n):
            origin, destination = SEARCHES[n % len(SEARCHES)]
            recognition = recognition_get(
                offices=office_facts_list(user=user),
                origin=place_parse(origin),
                destination=place_parse(destination),
            )
            assert len(recognition.answers) == 30

        partner = Partner.objects.create(name=f"Bench partner {size}")
        Membership.objects.create(user=user, partner=partner)
        _key, raw_key = api_key_create(partner=partner, name="bench")
        client = Client(HTTP_AUTHORIZATION=f"Bearer {raw_key}")

        def endpoint(n):
            origin, destination = SEARCHES[n % len(SEARCHES)]
            response = client.get(
                f"/api/v1/users/{user.pk}/recognition",
                {"origin": origin, "destination": destination},
            )
            assert response.status_code == 200, response.content

        result = {"size": size, "built": built, "service": timed(service)}
        if os.environ.get("BENCH_EXPLAIN"):
            explain(service)
        result["endpoint"] = timed(endpoint)
        transaction.set_rollback(True)
    return result


def main() -> None:
    vendor = connection.vendor
    if vendor != "postgresql":
        print(f"warning: running on {vendor}; the figures that matter are PostgreSQL's.")
    settings.DEBUG = False  # no query log growing in memory
    call_command("migrate", verbosity=0)
    print(f"database: {vendor} {connection.settings_dict['NAME']}; {CALLS} calls per figure")
    measure(SIZES[0])  # a discarded round: the first one pays for the process's warm-up
    results = [measure(size) for size in SIZES]
    print(f"{'registrations':>13} {'build s':>8}  {'service ms median/p95':>22} "
          f"{'endpoint ms median/p95':>23} {'queries':>8}")  # fmt: skip
    for r in results:
        (s_med, s_p95, s_q), (e_med, e_p95, e_q) = r["service"], r["endpoint"]
        print(
            f"{r['size']:>13,} {r['built']:>8.1f}  {s_med:>12.2f} / {s_p95:<7.2f} "
            f"{e_med:>13.2f} / {e_p95:<7.2f} {s_q:>3} / {e_q:<3}"
        )
    small, large = results
    print(
        f"ratio {large['size']:,} / {small['size']:,}: "
        f"service {large['service'][0] / small['service'][0]:.2f}, "
        f"endpoint {large['endpoint'][0] / small['endpoint'][0]:.2f}"
    )


if __name__ == "__main__":
    main()
