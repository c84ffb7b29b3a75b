"""The buyer profile's fields of questionnaire 1.1: checked and normalised in one place.

`data_regions`, `ai_act_class`, `currency` and `monthly_tasks` sit beside `industry` and
`size_band` in an evaluation's `buyer_profile` (../shared/QUESTIONNAIRE.md, "Buyer profile (new
fields)" and clarification 9). The evaluation form and `flask score` both check them here; a
problem comes back as a `ProfileError` with a code and the allowed values, and each caller words
it for its reader.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from babel.numbers import list_currencies

from stagefour.commercials import DEFAULT_CURRENCY
from stagefour.processors import BUYER_REGIONS

FIELDS = ("data_regions", "ai_act_class", "currency", "monthly_tasks")
AI_ACT_CLASSES = ("high_risk", "transparency_only", "minimal_risk")
CURRENCIES = tuple(sorted(list_currencies()))
MAX_MONTHLY_TASKS = 10**12

# Problem codes.
UNKNOWN_REGION = "unknown_region"
UNKNOWN_CLASS = "unknown_class"
UNKNOWN_CURRENCY = "unknown_currency"
NOT_A_NUMBER = "not_a_number"
OUT_OF_RANGE = "out_of_range"


@dataclass(eq=False)
class ProfileError(ValueError):
    """A profile value that is not allowed: which field, why (a code), the value and what is allowed."""

    field: str
    code: str
    value: object
    allowed: tuple = ()

    def __str__(self) -> str:
        if self.code == OUT_OF_RANGE:
            return f"{self.field}: {self.value!r} is not a number from 0 to {MAX_MONTHLY_TASKS}"
        if self.code == NOT_A_NUMBER:
            return f"{self.field}: {self.value!r} is not a number"
        return f"{self.field}: {self.value!r} is not allowed; allowed: {', '.join(self.allowed)}"


def data_regions(values: Iterable[str] | str | None) -> list[str]:
    """The regions where our data may go, in the contract's order; a comma-separated text is split."""
    if values is None:
        return []
    if isinstance(values, str):
        values = values.split(",")
    chosen = [v.strip() for v in values if isinstance(v, str) and v.strip()]
    for value in chosen:
        if value not in BUYER_REGIONS:
            raise ProfileError("data_regions", UNKNOWN_REGION, value, BUYER_REGIONS)
    return [r for r in BUYER_REGIONS if r in chosen]


def ai_act_class(value: str | None) -> str | None:
    """Our own reading of the use case under the AI Act, or None when not set."""
    value = value.strip() if isinstance(value, str) else value
    if not value:
        return None
    if value not in AI_ACT_CLASSES:
        raise ProfileError("ai_act_class", UNKNOWN_CLASS, value, AI_ACT_CLASSES)
    return value


def currency(value: str | None) -> str:
    """An ISO 4217 code Babel knows, upper-cased; EUR when empty."""
    code = value.strip().upper() if isinstance(value, str) else ""
    if not code:
        return DEFAULT_CURRENCY
    if code not in CURRENCIES:
        raise ProfileError("currency", UNKNOWN_CURRENCY, value, CURRENCIES)
    return code


def monthly_tasks(value: str | float | None) -> int | float | None:
    """The tasks a month we expect: a number from 0 to MAX_MONTHLY_TASKS, or None when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    given = value
    if isinstance(value, bool):
        raise ProfileError("monthly_tasks", NOT_A_NUMBER, value)
    if isinstance(value, str):
        text = value.strip()
        try:
            if "_" in text:  # float() takes Python's 60_000, which no reader writes
                raise ValueError(text)
            value = float(text)
        except ValueError:
            raise ProfileError("monthly_tasks", NOT_A_NUMBER, value) from None
    if not isinstance(value, int | float):
        raise ProfileError("monthly_tasks", NOT_A_NUMBER, value)
    if not math.isfinite(value) or not 0 <= value <= MAX_MONTHLY_TASKS:
        raise ProfileError("monthly_tasks", OUT_OF_RANGE, given)
    return int(value) if float(value).is_integer() else value


def normalise(profile: dict) -> dict:
    """`profile` with its new fields checked and normalised, unset ones left out; raises the first ProfileError."""
    out = {k: v for k, v in profile.items() if k not in FIELDS}
    regions = data_regions(profile.get("data_regions"))
    if regions:
        out["data_regions"] = regions
    if (act := ai_act_class(profile.get("ai_act_class"))) is not None:
        out["ai_act_class"] = act
    if profile.get("currency") not in (None, ""):
        out["currency"] = currency(profile["currency"])
    if (tasks := monthly_tasks(profile.get("monthly_tasks"))) is not None:
        out["monthly_tasks"] = tasks
    return out
