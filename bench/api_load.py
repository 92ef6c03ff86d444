"""Throughput and latency of the partner API under gunicorn and PostgreSQL, next to a bare
Django view that writes as many rows on the same stack.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/api_load.py
    DATABASE_URL=… python bench/api_load.py --mixed 600      # the 10-minute mixed load

It creates a database of its own (`bench_api`, dropped at the end), migrates it, loads the demo
data, measures how many rows a create and a token call write, then starts gunicorn with
bench/urls.py (the product plus the bare view) and drives it from client threads on this
machine. Figures are printed as a table; a call and its bare view run in turns of two seconds,
so their ratio holds whatever the machine's speed and its drift. A real broker is configured
(CELERY_BROKER_URL, default redis://127.0.0.1:6379/10, flushed at the end), so requests run as
in production: they write outbox rows and publish nothing; no worker (so no relay) runs.
"""

import argparse
import contextlib
import http.client
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DB = "bench_api"
BROKER = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/10")
DEMO_KEY = "demo00000000.local-demo-key-never-use-in-production"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", default="1,8,32", help="client counts (default 1,8,32)")
    parser.add_argument("--seconds", type=float, default=8.0, help="per scenario and level")
    parser.add_argument(
        "--workers", type=int, help="web processes (default: gunicorn.conf.py, as deployed)"
    )
    parser.add_argument(
        "--threads", type=int, help="threads per process (default: gunicorn.conf.py)"
    )
    parser.add_argument(
        "--mixed", type=float, metavar="SECONDS", help="run the mixed load for this long instead"
    )
    parser.add_argument("--mixed-clients", type=int, default=16)
    args = parser.parse_args()

    base_url = os.environ.get("DATABASE_URL", "")
    if not base_url.startswith(("postgres://", "postgresql://")):
        sys.exit("DATABASE_URL must point at PostgreSQL (the benchmark creates its own database)")
    db_url = urlsplit(base_url)._replace(path=f"/{BENCH_DB}").geturl()
    recreate_database(base_url, drop_only=False)
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "CELERY_BROKER_URL": BROKER,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_STATIC_MANIFEST": "false",
        "DJANGO_ROOT_URLCONF": "bench.urls",
        "EMAIL_URL": os.environ.get("EMAIL_URL", "smtp://127.0.0.1:1025"),
        "LOG_LEVEL": "WARNING",
        "API_RATE_LIMIT": os.environ.get("API_RATE_LIMIT", "1000000/minute"),
    }
    server = None
    try:
        manage(env, "migrate", "--no-input", "-v0")
        manage(env, "seed_demo", "--force")
        manage(
            env,
            "shell",
            "-c",
            "from django.db import connection; connection.cursor()"
            ".execute('CREATE TABLE bench_rows (id bigserial PRIMARY KEY, payload text)')",
        )
        writes = measure_writes(env)
        print(f"rows written per call: create {writes['create']}, token {writes['token']}")
        port = free_port()
        server = start_gunicorn(env, port, workers=args.workers, threads=args.threads)
        client = Http(port)
        emails = activated_users(client, count=200)
        if args.mixed:
            mixed_load(client, emails, seconds=args.mixed, clients=args.mixed_clients)
        else:
            compare(client, emails, writes, [int(n) for n in args.levels.split(",")], args.seconds)
        print_memory(server)
    finally:
        if server:
            server.terminate()
            server.wait(timeout=30)
        recreate_database(base_url, drop_only=True)
        flush_broker()


# --- set-up -------------------------------------------------------------------------------------


def recreate_database(base_url: str, *, drop_only: bool) -> None:
    import psycopg

    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        if not drop_only:
            conn.execute(f"CREATE DATABASE {BENCH_DB}")


def flush_broker() -> None:
    import redis

    with contextlib.suppress(redis.RedisError):
        redis.Redis.from_url(BROKER, socket_connect_timeout=1).flushdb()


