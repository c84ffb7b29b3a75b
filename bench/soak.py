"""Soak: vendors autosaving and buyers reading and downloading, through nginx + gunicorn over HTTPS.

    .venv/bin/python bench/soak.py [--minutes 3] [--vendors 12] [--buyers 2]

Runs the production set-up the tests run (tests/production/stack.py: Debian's nginx with the
shipped site file and a self-made certificate, gunicorn with deploy/gunicorn.conf.py, Redis for
the rate limits and the job queue, the job consumer) on loopback, bounded by --minutes. Each
vendor has its own link and session and autosaves one changed answer at a time, now and then
opening its section and review pages; each buyer logs in once and walks the dashboard, the
evaluation, a response, the comparison page, the exports and the comparison PDF (which a vendor's
save keeps making stale, so PDFs are rebuilt all the time). Prints p50/p99 per route, errors,
acknowledged autosaves the database does not hold at the end, and the resident memory of each
gunicorn worker and of the job consumer over time. Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import html
import http.client
import json
import multiprocessing
import re
import sqlite3
import ssl
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROCESSES = 4
WARM_UP = 15  # seconds after a process first shows before its memory counts as its baseline
ROUTE_PATTERNS = [
    (re.compile(r"^/v/[^/]+/s/[^/]+/autosave$"), "POST /v/<token>/s/<section>/autosave"),
    (re.compile(r"^/v/[^/]+/s/[^/]+$"), "GET /v/<token>/s/<section>"),
    (re.compile(r"^/v/[^/]+/review$"), "GET /v/<token>/review"),
    (re.compile(r"^/evaluations/\d+/vendors/\d+$"), "GET /evaluations/<id>/vendors/<id>"),
    (re.compile(r"^/evaluations/\d+/compare$"), "GET /evaluations/<id>/compare"),
    (re.compile(r"^/evaluations/\d+/report\.pdf$"), "GET /evaluations/<id>/report.pdf"),
    (re.compile(r"^/evaluations/\d+/report/status$"), "GET /evaluations/<id>/report/status"),
    (re.compile(r"^/evaluations/\d+/export\.csv$"), "GET /evaluations/<id>/export.csv"),
    (re.compile(r"^/evaluations/\d+/export\.json$"), "GET /evaluations/<id>/export.json"),
    (re.compile(r"^/evaluations/\d+$"), "GET /evaluations/<id>"),
    (re.compile(r"^/$"), "GET /"),
    (re.compile(r"^/login$"), "/login"),
]


def route_of(path: str) -> str:
    """The route a path belongs to, with tokens and ids replaced: latencies are grouped by it."""
    path = path.split("?")[0]
    for pattern, name in ROUTE_PATTERNS:
        if pattern.match(path):
            return name.split(" ")[-1]
    return path


class Client:
    """One browser-like client: a kept-alive HTTPS connection and a cookie jar of one session cookie."""

    def __init__(self, host: str, port: int, ca_file: str):
        self.host, self.port = host, port
        self.context = ssl.create_default_context(cafile=ca_file)
        self.conn: http.client.HTTPSConnection | None = None
        self.cookie = ""
        self.timings: dict[str, list[float]] = {}
        self.errors: dict[str, int] = {}
        self.statuses: dict[str, dict[int, int]] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, bytes, dict]:
        """One request; latency and any error are recorded under the path's route."""
        body = urllib.parse.urlencode(form).encode() if form is not None else None
        headers = {"Cookie": self.cookie, "Origin": f"https://{self.host}:{self.port}",
                   "Referer": f"https://{self.host}:{self.port}{path}"}  # fmt: skip
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        route = f"{method} {route_of(path)}"
        start = time.perf_counter()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPSConnection(self.host, self.port, context=self.context, timeout=60)
            self.conn.request(method, path, body=body, headers=headers)
            reply = self.conn.getresponse()
            data = reply.read()
        except (OSError, http.client.HTTPException):
            self.conn = None
            self.errors[route] = self.errors.get(route, 0) + 1
            return 0, b"", {}
        self.timings.setdefault(route, []).append((time.perf_counter() - start) * 1000)
        counts = self.statuses.setdefault(route, {})
        counts[reply.status] = counts.get(reply.status, 0) + 1
        cookie = reply.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";")[0]
        if reply.status >= 400 and reply.status != 404:
            self.errors[route] = self.errors.get(route, 0) + 1
        return reply.status, data, dict(reply.getheaders())


def csrf_of(page: bytes) -> str:
    """The CSRF token in a page's form."""
    return re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()


