"""Requests per second of a vendor section page under gunicorn, against two ceilings.

    .venv/bin/pip install -e '.[bench]'; apt-get install wrk
    .venv/bin/python bench/vendor_page.py [--section B] [--seconds 3] [--rounds 9]

Target (DESIGN.md): the page at least 0.8 × a plain Jinja template writing the same HTML,
under the same gunicorn (2 sync workers); also printed: the ratio to the same bytes from
memory. Load comes from wrk on 127.0.0.1 only, 16 connections, bounded by --seconds.
Each round runs the three URLs back to back (each first in turn); the ratios printed are the
medians of the per-round ratios, which drift on a noisy machine moves far less than the rates.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrk(url: str, seconds: int, cookie: str = "") -> tuple[float, int]:
    """Requests per second, and requests made."""
    headers = ["-H", f"Cookie: {cookie}"] if cookie else []
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", *headers, url], capture_output=True, text=True, check=True
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} error responses\n{out}")
    done = int(re.search(r"(\d+) requests in", out).group(1))
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), done


TICK = os.sysconf("SC_CLK_TCK")


def workers_cpu(master: int) -> float:
    """CPU seconds (user + system) used so far by the gunicorn master's workers (Linux /proc)."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    total = 0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / TICK


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--section", default="B", help="which section of the stage-4 vendor (B has three rows)")
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, BENCH_DATABASE=f"{tmp}/db.sqlite3", BENCH_UPLOADS=f"{tmp}/uploads")
        env["BENCH_PAGE_HTML"] = f"{tmp}/page.html"
        env["BENCH_SECTION"] = args.section
        demo = subprocess.run(
            [sys.executable, "-c", _DEMO], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        ).stdout
        token = re.search(r"Northwind Applied AI \(submitted\): \S+/v/(\S+)", demo).group(1)
        path = f"/v/{token}/s/{args.section}"
        port = free_port()
        server = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning",
             "bench.page_app:app"],
            cwd=ROOT,
            env=env | {"BENCH_PAGE_HTML": f"{tmp}/page.html"},
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            page, cookie = b"", ""
            for _ in range(100):
                try:
                    with urllib.request.urlopen(base + path) as reply:
                        page = reply.read()
                        # a returning vendor: their browser sends the session cookie back
                        cookie = (reply.headers.get("Set-Cookie") or "").split(";")[0]
                    break
                except OSError:
                    time.sleep(0.1)
            if not page or server.poll() is not None:
                raise SystemExit("gunicorn did not start")
            print(f"page {path.replace(token, '<token>')}: {len(page) / 1024:.1f} KB; wrk 2 threads, 16 connections")
            results: dict[str, list[float]] = {"vendor page": [], "plain template": [], "from memory": []}
            cpu: dict[str, list[float]] = {name: [] for name in results}  # worker CPU ms per request
            urls = {
                "vendor page": base + path,
                "plain template": base + "/bench/plain",
                "from memory": base + "/bench/memory",
            }
            for url in urls.values():
                wrk(url, 2, cookie)  # warm-up
            names = list(urls)
            for i in range(args.rounds):
                for name in names[i % 3 :] + names[: i % 3]:  # each URL goes first in turn
                    before = workers_cpu(server.pid)
                    rate, done = wrk(urls[name], args.seconds, cookie)
                    results[name].append(rate)
                    cpu[name].append((workers_cpu(server.pid) - before) * 1000 / done)
        finally:
            server.terminate()
            server.wait()
    med = {k: statistics.median(v) for k, v in results.items()}
    for name, rps in med.items():
        print(f"{name:<16}{rps:>9.0f} req/s   (rounds: {', '.join(f'{r:.0f}' for r in results[name])})")
    # Each round measures the three URLs back to back, so a ratio within a round sees the same
    # machine; the median of those ratios is the figure (other work on the box moves the rates).
    for ceiling, label, target in (
        ("plain template", "plain template", "  (target ≥ 0.8)"),
        ("from memory", "memory", ""),
    ):
        ratios = sorted(v / c for v, c in zip(results["vendor page"], results[ceiling], strict=True))
        spread = f"rounds {ratios[0]:.2f}–{ratios[-1]:.2f}"
        print(f"ratio to {label + ':':<16}{statistics.median(ratios):.2f}  ({spread}){target}")
    # The workers' own CPU time per request is what the rate would be on a box with nothing
    # else running: other processes take wall time from the workers, far less their CPU time.
    print("worker CPU per request (ms, /proc utime + stime of the gunicorn workers):")
    for name, values in cpu.items():
        print(f"  {name:<16}{statistics.median(values):6.2f}   (rounds: {', '.join(f'{v:.2f}' for v in values)})")
    for ceiling, label in (("plain template", "plain template"), ("from memory", "memory")):
        ratios = sorted(c / v for v, c in zip(cpu["vendor page"], cpu[ceiling], strict=True))
        spread = f"rounds {ratios[0]:.2f}–{ratios[-1]:.2f}"
        print(f"capacity ratio to {label + ':':<16}{statistics.median(ratios):.2f}  ({spread})")


_DEMO = """
import os, re
from app import create_app
app = create_app({"SECRET_KEY": "bench", "DATABASE": os.environ["BENCH_DATABASE"],
                  "UPLOAD_FOLDER": os.environ["BENCH_UPLOADS"]})
out = app.test_cli_runner().invoke(args=["demo"]).output
print(out)
token = re.search(r"Northwind Applied AI \\(submitted\\): \\S+/v/(\\S+)", out).group(1)
html = app.test_client().get(f"/v/{token}/s/" + os.environ["BENCH_SECTION"]).get_data(as_text=True)
open(os.environ["BENCH_PAGE_HTML"], "w", encoding="utf-8").write(html)
"""

if __name__ == "__main__":
    main()
