"""Calendar dates as answers hold them: ISO strings read leniently, and whole months back and between."""

from __future__ import annotations

from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta


def parse_date(value: Any) -> date | None:
    """A date from an ISO `YYYY-MM-DD` string (or a date), else None."""
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def months_before(as_of: date, months: int) -> date:
    """The calendar date `months` before `as_of` (31 Aug less 6 months is 28 Feb)."""
    return as_of - relativedelta(months=months)


def whole_months_between(start: date, end: date) -> int:
    """Whole calendar months from start to end."""
    delta = relativedelta(end, start)
    return delta.years * 12 + delta.months
