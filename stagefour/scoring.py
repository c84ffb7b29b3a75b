"""Scoring: item points with their reasons, section and overall scores, completeness.

A pure function of (questionnaire, answers, as-of date, buyer profile, manual scores,
verifications, weights): the same input gives the same output, byte for byte.

Normalisation (../shared/QUESTIONNAIRE.md): unanswered required items score 0 and stay in
the denominator, so skipping never helps; not-applicable items leave it; a wholly
not-applicable section gives its weight to the others. Manual items that are answered but
not yet scored are *pending*: they leave the denominator and make the score provisional,
and the result carries the range the score can still move in (pending as 0 … as 5).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from functools import cached_property
from typing import Any

from stagefour.dates import months_before
from stagefour.dates import parse_date
from stagefour.flags import RedFlag
from stagefour.flags import Verdict
from stagefour.messages import N_
from stagefour.messages import NP_
from stagefour.messages import Message
from stagefour.messages import label
from stagefour.messages import series
from stagefour.profiles import profile_for
from stagefour.questionnaire import APPLICABLE
from stagefour.questionnaire import MAX_POINTS
from stagefour.questionnaire import UNKNOWN
from stagefour.questionnaire import Question
from stagefour.questionnaire import Questionnaire
from stagefour.questionnaire import Section
from stagefour.response import check_value
from stagefour.response import is_answered

SCORED, UNANSWERED, PENDING, NOT_APPLICABLE, UNSCORED = "scored", "unanswered", "pending", "not_applicable", "unscored"


@dataclass(frozen=True)
class ItemScore:
    """One item's points (0–5, None while pending) and why."""

    question_id: str
    status: str
    points: float | None
    why: Message
    manual_scores: tuple[float, ...] = ()
    needs_third_opinion: bool = False

    def to_dict(self) -> dict:
        """The item as plain data."""
        out = {"status": self.status, "points": self.points, "max": MAX_POINTS, "why": self.why}
        if self.manual_scores:
            out["manual_scores"] = list(self.manual_scores)
        if self.needs_third_opinion:
            out["needs_third_opinion"] = True
        return out


@dataclass(frozen=True)
class SectionScore:
    """A section's 0–100 score (None when wholly not applicable) and its range while pending."""

    id: str
    weight: float
    score: float | None
    low: float | None
    high: float | None
    items: tuple[ItemScore, ...]

    @property
    def provisional(self) -> bool:
        """Whether a pending manual item can still move the score."""
        return any(i.status == PENDING for i in self.items)

    @property
    def applicable(self) -> bool:
        """Whether any scored item applies."""
        return self.low is not None


