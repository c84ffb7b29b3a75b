"""What an answer's change was, in a few kilobytes, for the append-only audit log.

The log used to hold every saved answer whole, before and after: a one-letter edit of a group
of 200 rows wrote megabytes, twice, into a table that can never shrink (issue 10). Small
answers are still kept whole; a large one is kept as its size, SHA-256 and first characters,
with which rows and fields changed (or where a long text changed), each value cut short.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

WHOLE_BYTES = 1_000  # before and after together up to this: both kept as they are
SHOWN_CHARS = 120  # of a large value
CELL_CHARS = 60  # of one changed cell or piece of text
MAX_CHANGES = 10  # changed cells listed; the rest are counted


def answer_change(before: Any, after: Any) -> dict:
    """The audit detail of an answer going from `before` to `after`, bounded whatever their size."""
    before_text, after_text = _json(before), _json(after)
    if len(before_text.encode()) + len(after_text.encode()) <= WHOLE_BYTES:
        return {"before": before, "after": after}
    detail: dict[str, Any] = {"before": _summary(before, before_text), "after": _summary(after, after_text)}
    if isinstance(before, list) and isinstance(after, list):
        detail["changes"], more = _row_changes(before, after)
        if more:
            detail["more_changes"] = more
        detail["rows"] = [len(before), len(after)]
    elif isinstance(before, str) and isinstance(after, str):
        detail["changes"] = [_text_change(before, after)]
    return detail


def is_summary(value: Any) -> bool:
    """Whether an audit `before`/`after` is a cut-short value rather than the answer itself."""
    return isinstance(value, dict) and value.get("truncated") is True and "sha256" in value


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def _summary(value: Any, text: str | None = None, shown: int = SHOWN_CHARS) -> Any:
    """A value as it is when short, else its size, hash and start."""
    text = _json(value) if text is None else text
    if len(text) <= shown:
        return value
    data = text.encode()
    return {
        "truncated": True,
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "start": (value if isinstance(value, str) else text)[:shown],
    }


def _cell(value: Any) -> Any:
    return _summary(value, shown=CELL_CHARS)


def _row_changes(before: list, after: list) -> tuple[list[dict], int]:
    """Changed cells row by row (rows compared by position), at most MAX_CHANGES, and how many more."""
    changes: list[dict] = []
    more = 0
    for index in range(max(len(before), len(after))):
        old = before[index] if index < len(before) else None
        new = after[index] if index < len(after) else None
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict):
            cells = [
                {"row": index, "field": str(key), "before": _cell(old.get(key)), "after": _cell(new.get(key))}
                for key in sorted(set(old) | set(new), key=str)
                if old.get(key) != new.get(key)
            ]
        else:
            cells = [{"row": index, "before": _cell(old), "after": _cell(new)}]
        for cell in cells:
            if len(changes) < MAX_CHANGES:
                changes.append(cell)
            else:
                more += 1
    return changes, more


def _text_change(before: str, after: str) -> dict:
    """Where a text changed: the offset, and what was removed and added there (cut short)."""
    start = 0
    limit = min(len(before), len(after))
    while start < limit and before[start] == after[start]:
        start += 1
    end = 0
    while end < limit - start and before[-1 - end] == after[-1 - end]:
        end += 1
    return {
        "at": start,
        "removed": _cell(before[start : len(before) - end]),
        "added": _cell(after[start : len(after) - end]),
    }
