"""Numbers written for a reader, for any value a database may hold: formatting never raises.

Babel's `format_decimal` raises on 1e27 (its decimal context runs out of digits), and one such
stored answer used to turn the buyer's pages and both PDFs into a 500 for everybody (issue 10).
New answers are bounded where they come in (stagefour/questionnaire.py); old data can be
anything, so what shows it is total: huge numbers in scientific form, inf and nan as symbols,
and a value of the wrong type as short text.
"""

from __future__ import annotations

import decimal
import math
from functools import lru_cache
from typing import Any

from babel.numbers import format_currency
from babel.numbers import format_decimal
from babel.numbers import format_percent
from babel.numbers import format_scientific

# Beyond this a number is written as 1.23E27: grouped digits stop being readable long before.
PLAIN_LIMIT = 10**15
SHOWN_TEXT = 60
_FAILURES = (decimal.InvalidOperation, ArithmeticError, ValueError, TypeError)


def readable_number(value: Any, locale: Any, pattern: str = "#,##0.#") -> str:
    """`value` as a number in `locale` with `pattern`; a dash for None; never raises."""
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _text(value)
    if (isinstance(value, float) and not math.isfinite(value)) or abs(value) >= PLAIN_LIMIT:
        return _readable(value, locale, pattern)
    # The same few points and scores are written thousands of times on a big comparison (issue
    # 15, scale); Babel parses the pattern on every call. repr() keeps -0.0 apart from 0.
    return _cached(value, repr(value), locale, pattern)


@lru_cache(maxsize=4096)
def _cached(value: int | float, _key: str, locale: Any, pattern: str) -> str:
    return _readable(value, locale, pattern)


def _readable(value: int | float, locale: Any, pattern: str) -> str:
    try:
        if isinstance(value, float) and not math.isfinite(value):
            return "NaN" if math.isnan(value) else ("-∞" if value < 0 else "∞")
        if abs(value) >= PLAIN_LIMIT:
            return format_scientific(value, format="0.##E0", locale=locale)
        return format_decimal(value, format=pattern, locale=locale)
    except _FAILURES:
        return _text(value)


def readable_percent(value: Any, locale: Any, pattern: str | None = None) -> str:
    """A share given on 0–100 as a percentage in `locale`; a dash for None; never raises."""
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _text(value)
    if (isinstance(value, float) and not math.isfinite(value)) or abs(value) >= PLAIN_LIMIT:
        return readable_number(value, locale) + " %"
    try:
        return format_percent(value / 100, format=pattern, locale=locale)
    except _FAILURES:
        return _text(value)


def readable_money(value: Any, currency: str, locale: Any) -> str:
    """An amount in `currency` (an ISO 4217 code) written by Babel for `locale`; a dash for None; never raises."""
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _text(value)
    if (isinstance(value, float) and not math.isfinite(value)) or abs(value) >= PLAIN_LIMIT:
        return f"{readable_number(value, locale)} {currency}"
    try:
        return format_currency(value, currency, locale=locale)
    except _FAILURES:
        return f"{readable_number(value, locale, '#,##0.##')} {currency}"


def _text(value: Any) -> str:
    """Something readable for a value of the wrong type (or one Babel refused)."""
    if value == "":
        return "—"
    try:
        text = value if isinstance(value, str) else repr(value)
    except ValueError:  # an int past Python's 4,300-digit limit for str()
        return "…"
    return text if len(text) <= SHOWN_TEXT else text[: SHOWN_TEXT - 1] + "…"
