"""Evaluations and invitations: starting an evaluation, inviting vendors, their private links.

A link carries a random token of 256 bits; only its SHA-256 is stored, so a copy of the
database opens no response.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta

from sqlite_utils import Database

from stagefour import store
from stagefour.questionnaire import Questionnaire
from stagefour.response import Response


def new_token() -> str:
    """A fresh link token: 32 random bytes, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """What the database keeps of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def deadline_end(deadline: str) -> datetime:
    """The last second of the deadline day, UTC (the vendor's form closes after that day)."""
    return datetime.combine(date.fromisoformat(deadline), time(23, 59, 59), tzinfo=UTC)


def link_expiry(deadline: str | None, valid_days: int, now: datetime) -> str:
    """When a link issued `now` expires: `valid_days` later or at the deadline day's end, whichever is later."""
    expires = now.replace(microsecond=0) + timedelta(days=valid_days)
    if deadline:
        expires = max(expires, deadline_end(deadline))
    return expires.isoformat(timespec="seconds")


def start_evaluation(
    db: Database,
    questionnaire: Questionnaire,
    title: str,
    deadline: str | None = None,
    weights: dict | None = None,
    buyer_profile: dict | None = None,
    user_id: int | None = None,
) -> int:
    """A new evaluation on an immutable snapshot of the questionnaire."""
    snapshot_id = store.save_snapshot(
        db, questionnaire.id, questionnaire.version, questionnaire.hash, questionnaire.source
    )
    weights = weights or {s.id: s.weight for s in questionnaire.sections}
    return store.create_evaluation(db, title, snapshot_id, deadline, weights, buyer_profile or {}, user_id)


def issue_link(db: Database, vendor_id: int, actor: str, expires_at: str | None = None) -> str:
    """A new private link for a vendor (any earlier one stops working); returns the token."""
    token = new_token()
    store.issue_invitation(db, vendor_id, hash_token(token), expires_at, actor)
    return token


def invite(
    db: Database, evaluation_id: int, name: str, contact_email: str | None, actor: str, expires_at: str | None = None
) -> tuple[int, str]:
    """Add a vendor and issue their link; returns (vendor id, token)."""
    vendor_id = store.add_vendor(db, evaluation_id, name, contact_email, actor)
    return vendor_id, issue_link(db, vendor_id, actor, expires_at)


def import_response(db: Database, vendor_id: int, response: Response, actor: str, submit: bool = False) -> int:
    """Replace a vendor's answers with an imported response; returns the number of answers."""
    vendor = store.get_vendor(db, vendor_id)
    if vendor["status"] == "submitted":
        store.set_response_status(db, vendor["response_id"], "reopened", actor, expect=("submitted",))
    current = store.load_answers(db, vendor["response_id"])
    changes = {qid: None for qid in current if qid not in response.answers} | dict(response.answers)
    versions = store.answer_versions(db, vendor["response_id"])
    store.save_answers(db, vendor["response_id"], changes, versions, actor)
    store.set_response_language(db, vendor["response_id"], response.language)
    if submit:
        store.set_response_status(db, vendor["response_id"], "submitted", actor, expect=store.EDITABLE)
    return len(response.answers)
