"""Time to render the shared-scoring pages for 20 vendors: the queue, a response page (which counts
the queue too) and a score saved by the page's script (JSON).

    .venv/bin/python bench/queue_page.py [--vendors 20] [--rounds 15]

In-process, through the Flask test client, logged in as an evaluator with one vendor assigned.
Vendors are the demo responses imported again under other names, all submitted, with no manual
score yet. The first requests warm the app's caches; the median and the slowest of the rounds
after them are printed. Nothing is asserted.
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

    tmp = Path(tempfile.mkdtemp(prefix="stagefour-bench-queue-"))
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
        user_id = store.create_user(db, "bench@example.com", hash_password(PASSWORD))
        team_id = store.create_team(db, "Bench", "bench")
        store.set_membership(db, team_id, user_id, "evaluator", "bench")
        evaluation_id = evaluations.start_evaluation(
            db, questionnaire, "Bench: shared scoring", buyer_profile={"industry": "insurance"}, team_id=team_id
        )
        files = sorted((ROOT / "demo" / "responses").glob("*.json"))
        vendor_ids = []
        for i in range(args.vendors):
            response = read_response(questionnaire, files[i % len(files)].read_bytes())
            vendor_id, _ = evaluations.invite(db, evaluation_id, f"{response.vendor} {i + 1}", None, "bench")
            evaluations.import_response(db, vendor_id, response, "bench", submit=True)
            vendor_ids.append(vendor_id)
        store.set_assignments(db, evaluation_id, [(user_id, "vendor", str(vendor_ids[0]))], "bench")
        db.close()

        client = app.test_client()
        client.post("/login", data={"email": "bench@example.com", "password": PASSWORD})
        base = f"/evaluations/{evaluation_id}"
        pages = {
            "queue page": lambda: client.get(f"{base}/queue"),
            "response page": lambda: client.get(f"{base}/vendors/{vendor_ids[0]}"),
            # The same evaluator's score saved again each round: a replace, version checks off.
            "score saved (JSON)": lambda: client.post(
                f"{base}/vendors/{vendor_ids[1]}/scores",
                data={"question_id": "C5", "score": "3"},
                headers={"Accept": "application/json"},
            ),
        }
        results = {}
        for name, request in pages.items():
            times = []
            for _ in range(WARM_UP + args.rounds):
                start = time.perf_counter()
                with request() as reply:
                    reply.get_data()
                times.append((time.perf_counter() - start) * 1000)
                if reply.status_code != 200:
                    raise SystemExit(f"{name} failed: {reply.status_code}")
            results[name] = times[WARM_UP:]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"shared scoring, {args.vendors} vendors, {args.rounds} rounds after {WARM_UP} warm-up (ms)")
    for name, measured in results.items():
        print(f"{name:22} median {statistics.median(measured):6.0f}   slowest {max(measured):6.0f}")


if __name__ == "__main__":
    main()
