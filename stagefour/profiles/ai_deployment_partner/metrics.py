"""Measures over a response's repeating groups: the track record behind computed items.

They read the public ids of the AI deployment partner questionnaire (B1 deployments, C1
engineers, D1 failure modes, B3 pilots); see ../shared/QUESTIONNAIRE.md. Red flags and the
verdict (checks.py beside it) use the same facts, so a deployment qualifies in one place.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

from stagefour.dates import months_before
from stagefour.dates import parse_date
from stagefour.dates import whole_months_between
from stagefour.messages import N_
from stagefour.messages import NP_
from stagefour.messages import Message
from stagefour.messages import series
from stagefour.processors import content_rows
from stagefour.processors import is_model_row

QUALIFYING_WINDOW_MONTHS = 6
BUILT_BY_VENDOR = ("built_operates", "handed_over")
AUTOMATIC_DETECTION = ("alert", "eval")


@dataclass(frozen=True)
class Measure:
    """A metric's value (None when there is nothing to measure) and why."""

    value: float | None
    why: Message


def _rows(answers: dict, question_id: str) -> list[dict]:
    rows = answers.get(question_id)
    return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []


def _label(row: dict, index: int) -> str | Message:
    label = row.get("id")
    return str(label) if isinstance(label, str) and label.strip() else N_("row %(number)s", number=index + 1)


