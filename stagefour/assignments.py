"""Shared scoring (issue 12): who is assigned what, which manual items still wait for a score,
and each evaluator's queue of what to score next.

An owner assigns evaluators to sections and/or vendors; an assignment to a section covers
that section's manual items of every vendor, one to a vendor covers all of that vendor's
manual items. Assignments guide, they do not restrict: anyone with the evaluator role may
score any item, because a committee may want more opinions.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from stagefour import access
from stagefour import store
from stagefour.scoring import PENDING
from stagefour.scoring import SCORED

if TYPE_CHECKING:
    from sqlite_utils import Database

    from stagefour.evaluations import VendorReview
    from stagefour.questionnaire import Questionnaire


@dataclass(frozen=True)
class QueueItem:
    """One manual item of one vendor, as a queue lists it."""

    vendor_id: int
    vendor_name: str
    section_id: str
    question_id: str
    assigned: bool  # to the queue's owner
    third_opinion: bool  # two scores more than a point apart ask for another


@dataclass(frozen=True)
class Queue:
    """What one evaluator still has to score, in order, and how much is left for everyone."""

    items: tuple[QueueItem, ...]
    left_in_total: int

    @property
    def next(self) -> QueueItem | None:
        """The item to score next, or None when nothing is left for this evaluator."""
        return self.items[0] if self.items else None

    @property
    def left_for_you(self) -> int:
        """How many items this evaluator still has to score."""
        return len(self.items)


def eligible_evaluators(db: Database, evaluation: dict) -> list[dict]:
    """The people who may be assigned: members of the evaluation's team with the evaluator role or
    more who can see it (named on it when it is restricted) and whose account is not disabled."""
    named = set(store.evaluation_members(db, evaluation["id"])) if evaluation["restricted"] else None
    return [
        m
        for m in store.team_members(db, evaluation["team_id"])
        if access.at_least(m["role"], "evaluator") and not m["disabled_at"] and (named is None or m["id"] in named)
    ]


def current_assignments(db: Database, evaluation: dict) -> list[dict]:
    """The evaluation's assignments held by people who may still be assigned.

    Someone who left the team, lost the evaluator role or was taken off a restricted evaluation
    keeps their rows until the owner saves the grid again, but nothing counts them meanwhile.
    """
    allowed = {m["id"] for m in eligible_evaluators(db, evaluation)}
    return [a for a in store.assignments(db, evaluation["id"]) if a["user_id"] in allowed]


def assigned_to(assignments: Iterable[dict], user_id: int) -> tuple[set[str], set[int]]:
    """The section ids and vendor ids assigned to one user."""
    sections, vendors = set(), set()
    for a in assignments:
        if a["user_id"] == user_id:
            if a["scope"] == "section":
                sections.add(a["target"])
            else:
                vendors.add(int(a["target"]))
    return sections, vendors


def needs_scores(status: str, third_opinion: bool) -> bool:
    """Whether a manual item still waits for evaluators: answered and not scored yet, or two of
    its scores disagree and ask for a third opinion."""
    return status == PENDING or third_opinion


def pending_manual_items(questionnaire: Questionnaire, reviews: Sequence[VendorReview]) -> list[QueueItem]:
    """THE definition of "manual scores pending" (dashboard, queue): the manual items of submitted
    responses that still wait for evaluators (`needs_scores`). A draft is left out: the vendor may
    still change the answer, so scoring it now would be wasted."""
    return [item for item, status, third in _manual_items(questionnaire, reviews) if needs_scores(status, third)]


def _manual_items(questionnaire: Questionnaire, reviews: Sequence[VendorReview]):
    """(QueueItem without assignment, item status, third opinion) for every answered manual item."""
    for review in reviews:
        if review.vendor["status"] != "submitted":
            continue
        for section, score in zip(questionnaire.sections, review.result.sections, strict=True):
            for question, item in zip(section.questions, score.items, strict=True):
                if question.scoring.kind != "manual" or item.status not in (PENDING, SCORED):
                    continue
                entry = QueueItem(
                    review.vendor["id"], review.vendor["name"], section.id, question.id, False, item.needs_third_opinion
                )
                yield entry, item.status, item.needs_third_opinion


def queue(
    questionnaire: Questionnaire, reviews: Sequence[VendorReview], assignments: Iterable[dict], user_id: int
) -> Queue:
    """One evaluator's queue: the items assigned to them that they have not scored, then the items
    that still wait for evaluators (pending_manual_items) that they have not scored and that no one
    else is assigned to and still has to score; each part in vendor order, then questionnaire order.

    So assignments split the work without anyone scoring an item twice by accident, and whoever
    runs out of assigned items helps with what nobody was given.
    """
    held = list(assignments)
    sections, vendors = assigned_to(held, user_id)
    others = {a["user_id"] for a in held} - {user_id}
    theirs = {other: assigned_to(held, other) for other in others}
    scored_by: dict[tuple[int, str], set[int]] = {}
    for r in reviews:
        for s in r.manual:
            scored_by.setdefault((r.vendor["id"], s["question_id"]), set()).add(s["evaluator_id"])
    first, then, pending = [], [], 0
    for item, status, third in _manual_items(questionnaire, reviews):
        waiting = needs_scores(status, third)
        pending += waiting
        done = scored_by.get((item.vendor_id, item.question_id), set())
        if user_id in done:
            continue
        if item.section_id in sections or item.vendor_id in vendors:
            first.append(QueueItem(**{**item.__dict__, "assigned": True}))
        elif waiting and not any(
            other not in done and (item.section_id in s or item.vendor_id in v) for other, (s, v) in theirs.items()
        ):
            then.append(item)
    return Queue(tuple(first + then), pending)


def comment_required(score: int, other_scores: Iterable[int]) -> bool:
    """Whether a score needs a comment: it is more than one point from another evaluator's score
    on the item, so the committee will want to read why."""
    return any(abs(score - other) > 1 for other in other_scores)
