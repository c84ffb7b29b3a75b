"""Telling buyers what vendors did (issue 12, item 2): a submission, a reply to a clarification, a
vendor overdue.

Who is told: every user who may see the evaluation now (stagefour/access.py decides, team by
team and for restricted evaluations; a disabled user sees nothing), each as they chose per kind
(`DEFAULTS` for a user who never chose). An event is stored once per recipient who wants it in
the app; whoever wants it by e-mail is handed to `send`, a callable the web layer gives (it
writes the e-mail in words and queues it), after the event is committed. No Flask here.

An overdue vendor is told once per deadline: the once-key holds the vendor and the deadline
value, so a later deadline (an extension) that passes is told again, and running
`notify_overdue` every minute tells nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from stagefour import access
from stagefour import store

if TYPE_CHECKING:
    from sqlite_utils import Database

log = logging.getLogger(__name__)

KINDS = store.NOTIFICATION_KINDS
# Who the audit log says told the buyers of what a vendor did: the application, not the vendor (the
# vendor's own entry, response_submitted or clarification_replied, sits beside it with the link used).
ACTOR = "notifications"
CHANNELS = ("email", "app")
# A submission and a reply ask a buyer to act, so both channels; an overdue vendor is the buyer's
# to chase when they look (the reminders of item 1 already e-mail the vendor), so in the app only.
DEFAULTS: dict[str, dict[str, bool]] = {
    "submitted": {"email": True, "app": True},
    "replied": {"email": True, "app": True},
    "overdue": {"email": False, "app": True},
}


@dataclass(frozen=True)
class Notice:
    """One event for one recipient, as the e-mail sender needs it (ids and names, never a vendor token)."""

    kind: str
    evaluation_id: int
    evaluation_title: str
    vendor_id: int
    vendor_name: str
    thread_id: int | None
    user_id: int
    email: str
    actor: str


Send = Callable[[Notice], None]


def choices_of(saved: dict[str, dict[str, bool]]) -> dict[str, dict[str, bool]]:
    """A user's choice per kind and channel: what they saved, the defaults for the rest."""
    return {kind: dict(DEFAULTS[kind]) | saved.get(kind, {}) for kind in KINDS}


def user_choices(db: Database, user_id: int) -> dict[str, dict[str, bool]]:
    """One user's choices (their saved ones over the defaults)."""
    return choices_of(store.notification_choices(db, [user_id])[user_id])


def recipients(db: Database, evaluation: dict) -> list[dict]:
    """The users who may see the evaluation now (any role), each with their choices under "choices"."""
    members = [m for m in store.team_members(db, evaluation["team_id"]) if access.evaluation_role(db, m, evaluation)]
    saved = store.notification_choices(db, [m["id"] for m in members])
    return [dict(m, choices=choices_of(saved[m["id"]])) for m in members]


def _event(
    kind: str, evaluation: dict, vendor_id: int, vendor_name: str, people: list[dict], actor: str,
    thread_id: int | None = None, once: str | None = None,
) -> tuple[store.NotificationEvent, list[Notice]]:  # fmt: skip
    """The event to store for `people` as each chose, and the notices to e-mail once it is stored."""
    by_email = [p for p in people if p["choices"][kind]["email"]]
    event = store.NotificationEvent(
        kind, evaluation["id"], vendor_id, [p["id"] for p in people if p["choices"][kind]["app"]],
        [p["id"] for p in by_email], thread_id, once,
    )  # fmt: skip
    notices = [
        Notice(kind, evaluation["id"], evaluation["title"], vendor_id, vendor_name, thread_id, p["id"], p["email"],
               str(actor))
        for p in by_email
    ]  # fmt: skip
    return event, notices


def _store_and_send(db: Database, pending: list[tuple], actor: str, send: Send | None) -> list[Notice]:
    """Store events in one transaction, then hand the e-mails of those stored (not told before) to `send`."""
    stored = store.add_notifications(db, [event for event, _notices in pending], actor)
    sent = [notice for (_event, notices), new in zip(pending, stored, strict=True) if new for notice in notices]
    for notice in sent if send is not None else []:
        try:
            send(notice)
        except Exception:  # the event is stored and told in the app; one failed e-mail must not stop the others
            log.exception("could not send the %s notice of vendor %s to user %s", notice.kind, notice.vendor_id,
                          notice.user_id)  # fmt: skip
    return sent


def notify(
    db: Database,
    kind: str,
    evaluation_id: int,
    vendor_id: int,
    actor: str,
    send: Send | None = None,
    thread_id: int | None = None,
) -> list[Notice]:
    """Tell an event to every user who may see the evaluation, as each chose; the e-mails handed to `send`.

    Returns the notices e-mailed."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    evaluation = store.get_evaluation(db, evaluation_id)
    vendor = store.get_vendor(db, vendor_id)
    if evaluation is None or vendor is None or vendor["evaluation_id"] != evaluation_id:
        raise ValueError(f"vendor {vendor_id} is not in evaluation {evaluation_id}")
    pending = [_event(kind, evaluation, vendor_id, vendor["name"], recipients(db, evaluation), actor, thread_id)]
    return _store_and_send(db, pending, actor, send)


def overdue_key(vendor_id: int, deadline: str) -> str:
    """The once-key of a vendor overdue for one deadline (a new deadline is a new event)."""
    return f"overdue:{vendor_id}:{deadline}"


# Overdue vendors stored per transaction: one durable commit each would take ~9 ms a vendor
# (bench/notifications.py), and one transaction for all would hold the write lock for seconds.
OVERDUE_BATCH = 500


def notify_overdue(db: Database, now: datetime, send: Send | None = None, actor: str = "cli") -> list[Notice]:
    """Tell the buyers of every vendor past their deadline (a day, inclusive) without a submission, once
    per vendor and deadline; safe to run every minute. Returns the notices e-mailed."""
    sent: list[Notice] = []
    evaluations: dict[int, tuple[dict, list[dict]]] = {}  # each evaluation and its recipients, asked once a run
    pending: list[tuple] = []
    for row in store.overdue_vendors(db, now.date().isoformat()):
        if row["evaluation_id"] not in evaluations:
            evaluation = store.get_evaluation(db, row["evaluation_id"])
            evaluations[row["evaluation_id"]] = (evaluation, recipients(db, evaluation))
        evaluation, people = evaluations[row["evaluation_id"]]
        once = overdue_key(row["vendor_id"], row["deadline"])
        pending.append(_event("overdue", evaluation, row["vendor_id"], row["vendor_name"], people, actor, once=once))
        if len(pending) == OVERDUE_BATCH:
            sent += _store_and_send(db, pending, actor, send)
            pending = []
    if pending:
        sent += _store_and_send(db, pending, actor, send)
    return sent