@dataclass(frozen=True)
class Result:
    """Everything scoring says about one response."""

    questionnaire_id: str
    questionnaire_version: str
    questionnaire_hash: str
    as_of: date
    overall: float | None
    low: float | None
    high: float | None
    completeness: float
    verified_share: float | None
    sections: tuple[SectionScore, ...]
    red_flags: tuple  # the profile's red flags (stagefour/profiles/), or the questionnaire's answer warnings
    verdict: Any | None  # the profile's verdict, or the generic one from `verdict:`; None without either
    missing_required: tuple[str, ...] = field(default=())
    progress: dict = field(default_factory=dict)  # section id -> (required answered, required)

    @property
    def provisional(self) -> bool:
        """Whether any pending manual item can still move the overall score."""
        return any(s.provisional for s in self.sections)

    @cached_property
    def items(self) -> dict[str, ItemScore]:
        """Every item by question id."""
        # Cached: pages and the PDF ask once per question, and a 1,000-question result rebuilt
        # this dict a thousand times a vendor (issue 15, scale).
        return {i.question_id: i for s in self.sections for i in s.items}

    def to_dict(self) -> dict:
        """The result as plain, JSON-ready data (the output of `flask score`)."""
        return {
            "questionnaire": {
                "id": self.questionnaire_id,
                "version": self.questionnaire_version,
                "hash": self.questionnaire_hash,
            },
            "as_of": self.as_of.isoformat(),
            "overall": self.overall,
            "provisional": self.provisional,
            "range": {"low": self.low, "high": self.high},
            "completeness": self.completeness,
            "missing_required": list(self.missing_required),
            "verified_share": self.verified_share,
            "verdict": self.verdict.to_dict() if self.verdict else None,
            "red_flags": [f.to_dict() for f in self.red_flags],
            "sections": {s.id: s.score for s in self.sections},
            "section_details": {
                s.id: {
                    "weight": s.weight,
                    "score": s.score,
                    "provisional": s.provisional,
                    "range": {"low": s.low, "high": s.high},
                }
                for s in self.sections
            },
            "items": {i.question_id: i.to_dict() for s in self.sections for i in s.items},
        }

    def to_json(self) -> str:
        """Deterministic JSON text."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)


def score_response(
    questionnaire: Questionnaire,
    answers: dict,
    as_of: date,
    buyer_profile: dict | None = None,
    manual_scores: dict | None = None,
    verifications: dict | None = None,
    weights: dict | None = None,
    commitments: dict | None = None,
) -> Result:
    """Score one response: items, sections, overall, completeness, red flags and verdict.

    `manual_scores` maps a manual item's id to its evaluators' scores (0–5);
    `verifications` maps a B1 deployment id to `{"reference_checked": bool,
    "evidence_reviewed": bool, "fingerprint": str}` (a verification counts only while the
    row's fingerprint, the profile's `fingerprint`, is still the one it names);
    `weights` overrides section weights by section id;
    `commitments` maps an engineer's name to the allocation (%) already promised elsewhere.
    """
    manual_scores = _manual(questionnaire, manual_scores or {})
    weights = weights or {}
    answers = scorable_answers(questionnaire, answers)
    profile = profile_for(questionnaire)
    facts = profile.facts(answers, as_of, buyer_profile) if profile else None
    rule_facts = _RuleFacts(as_of, lambda name: profile.metrics[name](facts))
    done = completeness(questionnaire, answers)
    questions = questionnaire.questions
    sections = []
    memo: dict[str, str] = {}
    for section in questionnaire.sections:
        items = [
            _score_item(
                q,
                _applicability(q, answers, questions, memo),
                answers,
                rule_facts,
                manual_scores.get(q.id, ()),
                questions,
            )
            for q in section.questions
        ]
        weight = weights.get(section.id, section.weight)
        sections.append(_section(section.id, weight, items, section.questions))
    overall = _overall(sections, "score")
    flags, verdict, verified_share = [], None, None
    if profile:
        means = {qid: sum(s) / len(s) for qid, s in manual_scores.items() if s}
        flags, verdict, verified_share = profile.judge(facts, means, commitments, verifications)
    else:
        # A generic questionnaire: its own answer warnings, and a verdict only where it sets `verdict:` thresholds.
        flags = answer_warnings(questionnaire, answers)
        if questionnaire.verdict:
            verdict = generic_verdict(questionnaire, overall, sections, flags)
    return Result(
        questionnaire_id=questionnaire.id,
        questionnaire_version=questionnaire.version,
        questionnaire_hash=questionnaire.hash,
        as_of=as_of,
        overall=overall,
        low=_overall(sections, "low"),
        high=_overall(sections, "high"),
        completeness=done.percent,
        verified_share=verified_share,
        sections=tuple(sections),
        red_flags=tuple(flags),
        verdict=verdict,
        missing_required=done.missing,
        progress=done.by_section,
    )


@dataclass(frozen=True)
class _RuleFacts:
    """What a rule reads besides the answers: the day scored, and the profile's metrics by name."""

    as_of: date
    measure: Callable[[str], Any]


@dataclass(frozen=True)
class Completeness:
    """Required items answered: per section, the ids still missing, and the share on 0–100."""

    by_section: dict  # section id -> (required answered, required)
    missing: tuple[str, ...]
    percent: float
    # the sections whose `visible_if` does not hold on the answers: none of their questions applies
    not_applicable: frozenset = frozenset()

    @property
    def first_incomplete(self) -> str | None:
        """The first section (questionnaire order) with a required answer missing; None when all are given."""
        return next((sid for sid, (done, required) in self.by_section.items() if done < required), None)


def scorable_answers(questionnaire: Questionnaire, answers: dict) -> dict:
    """The answers that fit their questions; a stored value that does not counts as unanswered.

    Everything that comes in is validated, but what is stored can be older than a bound (a
    number question's default range, issue 10) or written by hand: a text where a number
    belongs, inf, 1e300. Scoring, metrics and red flags compare and round such values and
    used to raise, a 500 on every page that shows the evaluation. A group keeps its rows and
    loses only the cells that do not fit.
    """
    out = {}
    for qid, value in answers.items():
        question = questionnaire.questions.get(qid)
        if question is None or value is None:
            continue
        problems: list[str] = []
        check_value(question, value, qid, problems)
        if not problems:
            out[qid] = value
        elif question.type == "group" and isinstance(value, list):
            out[qid] = [_fitting_cells(question, row) for row in value if isinstance(row, dict)]
    return out


