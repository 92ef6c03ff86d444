"""Throughput and latency of the partner API's create and login-token calls under gunicorn and
PostgreSQL, next to bare views that read and write the same rows with hand-written SQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/api_load.py
    DATABASE_URL=… python bench/api_load.py --levels 1,8 --seconds 3   # a quick look
    DATABASE_URL=… python bench/api_load.py --mixed 600                # ten minutes of mixed calls

DATABASE_URL names the server. The benchmark creates a database of its own with a unique name
(bench_<pid>_<random>) and drops that one at the end; with BENCH_DB=<name> it uses that
existing database instead and drops nothing. It migrates the database and seeds it through
manage.py only (`migrate`, `seed_demo --force`, `create_api_key`), starts gunicorn as deployed
(gunicorn.conf.py) on bench/urls.py — the product plus the bare views — and drives it over
HTTP from client threads on this machine. A redis-server of its own on a free port stands in
as the broker, as in production: requests write outbox rows and publish nothing (the run
reports how many commands that broker received); no worker runs.

Before measuring it checks that each bare view writes as many rows into each table as the
call beside it (rows whose version a call created, counted per table). Then, for each client
count, it runs the call and its bare view in alternating turns, so that both see the same
moments of a shared machine, and does so --runs times (3): each figure printed is the median
of those runs, and each ratio the median of the runs' ratios. The floors of issue 15 are
printed as met or missed; nothing here asserts a timing.
"""

