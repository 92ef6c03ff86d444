"""The scale-out run's partner calls, sent alternately to the two web instances
(bench/scale_out.py)."""

import http.client
import json
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

from scale_out_data import KNOWN_DOMAIN


def http_call(port: int, method: str, path: str, *, key: str, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    auth = {"x-api-key": key} if path.startswith("/solutions/") else {}
    if path.startswith("/api/"):
        auth = {"Authorization": f"Bearer {key}"}
    data = json.dumps(body) if body is not None else None
    sent = {**auth, **(headers or {})}
    if data is not None:
        sent["Content-Type"] = "application/json"
    try:
        conn.request(method, path, data, sent)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def http_get(port: int, path: str, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def person(email: str, company: str, **extra) -> dict:
    return {
        "firstName": "Sam",
        "lastName": "Scale",
        "email": email,
        "companyName": company,
        **extra,
    }


def drive(ports: list[int], keys: dict, *, calls: int, clients: int) -> list[dict]:
    """Creates first (a third of the calls), then the calls on the accounts they made."""
    results: list[dict] = []
    lock = threading.Lock()
    turn = iter(range(10**9))

    def call(op: str, method: str, path: str, *, key: str, expect: set[int], **kwargs):
        port = ports[next(turn) % 2]
        started = time.perf_counter()
        status, body = http_call(port, method, path, key=key, **kwargs)
        result = {
            "op": op,
            "port": port,
            "status": status,
            "seconds": time.perf_counter() - started,
            "ok": status in expect,
        }
        if not result["ok"]:
            result["body"] = body[:300].decode(errors="replace")
        with lock:
            results.append(result)
        return status, body

    def at_both_at_once(*requests):
        barrier = threading.Barrier(len(requests))

        def one(args):
            op, method, path, kwargs = args
            barrier.wait()
            return call(op, method, path, **kwargs)

        with ThreadPoolExecutor(len(requests)) as pool:
            return list(pool.map(one, requests))

    a, b = keys["a"], keys["b"]
    users = "/solutions/users"
    creates = max(calls // 3, 12)
    activated, pending = [], []

    def create(n: int):
        kind = n % 4
        if kind == 0:  # flow 3: a domain of its own, no CASS: completion link by email
            email = f"f3-{n}@forwarder{n}.example.com"
            call(
                "compat create (new domain)",
                "POST",
                users,
                key=a,
                expect={200},
                body=person(email, f"Forwarder {n}", countryCode="FR"),
            )
            pending.append(email)
        elif kind == 1:  # flow 1: the directory's domain, office in the country: welcome
            email = f"f1-{n}@{KNOWN_DOMAIN}"
            call(
                "compat create (known domain)",
                "POST",
                users,
                key=a,
                expect={200},
                body=person(email, "Scale Cargo GmbH", countryCode="DE"),
            )
            activated.append(email)
        elif kind == 2:  # the same create at both instances at once: one account, one email
            email = f"dup-{n}@{KNOWN_DOMAIN}"
            body = person(email, "Scale Cargo GmbH", countryCode="DE")
            kwargs = {"key": a, "expect": {200, 400}, "body": body}
            answers = at_both_at_once(
                ("compat create twice at once", "POST", users, kwargs),
                ("compat create twice at once", "POST", users, kwargs),
            )
            if sorted(status for status, _ in answers) != [200, 400]:
                with lock:
                    results.append(
                        {
                            "op": "duplicate create answered once",
                            "ok": False,
                            "status": 0,
                            "port": 0,
                            "seconds": 0,
                        }
                    )
            activated.append(email)
        else:  # v1 with an Idempotency-Key, replayed at the other instance at once
            email = f"v1-{n}@forwarder{n}.example.org"
            kwargs = {
                "key": b,
                "expect": {201},
                "body": person(email, f"Forwarder {n}", countryCode="NL"),
                "headers": {"Idempotency-Key": f"create-{n}"},
            }
            at_both_at_once(
                ("v1 create, key replayed", "POST", "/api/v1/users", kwargs),
                ("v1 create, key replayed", "POST", "/api/v1/users", kwargs),
            )

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(create, range(creates)))

    rest = calls - len(results)
    rng = random.Random(7)

    def follow_up(n: int):
        kind = n % 6
        if kind == 0 and activated:
            email = rng.choice(activated)
            call(
                "compat token", "GET", f"{users}?{urlencode({'email': email})}", key=a, expect={200}
            )
        elif kind == 1 and activated:
            email = activated[n % len(activated)]
            office = {"countryCode": "DE", "officeAirportCode": rng.choice(["FRA", "MUC", "BER"])}
            call(
                "compat add offices",
                "PUT",
                users,
                key=a,
                expect={200},
                body=person(email, "Scale Cargo GmbH", offices=[office]),
            )
        elif kind == 2 and pending:
            email = pending[n % len(pending)]
            call(
                "compat delete",
                "DELETE",
                f"{users}?{urlencode({'email': email})}",
                key=a,
                expect={200, 400},
            )
        elif kind == 3 and activated:
            # Partner B asks for an account partner A brought: a consent email, once.
            email = activated[n % len(activated)]
            call(
                "compat create (another partner's account)",
                "POST",
                users,
                key=b,
                expect={200, 400},
                body=person(email, "Scale Cargo GmbH", countryCode="DE"),
            )
        elif kind == 4:
            call("v1 list", "GET", "/api/v1/users?status=pending", key=b, expect={200})
        else:
            email = rng.choice(activated or ["nobody@example.com"])
            call("v1 get", "GET", f"/api/v1/users/{email}", key=a, expect={200, 404})

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(follow_up, range(max(rest, 0))))
    return results
