"""Reminders to vendors (issue 12): which one is due, recorded once, with a link that opens the response.

A schedule is a list of whole days before a vendor's effective deadline (stagefour/deadlines.py),
default 7, 3 and 1, and, if on, one reminder once the deadline has passed. At any moment at most
one reminder is current for a vendor: the latest threshold passed. It is sent if it was not sent
before for the same deadline (the key vendor × kind × deadline, a unique index in the store), so
`flask --app app send-reminders` may run every minute, twice at once, or after a pause; missed
earlier reminders are not sent late. A new deadline (an extension) makes its reminders due again.

Only hashes of links are stored, so a reminder cannot repeat the vendor's link: each reminder
adds a live link of its own with the same expiry as the vendor's latest (SECURITY.md).
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta

from sqlite_utils import Database

from stagefour import deadlines
from stagefour import store
from stagefour.evaluations import hash_token
from stagefour.evaluations import new_token

OVERDUE = "overdue"
MAX_DAYS = 365
ACTOR = store.Actor("system:reminders")


def before(days: int) -> str:
    """The kind of the reminder `days` before the deadline."""
    return f"before:{days}"


def current_reminder(
    deadline: date, today: date, days: Sequence[int], overdue: bool, added_on: date | None = None
) -> str | None:
    """The reminder current for a vendor today: the latest threshold passed, or None.

    A threshold reached before the vendor was added is skipped: their invitation is newer.
    """
    left = deadlines.days_left(deadline, today)
    if left < 0:
        return OVERDUE if overdue else None
    passed = [d for d in days if d >= left and (added_on is None or deadline - timedelta(days=d) > added_on)]
    return before(min(passed)) if passed else None


@dataclass(frozen=True)
class Reminder:
    """A reminder due now: to whom, which, for which deadline, with the link it carries."""

    vendor: dict  # a row of store.reminder_candidates
    kind: str
    deadline: date
    days_left: int
    token: str
    expires_at: str | None


def due(candidates: Sequence[dict], sent: set[tuple[int, str, str]], today: date) -> list[tuple[dict, str, date]]:
    """(vendor, kind, deadline) of every reminder due today and not sent for that deadline."""
    out = []
    for vendor in candidates:
        deadline = deadlines.effective_deadline(vendor["evaluation_deadline"], vendor["vendor_deadline"])
        if deadline is None:
            continue
        added_on = date.fromisoformat(vendor["vendor_created_at"][:10])
        kind = current_reminder(deadline, today, vendor["reminder_days"], bool(vendor["reminder_overdue"]), added_on)
        if kind and (vendor["vendor_id"], kind, deadline.isoformat()) not in sent:
            out.append((vendor, kind, deadline))
    return out


def send_due(db: Database, now: datetime, deliver: Callable[[list[Reminder]], None]) -> list[Reminder]:
    """Record every reminder due at `now` with its new link, then hand them to `deliver` (after the commit).

    The write lock is taken before reading what was sent, so two runs at once never record the
    same reminder; a reminder is recorded before it is handed on, so it is sent at most once.
    """
    stamp = now.isoformat(timespec="seconds")
    with store.write_transaction(db):
        candidates = store.reminder_candidates(db, stamp)
        sent = store.sent_reminders(db, [c["vendor_id"] for c in candidates])
        reminders = [
            Reminder(
                vendor,
                kind,
                deadline,
                deadlines.days_left(deadline, now.date()),
                new_token(),
                vendor["link_expires"] or None,
            )
            for vendor, kind, deadline in due(candidates, sent, now.date())
        ]
        store.add_links(
            db,
            [
                store.NewLink(
                    r.vendor["vendor_id"],
                    r.vendor["evaluation_id"],
                    hash_token(r.token),
                    r.expires_at,
                    "reminder",
                    r.kind,
                    r.deadline.isoformat(),
                )
                for r in reminders
            ],
            ACTOR,
        )
    if reminders:
        deliver(reminders)
    return reminders


def parse_days(text: str) -> tuple[int, ...]:
    """A schedule typed as "7, 3, 1": whole days 0..365, largest first; raises ValueError with a code."""
    parts = [p.strip() for p in text.split(",")] if text.strip() else []
    days = set()
    for part in parts:
        if not part.isdigit() or not part.isascii():
            raise ValueError("not_a_day", part)
        if len(part) > len(str(MAX_DAYS)) or int(part) > MAX_DAYS:
            raise ValueError("too_many_days", part)
        days.add(int(part))
    return tuple(sorted(days, reverse=True))


@dataclass(frozen=True)
class LostLink:
    """A fresh link for a vendor who asked for it with their contact address."""

    vendor: dict  # a row of store.lost_link_candidates
    token: str
    expires_at: str | None


def issue_lost_links(db: Database, email: str, now: datetime, actor: str) -> list[LostLink]:
    """A new live link for each open response whose contact address is `email`; none for any other address."""
    stamp = now.isoformat(timespec="seconds")
    with store.write_transaction(db):
        links = [
            LostLink(vendor, new_token(), vendor["link_expires"] or None)
            for vendor in store.lost_link_candidates(db, email, stamp)
        ]
        store.add_links(
            db,
            [
                store.NewLink(
                    link.vendor["vendor_id"],
                    link.vendor["evaluation_id"],
                    hash_token(link.token),
                    link.expires_at,
                    "lost_link",
                )
                for link in links
            ],
            actor,
        )
    return links
