"""Command-line interface: `flask --app app <command>`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click
from flask import Flask
from flask import current_app
from flask.cli import with_appcontext

from stagefour.library import UnknownQuestionnaire
from stagefour.library import load_by_id
from stagefour.questionnaire import QuestionnaireError
from stagefour.questionnaire import load_questionnaire
from stagefour.response import ResponseError
from stagefour.response import read_response
from stagefour.scoring import score_response


def register(app: Flask) -> None:
    """Add every command to the app's CLI."""
    for command in (score, check_questionnaire):
        app.cli.add_command(command)


def _as_of(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected a date as YYYY-MM-DD, got {value!r}", param_hint="--as-of") from None


def _errors(title: str, errors: list[str]) -> click.ClickException:
    return click.ClickException(title + "\n" + "\n".join(f"  {e}" for e in errors))


@click.command("score")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="Date the six-month windows end (default: today).")
@click.option("--buyer-industry", help="The buyer's industry (a B1 industry value); matching deployments count more.")
@click.option("--buyer-size", help="The buyer's size band (a B1 size_band value).")
def score(file: Path, as_of: str | None, buyer_industry: str | None, buyer_size: str | None) -> None:
    """Score a response JSON file and print the result as JSON."""
    day = _as_of(as_of)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise click.ClickException(f"cannot read {file}: {exc.strerror or exc}") from None
    questionnaire_id = _peek_questionnaire_id(raw)
    try:
        questionnaire = load_by_id(questionnaire_id, Path(current_app.config["QUESTIONNAIRE_FOLDER"]))
    except UnknownQuestionnaire as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    except QuestionnaireError as exc:
        raise _errors(f"questionnaire {questionnaire_id} is invalid:", exc.errors) from None
    try:
        response = read_response(questionnaire, raw)
    except ResponseError as exc:
        raise _errors(f"{file}: {len(exc.errors)} error(s):", exc.errors) from None
    profile = {k: v for k, v in (("industry", buyer_industry), ("size_band", buyer_size)) if v}
    result = score_response(questionnaire, response.answers, day, buyer_profile=profile)
    out = {"vendor": response.vendor, **result.to_dict()}
    click.echo(_json(out))


def _peek_questionnaire_id(raw: bytes) -> str:
    """The questionnaire id a response names; full validation comes after loading it."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise click.ClickException(f"not valid JSON: {exc}") from None
    qid = data.get("questionnaire") if isinstance(data, dict) else None
    if not isinstance(qid, str) or not qid.replace("-", "").replace("_", "").isalnum():
        raise click.ClickException('questionnaire: expected the id of a questionnaire, e.g. "ai-deployment-partner"')
    return qid


def _json(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


@click.command("check-questionnaire")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def check_questionnaire(file: Path) -> None:
    """Validate a questionnaire YAML file and report every error with its path."""
    try:
        q = load_questionnaire(file)
    except QuestionnaireError as exc:
        raise _errors(f"{file}: {len(exc.errors)} error(s):", exc.errors) from None
    count = sum(len(s.questions) for s in q.sections)
    click.echo(f"{file}: OK — {q.id} version {q.version}, {len(q.sections)} sections, {count} questions, hash {q.hash}")
