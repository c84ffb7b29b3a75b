"""The questionnaire library: the YAML files in questionnaires/, by id."""

from __future__ import annotations

from pathlib import Path

from stagefour.questionnaire import Questionnaire
from stagefour.questionnaire import load_questionnaire

DEFAULT_FOLDER = Path(__file__).resolve().parent.parent / "questionnaires"


class UnknownQuestionnaire(LookupError):
    """No questionnaire with that id in the library."""


def questionnaire_paths(folder: Path = DEFAULT_FOLDER) -> list[Path]:
    """Every questionnaire file in the library, sorted by name."""
    return sorted(Path(folder).glob("*.yaml"))


def load_by_id(questionnaire_id: str, folder: Path = DEFAULT_FOLDER) -> Questionnaire:
    """The questionnaire whose file is `<id>.yaml` (ids are slugs, so no path escapes)."""
    for path in questionnaire_paths(folder):
        if path.stem == questionnaire_id:
            return load_questionnaire(path)
    raise UnknownQuestionnaire(f'no questionnaire "{questionnaire_id}" in {folder}')
