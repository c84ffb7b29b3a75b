"""The questionnaire library in the app (issue 15): a team's uploads and the shipped folder.

Members of a team see its library; only its owners add to it; other teams never see it (404,
as for an evaluation). Administrators see the shipped folder with the files that failed to load.
"""

from __future__ import annotations

import re
from pathlib import Path

from flask import Blueprint
from flask import Response
from flask import abort
from flask import current_app
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _

from forms.library import UploadForm
from stagefour import access
from stagefour import library
from stagefour import questionnaire_xlsx
from stagefour import store
from stagefour import xlsx
from stagefour.questionnaire import MAX_YAML_BYTES
from stagefour.questionnaire import Questionnaire
from stagefour.questionnaire import QuestionnaireError
from views.auth import admin_required
from views.auth import login_required
from views.db import get_db
from views.i18n import message
from views.questionnaires import for_snapshot

bp = Blueprint("library", __name__)


def shipped() -> library.Shelf:
    """The questionnaires of the app's folder, and its files that failed to load."""
    return library.shelf(Path(current_app.config["QUESTIONNAIRE_FOLDER"]))


def team_questionnaires(team_ids: list[int]) -> dict[int, dict[str, Questionnaire]]:
    """The newest version of each questionnaire in these teams' libraries: team id -> id -> questionnaire."""
    out: dict[int, dict[str, Questionnaire]] = {team_id: {} for team_id in team_ids}
    for row in store.library_latest(get_db(), team_ids):
        out[row["team_id"]][row["questionnaire_id"]] = for_snapshot(row["snapshot_id"])
    return out


def _load_team(team_id: int, role: str = "viewer") -> tuple[dict, str]:
    """A team the user is a member of, with their role; 404 for anyone else, 403 below `role`."""
    db = get_db()
    team = store.get_team(db, team_id)
    have = store.membership_role(db, team_id, g.user["id"]) if team and not g.user.get("disabled_at") else None
    if have is None:
        abort(404)
    if not access.at_least(have, role):
        abort(403)
    return team, have


def _render(team: dict, role: str, form: UploadForm, problems: list[str] | None = None, status: int = 200):
    entries = store.team_library(get_db(), team["id"])
    for entry in entries:
        entry["questionnaire"] = for_snapshot(entry["snapshot_id"])
    teams = access.teams_where(get_db(), g.user, "viewer")
    return (
        render_template(
            "library/team.html",
            team=team,
            role=role,
            form=form,
            problems=problems or [],
            entries=entries,
            shipped=shipped().questionnaires,
            teams=teams,
            max_bytes=MAX_YAML_BYTES,
            max_xlsx_bytes=xlsx.MAX_UPLOAD_BYTES,
        ),
        status,
    )


@bp.get("/teams/<int:team_id>/library")
@login_required
def team_library(team_id: int):
    """The team's questionnaires (every version) and the shipped ones; owners get the upload form."""
    team, role = _load_team(team_id)
    return _render(team, role, UploadForm())


@bp.post("/teams/<int:team_id>/library/upload")
@login_required
def upload(team_id: int):
    """Add an uploaded questionnaire to the team's library: all of it, or nothing with every error shown."""
    team, role = _load_team(team_id, "owner")
    form = UploadForm()
    problems: list[str] = []
    if form.validate_on_submit():
        file = form.file.data
        name = (file.filename or "questionnaire.yaml")[-200:]
        with file.stream:  # a large upload is spooled to a temporary file: close it now
            raw = file.stream.read(max(MAX_YAML_BYTES, xlsx.MAX_UPLOAD_BYTES) + 1)  # never more than a cap
        try:
            if is_workbook(name, raw):
                questionnaire = questionnaire_xlsx.load_xlsx(raw, name)
            else:
                questionnaire = library.read_upload(raw, name)
            _entry, added = store.add_to_library(
                get_db(), team_id, questionnaire.id, questionnaire.version, questionnaire.hash,
                questionnaire.source, name, g.user["id"],
            )  # fmt: skip
        except QuestionnaireError as exc:
            problems = exc.errors
        except xlsx.SheetError as exc:
            problems = [f"{p.where()}: {message(p.message)}" if p.where() else message(p.message) for p in exc.problems]
        except store.LibraryConflict:
            form.file.errors.append(
                _(
                    "Version %(version)s of %(id)s is already in the library with different content: "
                    "change `version` in the file and upload it again.",
                    version=questionnaire.version,
                    id=questionnaire.id,
                )
            )
        else:
            if added:
                flash(_("%(id)s version %(version)s was added to the library.", id=questionnaire.id,
                        version=questionnaire.version), "success")  # fmt: skip
            else:
                flash(_("%(id)s version %(version)s is already in the library with this content: nothing changed.",
                        id=questionnaire.id, version=questionnaire.version), "info")  # fmt: skip
            return redirect(url_for("library.team_library", team_id=team_id))
    return _render(team, role, form, problems, status=422)


def is_workbook(file_name: str, raw: bytes) -> bool:
    """An .xlsx upload (by its name, or a zip file under another name), not YAML."""
    return file_name.lower().endswith((".xlsx", ".xlsm", ".xls")) or raw.startswith((b"PK\x03\x04", xlsx.OLE_MAGIC))


def _xlsx(data: bytes, file_name: str) -> Response:
    return Response(
        data,
        mimetype=xlsx.XLSX_MIMETYPE,
        headers={"Content-Disposition": f'attachment; filename="{file_name}"', "Cache-Control": "no-store"},
    )


@bp.get("/teams/<int:team_id>/library/template.xlsx")
@login_required
def template(team_id: int):
    """A blank questionnaire workbook: a small example in the sheet layout, to fill and upload."""
    _load_team(team_id)
    return _xlsx(questionnaire_xlsx.template_xlsx(), "questionnaire-template.xlsx")


@bp.get("/teams/<int:team_id>/library/questionnaires/<questionnaire_id>.xlsx")
@login_required
def download(team_id: int, questionnaire_id: str):
    """A questionnaire the team can use, as a workbook: a version of its library (`?version=`), else the newest
    there, else the shipped one."""
    team, _role = _load_team(team_id)
    version = request.args.get("version")
    entries = [e for e in store.team_library(get_db(), team["id"]) if e["questionnaire_id"] == questionnaire_id]
    if version is not None:
        entries = [e for e in entries if e["version"] == version]
    if entries:
        questionnaire = for_snapshot(entries[0]["snapshot_id"])  # newest upload first
    elif version is None and questionnaire_id in shipped().questionnaires:
        questionnaire = shipped().questionnaires[questionnaire_id]
    else:
        abort(404)
    # the version is the author's text: only a file name's safe characters go into the header
    name = re.sub(r"[^A-Za-z0-9._-]", "_", f"{questionnaire.id}-{questionnaire.version}") + ".xlsx"
    return _xlsx(questionnaire_xlsx.to_xlsx(questionnaire), name)


@bp.get("/admin/questionnaires")
@admin_required
def shipped_questionnaires():
    """The questionnaires shipped in the app's folder, and every file there that failed to load, with its errors."""
    found = shipped()
    return render_template("library/shipped.html", shelf=found, folder=current_app.config["QUESTIONNAIRE_FOLDER"])