def _fitting_cells(group: Question, row: dict) -> dict:
    cells = {}
    for key, cell in row.items():
        field_ = group.field_by_id(key)
        problems: list[str] = []
        if field_ is not None and cell is not None:
            check_value(field_, cell, key, problems)
            if not problems:
                cells[key] = cell
    return cells


def completeness(questionnaire: Questionnaire, answers: dict) -> Completeness:
    """Which required, applicable items are answered (cheap: no scoring, for progress displays)."""
    by_section = {}
    missing = []
    questions = questionnaire.questions
    skipped = set()
    memo: dict[str, str] = {}
    for section in questionnaire.sections:
        if section_applicability(section, answers, questions, memo) == NOT_APPLICABLE:
            skipped.add(section.id)
        required = answered = 0
        for q in section.questions:
            if not q.required:
                continue
            applicability = _applicability(q, answers, questions, memo)
            if applicability == NOT_APPLICABLE:
                continue
            required += 1
            if applicability == APPLICABLE and is_answered(q, answers.get(q.id)):
                answered += 1
            else:
                missing.append(q.id)
        by_section[section.id] = (answered, required)
    total = sum(r for _, r in by_section.values())
    done = sum(a for a, _ in by_section.values())
    percent = _round(100 * done / total) if total else 100.0
    return Completeness(by_section, tuple(missing), percent, frozenset(skipped))


def section_applicability(
    section: Section, answers: dict, questions: dict[str, Question], memo: dict | None = None
) -> str:
    """A section's own state from its `visible_if` (issue 15): 'applicable', 'not_applicable' or 'unknown'."""
    if section.visible_if is None:
        return APPLICABLE
    memo = {} if memo is None else memo
    return section.visible_if.decide(
        lambda qid: (answers.get(qid), _applicability(questions[qid], answers, questions, memo))
    )


def _manual(questionnaire: Questionnaire, raw: dict) -> dict[str, tuple[float, ...]]:
    out = {}
    questions = questionnaire.questions
    for qid, scores in raw.items():
        q = questions.get(qid)
        if q is None or q.scoring.kind != "manual":
            raise ValueError(f"manual_scores.{qid}: not a manually scored item")
        scores = scores if isinstance(scores, list | tuple) else [scores]
        for s in scores:
            if not isinstance(s, int | float) or isinstance(s, bool) or not 0 <= s <= MAX_POINTS:
                raise ValueError(f"manual_scores.{qid}: expected scores from 0 to 5, got {s!r}")
        out[qid] = tuple(float(s) for s in scores)
    return out


def _applicability(q: Question, answers: dict, questions: dict[str, Question], memo: dict | None = None) -> str:
    """'applicable', 'not_applicable', or 'unknown' while a question it depends on is unanswered.

    Down a chain (issue 15): a question whose controlling question does not apply does not apply
    either, whatever answer that question keeps from before (the answer stays stored, unused).
    The loader refuses cycles, so the walk up ends. `memo` keeps each question's state for one set
    of answers: every question after n `skip_rest_if` questions names all n, and each of them the
    ones above it, so without it the walk doubles with each one (2^n).
    """
    cond = q.applies_if
    if cond is None:
        return APPLICABLE
    memo = {} if memo is None else memo
    if q.id in memo:
        return memo[q.id]

    def lookup(qid: str) -> tuple[Any, str]:
        above = questions.get(qid)
        return answers.get(qid), _applicability(above, answers, questions, memo) if above is not None else APPLICABLE

    memo[q.id] = cond.decide(lookup)
    return memo[q.id]


def _waiting_on(q: Question, answers: dict, questions: dict[str, Question], memo: dict | None = None) -> str:
    """The unanswered question up the chain that leaves `q` undecided."""
    memo = {} if memo is None else memo
    for leaf in q.applies_if.leaves():
        value = answers.get(leaf.question)
        if value is None or value == "":
            return leaf.question
        above = questions[leaf.question]
        if _applicability(above, answers, questions, memo) == UNKNOWN:
            return _waiting_on(above, answers, questions, memo)
    return q.applies_if.questions[0]


