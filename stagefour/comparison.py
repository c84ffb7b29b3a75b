"""Comparing vendors: the ranking (verdict tier first, then score) and how stable it is.

Pure functions of already-scored responses, so the comparison page, the PDF and the exports
rank vendors the same way, and re-weighting in the browser (static/compare.js) follows the
same rule: overall = Σ weight × section score ÷ Σ weight over the sections that apply.
"""

from __future__ import annotations

from dataclasses import dataclass

from stagefour.scoring import Result
from stagefour.scoring import weighted_mean

# Multipliers of one section's weight tried when looking for the change that moves the winner:
# down to 0 in steps of 5 %, up to 10× in steps of 10 %.
MULTIPLIERS = tuple(sorted({round(0.05 * i, 2) for i in range(20)} | {round(1 + 0.1 * i, 2) for i in range(1, 91)}))


@dataclass(frozen=True)
class Entry:
    """One vendor in a comparison."""

    vendor_id: int
    name: str
    result: Result
    status: str = ""


@dataclass(frozen=True)
class Sensitivity:
    """For one section: the nearest weight (lower and higher) at which the winner changes."""

    section_id: str
    weight: float
    lower: float | None  # the winner changes at this weight or below; None if never down to 0
    lower_winner: str | None
    higher: float | None  # … at this weight or above; None if not up to 10× the weight
    higher_winner: str | None


def overall(section_scores: dict[str, float | None], weights: dict[str, float]) -> float | None:
    """The overall score for other section weights (the rule scoring uses, see weighted_mean)."""
    return weighted_mean((weights.get(s, 0), v) for s, v in section_scores.items())


def rank_key(tier: int, score: float | None, name: str) -> tuple:
    """Sort key: verdict tier first (higher is better), then score, then name for ties."""
    return (-tier, -(score if score is not None else -1), name.casefold())


def tier(e: Entry) -> int:
    """The verdict tier of an entry (0 without a verdict)."""
    return e.result.verdict.tier if e.result.verdict else 0


def section_scores(e: Entry) -> dict[str, float | None]:
    """An entry's section scores by section id."""
    return {s.id: s.score for s in e.result.sections}


def rank(entries: list[Entry], weights: dict[str, float] | None = None) -> list[Entry]:
    """Entries best first; with `weights`, scores are recomputed for those section weights."""

    def key(e: Entry) -> tuple:
        score = e.result.overall if weights is None else overall(section_scores(e), weights)
        return rank_key(tier(e), score, e.name)

    return sorted(entries, key=key)


def sensitivity(entries: list[Entry], weights: dict[str, float]) -> list[Sensitivity]:
    """How far each section's weight must move, alone, before another vendor ranks first."""
    if len(entries) < 2:
        return []
    prepared = [(tier(e), e.name, section_scores(e), e) for e in entries]

    def winner(w: dict[str, float]) -> Entry:
        return min(prepared, key=lambda p: rank_key(p[0], overall(p[2], w), p[1]))[3]

    current = winner(weights).vendor_id
    out = []
    for section_id, weight in weights.items():
        found: dict[str, tuple[float, str] | None] = {"lower": None, "higher": None}
        for side, multipliers in (
            ("lower", sorted((m for m in MULTIPLIERS if m < 1), reverse=True)),
            ("higher", [m for m in MULTIPLIERS if m > 1]),
        ):
            for m in multipliers:
                top = winner({**weights, section_id: weight * m})
                if top.vendor_id != current:
                    found[side] = (round(weight * m, 1), top.name)
                    break
        lower, higher = found["lower"], found["higher"]
        out.append(
            Sensitivity(
                section_id,
                weight,
                lower[0] if lower else None,
                lower[1] if lower else None,
                higher[0] if higher else None,
                higher[1] if higher else None,
            )
        )
    return out


STABLE_WITHIN = 0.5


def stable(sensitivities: list[Sensitivity], within: float = STABLE_WITHIN) -> bool:
    """Whether no single weight moved by `within` (50 %) of itself changes the winner."""
    for s in sensitivities:
        if s.lower is not None and s.lower >= s.weight * (1 - within):
            return False
        if s.higher is not None and s.higher <= s.weight * (1 + within):
            return False
    return True


def browser_inputs(entries: list[Entry], weights: dict[str, float]) -> dict:
    """What static/compare.js needs to redo rank, scores, ranges, sensitivity and stability for other weights.

    The script mirrors `rank`, `overall`, `sensitivity` and `stable`; ties on tier and score go by
    the same case-folded name order, sent as a number so the browser never compares names itself.
    """
    by_name = sorted(range(len(entries)), key=lambda i: entries[i].name.casefold())
    tie = {entries[i].vendor_id: n for n, i in enumerate(by_name)}
    return {
        "weights": weights,
        "multipliers": list(MULTIPLIERS),
        "within": STABLE_WITHIN,
        "vendors": [
            {
                "id": e.vendor_id,
                "name": e.name,
                "tie": tie[e.vendor_id],
                "tier": tier(e),
                "provisional": e.result.provisional,
                "sections": [[s.id, s.score, s.low, s.high] for s in e.result.sections],
            }
            for e in entries
        ],
    }
