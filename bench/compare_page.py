"""Time to render the comparison page for 20 vendors on the default questionnaire (target < 300 ms).

    .venv/bin/python bench/compare_page.py [--vendors 20] [--rounds 15]

In-process, through the Flask test client, logged in as a buyer: GET /evaluations/<id>/compare
from the request to the last byte. Vendors are the demo responses (demo/responses/) imported
again under other names, all submitted. The first requests warm the app's caches; the median
and the slowest of the rounds after them are printed, with the page's size. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "bench password 1234"
WARM_UP = 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vendors", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()

    from app import create_app
    from stagefour import evaluations
    from stagefour import store
    from stagefour.library import load_by_id
    from stagefour.response import read_response
    from views.auth import hash_password

    tmp = Path(tempfile.mkdtemp(prefix="stagefour-bench-compare-"))
    try:
        database = str(tmp / "db.sqlite3")
        app = create_app(
            {
                "SECRET_KEY": "bench",
                "DATABASE": database,
                "UPLOAD_FOLDER": str(tmp / "uploads"),
                "REPORT_FOLDER": str(tmp / "reports"),
                "WTF_CSRF_ENABLED": False,
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
        for i in range(args.vendors):
            response = read_response(questionnaire, files[i % len(files)].read_bytes())
            vendor_id, _ = evaluations.invite(db, evaluation_id, f"{response.vendor} {i + 1}", None, "bench")
            evaluations.import_response(db, vendor_id, response, "bench", submit=True)
        db.close()

        client = app.test_client()
        client.post("/login", data={"email": "bench@example.com", "password": PASSWORD})
        url = f"/evaluations/{evaluation_id}/compare"
        times, size = [], 0
        for _ in range(WARM_UP + args.rounds):
            start = time.perf_counter()
            with client.get(url) as reply:
                body = reply.get_data()
            times.append((time.perf_counter() - start) * 1000)
            if reply.status_code != 200 or b"ranking" not in body:
                raise SystemExit(f"the comparison page failed: {reply.status_code}")
            size = len(body)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    measured = times[WARM_UP:]
    print(
        f"comparison page, {args.vendors} vendors × {len(questionnaire.questions)} questions "
        f"({len(questionnaire.sections)} sections), {size / 1024:.0f} KB, {args.rounds} rounds after {WARM_UP} warm-up"
    )
    median = statistics.median(measured)
    print(f"first request {times[0]:.0f} ms; median {median:.0f} ms; slowest {max(measured):.0f} ms")
    print("target: under 300 ms")


if __name__ == "__main__":
    main()