def _score_item(
    q: Question, applicability: str, answers: dict, tr: _RuleFacts, manual: tuple, questions: dict[str, Question]
) -> ItemScore:
    rule = q.scoring
    if applicability == NOT_APPLICABLE:
        return ItemScore(
            q.id,
            NOT_APPLICABLE,
            None,
            N_("not applicable: depends on %(question)s", question=", ".join(q.applies_if.questions)),
        )
    if not rule.scored:
        return ItemScore(q.id, UNSCORED, None, N_("shown, not scored"))
    if applicability == "unknown":
        why = N_("depends on %(question)s, which is unanswered", question=_waiting_on(q, answers, questions))
        return ItemScore(q.id, UNANSWERED, 0.0, _with_points(0, why))
    value = answers.get(q.id)
    if q.type != "computed" and not is_answered(q, value):
        return ItemScore(q.id, UNANSWERED, 0.0, _with_points(0, N_("unanswered")))
    if q.is_not_applicable(value):  # answered, and out of the denominator (not 0 points)
        return ItemScore(
            q.id, NOT_APPLICABLE, None, N_('not applicable: answered "%(answer)s"', answer=localize_option(q, value))
        )
    if rule.kind == "manual":
        if not manual:
            return ItemScore(q.id, PENDING, None, N_("answered; waiting for an evaluator's score"))
        mean = sum(manual) / len(manual)
        spread = max(manual) - min(manual)
        third = len(manual) == 2 and spread > 1
        why = NP_(
            "mean of %(num)s evaluator score (%(scores)s)",
            "mean of %(num)s evaluator scores (%(scores)s)",
            num=len(manual),
            scores=series(_rounded(s) for s in manual),
        )
        if third:
            why = _then(why, N_("two evaluators are more than one point apart: a third opinion is needed"))
        return ItemScore(q.id, SCORED, _round(mean, 2), _with_points(mean, why), manual, third)
    points, why = _rule_points(q, value, answers, tr)
    for bonus in rule.bonus:
        other = answers.get(bonus.condition.question)
        if other is not None and bonus.condition.holds(other):
            points += bonus.points
            bonus_words = N_(
                "+%(points)s for %(question)s = %(value)s",
                points=_rounded(bonus.points),
                question=bonus.condition.question,
                value=_value_words(other),
            )
            why = _then(why, bonus_words)
    points = min(points, MAX_POINTS)
    return ItemScore(q.id, SCORED, _round(points, 2), _with_points(points, why))


def _with_points(points: float, why: Message) -> Message:
    """A reason led by its points, "3.5: answered …" (the PDF shows the points apart: `why` alone)."""
    return N_("%(points)s: %(why)s", points=_rounded(points), why=why)


def _then(first: Message, then: Message) -> Message:
    return N_("%(first)s; %(then)s", first=first, then=then)


def _rule_points(q: Question, value: Any, answers: dict, tr: _RuleFacts) -> tuple[float, Message]:
    rule = q.scoring
    kind = rule.kind
    if kind == "points":
        key = ("yes" if value else "no") if q.type == "yes_no" else value
        words = _value_words(value) if q.type == "yes_no" else localize_option(q, value)
        return rule.points.get(key, 0.0), N_('answered "%(answer)s"', answer=words)
    if kind == "per_option":
        chosen = sorted(((rule.points.get(v, 0.0), v) for v in value), key=lambda pv: (-pv[0], pv[1]))
        note = None
        if rule.evidence:
            files = answers.get(rule.evidence) or []
            backed = min(len(chosen), len(files))
            if backed < len(chosen):
                note = NP_(
                    "%(num)s evidence file in %(question)s backs only %(backed)s of %(chosen)s",
                    "%(num)s evidence files in %(question)s back only %(backed)s of %(chosen)s",
                    num=len(files),
                    question=rule.evidence,
                    backed=backed,
                    chosen=len(chosen),
                )
            chosen = chosen[:backed]
        total = min(sum(p for p, _ in chosen), rule.max)
        listed = series((localize_option(q, v) for _, v in chosen), empty=N_("none"))
        why = N_("%(count)s counted (%(options)s)", count=len(chosen), options=listed)
        return total, _then(why, note) if note else why
    if kind == "share":
        share = len(value) / len(q.options)
        return share * rule.points["*"], N_("%(count)s of %(total)s selected", count=len(value), total=len(q.options))
    if kind == "bands":
        return _band_points(rule, value, _value_words(value))
    if kind == "age":
        answered = parse_date(value)
        if answered is None or answered > tr.as_of:
            return 0.0, N_("%(date)s is in the future", date=answered or str(value))
        for band in rule.bands:
            if answered >= months_before(tr.as_of, band.within_months):
                return band.points, NP_(
                    "%(date)s is within %(num)s month of %(as_of)s",
                    "%(date)s is within %(num)s months of %(as_of)s",
                    num=band.within_months,
                    date=answered,
                    as_of=tr.as_of,
                )
        return rule.otherwise, NP_(
            "%(date)s is older than %(num)s month",
            "%(date)s is older than %(num)s months",
            num=rule.bands[-1].within_months,
            date=answered,
        )
    if kind == "metric":
        measure = tr.measure(rule.metric)
        if measure.value is None:
            return 0.0, measure.why
        if rule.scale is not None:
            return measure.value * rule.scale, measure.why
        return _band_points(rule, measure.value, measure.why)
    raise AssertionError(f"unhandled rule kind {kind}")  # the loader only admits known kinds


