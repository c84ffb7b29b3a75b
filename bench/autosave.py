"""Autosaves per second under gunicorn with 16 concurrent clients, against a bare one-row INSERT.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/autosave.py [--clients 16] [--seconds 5] [--rounds 3]

Target (issue 6): autosave ≥ 0.5 × a bare one-row INSERT endpoint served by the same gunicorn
(2 sync workers, 127.0.0.1, bench/autosave_app.py), 0 errors, 0 lost acknowledged writes.
Each client is one vendor with its own link, session and CSRF token, posting to its section A's
autosave one changed answer (A2) at a time, each value different from the last, as fast as the
server answers. A save counts as acknowledged when the reply is 200 and lists A2 as saved; at
the end, each vendor's stored A2 must be the last value acknowledged to it, and the INSERT table
must hold exactly the acknowledged rows. Clients are Python threads spread over 4 processes,
the same client for both endpoints; rounds alternate the two, bounded by --seconds; medians.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PROCESSES = 4


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port: int, method: str, path: str, body: bytes = b"", headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        reply = conn.getresponse()
        return reply.status, reply.getheader("Set-Cookie") or "", reply.read()
    finally:
        conn.close()


def _client(port: int, kind: str, client: dict, deadline: float, out: list) -> None:
    """Post saves until the deadline; append (latencies, errors, acknowledged, last value acknowledged)."""
    latencies, errors, acked, last = [], 0, 0, None
    # seq orders one page's saves and must keep growing across runs, hence the clock (µs)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": client.get("cookie", "")}
    n = 0
    while time.perf_counter() < deadline:
        n += 1
        value = n % 501  # 0..500 is valid for A2; each value differs from the one before
        if kind == "autosave":
            path = f"/v/{client['token']}/s/A/autosave"
            form = {"csrf_token": client["csrf"], "changed": "A2", "A2": str(value), "base_versions": "{}",
                    "page_id": client["name"], "seq": str(time.time_ns() // 1000)}  # fmt: skip
        else:
            path = "/bench/insert"
            form = {"client": client["name"], "value": str(value)}
        start = time.perf_counter()
        try:
            status, _, body = request(port, "POST", path, urllib.parse.urlencode(form).encode(), headers)
        except OSError:
            errors += 1
            continue
        latencies.append((time.perf_counter() - start) * 1000)
        if status != 200:
            errors += 1
            continue
        if kind == "insert" or "A2" in json.loads(body).get("saved", []):
            acked += 1
            last = value
        else:
            errors += 1  # a 200 that did not save the answer: never expected here
    out.append((client["name"], latencies, errors, acked, last))


def _process(port: int, kind: str, clients: list[dict], deadline: float) -> list:
    out: list = []
    threads = [threading.Thread(target=_client, args=(port, kind, c, deadline, out)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def run(port: int, kind: str, clients: list[dict], seconds: float) -> dict:
    """One bounded run of all clients against one endpoint."""
    deadline = time.perf_counter() + seconds  # perf_counter is system-wide on Linux (CLOCK_MONOTONIC)
    shares = [clients[i::PROCESSES] for i in range(PROCESSES)]
    with multiprocessing.get_context("fork").Pool(PROCESSES) as pool:
        results = [r for part in pool.starmap(_process, [(port, kind, s, deadline) for s in shares]) for r in part]
    latencies = sorted(x for r in results for x in r[1])
    return {
        "rate": sum(r[3] for r in results) / seconds,
        "errors": sum(r[2] for r in results),
        "acked": {r[0]: (r[3], r[4]) for r in results},
        "p50": latencies[len(latencies) // 2] if latencies else float("nan"),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else float("nan"),
    }


def setup(tmp: str, count: int) -> list[dict]:
    """The demo data and `count` freshly invited vendors: [{name, token, response_id}]."""
    from app import create_app
    from stagefour import evaluations
    from stagefour import store

    app = create_app({"SECRET_KEY": "bench", "DATABASE": f"{tmp}/db.sqlite3", "UPLOAD_FOLDER": f"{tmp}/uploads"})
    app.test_cli_runner().invoke(args=["demo"])
    db = store.open_db(app.config["DATABASE"])
    evaluation_id = store.list_evaluations(db)[0]["id"]
    clients = []
    for i in range(count):
        vendor_id, token = evaluations.invite(db, evaluation_id, f"Bench vendor {i}", None, "bench")
        response_id = store.get_vendor(db, vendor_id)["response_id"]
        clients.append({"name": f"client-{i}", "token": token, "response_id": response_id})
    db.close()
    return clients


def lost_writes(database: str, kind: str, clients: list[dict], acked: dict) -> int:
    """Acknowledged writes the database does not hold."""
    conn = sqlite3.connect(database)
    try:
        lost = 0
        for c in clients:
            count, last = acked.get(c["name"], (0, None))
            if kind == "autosave":
                row = conn.execute(
                    "SELECT value FROM answers WHERE response_id = ? AND question_id = 'A2'", [c["response_id"]]
                ).fetchone()
                lost += int(last is not None and (row is None or json.loads(row[0]) != last))
            else:
                (stored,) = conn.execute("SELECT COUNT(*) FROM bench_inserts WHERE client = ?", [c["name"]]).fetchone()
                lost += max(count - stored, 0)
        return lost
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clients = setup(tmp, args.clients)
        database = f"{tmp}/db.sqlite3"
        env = dict(os.environ, BENCH_DATABASE=database, BENCH_UPLOADS=f"{tmp}/uploads")
        port = free_port()
        server = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning",
             "bench.autosave_app:app"],
            cwd=ROOT,
            env=env,
        )  # fmt: skip
        try:
            for _ in range(100):
                try:
                    request(port, "GET", "/login")
                    break
                except OSError:
                    time.sleep(0.1)
            if server.poll() is not None:
                raise SystemExit("gunicorn did not start")
            for c in clients:  # each vendor opens its section once: session cookie and CSRF token
                _, cookie, page = request(port, "GET", f"/v/{c['token']}/s/A")
                c["cookie"] = cookie.split(";")[0]
                c["csrf"] = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
            print(f"{args.clients} clients ({PROCESSES} processes), gunicorn 2 sync workers, {args.seconds:g} s a run")
            run(port, "autosave", clients, 1)  # warm-up
            run(port, "insert", clients, 1)
            results: dict[str, list[dict]] = {"autosave": [], "insert": []}
            for _ in range(args.rounds):
                for kind in results:
                    r = run(port, kind, clients, args.seconds)
                    r["lost"] = lost_writes(database, kind, clients, r["acked"])
                    results[kind].append(r)
        finally:
            server.terminate()
            server.wait()
    med = {}
    for kind, rs in results.items():
        med[kind] = statistics.median(r["rate"] for r in rs)
        rounds = ", ".join(f"{r['rate']:.0f}" for r in rs)
        print(
            f"{kind:<9}{med[kind]:>8.0f} saves/s   p50 {statistics.median(r['p50'] for r in rs):6.1f} ms"
            f"   p99 {statistics.median(r['p99'] for r in rs):6.1f} ms   errors {sum(r['errors'] for r in rs)}"
            f"   lost {sum(r['lost'] for r in rs)}   (rounds: {rounds})"
        )
    print(f"ratio autosave / bare INSERT: {med['autosave'] / med['insert']:.2f}  (target ≥ 0.5; errors and lost: 0)")


if __name__ == "__main__":
    main()