def vendor_loop(stack: dict, vendor: dict, deadline: float, out: list) -> None:
    """Autosave A2 until the deadline; every 20th save, open the section and the review page."""
    c = Client(stack["host"], stack["port"], stack["ca_file"])
    _, page, _ = c.request("GET", f"/v/{vendor['token']}/s/A")
    csrf = csrf_of(page)
    acked, n = None, 0
    while time.perf_counter() < deadline:
        n += 1
        value = n % 501
        form = {"csrf_token": csrf, "changed": "A2", "A2": str(value), "base_versions": "{}",
                "page_id": vendor["name"], "seq": str(time.time_ns() // 1000)}  # fmt: skip
        status, body, _ = c.request("POST", f"/v/{vendor['token']}/s/A/autosave", form)
        if status == 200 and "A2" in json.loads(body).get("saved", []):
            acked = value
        if n % 20 == 0:
            c.request("GET", f"/v/{vendor['token']}/s/B")
            c.request("GET", f"/v/{vendor['token']}/review")
    out.append(
        {"timings": c.timings, "errors": c.errors, "statuses": c.statuses, "acked": (vendor["response_id"], acked)}
    )


def buyer_loop(stack: dict, evaluation_id: int, vendor_ids: list[int], deadline: float, out: list) -> None:
    """Log in, then walk the buyer's pages and downloads until the deadline."""
    c = Client(stack["host"], stack["port"], stack["ca_file"])
    _, page, _ = c.request("GET", "/login")
    c.request("POST", "/login", {"csrf_token": csrf_of(page), "email": stack["email"], "password": stack["password"]})
    e = f"/evaluations/{evaluation_id}"
    i, waiting = 0, None
    while time.perf_counter() < deadline:
        i += 1
        for path in ("/", e, f"{e}/vendors/{vendor_ids[i % len(vendor_ids)]}", f"{e}/compare", f"{e}/export.csv"):
            c.request("GET", path)
        if i % 5 == 0:
            c.request("GET", f"{e}/export.json")
        # The PDF as a browser gets it: the progress page (202) reloads itself onto its own URL
        # until that answers with the PDF; a new download starts once the last one arrived.
        status, page, _ = c.request("GET", waiting or f"{e}/report.pdf")
        if status == 202:
            waiting = html.unescape(re.search(rb'content="2; url=([^"]+)"', page)[1].decode())
            c.request("GET", f"{e}/report/status")
        else:
            waiting = None
        time.sleep(0.5)  # a person reading
    out.append({"timings": c.timings, "errors": c.errors, "statuses": c.statuses, "acked": None})


def _process(stack: dict, jobs: list[tuple], deadline: float) -> list:
    out: list = []
    threads = []
    for kind, args in jobs:
        target = vendor_loop if kind == "vendor" else buyer_loop
        threads.append(threading.Thread(target=target, args=(stack, *args, deadline, out)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MB, from /proc (None once it has gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def children(pid: int) -> list[int]:
    """The direct children of a process (gunicorn's workers of its master)."""
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(p) for p in found]


def sample_memory(stack: dict, deadline: float, every: float, samples: list) -> None:
    """Every `every` seconds until the deadline: (seconds since start, {process name: RSS MB})."""
    start = time.perf_counter()
    while True:
        row = {f"worker {pid}": rss_mb(pid) for pid in children(stack["gunicorn_pid"])}
        if stack.get("jobs_pid"):
            row["job consumer"] = rss_mb(stack["jobs_pid"])
        samples.append((time.perf_counter() - start, row))
        if time.perf_counter() >= deadline:
            return
        time.sleep(min(every, max(deadline - time.perf_counter(), 0)))


def lost_writes(database: str, acked: list[tuple[int, int | None]]) -> int:
    """Acknowledged autosaves whose value the database does not hold at the end."""
    conn = sqlite3.connect(database)
    try:
        lost = 0
        for response_id, value in acked:
            if value is None:
                continue
            row = conn.execute(
                "SELECT value FROM answers WHERE response_id = ? AND question_id = 'A2'", [response_id]
            ).fetchone()
            lost += int(row is None or json.loads(row[0]) != value)
        return lost
    finally:
        conn.close()


def invite_vendors(database: str, count: int) -> tuple[int, list[dict]]:
    """`count` freshly invited vendors on the demo evaluation: (evaluation id, [{name, token, response_id}])."""
    from stagefour import evaluations
    from stagefour import store

    db = store.open_db(database)
    try:
        evaluation_id = store.list_evaluations(db)[0]["id"]
        vendors = []
        for i in range(count):
            vendor_id, token = evaluations.invite(db, evaluation_id, f"Soak vendor {i}", None, "bench")
            response_id = store.get_vendor(db, vendor_id)["response_id"]
            vendors.append({"name": f"soak-{i}", "token": token, "response_id": response_id, "vendor_id": vendor_id})
        return evaluation_id, vendors
    finally:
        db.close()


def percentile(values: list[float], q: float) -> float:
    """The q-th quantile of values (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def soak(stack: dict, minutes: float, vendors: int, buyers: int) -> None:
    """Run the load for `minutes` against a running stack and print the figures."""
    evaluation_id, invited = invite_vendors(stack["database"], vendors)
    vendor_ids = [v["vendor_id"] for v in invited]
    jobs = [("vendor", (v,)) for v in invited] + [("buyer", (evaluation_id, vendor_ids)) for _ in range(buyers)]
    shares = [jobs[i::PROCESSES] for i in range(PROCESSES)]
    seconds = minutes * 60
    deadline = time.perf_counter() + seconds
    samples: list = []
    sampler = threading.Thread(target=sample_memory, args=(stack, deadline, max(seconds / 24, 2), samples))
    sampler.start()
    with multiprocessing.get_context("fork").Pool(PROCESSES) as pool:
        results = [r for part in pool.starmap(_process, [(stack, s, deadline) for s in shares]) for r in part]
    sampler.join()
    timings: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    statuses: dict[str, dict[int, int]] = {}
    for r in results:
        for route, counts in r["statuses"].items():
            for status, count in counts.items():
                statuses.setdefault(route, {})[status] = statuses.get(route, {}).get(status, 0) + count
        for route, values in r["timings"].items():
            timings.setdefault(route, []).extend(values)
        for route, count in r["errors"].items():
            errors[route] = errors.get(route, 0) + count
    lost = lost_writes(stack["database"], [r["acked"] for r in results if r["acked"]])
    print(f"soak: {minutes:g} min, {vendors} vendors autosaving, {buyers} buyers, through {stack['url']}")
    print(f"{'route':<44}{'requests':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}  statuses")
    for route in sorted(timings, key=lambda r: -len(timings[r])):
        values = timings[route]
        seen = ", ".join(f"{status}×{count}" for status, count in sorted(statuses[route].items()))
        print(f"{route:<44}{len(values):>9}{statistics.median(values):>9.1f}{percentile(values, 0.99):>9.1f}"
              f"{errors.get(route, 0):>8}  {seen}")  # fmt: skip
    print(f"errors: {sum(errors.values())}   lost acknowledged autosaves: {lost}")
    names = sorted({name for _, row in samples for name in row})
    print("resident memory (MB) over time:")
    print(f"{'t (s)':>7}  " + "  ".join(f"{n:>14}" for n in names))
    for t, row in samples:
        print(f"{t:>7.0f}  " + "  ".join(f"{row.get(n) or 0:>14.1f}" for n in names))
    # Growth of each process from its first sample taken WARM_UP seconds after it appeared (a worker
    # forked by gunicorn's max_requests starts small and loads the app on its first requests) to its
    # last one; a process that lived less than that is left out.
    for n in names:
        lived = [(t, row[n]) for t, row in samples if row.get(n)]
        warm = [(t, mb) for t, mb in lived if t >= lived[0][0] + WARM_UP]
        if len(warm) >= 2:
            first, last = warm[0][1], warm[-1][1]
            print(f"{n}: {first:.1f} → {last:.1f} MB over {warm[-1][0] - warm[0][0]:.0f} s "
                  f"(growth {last - first:+.1f} MB, peak {max(mb for _, mb in lived):.1f})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3)
    parser.add_argument("--vendors", type=int, default=12)
    parser.add_argument("--buyers", type=int, default=2)
    args = parser.parse_args()
    from tests.production.stack import running_stack

    with tempfile.TemporaryDirectory() as tmp, running_stack(Path(tmp)) as running:
        email, password = running.credentials()
        stack = {
            "url": running.base,
            "host": "127.0.0.1",
            "port": running.https_port,
            "ca_file": running.certificate,  # the client trusts exactly the set-up's own certificate
            "email": email,
            "password": password,
            "database": running.database,
            "gunicorn_pid": running.gunicorn_pid,
            "jobs_pid": running.jobs_pid,
        }
        soak(stack, args.minutes, args.vendors, args.buyers)


if __name__ == "__main__":
    main()
