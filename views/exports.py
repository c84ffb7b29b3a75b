"""Exports: the whole evaluation as JSON, CSV or the wide XLSX sheet, downloaded as a file (viewer and up)."""

from __future__ import annotations

import io
from datetime import UTC
from datetime import date
from datetime import datetime

from flask import Blueprint
from flask import abort
from flask import g
from flask import request
from flask import send_file
from flask_babel import get_locale

from stagefour import export
from stagefour import store
from stagefour import wide_sheet
from views.auth import login_required
from views.buyer import load_evaluation
from views.db import get_db
from views.questionnaires import for_snapshot

bp = Blueprint("exports", __name__)

MIMETYPES = {"json": "application/json", "csv": "text/csv", "xlsx": wide_sheet.MIMETYPE}
LANGUAGE_FORMATS = ("csv", "xlsx")  # the formats with words in a language (`?lang=`)


@bp.get("/evaluations/<int:evaluation_id>/export.json")
@login_required
def export_json(evaluation_id: int):
    """Everything about an evaluation as JSON: settings, questionnaire snapshot, responses, scores, reviews."""
    return _export(evaluation_id, "json")


@bp.get("/evaluations/<int:evaluation_id>/export.csv")
@login_required
def export_csv(evaluation_id: int):
    """One row per vendor and question, for a spreadsheet (`?lang=` for prompts and labels)."""
    return _export(evaluation_id, "csv")


@bp.get("/evaluations/<int:evaluation_id>/export.xlsx")
@login_required
def export_xlsx(evaluation_id: int):
    """The wide sheet: one column per vendor, one row per question (`?lang=` for prompts and labels)."""
    return _export(evaluation_id, "xlsx")


def _export(evaluation_id: int, fmt: str):
    evaluation = load_evaluation(evaluation_id)
    questionnaire = for_snapshot(evaluation["snapshot_id"])
    language = _language(questionnaire.languages)
    now = datetime.now(UTC)
    db = get_db()
    data = export.gather(db, evaluation_id, _as_of(now.date()), questionnaire)
    if fmt == "json":
        body = export.to_json(data, now)
    elif fmt == "csv":
        body = export.to_csv(data, language)
    else:
        body = wide_sheet.to_xlsx(data, language)
    store.audit(
        db,
        f"user:{g.user['id']}",
        "export_made",
        evaluation_id=evaluation_id,
        format=fmt,
        language=language if fmt in LANGUAGE_FORMATS else None,
        as_of=data.comparison.as_of.isoformat(),
        vendors=len(data.comparison.reviews),
    )
    response = send_file(
        io.BytesIO(body),
        mimetype=MIMETYPES[fmt],
        as_attachment=True,
        download_name=export.file_name(data, fmt),
        etag=False,
    )
    # Vendors' confidential answers: no copy in a shared or browser cache.
    response.headers["Cache-Control"] = "no-store"
    return response


AS_OF_RANGE = (date(1970, 1, 1), date(9000, 12, 31))


def _language(available: tuple[str, ...]) -> str:
    """`?lang=` when given (400 if the questionnaire lacks it), else the buyer's UI language, else English."""
    chosen = request.args.get("lang")
    if chosen is not None:
        if chosen not in available:
            abort(400)
        return chosen
    current = str(get_locale())
    return current if current in available else "en"


def _as_of(today: date) -> date:
    """`?as_of=YYYY-MM-DD` (the date the six-month windows end), else today."""
    value = request.args.get("as_of")
    if value is None:
        return today
    try:
        day = date.fromisoformat(value)
    except ValueError:
        abort(400)
    # The windows reach months back and forth from as_of: year 1 or 9999 overflowed into a 500.
    if not AS_OF_RANGE[0] <= day <= AS_OF_RANGE[1]:
        abort(400)
    return day
