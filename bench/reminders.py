"""Time `flask --app app send-reminders` over 10,000 vendors with contact addresses and mixed deadlines.

    .venv/bin/python bench/reminders.py [--vendors N] [--runs 3]

Each run builds a fresh database (100 evaluations × 100 vendors; deadlines spread from 10 days
ago to 20 days ahead, a fifth of the vendors with their own later deadline, a tenth submitted,
a twentieth revoked, a twentieth without an address; five buyers in the team, told of each
vendor gone overdue), then runs the command twice through the
CLI on a real SQLite job queue (nothing consumes it, so no mail is sent): the first pass records
and queues every reminder due, the second finds nothing due. Prints the median of the runs of
each pass and how many reminders were queued. Target: under 10 s for the first pass.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from stagefour import store  # noqa: E402
from stagefour.evaluations import hash_token  # noqa: E402
from stagefour.evaluations import new_token  # noqa: E402
from stagefour.evaluations import start_evaluation  # noqa: E402
from stagefour.library import load_by_id  # noqa: E402

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def build(folder: Path, vendors: int) -> dict:
    """A fresh instance with `vendors` vendors in evaluations of 100; its app config."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "bench",
        "DATABASE": str(folder / "bench.sqlite3"),
        "UPLOAD_FOLDER": str(folder / "uploads"),
        "REPORT_FOLDER": str(folder / "reports"),
        "JOBS_IMMEDIATE": False,
        "JOBS_IN_PROCESS": False,
        "JOBS_URL": f"sqlite://{folder / 'jobs.sqlite3'}",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": 1,
        "BASE_URL": "https://diligence.example.com",
    }
    db = store.open_db(config["DATABASE"])
    store.migrate(db)
    team_id = store.create_team(db, "Bench", "bench")
    # Five buyers in the team: the same run tells them of every vendor gone overdue (notifications).
    for b in range(5):
        user_id = store.create_user(db, f"buyer{b}@buyer.example", "x" * 60)
        store.set_membership(db, team_id, user_id, ("owner", "evaluator", "viewer")[b % 3], "bench")
    questionnaire = load_by_id("ai-deployment-partner")
    stamp = (NOW - timedelta(days=40)).isoformat(timespec="seconds")
    expires = (NOW + timedelta(days=90)).isoformat(timespec="seconds")
    per = 100
    with db.atomic():
        for e in range((vendors + per - 1) // per):
            deadline = (NOW + timedelta(days=e % 31 - 10)).date().isoformat()
            evaluation_id = start_evaluation(db, questionnaire, f"Evaluation {e}", deadline, team_id=team_id)
            for v in range(min(per, vendors - e * per)):
                n = e * per + v
                own = (NOW + timedelta(days=e % 31 - 10 + 5)).date().isoformat() if n % 5 == 0 else None
                vendor_id = db.execute(
                    "INSERT INTO vendors (evaluation_id, name, contact_email, created_at, deadline) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [evaluation_id, f"Vendor {n}", None if n % 20 == 7 else f"v{n}@vendor.example", stamp, own],
                ).lastrowid
                status = "submitted" if n % 10 == 3 else "in_progress"
                db.execute(
                    "INSERT INTO responses (vendor_id, status, version, language, created_at, updated_at) "
                    "VALUES (?, ?, 0, ?, ?, ?)",
                    [vendor_id, status, ("en", "de", "fr")[n % 3], stamp, stamp],
                )
                db.execute(
                    "INSERT INTO invitations (vendor_id, token_hash, created_at, expires_at, revoked_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [vendor_id, hash_token(new_token()), stamp, expires, stamp if n % 20 == 11 else None],
                )
    db.close()
    return config


def run(config: dict) -> tuple[float, str]:
    """One `send-reminders` through the CLI (a fresh app, as cron starts it): seconds and its output."""
    start = time.perf_counter()
    app = create_app(config)
    result = app.test_cli_runner().invoke(args=["send-reminders", "--now", NOW.strftime("%Y-%m-%d %H:%M:%S")])
    seconds = time.perf_counter() - start
    if result.exit_code != 0:
        raise SystemExit(result.output)
    return seconds, result.output.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vendors", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    first, second = [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as folder:
            config = build(Path(folder), args.vendors)
            seconds, output = run(config)
            first.append(seconds)
            db = store.open_db(config["DATABASE"])
            told = db.execute("SELECT count(*) FROM notifications").fetchone()[0]
            db.close()
            output += f"; {told} notification(s) to buyers in the app"
            again, output_again = run(config)
            second.append(again)
            print(f"first pass {seconds:6.2f} s ({output}); second pass {again:6.2f} s ({output_again})")
    print(f"{args.vendors} vendors, median of {args.runs} runs:")
    print(f"  first pass (reminders due):  {statistics.median(first):6.2f} s")
    print(f"  second pass (nothing due):   {statistics.median(second):6.2f} s")
    print("target: under 10 s")


if __name__ == "__main__":
    main()
