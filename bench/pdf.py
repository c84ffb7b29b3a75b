"""Time the comparison PDF for 5 and for 20 vendors on the default questionnaire.

    .venv/bin/python bench/pdf.py [--vendors 5 20] [--rounds 3] [--downloads 30]

Vendors are the demo responses (demo/responses/) imported again under other names. Each count
runs in a fresh process, so its peak memory is its own. Printed, medians of the rounds:
the total time and its parts — our data work (compare() and the plain data of the report),
our template work (Jinja), WeasyPrint's layout and its PDF writing — the share outside
WeasyPrint (target: under 10 %), the process's peak memory, and the time to download an
unchanged evaluation's PDF from the cache through the Flask test client (target: < 50 ms).
Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "bench password 1234"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def worker(vendors: int, rounds: int, downloads: int) -> dict:
    """Build an evaluation of `vendors` vendors, time its PDF `rounds` times, then cached downloads."""
    tmp = Path(tempfile.mkdtemp(prefix="stagefour-bench-pdf-"))
    try:
        return _measure(tmp, vendors, rounds, downloads)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _measure(tmp: Path, vendors: int, rounds: int, downloads: int) -> dict:
    from app import create_app
    from stagefour import evaluations
    from stagefour import report
    from stagefour import store
    from stagefour.library import load_by_id
    from stagefour.response import read_response
    from views.auth import hash_password

    database = str(tmp / "db.sqlite3")
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "DATABASE": database,
            "UPLOAD_FOLDER": str(tmp / "uploads"),
            "REPORT_FOLDER": str(tmp / "reports"),
            "WTF_CSRF_ENABLED": False,
            # The miss below only queues the build: no consumer runs here.
            "JOBS_URL": f"sqlite://{tmp / 'jobs.sqlite3'}",
            "JOBS_IN_PROCESS": False,
        }
    )
    questionnaire = load_by_id("ai-deployment-partner")
    db = store.open_db(database)
    user_id = store.create_user(db, "bench@example.com", hash_password(PASSWORD), "viewer")
    team_id = store.create_team(db, "Bench", "bench")
    store.set_membership(db, team_id, user_id, "viewer", "bench")
    evaluation_id = evaluations.start_evaluation(
        db,
        questionnaire,
        "Bench: AI deployment partner",
        buyer_profile={"industry": "insurance"},
        user_id=user_id,
        team_id=team_id,
    )
    files = sorted((ROOT / "demo" / "responses").glob("*.json"))
    for i in range(vendors):
        response = read_response(questionnaire, files[i % len(files)].read_bytes())
        vendor_id, _ = evaluations.invite(db, evaluation_id, f"{response.vendor} {i + 1}", None, "bench")
        evaluations.import_response(db, vendor_id, response, "bench", submit=True)
    evaluation = store.get_evaluation(db, evaluation_id)
    as_of = datetime.now(UTC).date()
    import weasyprint  # noqa: F401 - imported before timing and before the baseline memory figure

    baseline = _rss_mb()
    parts: dict[str, list[float]] = {"data": [], "template": [], "layout": [], "write": [], "total": []}
    rendered = None
    for _ in range(rounds):
        start = time.perf_counter()
        comparison = evaluations.compare(db, evaluation, questionnaire, as_of)
        model = report.comparison_model(comparison, evaluation, questionnaire)
        data = time.perf_counter()
        html = report.comparison_html(model, questionnaire, "en", "a4", store.now(), "bench@example.com")
        template = time.perf_counter()
        rendered = report.render_pdf(html)
        end = time.perf_counter()
        parts["data"].append(data - start)
        parts["template"].append(template - data)
        parts["layout"].append(rendered.layout_seconds)
        parts["write"].append(rendered.write_seconds)
        parts["total"].append(end - start)
    peak = _rss_mb()

    # The cached download: put the PDF made above where the web looks for it (the same key the
    # view computes), then time GET /evaluations/<id>/report.pdf through the test client.
    cache = report.ReportCache(tmp / "reports")
    key = report.comparison_key(report.comparison_inputs(db, evaluation), questionnaire, as_of, "en", "a4")
    cache.store(key, rendered.pdf)
    client = app.test_client()
    client.post("/login", data={"email": "bench@example.com", "password": PASSWORD})
    url = f"/evaluations/{evaluation_id}/report.pdf?lang=en&size=a4"
    times = []
    for _ in range(downloads + 3):
        start = time.perf_counter()
        with client.get(url) as reply:
            body = reply.get_data()
        times.append(time.perf_counter() - start)
        if reply.status_code != 200 or not body.startswith(b"%PDF"):
            raise SystemExit(f"cached download failed: {reply.status_code}")
    times = sorted(times[3:])  # the first requests warm the app's caches
    # A miss: how long the buyer waits for the "Making the PDF…" page (the build is queued as a job).
    start = time.perf_counter()
    with client.get(f"/evaluations/{evaluation_id}/report.pdf?lang=de&size=a4") as reply:
        reply.get_data()
    miss = time.perf_counter() - start
    return {
        "vendors": vendors,
        "pages": rendered.pages,
        "bytes": len(rendered.pdf),
        "parts": {k: statistics.median(v) for k, v in parts.items()},
        "rounds": parts["total"],
        "baseline_mb": baseline,
        "peak_mb": peak,
        "download_ms": 1000 * statistics.median(times),
        "download_p95_ms": 1000 * times[max(int(len(times) * 0.95) - 1, 0)],
        "miss_ms": 1000 * miss,
        "miss_status": reply.status_code,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vendors", type=int, nargs="+", default=[5, 20])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--downloads", type=int, default=30)
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.rounds, args.downloads)))
        return
    print(f"comparison PDF, default questionnaire, A4, English; medians of {args.rounds} rounds")
    for count in args.vendors:
        out = subprocess.run(
            [sys.executable, __file__, "--worker", str(count), "--rounds", str(args.rounds),
             "--downloads", str(args.downloads)],
            capture_output=True, text=True, check=True, cwd=ROOT,
        ).stdout  # fmt: skip
        r = json.loads(out.strip().splitlines()[-1])
        p = r["parts"]
        ours = p["data"] + p["template"]
        print(f"\n{count} vendors: {r['pages']} pages, {r['bytes'] / 1024:.0f} KB")
        print(f"  total          {p['total']:7.2f} s   (rounds: {', '.join(f'{t:.2f}' for t in r['rounds'])})")
        print(f"  our data       {p['data']:7.3f} s   compare() and the report's plain data")
        print(f"  our template   {p['template']:7.3f} s   Jinja")
        print(f"  layout         {p['layout']:7.2f} s   WeasyPrint: parse, style, lay out")
        print(f"  writing        {p['write']:7.2f} s   WeasyPrint: the PDF file")
        print(f"  outside WeasyPrint: {100 * ours / p['total']:.1f} % of the total (target < 10 %)")
        print(f"  peak memory    {r['peak_mb']:7.0f} MB  (after imports and data: {r['baseline_mb']:.0f} MB)")
        print(
            f"  cached download {r['download_ms']:6.1f} ms median, {r['download_p95_ms']:.1f} ms p95 "
            f"(target < 50 ms); a miss answers 'Making the PDF…' ({r['miss_status']}) in {r['miss_ms']:.0f} ms"
        )


if __name__ == "__main__":
    main()