def _band_points(rule, value: float, why: Any) -> tuple[float, Message]:
    for band in rule.bands:
        if band.matches(value):
            return band.points, N_("%(why)s (band %(band)s)", why=why, band=band_words(band))
    return rule.otherwise, N_("%(why)s (outside every band)", why=why)


def band_words(band) -> Message:
    """A band as a short range, e.g. '2–4' or '> 8', its numbers in the reader's locale."""
    if band.within_months is not None:
        return NP_("within %(num)s month", "within %(num)s months", num=band.within_months)
    if band.min is not None and band.max is not None:
        return N_("%(low)s–%(high)s", low=band.min, high=band.max)
    parts = []
    if band.min is not None:
        parts.append(N_("≥ %(value)s", value=band.min))
    if band.above is not None:
        parts.append(N_("> %(value)s", value=band.above))
    if band.max is not None:
        parts.append(N_("≤ %(value)s", value=band.max))
    if band.below is not None:
        parts.append(N_("< %(value)s", value=band.below))
    if not parts:
        return N_("any")
    return parts[0] if len(parts) == 1 else N_("%(first)s and %(then)s", first=parts[0], then=series(parts[1:]))


def localize_option(q: Question, value: str):
    """An option's label for explanations, shown in the reader's language."""
    option = next((o for o in q.options if o.value == value), None)
    return label(option.label, str(value)) if option else str(value)


def _section(section_id: str, weight: float, items: list[ItemScore], questions) -> SectionScore:
    item_weight = {q.id: q.weight for q in questions}
    counted = [i for i in items if i.status in (SCORED, UNANSWERED, PENDING)]
    if not counted:
        return SectionScore(section_id, weight, None, None, None, tuple(items))

    def mean(pending_as: float | None) -> float | None:
        total = denominator = 0.0
        for i in counted:
            points = i.points if i.status != PENDING else pending_as
            if points is None:
                continue
            total += item_weight[i.question_id] * points / MAX_POINTS
            denominator += item_weight[i.question_id]
        return _round(100 * total / denominator) if denominator else None

    return SectionScore(section_id, weight, mean(None), mean(0.0), mean(MAX_POINTS), tuple(items))


def weighted_mean(pairs) -> float | None:
    """Σ weight × score ÷ Σ weight over (weight, score) pairs whose score applies (not None)."""
    pairs = [(w, v) for w, v in pairs if v is not None and w > 0]
    total_weight = sum(w for w, _ in pairs)
    if not total_weight:
        return None
    return _round(sum(w * v for w, v in pairs) / total_weight)


def _overall(sections: list[SectionScore], attribute: str) -> float | None:
    return weighted_mean((s.weight, getattr(s, attribute)) for s in sections)


def _round(value: float, digits: int = 1) -> float:
    # round() on binary floats is not "half up" (2.675 → 2.67); scores only need stability,
    # which round() gives for the same input on every platform.
    return round(value + 0.0, digits)


def _rounded(value: float) -> float:
    """Points as shown: two decimals at most (the locale writes them)."""
    return round(value, 2)


def _value_words(value: Any) -> Any:
    """An answer as a message parameter: yes/no translated, numbers for the locale, text as it is."""
    if isinstance(value, bool):
        return N_("yes") if value else N_("no")
    return value


