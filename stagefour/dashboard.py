"""The dashboard (issue 12): each vendor's true state, verdict and score, and what needs attention.

Scores come from a summary row per response (store.m017_decisions explains how it stays
true): a row is recomputed through `evaluations.review_vendors`, the comparison's own path,
only when it is missing or was made for another day or other settings.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date

from sqlite_utils import Database

from stagefour import evaluations
from stagefour import store
from stagefour.questionnaire import Questionnaire
from stagefour.scoring import PENDING
from stagefour.scoring import Result

# A vendor's state on the dashboard, most pressing first.
STATES = ("revoked", "expired", "no_link", "overdue", "reopened", "in_progress", "not_started", "submitted")
BLOCKED = ("revoked", "expired", "no_link", "overdue")


def pending_count(result: Result) -> int:
    """Manual items waiting for an evaluator: the review page's "waiting for evaluators" (scoring.PENDING)."""
    return sum(1 for item in result.items.values() if item.status == PENDING)


def settings_key(evaluation: dict) -> str:
    """What of an evaluation its scores depend on besides the responses: snapshot, weights, buyer profile."""
    data = [evaluation["snapshot_id"], evaluation["weights"], evaluation["buyer_profile"]]
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def summary_of(response_id: int, result: Result, as_of: date, settings: str) -> dict:
    """The summary row of one scored response."""
    severities = [f.severity for f in result.red_flags]
    verdict = result.verdict
    return {
        "response_id": response_id,
        "as_of": as_of.isoformat(),
        "settings": settings,
        "verdict": {"code": verdict.code, "tier": verdict.tier, "overlays": [list(o) for o in verdict.overlays]}
        if verdict
        else None,
        "overall": result.overall,
        "low": result.low,
        "high": result.high,
        "provisional": int(result.provisional),
        "flags_high": severities.count("high"),
        "flags_medium": severities.count("medium"),
        "flags_low": severities.count("low"),
        "pending": pending_count(result),
        "answered": sum(a for a, _r in result.progress.values()),
        "required": sum(r for _a, r in result.progress.values()),
    }


def fresh_summaries(
    db: Database, evaluation: dict, questionnaire: Questionnaire, vendors: list[dict], as_of: date
) -> list[dict]:
    """The vendors (rows of store.dashboard_vendors) with a summary for today; stale ones are scored and stored."""
    settings = settings_key(evaluation)
    stale = [v for v in vendors if v["summary_as_of"] != as_of.isoformat() or v["summary_settings"] != settings]
    if not stale:
        return vendors
    reviews = evaluations.review_vendors(db, evaluation, questionnaire, as_of, vendor_ids=[v["id"] for v in stale])
    rows = {r.vendor["id"]: summary_of(r.vendor["response_id"], r.result, as_of, settings) for r in reviews}
    store.save_summaries(db, list(rows.values()))
    return [dict(v, **rows[v["id"]]) if v["id"] in rows else v for v in vendors]


def link_state(vendor: dict, stamp: str) -> str:
    """The state of a vendor's newest link at `stamp`: none, revoked, expired or active."""
    if vendor["invitation_id"] is None:
        return "none"
    if vendor["revoked_at"]:
        return "revoked"
    if vendor["expires_at"] and vendor["expires_at"] < stamp:
        return "expired"
    return "active"


def vendor_state(vendor: dict, deadline: str | None, stamp: str, today: date) -> str:
    """The vendor's true state: submitted wins; then a link that does not work; then overdue; then progress."""
    if vendor["status"] == "submitted":
        return "submitted"
    link = link_state(vendor, stamp)
    if link != "active":
        return "no_link" if link == "none" else link
    if deadline and date.fromisoformat(deadline) < today:
        return "overdue"
    return {"reopened": "reopened", "in_progress": "in_progress"}.get(vendor["status"], "not_started")


@dataclass(frozen=True)
class Attention:
    """One thing on the dashboard that needs someone: what (a code), where, and how many."""

    kind: str  # vendor_<state>, clarifications, pending_scores, no_decision
    evaluation_id: int
    evaluation_title: str
    vendor_id: int | None = None
    vendor_name: str = ""
    count: int = 0


def attention(items: list[dict]) -> list[Attention]:
    """What needs attention across the dashboard's evaluations (closed ones need none), most pressing first."""
    out: list[Attention] = []
    for item in items:
        e = item["evaluation"]
        if e["closed_at"]:
            continue
        if item["past_deadline"]:
            out.append(Attention("no_decision", e["id"], e["title"]))
        for v in item["vendors"]:
            if v["state"] in BLOCKED:
                out.append(Attention(f"vendor_{v['state']}", e["id"], e["title"], v["id"], v["name"]))
            if v["awaiting_buyer"]:
                out.append(Attention("clarifications", e["id"], e["title"], v["id"], v["name"], v["awaiting_buyer"]))
            if v["pending"] and v["state"] == "submitted":
                out.append(Attention("pending_scores", e["id"], e["title"], v["id"], v["name"], v["pending"]))
    order = {"vendor_revoked": 0, "vendor_expired": 0, "vendor_no_link": 0, "vendor_overdue": 1,
             "clarifications": 2, "pending_scores": 3, "no_decision": 4}  # fmt: skip
    return sorted(out, key=lambda a: order[a.kind])
