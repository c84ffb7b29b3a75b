"""Evaluations and invitations: starting an evaluation, inviting vendors, their private links.

A link carries a random token of 256 bits; only its SHA-256 is stored, so a copy of the
database opens no response.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta

from sqlite_utils import Database

from stagefour import commercials
from stagefour import comparison
from stagefour import processors
from stagefour import store
from stagefour.profiles import profile_for
from stagefour.questionnaire import Questionnaire
from stagefour.response import Response
from stagefour.scoring import Result
from stagefour.scoring import score_response


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
    *,
    team_id: int,
) -> int:
    """A new evaluation of a team on an immutable snapshot of the questionnaire."""
    snapshot_id = store.save_snapshot(
        db, questionnaire.id, questionnaire.version, questionnaire.hash, questionnaire.source
    )
    weights = weights or {s.id: s.weight for s in questionnaire.sections}
    return store.create_evaluation(
        db, title, snapshot_id, deadline, weights, buyer_profile or {}, user_id, team_id=team_id
    )


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


@dataclass(frozen=True)
class ImportSummary:
    """What an import did, in counts (never the answers themselves)."""

    answers: int  # answers in the imported response
    changed: int  # answers written because they were new or different
    cleared: int  # stored answers the import lacks, now cleared
    reopened: bool  # the response was submitted and was reopened to take the import
    submitted: bool


def import_response(
    db: Database, vendor_id: int, response: Response, actor: str, submit: bool = False
) -> ImportSummary:
    """Replace a vendor's answers with an imported response; what it changed, in counts."""
    vendor = store.get_vendor(db, vendor_id)
    if store.is_closed(db, vendor["evaluation_id"]):
        raise store.EvaluationClosed("a decision closes this evaluation to changes: an owner can reopen it")
    reopened = vendor["status"] == "submitted" and store.set_response_status(
        db, vendor["response_id"], "reopened", actor, expect=("submitted",)
    )
    current = store.load_answers(db, vendor["response_id"])
    changes = {qid: None for qid in current if qid not in response.answers} | dict(response.answers)
    versions = store.answer_versions(db, vendor["response_id"])
    result = store.save_answers(db, vendor["response_id"], changes, versions, actor)
    store.set_response_language(db, vendor["response_id"], response.language)
    if submit:
        store.set_response_status(db, vendor["response_id"], "submitted", actor, expect=store.EDITABLE)
    cleared = sum(1 for qid in result.saved if changes[qid] is None)
    return ImportSummary(len(response.answers), len(result.saved) - cleared, cleared, reopened, submit)


@dataclass(frozen=True)
class VendorReview:
    """Everything the buyer sees of one vendor: answers, scores, reviews and threads."""

    vendor: dict
    answers: dict
    result: Result
    manual: list[dict]  # every evaluator's scores on manual items
    # deployment id -> {reference_checked, evidence_reviewed, note, fingerprint, changed}; `changed`:
    # the vendor changed the row since it was verified, so the verification no longer counts.
    verifications: dict
    threads: list[dict]  # clarification threads with their messages

    @property
    def changed_since_verified(self) -> list[str]:
        """The deployments checked by the buyer that the vendor changed afterwards."""
        return [
            d
            for d, v in self.verifications.items()
            if v["changed"] and (v["reference_checked"] or v["evidence_reviewed"])
        ]


@dataclass(frozen=True)
class Comparison:
    """An evaluation's vendors, best first, with the weights used and how stable the winner is."""

    reviews: list[VendorReview]
    weights: dict
    sensitivities: list[comparison.Sensitivity]
    as_of: date
    # vendor id -> the committee's decision in force (issue 12; store.current_decisions)
    decisions: dict = field(default_factory=dict)
    # Beside the verdicts, never in the score (questionnaire 1.1): None when the questionnaire has no K / H6.
    commercials: dict | None = None  # see commercials_block
    locations: dict | None = None  # vendor id -> see data_location_line

    @property
    def stable(self) -> bool:
        """Whether no single weight moved by half changes the winner."""
        return comparison.stable(self.sensitivities)