import argparse
import http.client
import json
import os
import random
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
# At 8 clients: a call's throughput against its bare view's, and its p99 latency (issue 15).
FLOORS = {"create": 0.25, "token": 0.30}
P99_CEILING_MS = 50.0
FLOOR_CLIENTS = 8


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", default="1,8", help="client counts (default 1,8)")
    parser.add_argument(
        "--seconds", type=float, default=10.0, help="per call, client count and run (default 10)"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs whose median is shown (3)")
    parser.add_argument(
        "--turn", type=float, default=1.0, help="length of one alternating turn (default 1 s)"
    )
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

    server_url = os.environ.get("DATABASE_URL", "")
    if not server_url.startswith(("postgres://", "postgresql://")):
        sys.exit("DATABASE_URL must point at a PostgreSQL server")
    if not shutil.which("redis-server"):
        sys.exit("redis-server is not installed: the benchmark runs a broker of its own")

    with BenchDatabase(server_url) as db_url, Redis() as broker:
        env = {
            **os.environ,
            "DATABASE_URL": db_url,
            "CELERY_BROKER_URL": broker.url,
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
        key = seed(env)
        port = free_port()
        server = start_gunicorn(env, port, workers=args.workers, threads=args.threads)
        try:
            client = Client(port, key)
            emails = activated_users(client, count=200)
            if args.mixed:
                mixed_load(client, emails, seconds=args.mixed, clients=args.mixed_clients)
            else:
                fair = check_rows(client, emails, db_url)
                compare(client, emails, args, fair=fair)
            print_memory(server)
            print(f"\nbroker: {broker.commands()} commands received (requests publish nothing)")
        finally:
            server.terminate()
            server.wait(timeout=30)


# --- set-up -------------------------------------------------------------------------------------


class BenchDatabase:
    """BENCH_DB if set (used as it is, never dropped); else a new database with a unique name,
    dropped on the way out."""

    def __init__(self, server_url: str):
        self.server_url = server_url
        self.name = os.environ.get("BENCH_DB", "")
        self.owned = not self.name

    def __enter__(self) -> str:
        if self.owned:
            self.name = f"bench_{os.getpid()}_{secrets.token_hex(4)}"
            with psycopg.connect(self.server_url, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.name}"')
        print(f"database: {self.name}{'' if self.owned else ' (BENCH_DB, kept)'}")
        return urlsplit(self.server_url)._replace(path=f"/{quote(self.name)}").geturl()

    def __exit__(self, *exc_info):
        if self.owned:
            with psycopg.connect(self.server_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            print(f"dropped {self.name}")


class Redis:
    """A redis-server of the benchmark's own, on a free port, keeping nothing on disk."""

    def __enter__(self) -> "Redis":
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                self.commands()
                return self
            except OSError:
                time.sleep(0.1)
        self.process.terminate()
        sys.exit("redis-server did not start")

    def commands(self) -> int:
        """Commands the server has processed, not counting these questions."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
            sock.sendall(b"INFO stats\r\n")
            reply = sock.recv(65536)
            header, _, reply = reply.partition(b"\r\n")
            while len(reply) < int(header[1:]):
                reply += sock.recv(65536)
        self.asked += 1
        for line in reply.decode().splitlines():
            if line.startswith("total_commands_processed:"):
                return int(line.split(":")[1]) - (self.asked - 1)
        raise OSError("no answer from redis-server")

    asked = 0

    def __exit__(self, *exc_info):
        self.process.terminate()
        self.process.wait(timeout=10)


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


def seed(env: dict) -> str:
    """Migrate, load the demo data (a forwarder whose domain and CASS office are known, for
    accounts that are activated at once) and issue a key to a partner of the benchmark's own.
    Returns the key."""
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "seed_demo", "--force")
    issued = manage(env, "create_api_key", "Bench partner", "--create-partner", "--name", "bench")
    return issued.strip().splitlines()[-1]


def free_port() -> int:
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
            if Client(port, "").request("GET", "/healthz")[0] == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit("gunicorn did not start")


class Client:
    def __init__(self, port: int, key: str):
        self.port = port
        self.key = {"x-api-key": key}

    def request(
        self, method: str, path: str, body: dict | None = None, headers: dict | None = None
    ) -> tuple[int, float, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        data = json.dumps(body) if body is not None else None
        started = time.perf_counter()
        conn.request(
            method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})}
        )
        response = conn.getresponse()
        content = response.read()
        elapsed = time.perf_counter() - started
        conn.close()
        return response.status, elapsed, content

    def create(self) -> tuple[int, float, bytes]:
        return self.request("POST", "/solutions/users", new_user_body(), self.key)

    def bare_create(self) -> tuple[int, float, bytes]:
        return self.request("POST", "/bench/bare/create", new_user_body(), self.key)

    def token(self, email: str) -> tuple[int, float, bytes]:
        return self.request("GET", f"/solutions/users?email={quote(email)}", None, self.key)

    def bare_token(self, email: str) -> tuple[int, float, bytes]:
        return self.request("GET", f"/bench/bare/token?email={quote(email)}", None, self.key)


_counter = iter(range(10**9))
_counter_lock = threading.Lock()


def new_user_body() -> dict:
    """A flow-3 create: an unknown domain and no CASS data (pending, awaiting details)."""
    with _counter_lock:
        n = next(_counter)
    return {
        "firstName": "Bench",
        "lastName": f"User {n}",
        "email": f"u{n}.{os.getpid()}@fwd{n}.example.com",
        "companyName": f"Bench Forwarder {n}",
        "countryCode": "DE",
    }


def activated_users(client: Client, count: int) -> list[str]:
    """Accounts of the demo forwarder (known domain, CASS office in DE), activated at once."""
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
        status, _, content = client.request("POST", "/solutions/users", body, client.key)
        if status != 200 or json.loads(content).get("status") != "Activated":
            sys.exit(f"could not create an activated user: HTTP {status} {content[:200]!r}")
        emails.append(email)
    return emails


# --- fairness -----------------------------------------------------------------------------------


def rows_written(db_url: str, call) -> dict[str, int]:
    """Rows per table whose current version the call wrote (inserted or updated), from the
    rows' xmin against a transaction id drawn just before the call."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        (marker,) = conn.execute("SELECT txid_current() % 4294967296").fetchone()
        status, _, content = call()
        if status != 200:
            sys.exit(f"probe failed: HTTP {status} {content[:200]!r}")
        counts = {}
        for table in tables:
            (count,) = conn.execute(
                f'SELECT count(*) FROM "{table}" WHERE age(xmin) < age(%s::text::xid)', [marker]
            ).fetchone()
            if count:
                counts[table] = count
        return counts


def check_rows(client: Client, emails: list[str], db_url: str) -> bool:
    """Print what one call and its bare view write; True when they write alike."""
    # A first call of each kind, so that what a key's first use writes once is not counted.
    client.create()
    client.bare_create()
    client.token(emails[0])
    client.bare_token(emails[0])
    fair = True
    print("\nrows written per call (table: call / bare view):")
    for name, call, bare in (
        ("create", client.create, client.bare_create),
        ("token", lambda: client.token(emails[1]), lambda: client.bare_token(emails[1])),
    ):
        real, minimum = rows_written(db_url, call), rows_written(db_url, bare)
        print(f"  {name}: {sum(real.values())} rows / {sum(minimum.values())} rows")
        for table in sorted(real.keys() | minimum.keys()):
            mark = "" if real.get(table) == minimum.get(table) else "   <- differs"
            print(f"    {table:<32} {real.get(table, 0)} / {minimum.get(table, 0)}{mark}")
            fair = fair and not mark
    if not fair:
        print("  the bare views no longer write what the calls write: update bench/urls.py")
    return fair


# --- runs ---------------------------------------------------------------------------------------


def drive(clients: int, seconds: float, step) -> tuple[list, float]:
    """Call step() from `clients` threads for `seconds`; return every (status, seconds, …) it
    returned and the wall time."""
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


def run_alternating(clients: int, seconds: float, turn: float, calls: dict) -> dict[str, dict]:
    """Each of calls for `seconds` from `clients` threads, in alternating turns, so that a call
    and the bare view it is compared with share the machine's slow and fast moments."""
    results: dict[str, list] = {name: [] for name in calls}
    walls = dict.fromkeys(calls, 0.0)
    for _ in range(max(1, round(seconds / turn))):
        for name, call in calls.items():
            done, wall = drive(clients, turn, call)
            results[name] += done
            walls[name] += wall
    return {name: summary(results[name], walls[name]) for name in calls}


def summary(results: list, wall: float) -> dict:
    latencies = sorted(elapsed for _, elapsed, _ in results)
    return {
        "rps": len(latencies) / wall,
        "p50": 1000 * latencies[len(latencies) // 2],
        "p99": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "n": len(latencies),
        "errors": sum(status >= 400 for status, _, _ in results),
    }


def compare(client: Client, emails: list[str], args, *, fair: bool) -> None:
    levels = [int(n) for n in args.levels.split(",")]
    pairs = {
        "create": {"create": client.create, "bare create": client.bare_create},
        "token": {
            "token": lambda: client.token(random.choice(emails)),
            "bare token": lambda: client.bare_token(random.choice(emails)),
        },
    }
    print(
        f"\n{args.runs} runs; per run, each call {args.seconds:g} s per client count in turns of "
        f"{args.turn:g} s\n\n{'run':>3} {'clients':>7} {'call':<12} {'req/s':>8} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'requests':>8} {'errors':>6} {'of bare':>8}"
    )
    runs: dict[tuple[str, int], list[dict]] = {}
    for run in range(1, args.runs + 1):
        for clients in levels:
            for scenario, calls in pairs.items():
                results = run_alternating(clients, args.seconds, args.turn, calls)
                bare = results[f"bare {scenario}"]
                for name, result in results.items():
                    result["ratio"] = result["rps"] / bare["rps"] if bare["rps"] else 0.0
                    runs.setdefault((name, clients), []).append(result)
                    ratio = f"{result['ratio']:8.1%}" if name == scenario else ""
                    print(
                        f"{run:>3} {clients:>7} {name:<12} {result['rps']:>8.1f} "
                        f"{result['p50']:>8.1f} {result['p99']:>8.1f} {result['n']:>8} "
                        f"{result['errors']:>6} {ratio}"
                    )

    def median(name: str, clients: int, field: str) -> float:
        return statistics.median(result[field] for result in runs[name, clients])

    print(
        f"\nmedian of {args.runs} runs\n{'clients':>7} {'call':<12} {'req/s':>8} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'errors':>6} {'of bare':>8}"
    )
    for clients in levels:
        for calls in pairs.values():
            for name in calls:
                errors = sum(result["errors"] for result in runs[name, clients])
                ratio = f"{median(name, clients, 'ratio'):8.1%}" if name in pairs else ""
                print(
                    f"{clients:>7} {name:<12} {median(name, clients, 'rps'):>8.1f} "
                    f"{median(name, clients, 'p50'):>8.1f} {median(name, clients, 'p99'):>8.1f} "
                    f"{errors:>6} {ratio}"
                )

    print(f"\nfloors at {FLOOR_CLIENTS} clients (issue 15):")
    if FLOOR_CLIENTS not in levels:
        print(f"  not measured: --levels must include {FLOOR_CLIENTS}")
        return
    for name, floor in FLOORS.items():
        ratio = median(name, FLOOR_CLIENTS, "ratio")
        p99 = median(name, FLOOR_CLIENTS, "p99")
        errors = sum(result["errors"] for result in runs[name, FLOOR_CLIENTS])
        print(
            f"  {name:<6} {ratio:6.1%} of bare (floor {floor:.0%}): "
            f"{'met' if ratio >= floor else 'missed'};  p99 {p99:.1f} ms "
            f"(ceiling {P99_CEILING_MS:.0f} ms): {'met' if p99 <= P99_CEILING_MS else 'missed'}"
            + (f";  {errors} errors: the run does not count" if errors else "")
        )
    if not fair:
        print("  the bare views wrote other rows than the calls (above): the ratios do not count")


def mixed_load(client: Client, emails: list[str], *, seconds: float, clients: int):
    """A day's traffic in miniature: tokens, creates, office additions, recognition, mistakes."""
    bearer = {"Authorization": f"Bearer {client.key['x-api-key']}"}

    def mix():
        roll = random.random()
        email = random.choice(emails)
        if roll < 0.40:
            return "token", 200, client.token(email)
        if roll < 0.60:
            return "create", 200, client.create()
        if roll < 0.70:
            body = {
                "firstName": "Bench",
                "lastName": "Agent",
                "email": email,
                "companyName": "ACME Cargo GmbH",
                "offices": [{"countryCode": "DE", "officeAirportCode": "HAM"}],
            }
            return "add office", 200, client.request("PUT", "/solutions/users", body, client.key)
        if roll < 0.90:
            path = f"/api/v1/users/{email}/recognition?origin=HAM&destination=JFK"
            return "recognition", 200, client.request("GET", path, None, bearer)
        body = {**new_user_body(), "iataCode": "12ab"}
        return "bad input", 400, client.request("POST", "/solutions/users", body, client.key)

    def step():
        try:
            kind, expected, (status, elapsed, _) = mix()
        except OSError:
            return 0, 0.0, ("connection", False)
        return status, elapsed, (kind, status == expected)

    results, wall = drive(clients, seconds, step)
    outcomes = [(kind, ok, elapsed) for _, elapsed, (kind, ok) in results]
    failures = sum(not ok for _, ok, _ in outcomes)
    print(
        f"\nmixed load: {clients} clients for {wall:.0f} s, {len(outcomes)} requests, "
        f"{len(outcomes) / wall:.1f} req/s, unexpected answers {failures} "
        f"({failures / max(len(outcomes), 1):.3%})"
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