def deployment_fingerprint(answers: dict, deployment_id: str) -> str | None:
    """SHA-256 of the canonical JSON of the B1 row with this id; None when no row, or several, have it.

    Canonical: keys sorted, no spaces, UTF-8. A verification vouches for the row as it stood,
    so any change of that row (a cell, a second row with its id, its removal) changes this.
    """
    rows = [r for r in _rows(answers, "B1") if r.get("id") == deployment_id]
    if len(rows) != 1:
        return None
    canonical = json.dumps(rows[0], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class TrackRecord:
    """The facts about a response's deployments, engineers and failure modes at a date."""

    def __init__(self, answers: dict, as_of: date, buyer_profile: dict | None = None):
        self.answers = answers
        self.as_of = as_of
        self.buyer_profile = buyer_profile or {}
        self.window_start = months_before(as_of, QUALIFYING_WINDOW_MONTHS)

    @cached_property
    def deployments(self) -> list[dict]:
        """B1 rows."""
        return _rows(self.answers, "B1")

    @cached_property
    def engineers(self) -> list[dict]:
        """C1 rows."""
        return _rows(self.answers, "C1")

    @cached_property
    def failures(self) -> list[dict]:
        """D1 rows."""
        return _rows(self.answers, "D1")

    def why_not_qualifying(self, row: dict) -> Message | None:
        """None when a deployment qualifies, else the first reason it does not."""
        if row.get("in_production") is not True:
            return N_("not in production")
        if row.get("stage") != 4:
            return N_("not at stage 4")
        go_live = parse_date(row.get("go_live"))
        if go_live is None:
            return N_("no go-live date")
        if go_live > self.as_of:
            return N_("go-live in the future")
        if go_live < self.window_start:
            return N_("went live before %(date)s", date=self.window_start)
        if row.get("vendor_role") not in BUILT_BY_VENDOR:
            return N_("not built by the vendor")
        return None

    @cached_property
    def qualifying(self) -> list[tuple[int, dict]]:
        """(index, row) of B1 deployments that qualify: production, stage 4, recent, built."""
        return [(i, r) for i, r in enumerate(self.deployments) if self.why_not_qualifying(r) is None]

    @cached_property
    def qualifying_ids(self) -> set[str]:
        """The vendor's labels of qualifying deployments."""
        return {r["id"] for _, r in self.qualifying if isinstance(r.get("id"), str) and r["id"]}

    @cached_property
    def roster_ids(self) -> set[str]:
        """Ids of engineers in the C1 roster."""
        return {r["id"] for r in self.engineers if isinstance(r.get("id"), str) and r["id"]}

    @cached_property
    def engineers_on_qualifying(self) -> set[str]:
        """Engineer ids named on qualifying deployments that are also in the roster."""
        named = {e for _, r in self.qualifying for e in (r.get("engineer_ids") or []) if isinstance(e, str)}
        return named & self.roster_ids

    @cached_property
    def failures_on_qualifying(self) -> list[tuple[int, dict]]:
        """(index, row) of D1 failure modes linked to a qualifying deployment."""
        return [(i, r) for i, r in enumerate(self.failures) if r.get("deployment_id") in self.qualifying_ids]

    def qualifying_labels(self, rows: list[tuple[int, dict]] | None = None):
        """A short list of deployment labels for explanations (a message parameter)."""
        rows = self.qualifying if rows is None else rows
        return series((_label(r, i) for i, r in rows), empty=N_("none"))


# Placeholders for a msgid marked where it is chosen and filled in later (_qualifying_share).
_BLANK = {"count": 0, "total": 0, "deployments": ""}


def _share(part: int, whole: int) -> float:
    return part / whole


def qualifying_deployments(tr: TrackRecord) -> Measure:
    """Qualifying deployments; one matching the buyer's industry or size band counts more."""
    total = 0.0
    notes = []
    industry, size = tr.buyer_profile.get("industry"), tr.buyer_profile.get("size_band")
    for i, row in tr.qualifying:
        weight = 1.0
        matches = []
        if industry and row.get("industry") == industry:
            weight += 0.5
            matches.append("industry")
        if size and row.get("size_band") == size:
            weight += 0.5
            matches.append("size")
        if matches == ["industry", "size"]:
            notes.append(
                N_(
                    "%(deployment)s matches your industry and size (counts %(weight)s)",
                    deployment=_label(row, i),
                    weight=weight,
                )
            )
        elif matches:
            words = (
                N_("%(deployment)s matches your industry (counts %(weight)s)", deployment=_label(row, i), weight=weight)
                if matches == ["industry"]
                else N_(
                    "%(deployment)s matches your size (counts %(weight)s)", deployment=_label(row, i), weight=weight
                )
            )
            notes.append(words)
        total += weight
    why = NP_(
        "%(num)s qualifying deployment: %(deployments)s",
        "%(num)s qualifying deployments: %(deployments)s",
        num=len(tr.qualifying),
        deployments=tr.qualifying_labels(),
    )
    if notes:
        why = N_("%(first)s; %(then)s", first=why, then=series(notes, "; "))
    return Measure(total, why)


def production_share(tr: TrackRecord) -> Measure:
    """Deployments in production ÷ (those + the pilots and proofs of concept in B3)."""
    production = sum(1 for r in tr.deployments if r.get("in_production") is True)
    pilots = tr.answers.get("B3")
    pilots = pilots if isinstance(pilots, int | float) and not isinstance(pilots, bool) else 0
    if production + pilots == 0:
        return Measure(None, N_("no deployments in production and no pilots"))
    share = _share(production, production + pilots)
    why = N_(
        "%(production)s in production, %(pilots)s pilots: %(percent)s %% production",
        production=production,
        pilots=pilots,
        percent=round(share * 100),
    )
    return Measure(share, why)


def longest_in_production_months(tr: TrackRecord) -> Measure:
    """Months since the earliest go-live of a deployment in production."""
    best, label = None, ""
    for i, row in enumerate(tr.deployments):
        go_live = parse_date(row.get("go_live"))
        if row.get("in_production") is True and go_live and go_live <= tr.as_of:
            months = whole_months_between(go_live, tr.as_of)
            if best is None or months > best:
                best, label = months, _label(row, i)
    if best is None:
        return Measure(None, N_("no deployment in production"))
    return Measure(
        best,
        NP_(
            "%(deployment)s: %(num)s month in production",
            "%(deployment)s: %(num)s months in production",
            num=best,
            deployment=label,
        ),
    )


def proposed_fde_share(tr: TrackRecord) -> Measure:
    """Proposed engineers who are FDEs named on a qualifying deployment ÷ proposed engineers."""
    proposed = [r for r in tr.engineers if r.get("proposed") is True]
    if not proposed:
        return Measure(None, N_("no engineer proposed"))
    proven = [r for r in proposed if r.get("class") == "fde" and r.get("id") in tr.engineers_on_qualifying]
    share = _share(len(proven), len(proposed))
    names = series((str(r.get("name") or r.get("id")) for r in proven), empty=N_("none"))
    return Measure(
        share,
        N_(
            "%(count)s of %(total)s proposed engineers are FDEs on a qualifying deployment (%(names)s)",
            count=len(proven),
            total=len(proposed),
            names=names,
        ),
    )


def failures_on_qualifying(tr: TrackRecord) -> Measure:
    """Failure modes linked to qualifying deployments."""
    rows = tr.failures_on_qualifying
    return Measure(
        len(rows),
        NP_(
            "%(num)s failure mode on qualifying deployments",
            "%(num)s failure modes on qualifying deployments",
            num=len(rows),
        ),
    )


def automatic_detection_recovery(tr: TrackRecord) -> Measure:
    """Mean of the automatically detected and automatically recovered shares of failure modes."""
    rows = tr.failures
    if not rows:
        return Measure(None, N_("no failure modes reported"))
    detected = sum(1 for r in rows if r.get("detected_by") in AUTOMATIC_DETECTION)
    recovered = sum(1 for r in rows if r.get("automated_recovery") is True)
    share = (detected + recovered) / (2 * len(rows))
    return Measure(
        share,
        N_(
            "%(detected)s of %(total)s detected by alert or eval, %(recovered)s of %(total)s recovered automatically",
            detected=detected,
            recovered=recovered,
            total=len(rows),
        ),
    )


def _qualifying_share(tr: TrackRecord, test, what: str) -> Measure:
    if not tr.qualifying:
        return Measure(None, N_("no qualifying deployment"))
    hits = [(i, r) for i, r in tr.qualifying if test(r)]
    share = _share(len(hits), len(tr.qualifying))
    return Measure(
        share,
        Message(what, {"count": len(hits), "total": len(tr.qualifying), "deployments": tr.qualifying_labels(hits)}),
    )


def qualifying_security_review_share(tr: TrackRecord) -> Measure:
    """Share of qualifying deployments that passed the customer's security review."""
    what = N_("%(count)s of %(total)s qualifying deployments passed a security review (%(deployments)s)", **_BLANK)
    return _qualifying_share(tr, lambda r: r.get("security_review_passed") is True, what.msgid)


def qualifying_customer_kpi_share(tr: TrackRecord) -> Measure:
    """Share of qualifying deployments whose KPI change the customer measured."""
    what = N_("%(count)s of %(total)s qualifying deployments have a customer-measured KPI (%(deployments)s)", **_BLANK)
    return _qualifying_share(tr, lambda r: r.get("kpi_measured_by") == "customer", what.msgid)


def qualifying_references(tr: TrackRecord) -> Measure:
    """Qualifying deployments with a reference available."""
    hits = [(i, r) for i, r in tr.qualifying if r.get("reference_available") is True]
    return Measure(
        len(hits),
        NP_(
            "%(num)s qualifying deployment with a reference (%(deployments)s)",
            "%(num)s qualifying deployments with a reference (%(deployments)s)",
            num=len(hits),
            deployments=tr.qualifying_labels(hits),
        ),
    )


def _days(value: Any) -> float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def model_retention_days(tr: TrackRecord) -> Measure:
    """H8: the longest retention of our content at a model provider, over H6's content model rows.

    Clarification 7's order: H6 unanswered → nothing to measure (0 points); a content model row
    without `retention_days` → nothing to measure (0); else the longest `retention_days`; no
    content model row → 0 days when K5 is `buyer_account` (the buyer holds the model contract,
    so the model provider keeps nothing for the vendor), else nothing to measure (0).
    """
    if tr.answers.get("H6") is None:
        return Measure(None, N_("H6 is unanswered"))
    model_rows = [(i, row) for i, row in content_rows(tr.answers) if is_model_row(row)]
    unknown = [_label(row, i) for i, row in model_rows if _days(row.get("retention_days")) is None]
    if unknown:
        return Measure(
            None,
            N_("no retention figure for the model provider in H6: %(rows)s", rows=series(unknown)),
        )
    if not model_rows:
        if tr.answers.get("K5") == "buyer_account":
            return Measure(0, N_("no model provider in H6 receives our content, and we hold the model contract (K5)"))
        return Measure(
            None, N_("no model provider in H6 receives our content, although we do not hold the model contract (K5)")
        )
    i, row = max(model_rows, key=lambda pair: _days(pair[1].get("retention_days")))
    days = _days(row.get("retention_days"))
    return Measure(
        days,
        NP_(
            "%(row)s keeps our content for %(num)s day at most",
            "%(row)s keeps our content for %(num)s days at most",
            num=days,
            row=_label(row, i),
        ),
    )


METRICS = {
    f.__name__: f
    for f in (
        qualifying_deployments,
        production_share,
        longest_in_production_months,
        proposed_fde_share,
        failures_on_qualifying,
        automatic_detection_recovery,
        qualifying_security_review_share,
        qualifying_customer_kpi_share,
        qualifying_references,
        model_retention_days,
    )
}