def review_vendors(
    db: Database,
    evaluation: dict,
    questionnaire: Questionnaire,
    as_of: date,
    vendor_ids: list[int] | None = None,
    weights: dict | None = None,
) -> list[VendorReview]:
    """Score every vendor of an evaluation (or the ones named) with the reviews recorded so far."""
    vendors = [v for v in store.list_vendors(db, evaluation["id"]) if vendor_ids is None or v["id"] in vendor_ids]
    response_ids = [v["response_id"] for v in vendors]
    answers = store.answers_by_response(db, response_ids)
    scores = store.manual_scores(db, response_ids)
    checks = store.verifications(db, response_ids)
    threads = store.clarifications(db, response_ids)
    manual_ids = {q.id for q in questionnaire.questions.values() if q.scoring.kind == "manual"}
    out = []
    for v in vendors:
        rid = v["response_id"]
        mine = [s for s in scores if s["response_id"] == rid and s["question_id"] in manual_ids]
        by_item: dict[str, list[int]] = {}
        for s in mine:
            by_item.setdefault(s["question_id"], []).append(s["score"])
        result = score_response(
            questionnaire,
            answers[rid],
            as_of,
            buyer_profile=evaluation["buyer_profile"],
            manual_scores=by_item,
            verifications=checks[rid],
            weights=weights or evaluation["weights"],
        )
        profile = profile_for(questionnaire)
        verified = {
            d: dict(c, changed=profile.changed_since_verified(answers[rid], d, c))
            for d, c in sorted(checks[rid].items())
            if profile
        }
        out.append(VendorReview(v, answers[rid], result, mine, verified, threads[rid]))
    return out


def compare(
    db: Database, evaluation: dict, questionnaire: Questionnaire, as_of: date, weights: dict | None = None
) -> Comparison:
    """The evaluation's vendors ranked by verdict tier then score, for these weights (default: its own)."""
    weights = {s.id: float((weights or evaluation["weights"]).get(s.id, s.weight)) for s in questionnaire.sections}
    reviews = review_vendors(db, evaluation, questionnaire, as_of, weights=weights)
    entries = [comparison.Entry(r.vendor["id"], r.vendor["name"], r.result, r.vendor["status"]) for r in reviews]
    by_id = {r.vendor["id"]: r for r in reviews}
    ranked = [by_id[e.vendor_id] for e in comparison.rank(entries, weights)]
    profile = evaluation["buyer_profile"] or {}
    return Comparison(
        ranked,
        weights,
        comparison.sensitivity(entries, weights),
        as_of,
        store.current_decisions(db, evaluation["id"]),
        commercials_block(questionnaire, ranked, profile),
        {r.vendor["id"]: data_location_line(r.answers, profile) for r in ranked}
        if "H6" in questionnaire.questions
        else None,
    )


def commercials_block(questionnaire: Questionnaire, reviews: list[VendorReview], profile: dict) -> dict | None:
    """The commercials block as plain data, one column per vendor in the order given; None without section K.

    The page and the PDF render the same dict (templates/_commercials.html). Nothing here reaches
    a score, the ranking or the sensitivity: they are computed before and without it.
    """
    if not all(q in questionnaire.questions for q in commercials.ANSWERED):
        return None  # a 1.0 snapshot: no K, no block
    blocks = {r.vendor["id"]: commercials.commercials(r.answers, profile) for r in reviews}
    marked = commercials.marks(blocks)
    return {
        "currency": commercials.currency(profile),
        "monthly_tasks": commercials.commercials({}, profile)["monthly_tasks"],
        "rows": [list(row) for row in commercials.ROWS],
        "included": commercials.INCLUDED,
        "margin": commercials.MARGIN,
        "columns": [
            {
                "id": r.vendor["id"],
                "name": r.vendor["name"],
                "values": blocks[r.vendor["id"]] | {"A3": r.answers.get("A3")},
                "marked": [row for row, ids in marked.items() if r.vendor["id"] in ids],
            }
            for r in reviews
        ],
    }


def data_location_line(answers: dict, profile: dict) -> dict:
    """Where a vendor's content goes, as plain data: H6 answered or not, its regions, the ones outside ours."""
    located = processors.data_locations(answers, profile)
    return {
        "answered": answers.get("H6") is not None,
        "regions": [[region, out] for region, out in located.regions] if located else [],
        "unstated": bool(located and located.unstated),
        "buyer_regions": bool(profile.get("data_regions")),
    }