def manage(env: dict, *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def measure_writes(env: dict) -> dict[str, int]:
    """Rows written by one create (flow 3) and one token call, counted from the SQL."""
    result = subprocess.run(
        [sys.executable, "bench/measure_writes.py", DEMO_KEY],
        cwd=ROOT,
        env={**env, "DJANGO_ALLOWED_HOSTS": "testserver"},
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(
    env: dict, port: int, *, workers: int | None, threads: int | None
) -> subprocess.Popen:
    """gunicorn as deployed (gunicorn.conf.py), unless workers or threads say otherwise."""
    overrides = []
    if workers:
        overrides += ["--workers", str(workers)]
    if threads:
        overrides += ["--threads", str(threads)]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "backoffice.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            *overrides,
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if Http(port).request("GET", "/healthz")[0] == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit("gunicorn did not start")


class Http:
    def __init__(self, port: int):
        self.port = port

    def request(
        self, method: str, path: str, body: dict | None = None, headers: dict | None = None
    ) -> tuple[int, float]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        data = json.dumps(body) if body is not None else None
        started = time.perf_counter()
        conn.request(
            method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})}
        )
        response = conn.getresponse()
        response.read()
        elapsed = time.perf_counter() - started
        conn.close()
        return response.status, elapsed


KEY = {"x-api-key": DEMO_KEY}
_counter = iter(range(10**9))
_counter_lock = threading.Lock()


def unique() -> int:
    with _counter_lock:
        return next(_counter)


def new_user_body() -> dict:
    n = unique()
    return {
        "firstName": "Bench",
        "lastName": f"User {n}",
        "email": f"u{n}@fwd{n}.example.com",
        "companyName": f"Bench Forwarder {n}",
        "countryCode": "DE",
    }


def activated_users(client: Http, count: int) -> list[str]:
    emails = []
    for n in range(count):
        email = f"bench.{n}@acme-cargo.de"
        body = {
            "firstName": "Bench",
            "lastName": f"Agent {n}",
            "email": email,
            "companyName": "ACME Cargo GmbH",
            "countryCode": "DE",
        }
        status, _ = client.request("POST", "/solutions/users", body, KEY)
        if status != 200:
            sys.exit(f"could not create the activated users (HTTP {status})")
        emails.append(email)
    return emails


# --- runs ---------------------------------------------------------------------------------------


