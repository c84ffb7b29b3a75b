"""Time the comparison page and the comparison PDF of a 1,000-question questionnaire (issue 15, item 4).

    .venv/bin/python bench/scale.py [--sections 20] [--per-section 50] [--vendors 3]
                                    [--rounds 7] [--pdf-rounds 1] [--profile page|pdf]

The questionnaire and the vendors' answers come from bench/bigquestionnaire.py (20 sections ×
50 questions, long section ids, display numbers like "ISG.01"). Each part runs in a fresh
process, so the PDF's peak memory (ru_maxrss) is its own. Printed: the comparison page through
the Flask test client, logged in as a buyer (first request, then the median and slowest of the
rounds; target under 1 s), and the comparison PDF as the report job makes it (time, its parts,
pages; the peak memory of the child process that runs WeasyPrint, target under 500 MB, and of
the job's own process). `--profile` prints the top of a cProfile of one part
instead. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
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
WARM_UP = 1


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def build(tmp: Path, sections: int, per_section: int, vendors: int):
    """An app, a database and an evaluation of the big questionnaire with `vendors` submitted vendors."""
    from app import create_app
    from bench.bigquestionnaire import big_questionnaire
    from bench.bigquestionnaire import responses
    from bench.bigquestionnaire import to_yaml
    from stagefour import evaluations
    from stagefour import store
    from stagefour.questionnaire import load_yaml_bytes
    from stagefour.response import parse_response
    from views.auth import hash_password

    database = str(tmp / "db.sqlite3")
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "DATABASE": database,
            "UPLOAD_FOLDER": str(tmp / "uploads"),
            "REPORT_FOLDER": str(tmp / "reports"),
            "WTF_CSRF_ENABLED": False,
            "JOBS_URL": f"sqlite://{tmp / 'jobs.sqlite3'}",
            "JOBS_IN_PROCESS": False,
        }
    )
    data = big_questionnaire(sections, per_section)
    questionnaire = load_yaml_bytes(to_yaml(data).encode(), "big.yaml")
    db = store.open_db(database)
    user_id = store.create_user(db, "bench@example.com", hash_password(PASSWORD))
    team_id = store.create_team(db, "Bench", "bench")
    store.set_membership(db, team_id, user_id, "viewer", "bench")
    evaluation_id = evaluations.start_evaluation(
        db, questionnaire, "Bench: 1,000 questions", user_id=user_id, team_id=team_id
    )
    for body in responses(data, vendors):
        response = parse_response(questionnaire, body)
        vendor_id, _ = evaluations.invite(db, evaluation_id, response.vendor, None, "bench")
        evaluations.import_response(db, vendor_id, response, "bench", submit=True)
    return app, db, questionnaire, evaluation_id


def page(tmp: Path, args) -> dict:
    """Median time of GET /evaluations/<id>/compare through the test client."""
    app, db, questionnaire, evaluation_id = build(tmp, args.sections, args.per_section, args.vendors)
    db.close()
    client = app.test_client()
    client.post("/login", data={"email": "bench@example.com", "password": PASSWORD})
    url = f"/evaluations/{evaluation_id}/compare"

    def once() -> bytes:
        with client.get(url) as reply:
            body = reply.get_data()
        if reply.status_code != 200:
            raise SystemExit(f"the comparison page failed: {reply.status_code}")
        return body

    if args.profile == "page":
        once()
        _profile(once)
        return {}
    times, cpu, size = [], [], 0
    for _ in range(WARM_UP + args.rounds):
        start, start_cpu = time.perf_counter(), time.process_time()
        size = len(once())
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return {
        "questions": len(questionnaire.questions),
        "kb": size / 1024,
        "first_ms": 1000 * times[0],
        "median_ms": 1000 * statistics.median(times[WARM_UP:]),
        "slowest_ms": 1000 * max(times[WARM_UP:]),
        "cpu_ms": 1000 * statistics.median(cpu[WARM_UP:]),
    }


def pdf(tmp: Path, args) -> dict:
    """The comparison PDF as the report job makes it: time, parts and peak memory."""
    from stagefour import evaluations
    from stagefour import report
    from stagefour import store

    _, db, questionnaire, evaluation_id = build(tmp, args.sections, args.per_section, args.vendors)
    evaluation = store.get_evaluation(db, evaluation_id)
    as_of = datetime.now(UTC).date()
    baseline = _rss_mb()

    def once() -> dict:
        start = time.perf_counter()
        comparison = evaluations.compare(db, evaluation, questionnaire, as_of)
        model = report.comparison_model(comparison, evaluation, questionnaire)
        html = report.comparison_html(model, questionnaire, "en", "a4", store.now(), "bench@example.com")
        template = time.perf_counter()
        # As the report job does: WeasyPrint in a child process (no time cap here: a busy
        # machine is slower than the job's).
        rendered = report.render_bounded(html, max_seconds=3600)
        end = time.perf_counter()
        if args.keep:
            Path(args.keep).write_bytes(rendered.pdf)
        return {
            "ours": template - start,
            "layout": rendered.layout_seconds,
            "write": rendered.write_seconds,
            "total": end - start,
            "pages": rendered.pages,
            "kb": len(rendered.pdf) / 1024,
            "html_kb": len(html) / 1024,
        }

    if args.profile == "pdf":
        _profile(once)
        return {}
    rounds = [once() for _ in range(args.pdf_rounds)]
    out = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return out | {
        "baseline_mb": baseline,
        "peak_mb": _rss_mb(),
        "child_mb": child,
        "rounds": [r["total"] for r in rounds],
    }


def _profile(call) -> None:
    profiler = cProfile.Profile()
    profiler.runcall(call)
    stats = pstats.Stats(profiler, stream=sys.stderr)
    stats.sort_stats("cumulative").print_stats(35)
    stats.sort_stats("tottime").print_stats(20)


def worker(args) -> dict:
    """Run one part in this process."""
    tmp = Path(tempfile.mkdtemp(prefix="stagefour-bench-scale-"))
    try:
        return (page if args.worker == "page" else pdf)(tmp, args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", type=int, default=20)
    parser.add_argument("--per-section", type=int, default=50)
    parser.add_argument("--vendors", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--pdf-rounds", type=int, default=1)
    parser.add_argument("--profile", choices=["page", "pdf"])
    parser.add_argument("--keep", help="write the PDF here")
    parser.add_argument("--worker", choices=["page", "pdf"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker or args.profile:
        args.worker = args.worker or args.profile
        print(json.dumps(worker(args)))
        return
    common = ["--sections", str(args.sections), "--per-section", str(args.per_section), "--vendors", str(args.vendors),
              "--rounds", str(args.rounds), "--pdf-rounds", str(args.pdf_rounds)]  # fmt: skip
    if args.keep:
        common += ["--keep", args.keep]
    results = {}
    for part in ("page", "pdf"):
        out = subprocess.run(
            [sys.executable, __file__, "--worker", part, *common], capture_output=True, text=True, check=True, cwd=ROOT
        ).stdout
        results[part] = json.loads(out.strip().splitlines()[-1])
    p, d = results["page"], results["pdf"]
    print(f"{p['questions']} questions ({args.sections} sections × {args.per_section}), {args.vendors} vendors")
    print(
        f"comparison page: {p['kb']:.0f} KB; first request {p['first_ms']:.0f} ms; median of {args.rounds} "
        f"{p['median_ms']:.0f} ms; slowest {p['slowest_ms']:.0f} ms  (target < 1000 ms)"
    )
    print(f"  CPU {p['cpu_ms']:.0f} ms a request (median; wall time waits for a core on a busy machine)")
    print(
        f"comparison PDF: {d['pages']:.0f} pages, {d['kb']:.0f} KB (HTML {d['html_kb']:.0f} KB); "
        f"total {d['total']:.1f} s (rounds: {', '.join(f'{t:.1f}' for t in d['rounds'])})"
    )
    print(f"  ours (data + Jinja) {d['ours']:.2f} s; WeasyPrint layout {d['layout']:.1f} s, writing {d['write']:.1f} s")
    print(f"  peak memory of the renderer (the job's child process) {d['child_mb']:.0f} MB  (target < 500 MB)")
    print(
        f"  peak memory of the job's own process {d['peak_mb']:.0f} MB "
        f"(after imports and data: {d['baseline_mb']:.0f} MB)"
    )


if __name__ == "__main__":
    main()
