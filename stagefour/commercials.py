"""The commercials block of questionnaire 1.1: beside the verdict, never in the score.

K1–K6 are answers a committee weighs next to the verdict; two computed lines turn them into
what the engagement costs a month and in its first year. Nothing here is scored or ranked
(../shared/QUESTIONNAIRE.md, "Commercials: beside the verdict, never in the score", and
clarifications 1–4 and 10).
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from collections.abc import Mapping

DEFAULT_CURRENCY = "EUR"
ANSWERED = ("K1", "K2", "K3", "K4", "K5", "K6")
MONEY = ("K2", "K3", "K4", "K6")
INCLUDED = "included_in_fees"  # K5: model and cloud costs are part of K3
MARGIN = "resold_with_margin"  # K5: shown as "margin on model usage"
KEYS = ("currency", *ANSWERED, "monthly_tasks", "monthly_run_cost", "go_live_plus_12_months")
# The block's rows, in the contract's order: (row, where its value comes from).
ROWS = (
    ("K1", "answer"),
    ("K2", "money"),
    ("A3", "answer"),  # weeks to first go-live, repeated so that K2 can be read against it
    ("K3", "money"),
    ("K4", "money"),
    ("K5", "answer"),
    ("monthly_run_cost", "money"),
    ("go_live_plus_12_months", "money"),
    ("K6", "money"),
)
# Rows where one amount is marked: the lowest costs, and the highest insurance cover.
LOWEST = ("K2", "K3", "K4", "monthly_run_cost", "go_live_plus_12_months")
HIGHEST = ("K6",)


def _amount(value) -> float | int | None:
    """A money answer or a count as a number; None for unanswered and for anything not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _choice(value) -> str | None:
    return value if isinstance(value, str) and value else None


def _tidy(value: float) -> float | int | None:
    """Rounded to 2 decimals, and an integer when it is one (11550, not 11550.0); None past a float's range."""
    if isinstance(value, float) and not math.isfinite(value):
        return None  # old data of any size must never make an infinite cost (nor invalid JSON)
    rounded = round(value, 2)
    return int(rounded) if float(rounded).is_integer() else rounded


def currency(buyer_profile: Mapping) -> str:
    """The evaluation's currency: the profile's ISO 4217 code, EUR when unset."""
    return _choice(buyer_profile.get("currency")) or DEFAULT_CURRENCY


def commercials(answers: Mapping, buyer_profile: Mapping) -> dict:
    """The contract's `commercials` object: every key present, null where unanswered or not computable."""
    k1, k5 = _choice(answers.get("K1")), _choice(answers.get("K5"))
    k2, k3, k4, k6 = (_amount(answers.get(q)) for q in MONEY)
    tasks = _amount(buyer_profile.get("monthly_tasks"))
    if tasks is not None and tasks < 0:
        tasks = None
    run_cost = first_year = None
    try:
        if tasks is not None and k3 is not None and k5 is not None:
            if k5 == INCLUDED:
                run_cost = _tidy(k3)
            elif k4 is not None:
                run_cost = _tidy(k3 + k4 * tasks / 1000)
        if k2 is not None and run_cost is not None:
            first_year = _tidy(k2 + 12 * run_cost)
    except OverflowError:  # an integer too large for a float: a line that cannot be computed
        pass
    return {
        "currency": currency(buyer_profile),
        "K1": k1,
        "K2": k2,
        "K3": k3,
        "K4": k4,
        "K5": k5,
        "K6": k6,
        "monthly_tasks": tasks,
        "monthly_run_cost": run_cost,
        "go_live_plus_12_months": first_year,
    }


def marks(blocks: Mapping[Hashable, Mapping]) -> dict[str, set]:
    """Per money row, the vendors (keys of `blocks`) whose amount is marked: the lowest, K6 the highest.

    Only given amounts compete ("not given" is never 0), K4 is left out where K5 includes it in
    K3, and nothing is marked in a row with fewer than two given amounts.
    """
    marked: dict[str, set] = {}
    for row in (*LOWEST, *HIGHEST):
        given = {
            key: block[row]
            for key, block in blocks.items()
            if block.get(row) is not None and not (row == "K4" and block.get("K5") == INCLUDED)
        }
        if len(given) < 2:
            marked[row] = set()
            continue
        best = max(given.values()) if row in HIGHEST else min(given.values())
        marked[row] = {key for key, value in given.items() if value == best}
    return marked
