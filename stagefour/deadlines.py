"""Deadlines per vendor (issue 12): the one rule for a vendor's effective deadline and the days left.

An evaluation has a deadline (a day, inclusive, UTC); an owner may give one vendor a later one.
Every page, the reminders and the dashboard ask these functions, so the rule lives here only.
"""

from __future__ import annotations

from datetime import date


def _day(value: str | date | None) -> date | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, date) else date.fromisoformat(value)


def effective_deadline(evaluation_deadline: str | date | None, vendor_deadline: str | date | None) -> date | None:
    """The day a vendor's form closes after: their own deadline when later than the evaluation's, else its."""
    evaluation_day, vendor_day = _day(evaluation_deadline), _day(vendor_deadline)
    if evaluation_day is None:
        # An extension moves the evaluation's deadline for one vendor; without one there is nothing to move.
        return None
    return max(evaluation_day, vendor_day) if vendor_day else evaluation_day


def days_left(deadline: str | date | None, today: date) -> int | None:
    """Whole days from `today` to the deadline day: 0 on the day itself, negative once it has passed."""
    day = _day(deadline)
    return None if day is None else (day - today).days


def passed(deadline: str | date | None, today: date) -> bool:
    """Whether the deadline day is over (the form closes after the deadline day, UTC)."""
    left = days_left(deadline, today)
    return left is not None and left < 0
