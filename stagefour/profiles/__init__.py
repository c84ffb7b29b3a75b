"""Questionnaire profiles: the checks, verdict, metrics and words that a questionnaire names with `checks:`.

The core (scoring, evaluations, report, views) asks `profile_for(questionnaire)` and never imports a
profile's module. A questionnaire without `checks:` is generic: it has no profile, and its pages and
PDF show only what it defines (sections, scores, completeness, answers, its own `warnings:`
and, with `verdict:` thresholds, the generic verdict of stagefour/scoring.py).
"""

from __future__ import annotations

from typing import Any

from stagefour.profiles.ai_deployment_partner import PROFILE as _AI_DEPLOYMENT_PARTNER

# name (the questionnaire's `checks:`) -> profile
PROFILES = {_AI_DEPLOYMENT_PARTNER.name: _AI_DEPLOYMENT_PARTNER}


def profile_for(questionnaire: Any) -> Any | None:
    """The profile that the questionnaire names with `checks:`, or None for a generic questionnaire."""
    return PROFILES.get(questionnaire.checks) if questionnaire.checks else None


def metrics_of(questionnaire_checks: str | None) -> dict:
    """The metrics (name -> function of the profile's facts) a questionnaire with this `checks:` may name."""
    profile = PROFILES.get(questionnaire_checks) if questionnaire_checks else None
    return profile.metrics if profile else {}
