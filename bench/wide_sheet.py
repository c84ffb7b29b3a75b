"""Time and size of the buyer's wide sheet (issue 16): the demo's seven vendors, then twenty.

    .venv/bin/python bench/wide_sheet.py [--rounds N]

Gathering (loading and scoring every response) is timed apart from writing the workbook, since
the CSV and JSON exports pay the first part too. Twenty vendors are the demo's seven responses
invited again under new names. Nothing here is asserted by a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from stagefour import evaluations  # noqa: E402
from stagefour import export  # noqa: E402
from stagefour import store  # noqa: E402
from stagefour import wide_sheet  # noqa: E402
from stagefour.response import Response  # noqa: E402

AS_OF = date(2026, 12, 1)


def _timed(function, rounds: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def _measure(db, evaluation_id: int, rounds: int, label: str) -> None:
    gather_ms, data = _timed(lambda: export.gather(db, evaluation_id, AS_OF), rounds)
    write_ms, body = _timed(lambda: wide_sheet.to_xlsx(data, "en"), rounds)
    csv_ms, csv_body = _timed(lambda: export.to_csv(data, "en"), rounds)
    rows = sum(1 for _ in wide_sheet.xlsx.open_workbook(body).worksheets[0].iter_rows())
    print(
        f"{label}: gather {gather_ms:.0f} ms, write xlsx {write_ms:.0f} ms "
        f"(csv {csv_ms:.0f} ms); {len(body) / 1024:.0f} KiB xlsx ({len(csv_body) / 1024:.0f} KiB csv), "
        f"{rows} rows on the comparison sheet"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["STAGEFOUR_INSTANCE"] = folder  # `flask demo` writes its logins there, not in instance/
        app = create_app({"DATABASE": f"{folder}/bench.sqlite3", "SECRET_KEY": "bench", "JOBS_IN_PROCESS": False})
        with app.app_context():
            result = app.test_cli_runner().invoke(args=["demo"])
            assert result.exit_code == 0, result.output
        db = store.open_db(app.config["DATABASE"])
        [evaluation] = store.list_evaluations(db)
        print(f"median of {args.rounds} rounds each")
        _measure(db, evaluation["id"], args.rounds, "demo, 7 vendors")
        vendors = store.list_vendors(db, evaluation["id"])
        for n in range(20 - len(vendors)):
            source = vendors[n % len(vendors)]
            answers = store.load_answers(db, source["response_id"])
            vendor_id, _token = evaluations.invite(db, evaluation["id"], f"{source['name']} {n + 2}", None, "bench")
            response = Response("ai-deployment-partner", source["name"], answers)
            evaluations.import_response(db, vendor_id, response, "bench", submit=True)
        _measure(db, evaluation["id"], args.rounds, "20 vendors")
        db.close()


if __name__ == "__main__":
    main()
