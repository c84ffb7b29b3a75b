"""Time telling buyers of overdue vendors, and the header's unread count (issue 12, item 2).

    .venv/bin/python bench/notifications.py [--evaluations 200] [--vendors 50] [--users 5]

A team of `--users` (every role) with `--evaluations` × `--vendors` vendors, all past their
deadline and not submitted. Prints the time of the first notify_overdue run (tells them all),
of a second run (tells nothing: the idempotent case that runs every minute), and the median of
the unread count for a user holding every notice unread. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stagefour import evaluations  # noqa: E402
from stagefour import notifications  # noqa: E402
from stagefour import store  # noqa: E402
from stagefour.library import load_by_id  # noqa: E402

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def build(db, n_evaluations: int, n_vendors: int, n_users: int) -> int:
    """The team, its users and the overdue vendors; the id of one user."""
    questionnaire = load_by_id("ai-deployment-partner")
    team = store.create_team(db, "Procurement", "bench")
    roles = ("viewer", "evaluator", "owner")
    users = [store.create_user(db, f"user{i}@example.com", "x") for i in range(n_users)]
    for i, user_id in enumerate(users):
        store.set_membership(db, team, user_id, roles[i % 3], "bench")
    with db.atomic():  # one commit for the set-up: durable commits one by one would take minutes
        for e in range(n_evaluations):
            evaluation_id = evaluations.start_evaluation(
                db, questionnaire, f"Evaluation {e}", deadline="2026-11-20", team_id=team
            )
            for v in range(n_vendors):
                store.add_vendor(db, evaluation_id, f"Vendor {v}", None, "bench")
    return users[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluations", type=int, default=200)
    parser.add_argument("--vendors", type=int, default=50)
    parser.add_argument("--users", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = store.open_db(str(Path(folder) / "bench.sqlite3"))
        store.migrate(db)
        user_id = build(db, args.evaluations, args.vendors, args.users)
        vendors = args.evaluations * args.vendors
        start = time.perf_counter()
        notifications.notify_overdue(db, NOW, lambda notice: None)
        first = time.perf_counter() - start
        start = time.perf_counter()
        notifications.notify_overdue(db, NOW, lambda notice: None)
        again = time.perf_counter() - start
        told = db.execute("SELECT count(*) FROM notifications").fetchone()[0]
        counts = []
        for _ in range(200):
            start = time.perf_counter()
            unread = store.unread_notification_count(db, user_id)
            counts.append((time.perf_counter() - start) * 1000)
        page = []
        for _ in range(50):
            start = time.perf_counter()
            store.user_notifications(db, user_id)
            page.append((time.perf_counter() - start) * 1000)
        print(f"{vendors} overdue vendors, {args.users} users: {told} notifications")
        per_vendor = first / vendors * 1000
        print(f"notify_overdue, first run (tells every vendor): {first:.2f} s ({per_vendor:.2f} ms a vendor)")
        print(f"notify_overdue, second run (tells nothing):     {again * 1000:.1f} ms")
        print(f"unread count ({unread} unread): median {statistics.median(counts):.2f} ms, max {max(counts):.2f} ms")
        print(f"the list (newest 200): median {statistics.median(page):.2f} ms")
        db.close()


if __name__ == "__main__":
    main()
