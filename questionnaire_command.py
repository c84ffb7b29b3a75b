"""`flask --app app export-questionnaire ID` and `import-questionnaire FILE --team NAME --by EMAIL` (issue 16).

A questionnaire as an Excel workbook in the layout of questionnaires/README.md, and a workbook (or
a YAML file) into a team's library, checked as an upload in the app is: every problem by sheet and
cell, exit status 2, nothing imported.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from stagefour import library
from stagefour import questionnaire_xlsx
from stagefour import store
from stagefour import xlsx
from stagefour.questionnaire import MAX_YAML_BYTES
from stagefour.questionnaire import QuestionnaireError
from stagefour.questionnaire import parse_questionnaire


def _fail(title: str, problems: list[str]) -> None:
    """Bad input: every problem on standard error, exit status 2 (as click does for a bad argument)."""
    click.echo(title, err=True)
    for problem in problems:
        click.echo(f"  {problem}", err=True)
    sys.exit(2)


def _team(db, name: str) -> dict:
    team = store.get_team_by_name(db, name)
    if team is None:
        raise click.ClickException(f"no team named {name} (create it with `flask --app app create-team`)")
    return team


@click.command("export-questionnaire")
@click.argument("questionnaire_id")
@click.option("--team", "team_name", help="Take it from this team's library (default: the shipped folder).")
@click.option("--version", help="This version from the team's library (default: the newest).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Default: ID-VERSION.xlsx here.")
@with_appcontext
def export_questionnaire(questionnaire_id: str, team_name: str | None, version: str | None, output: Path | None):
    """Write a questionnaire as an Excel workbook (.xlsx) in the sheet layout of questionnaires/README.md."""
    folder = Path(current_app.config["QUESTIONNAIRE_FOLDER"])
    if team_name is None:
        if version is not None:
            raise click.BadParameter("needs --team: the shipped folder has one version of each", param_hint="--version")
        try:
            questionnaire = library.load_by_id(questionnaire_id, folder)
        except library.UnknownQuestionnaire as exc:
            raise click.ClickException(str(exc)) from None
        except QuestionnaireError as exc:
            _fail(f"questionnaire {questionnaire_id} is invalid:", exc.errors)
    else:
        db = store.open_db(current_app.config["DATABASE"])
        try:
            team = _team(db, team_name)
            entries = [e for e in store.team_library(db, team["id"]) if e["questionnaire_id"] == questionnaire_id]
            entries = [e for e in entries if version is None or e["version"] == version]
            if not entries:
                raise click.ClickException(
                    f"no {questionnaire_id}{' version ' + version if version else ''} in the library of {team_name}"
                )
            snapshot = store.get_snapshot(db, entries[0]["snapshot_id"])  # newest upload first
        finally:
            db.close()
        questionnaire = parse_questionnaire(snapshot["definition"], f"snapshot {snapshot['id']}")
    output = output or Path(f"{questionnaire.id}-{questionnaire.version}.xlsx")
    try:
        output.write_bytes(questionnaire_xlsx.to_xlsx(questionnaire))
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"{output}: {questionnaire.id} version {questionnaire.version}, hash {questionnaire.hash}")


@click.command("import-questionnaire")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--team", "team_name", required=True, help="The team whose library receives it.")
@click.option("--by", "email", required=True, help="The e-mail of the account recorded as the uploader.")
@with_appcontext
def import_questionnaire(file: Path, team_name: str, email: str) -> None:
    """Add an Excel workbook (.xlsx) or YAML questionnaire to a team's library: all of it, or nothing."""
    try:
        with file.open("rb") as handle:
            raw = handle.read(max(MAX_YAML_BYTES, xlsx.MAX_UPLOAD_BYTES) + 1)
    except OSError as exc:
        raise click.ClickException(f"cannot read {file}: {exc.strerror or exc}") from None
    try:
        if file.suffix.lower() in (".xlsx", ".xlsm", ".xls") or raw.startswith(b"PK\x03\x04"):
            questionnaire = questionnaire_xlsx.load_xlsx(raw, file.name)
        else:
            questionnaire = library.read_upload(raw, file.name)
    except xlsx.SheetError as exc:
        _fail(f"{file}: {len(exc.problems)} problem(s), nothing imported:", [str(p) for p in exc.problems])
    except QuestionnaireError as exc:
        _fail(f"{file}: {len(exc.errors)} error(s), nothing imported:", exc.errors)
    db = store.open_db(current_app.config["DATABASE"])
    try:
        team = _team(db, team_name)
        user = store.get_user_by_email(db, email)
        if user is None:
            raise click.ClickException(f"no account {email}")
        try:
            _entry, added = store.add_to_library(
                db, team["id"], questionnaire.id, questionnaire.version, questionnaire.hash,
                questionnaire.source, file.name[-200:], user["id"],
            )  # fmt: skip
        except store.LibraryConflict:
            _fail(
                f"{file}: nothing imported:",
                [f"{questionnaire.id} version {questionnaire.version} is in the library of {team_name} with other "
                 "content: change `version` in the file"],
            )  # fmt: skip
    finally:
        db.close()
    state = "added to" if added else "already in (nothing changed)"
    click.echo(f"{questionnaire.id} version {questionnaire.version} {state} the library of {team_name}")
