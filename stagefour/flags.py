"""The shapes of what scoring judges beside the scores: flags raised by answers and a verdict.

Both paths fill them: a questionnaire's profile (stagefour/profiles/: red flags and its own verdict)
and a generic questionnaire (its `warnings:` and `verdict:` thresholds, stagefour/scoring.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from stagefour.messages import Message


@dataclass(frozen=True)
class RedFlag:
    """A flag (a profile's red flag or a questionnaire's answer warning) and the answers that raised it."""

    code: str
    severity: str
    message: Message
    answers: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """The flag as response-JSON-friendly data."""
        return {"code": self.code, "severity": self.severity, "message": self.message, "answers": list(self.answers)}


@dataclass(frozen=True)
class Verdict:
    """A verdict: its code, words, tier (5 best … 0) and any overlays."""

    code: str
    label: Message
    tier: int
    overlays: tuple[tuple[str, Message], ...] = field(default=())

    def to_dict(self) -> dict:
        """The verdict with its overlays."""
        return {
            "code": self.code,
            "label": self.label,
            "tier": self.tier,
            "overlays": [{"code": c, "label": label} for c, label in self.overlays],
        }
