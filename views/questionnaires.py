"""Questionnaires as the views see them: an evaluation's immutable snapshot, parsed once."""

from __future__ import annotations

from flask import current_app

from stagefour import store
from stagefour.questionnaire import Questionnaire
from stagefour.questionnaire import parse_questionnaire
from views.db import get_db

# Snapshot rows never change, so a parsed questionnaire is kept for the life of the process.
_cache: dict[tuple[str, int], Questionnaire] = {}


def for_snapshot(snapshot_id: int) -> Questionnaire:
    """The questionnaire of a snapshot of this app's database."""
    key = (current_app.config["DATABASE"], snapshot_id)
    questionnaire = _cache.get(key)
    if questionnaire is None:
        snapshot = store.get_snapshot(get_db(), snapshot_id)
        questionnaire = parse_questionnaire(snapshot["definition"], f"snapshot {snapshot_id}")
        _cache[key] = questionnaire
    return questionnaire