def drive(clients: int, seconds: float, step) -> tuple[list, float]:
    """Call step() from `clients` threads for `seconds`; return every result and the wall time."""
    results: list = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def loop():
        mine = []
        while time.monotonic() < stop_at:
            mine.append(step())
        with lock:
            results.extend(mine)

    started = time.monotonic()
    threads = [threading.Thread(target=loop) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, time.monotonic() - started


SLICE_SECONDS = 2.0


def run_alternating(clients: int, seconds: float, calls: dict) -> dict[str, dict]:
    """Run each of calls for `seconds` from `clients` threads, in turns of SLICE_SECONDS, so
    that a call and the bare view it is compared with share the machine's slow and fast
    moments (on a shared machine its speed drifts by more than the differences measured).
    Returns throughput and latencies per call."""
    results: dict[str, list] = {name: [] for name in calls}
    walls = dict.fromkeys(calls, 0.0)
    for _ in range(max(1, round(seconds / SLICE_SECONDS))):
        for name, call in calls.items():
            done, wall = drive(clients, SLICE_SECONDS, call)
            results[name] += done
            walls[name] += wall
    return {name: summary(results[name], walls[name]) for name in calls}


def summary(results: list, wall: float) -> dict:
    latencies = sorted(elapsed for _, elapsed in results)
    return {
        "rps": len(latencies) / wall,
        "p50": 1000 * latencies[len(latencies) // 2],
        "p99": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "n": len(latencies),
        "errors": sum(status >= 400 for status, _ in results),
    }


def compare(client: Http, emails: list[str], writes: dict, levels: list[int], seconds: float):
    body = new_user_body()
    pairs = {
        "create": {
            "create": lambda: client.request("POST", "/solutions/users", new_user_body(), KEY),
            "bare create": lambda: client.request("POST", f"/bench/bare/{writes['create']}", body),
        },
        "token": {
            "token": lambda: client.request(
                "GET", f"/solutions/users?email={random.choice(emails)}", None, KEY
            ),
            "bare token": lambda: client.request("POST", f"/bench/bare/{writes['token']}", body),
        },
    }
    print(
        f"\n{'scenario':<12} {'clients':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'requests':>8} {'errors':>6}"
    )
    results = {}
    for clients in levels:
        for calls in pairs.values():
            for name, result in run_alternating(clients, seconds, calls).items():
                results[name, clients] = result
                print(
                    f"{name:<12} {clients:>7} {result['rps']:>8.1f} {result['p50']:>8.1f} "
                    f"{result['p99']:>8.1f} {result['n']:>8} {result['errors']:>6}"
                )
    print("\nthroughput against the bare view (target ≥ 60 %):")
    for clients in levels:
        create = results["create", clients]["rps"] / results["bare create", clients]["rps"]
        token = results["token", clients]["rps"] / results["bare token", clients]["rps"]
        print(f"  {clients:>2} clients: create {create:6.1%}   token {token:6.1%}")


def mixed_load(client: Http, emails: list[str], *, seconds: float, clients: int):
    """A day's traffic in miniature: tokens, creates, office additions, recognition, mistakes."""
    bearer = {"Authorization": f"Bearer {DEMO_KEY}"}

    def mix():
        roll = random.random()
        email = random.choice(emails)
        if roll < 0.40:
            return "token", 200, client.request("GET", f"/solutions/users?email={email}", None, KEY)
        if roll < 0.60:
            return "create", 200, client.request("POST", "/solutions/users", new_user_body(), KEY)
        if roll < 0.70:
            body = {
                "firstName": "Bench",
                "lastName": "Agent",
                "email": email,
                "companyName": "ACME Cargo GmbH",
                "offices": [{"countryCode": "DE", "officeAirportCode": "HAM"}],
            }
            return "add office", 200, client.request("PUT", "/solutions/users", body, KEY)
        if roll < 0.90:
            path = f"/api/v1/users/{email}/recognition?origin=HAM&destination=JFK"
            return "recognition", 200, client.request("GET", path, None, bearer)
        body = {**new_user_body(), "iataCode": "12ab"}
        return "bad input", 400, client.request("POST", "/solutions/users", body, KEY)

    def step():
        try:
            kind, expected, (status, elapsed) = mix()
        except OSError:
            return ("connection", False, 0.0)
        return (kind, status == expected, elapsed)

    outcomes, wall = drive(clients, seconds, step)
    failures = sum(not ok for _, ok, _ in outcomes)
    print(
        f"\nmixed load: {clients} clients for {wall:.0f} s, {len(outcomes)} requests, "
        f"{len(outcomes) / wall:.1f} req/s, unexpected answers {failures} "
        f"({failures / max(len(outcomes), 1):.3%}; target < 0.1 %)"
    )
    for kind in sorted({k for k, _, _ in outcomes}):
        times = sorted(t for k, _, t in outcomes if k == kind)
        print(
            f"  {kind:<12} {len(times):>7} requests  p50 {1000 * times[len(times) // 2]:7.1f} ms"
            f"  p99 {1000 * times[int(len(times) * 0.99)]:7.1f} ms"
        )


def print_memory(server: subprocess.Popen) -> None:
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    rss = []
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss.append(int(line.split()[1]) / 1024)
    if rss:
        print(
            f"\nmemory per web worker (RSS): {statistics.mean(rss):.0f} MiB average, "
            f"{max(rss):.0f} MiB max over {len(rss)} workers"
        )


if __name__ == "__main__":
    main()
