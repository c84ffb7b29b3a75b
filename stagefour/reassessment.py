"""Re-assessment (issue 16, item 4): next year's evaluation starts from last year's answers.

Which answers carry over is decided here, without Flask: an answer carries when its question
still exists in the new questionnaire and the value is still valid under the new definition
(the same validation a vendor's import goes through, stagefour/response.py). Everything else is
dropped with a reason, so the owner can see what the vendor has to answer afresh.

Files are never carried: an upload belongs to the response it was sent with (the download
routes are bounded by that response), and evidence such as a certificate or an audit report
dates; a vendor sends this year's. A group keeps all its rows, without their file cells.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import date
from typing import Any

from sqlite_utils import Database

from stagefour import store
from stagefour.evaluations import VendorReview
from stagefour.evaluations import hash_token
from stagefour.evaluations import new_token
from stagefour.evaluations import review_vendors
from stagefour.questionnaire import Question
from stagefour.questionnaire import Questionnaire
from stagefour.response import check_value
from stagefour.response import is_answered
from stagefour.scoring import Result

# Why an answer was not carried over (codes: the view says them in the reader's language).
REMOVED = "removed"  # the question is not in the new questionnaire
INVALID = "invalid"  # the value does not fit the new definition
FILE = "file"  # evidence files are sent again each year
COMPUTED = "computed"  # worked out from the other answers, never answered


@dataclass(frozen=True)
class Dropped:
    """An answer of the previous response that was not carried over, and why."""

    question_id: str
    reason: str  # REMOVED, INVALID, FILE or COMPUTED
    detail: str = ""  # the validation error, in English, for the audit log


@dataclass(frozen=True)
class Carried:
    """The answers a new response starts from, and those left behind."""

    answers: dict[str, Any]
    dropped: tuple[Dropped, ...] = ()


def _without_files(question: Question, value: Any) -> Any:
    """A group's rows without their file cells (rows stay, even when a row is then empty)."""
    files = {f.id for f in question.fields if f.type == "file"}
    if not files or not isinstance(value, list):
        return value
    return [{k: v for k, v in row.items() if k not in files} if isinstance(row, dict) else row for row in value]


def carry_answers(questionnaire: Questionnaire, previous: dict[str, Any]) -> Carried:
    """Which of the previous answers still hold under `questionnaire`, validated as an import is."""
    answers: dict[str, Any] = {}
    dropped: list[Dropped] = []
    for qid, value in sorted(previous.items()):
        if value is None:
            continue
        question = questionnaire.questions.get(qid)
        if question is None:
            dropped.append(Dropped(qid, REMOVED))
            continue
        if question.type == "computed":
            dropped.append(Dropped(qid, COMPUTED))
            continue
        if question.type == "file":
            dropped.append(Dropped(qid, FILE))
            continue
        errors: list[str] = []
        clean = check_value(question, _without_files(question, value), qid, errors)
        if errors:
            dropped.append(Dropped(qid, INVALID, "; ".join(errors)[:500]))
        elif is_answered(question, clean):
            answers[qid] = clean
    return Carried(answers, tuple(dropped))


def carried_weights(questionnaire: Questionnaire, previous: dict[str, float]) -> dict[str, float]:
    """The previous weights of the sections that still exist; a new section gets its default weight."""
    return {s.id: float(previous.get(s.id, s.weight)) for s in questionnaire.sections}


def next_title(title: str, year: int) -> str:
    """The suggested title of next year's evaluation: "<title> (<year>)"."""
    return f"{title} ({year})"


def is_finished(evaluation: dict) -> bool:
    """Whether a re-assessment may start from an evaluation: its committee's decision is recorded.

    Before the decision the answers may still change, and next year's evaluation would start
    from answers that are not the ones the decision rests on.
    """
    return bool(evaluation["closed_at"])


def start_reassessment(
    db: Database,
    previous: dict,
    questionnaire: Questionnaire,
    title: str,
    user_id: int,
    expires_at: str | None,
) -> tuple[int, list[tuple[int, str]], dict[int, Carried]]:
    """Next year's evaluation of a finished one, on `questionnaire`: (its id, [(vendor id, link token)],
    new vendor id -> what carried). The same team, weights where sections remain, buyer profile and vendors."""
    snapshot_id = store.save_snapshot(
        db, questionnaire.id, questionnaire.version, questionnaire.hash, questionnaire.source
    )
    vendors = store.list_vendors(db, previous["id"])
    answers = store.answers_by_response(db, [v["response_id"] for v in vendors])
    tokens, carried, planned = {}, {}, []
    for v in vendors:
        tokens[v["id"]] = new_token()
        carried[v["id"]] = carry_answers(questionnaire, answers[v["response_id"]])
        planned.append(
            store.ReassessedVendor(
                v["id"],
                v["name"],
                v["contact_email"],
                carried[v["id"]].answers,
                [(d.question_id, d.reason) for d in carried[v["id"]].dropped],
                hash_token(tokens[v["id"]]),
            )
        )
    evaluation_id, new_ids = store.create_reassessment(
        db,
        previous["id"],
        title,
        snapshot_id,
        carried_weights(questionnaire, previous["weights"]),
        previous["buyer_profile"],
        user_id,
        planned,
        expires_at,
        team_id=previous["team_id"],
    )
    return (
        evaluation_id,
        [(new_ids[old], token) for old, token in tokens.items()],
        {new_ids[old]: c for old, c in carried.items()},
    )


@dataclass(frozen=True)
class Changes:
    """What changed in one vendor's response since the previous evaluation."""

    changed: tuple[str, ...]  # question ids (of the new questionnaire) whose answer differs
    overall_delta: float | None  # new overall score minus the previous one; None if either is None
    section_deltas: dict[str, float | None] = field(default_factory=dict)  # section id -> delta


def changes_since(
    questionnaire: Questionnaire, previous: dict[str, Any], current: dict[str, Any], before: Result, now: Result
) -> Changes:
    """The questions whose answer differs from the previous response's, and the score deltas."""
    changed = tuple(
        q.id for s in questionnaire.sections for q in s.questions if previous.get(q.id) != current.get(q.id)
    )
    old = {s.id: s.score for s in before.sections}
    deltas = {
        s.id: None if s.score is None or old.get(s.id) is None else round(s.score - old[s.id], 1) for s in now.sections
    }
    overall = None if now.overall is None or before.overall is None else round(now.overall - before.overall, 1)
    return Changes(changed, overall, deltas)


def changes_by_vendor(
    db: Database,
    questionnaire: Questionnaire,
    reviews: list[VendorReview],
    previous: dict,
    previous_questionnaire: Questionnaire,
    as_of: date,
) -> dict[int, Changes]:
    """Vendor id -> what changed since the previous evaluation, for the re-assessed vendors among `reviews`."""
    continues = store.previous_vendors(db, reviews[0].vendor["evaluation_id"]) if reviews else {}
    wanted = [continues[r.vendor["id"]] for r in reviews if r.vendor["id"] in continues]
    before = {
        r.vendor["id"]: r
        for r in review_vendors(db, previous, previous_questionnaire, as_of, vendor_ids=wanted)
    } if wanted else {}  # fmt: skip
    return {
        r.vendor["id"]: changes_since(
            questionnaire,
            before[continues[r.vendor["id"]]].answers,
            r.answers,
            before[continues[r.vendor["id"]]].result,
            r.result,
        )
        for r in reviews
        if continues.get(r.vendor["id"]) in before
    }