def reason(why: Any) -> Any:
    """An item's reason without its leading points, for pages that show the points beside it."""
    if isinstance(why, Message) and why.msgid == "%(points)s: %(why)s":
        return why.params["why"]
    return why


# --- the vendor's review page (issue 12) ---


def vendor_problems(questionnaire: Questionnaire, answers: dict, as_of: date) -> list:
    """The consistency problems a vendor can fix in their answers; none without a profile."""
    profile = profile_for(questionnaire)
    return profile.vendor_problems(scorable_answers(questionnaire, answers), as_of) if profile else []


def is_applicable(q: Question, answers: dict, questions: dict[str, Question], memo: dict | None = None) -> bool:
    """Whether a question applies given the answers (a `visible_if` not yet decided counts as applying).

    Asking for many questions, pass one `memo` dict to all the calls (see `_applicability`).
    """
    return _applicability(q, answers, questions, memo) != NOT_APPLICABLE


def conditions_outside(questionnaire: Questionnaire, section_questions: tuple[Question, ...], answers: dict) -> dict:
    """`{question: [state, answer]}` for the questions this page's conditions name on other pages.

    The page's script (static/conditions.js) reads the answers on the page itself; these it cannot.
    """
    here = {q.id for q in section_questions}
    questions = questionnaire.questions
    named = {qid for q in section_questions if q.applies_if for qid in q.applies_if.questions}
    # the section list beside the page shows which sections apply (section conditions name other pages)
    named |= {qid for s in questionnaire.sections if s.visible_if for qid in s.visible_if.questions}
    named -= here
    memo: dict[str, str] = {}
    return {qid: [_applicability(questions[qid], answers, questions, memo), answers.get(qid)] for qid in sorted(named)}


# --- the format grows (issue 15): answer warnings and the generic verdict ---

WARNING_MESSAGE = "%(text)s"  # not through N_: the text is the questionnaire's, in the reader's language
GENERIC_VERDICTS = {
    "meets": (5, N_("Meets the requirements")),  # tiers as the stage verdicts colour them
    "meets_with_conditions": (3, N_("Meets the requirements with conditions")),
    "does_not_meet": (0, N_("Does not meet the requirements")),
}


def condition_holds(cond, answers: dict) -> bool:
    """Whether a condition holds on the answers; an unanswered question meets no condition."""
    value = answers.get(cond.question)
    if value is None or value == "":
        return False
    return cond.holds(value)


def answer_warnings(questionnaire: Questionnaire, answers: dict) -> list[RedFlag]:
    """The warnings the answers raise (`warnings:` on a question), as flags beside any red flags.

    A warning's code is the question's display number with the warning's place ("AC.02/1");
    a question that does not apply raises none.
    """
    out = []
    memo: dict[str, str] = {}
    for q in questionnaire.questions.values():
        if not q.warnings or not is_applicable(q, answers, questionnaire.questions, memo):
            continue
        for k, warning in enumerate(q.warnings, start=1):
            if warning.when is not None and condition_holds(warning.when, answers):
                message = Message(WARNING_MESSAGE, {"text": label(warning.message)})
                out.append(RedFlag(f"{q.shown_number}/{k}", warning.severity, message, (q.id,)))
    order = {"high": 0, "medium": 1, "low": 2}
    return sorted(out, key=lambda f: order.get(f.severity, 3))  # stable: questionnaire order within a severity


def generic_verdict(questionnaire: Questionnaire, overall: float | None, sections, flags) -> Verdict:
    """The questionnaire's `verdict:` levels, best first; the first whose thresholds all hold, else "does not meet"."""
    scores = {s.id: s.score for s in sections}
    raised = {severity: sum(1 for f in flags if f.severity == severity) for severity in ("high", "medium", "low")}
    for code, level in questionnaire.verdict:
        if level.overall is not None and (overall is None or overall < level.overall):
            continue
        # a section that does not apply at all holds no vendor back
        if any(scores.get(sid) is not None and scores[sid] < minimum for sid, minimum in level.sections.items()):
            continue
        if any(raised[severity] > most for severity, most in level.warnings.items()):
            continue
        tier, words = GENERIC_VERDICTS[code]
        return Verdict(code, words, tier)
    tier, words = GENERIC_VERDICTS["does_not_meet"]
    return Verdict("does_not_meet", words, tier)
