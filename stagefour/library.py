"""The questionnaire library: the shipped folder, a team's uploads, and one lookup by id.

The folder (questionnaires/) holds the questionnaires that ship with the app, found by the `id:`
inside each `*.yaml` or `*.yml` file, not by its name. A file that does not load is kept with its
errors so that administrators see it (issue 15) instead of it vanishing from "New evaluation".
Each file is loaded once per version (mtime and size), not on every request.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from stagefour.questionnaire import Questionnaire
from stagefour.questionnaire import QuestionnaireError
from stagefour.questionnaire import load_questionnaire
from stagefour.questionnaire import load_yaml_bytes

DEFAULT_FOLDER = Path(__file__).resolve().parent.parent / "questionnaires"
PATTERNS = ("*.yaml", "*.yml")


class UnknownQuestionnaire(LookupError):
    """No questionnaire with that id in the library."""


@dataclass(frozen=True)
class Problem:
    """A file of the folder that is not in the library, and why."""

    path: Path
    errors: tuple[str, ...]


@dataclass(frozen=True)
class Shelf:
    """The folder as loaded: the valid questionnaires by id (in file-name order) and the files that failed."""

    questionnaires: dict[str, Questionnaire]
    files: dict[str, Path]
    problems: tuple[Problem, ...]


# path -> ((mtime_ns, size), the questionnaire or the error): a file is loaded again only when it changes.
_loaded: dict[Path, tuple[tuple[int, int], Questionnaire | QuestionnaireError]] = {}
_lock = threading.Lock()


def questionnaire_paths(folder: Path = DEFAULT_FOLDER) -> list[Path]:
    """Every questionnaire file in the folder (`*.yaml` and `*.yml`), sorted by name."""
    folder = Path(folder)
    return sorted({p for pattern in PATTERNS for p in folder.glob(pattern) if p.is_file()})


def _load(path: Path) -> Questionnaire | QuestionnaireError:
    try:
        stat = path.stat()
    except OSError as exc:
        return QuestionnaireError([f"cannot read file: {exc.strerror or exc}"], str(path))
    stamp = (stat.st_mtime_ns, stat.st_size)
    with _lock:
        cached = _loaded.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        result: Questionnaire | QuestionnaireError = load_questionnaire(path)
    except QuestionnaireError as exc:
        result = exc
    with _lock:
        _loaded[path] = (stamp, result)
    return result


def shelf(folder: Path = DEFAULT_FOLDER) -> Shelf:
    """The folder's questionnaires by id, and every file that failed to load with its errors."""
    questionnaires: dict[str, Questionnaire] = {}
    files: dict[str, Path] = {}
    problems: list[Problem] = []
    for path in questionnaire_paths(folder):
        result = _load(path)
        if isinstance(result, QuestionnaireError):
            problems.append(Problem(path, tuple(result.errors)))
        elif result.id in questionnaires:
            # Two files with one id: which one "New evaluation" used would depend on file names.
            first = files[result.id].name
            problems.append(Problem(path, (f'id: "{result.id}" is already the id of {first}',)))
        else:
            questionnaires[result.id] = result
            files[result.id] = path
    return Shelf(questionnaires, files, tuple(problems))


def load_by_id(questionnaire_id: str, folder: Path = DEFAULT_FOLDER) -> Questionnaire:
    """The shipped questionnaire with this `id:`; QuestionnaireError when the file named for it is invalid."""
    found = shelf(folder)
    if questionnaire_id in found.questionnaires:
        return found.questionnaires[questionnaire_id]
    for problem in found.problems:
        if problem.path.stem == questionnaire_id:
            raise QuestionnaireError(list(problem.errors), str(problem.path))
    raise UnknownQuestionnaire(f'no questionnaire "{questionnaire_id}" in {folder}')


def find(
    questionnaire_id: str, folder: Path = DEFAULT_FOLDER, team: Mapping[str, Questionnaire] | None = None
) -> Questionnaire:
    """The questionnaire with this id: the team's library first (on the web), then the shipped folder."""
    if team and questionnaire_id in team:
        return team[questionnaire_id]
    return load_by_id(questionnaire_id, folder)


def read_upload(raw: bytes, file_name: str) -> Questionnaire:
    """A questionnaire from an uploaded file, validated as a folder file is; QuestionnaireError otherwise."""
    questionnaire = load_yaml_bytes(raw, file_name)
    try:
        # The snapshot is stored as JSON: a YAML-only value (!!binary, !!set) in a spot the
        # loader does not check must be refused here, not fail the database write.
        json.dumps(questionnaire.source, allow_nan=False)
    except (TypeError, ValueError):
        raise QuestionnaireError(
            ["(top): holds a value that is not text, a number, true/false, a list or a mapping"], file_name
        ) from None
    return questionnaire
