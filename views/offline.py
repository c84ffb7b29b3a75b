"""Answering offline (issue 16): the vendor downloads their answers as a workbook, fills it, uploads it,
checks what will change, and confirms.

The link is the only credential, as on every vendor page: each route opens it with
`vendor.open_link`, and reads and writes only that link's response. An upload is read once
(stagefour/response_xlsx.py) and held in the database until the vendor confirms it; the
confirmation names the upload's digest, so what is applied is exactly what was previewed, never
anything a form field carries. Applying goes through `store.save_answers` with the file's hidden
versions as the versions seen: a colleague's newer answer is a conflict, not overwritten.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from typing import Any

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import format_date
from flask_babel import format_decimal
from flask_babel import get_locale
from flask_babel import get_translations
from flask_babel import gettext as _
from flask_babel import ngettext

from forms.offline import OfflineUploadForm
from stagefour import evidence
from stagefour import messages
from stagefour import response_xlsx
from stagefour import store
from stagefour import xlsx
from stagefour.messages import Message
from stagefour.questionnaire import Question
from stagefour.questionnaire import localize
from stagefour.response import digest
from views.db import get_db
from views.vendor import Link
from views.vendor import _ctx
from views.vendor import _drop_files
from views.vendor import open_link

bp = Blueprint("offline", __name__, url_prefix="/v")

SHOWN_CHARS = 300  # of a long text on the preview: enough to recognise it


def _say(message: Any) -> str:
    """A core message (or the seam's English text) in the vendor's language."""
    return messages.render(message, get_translations(), get_locale())


def _render_page(link: Link, form: OfflineUploadForm, problems: list[str] | None = None, status: int = 200):
    pending = store.offline_upload(get_db(), link.response["id"])
    waiting = pending is not None and pending["applied_at"] is None
    context = _ctx(link, form=form, problems=problems or [], waiting=waiting, max_mb=xlsx.MAX_UPLOAD_BYTES // 2**20)
    return render_template("vendor/offline.html", **context), status


@bp.get("/<token>/offline")
def page(token: str):
    """Answer offline: download the workbook, upload it filled in."""
    return _render_page(open_link(token), OfflineUploadForm())


@bp.get("/<token>/offline/answers.xlsx")
def workbook(token: str):
    """The vendor's saved answers as a workbook to fill in, always as a download."""
    link = open_link(token)
    answers, versions = link.answers_and_versions()
    data = response_xlsx.to_xlsx(
        link.questionnaire,
        answers,
        versions,
        link.response["language"],
        link.response["id"],
        current_app.config["SECRET_KEY"],
        say=_say,
    )
    store.audit(get_db(), link.actor, "offline_downloaded", evaluation_id=link.evaluation["id"],
                vendor_id=link.response["vendor_id"], response_id=link.response["id"])  # fmt: skip
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{link.questionnaire.id}-{link.response['vendor_name']}").strip("-")
    response = current_app.response_class(data, mimetype=xlsx.XLSX_MIMETYPE)
    response.headers.set("Content-Disposition", "attachment", filename=f"{name[:80] or 'answers'}.xlsx")
    return response


@bp.post("/<token>/offline")
def upload(token: str):
    """Read an uploaded workbook and hold it for the preview (Post/Redirect/Get); refused like a save once closed."""
    link = open_link(token)
    if not link.editable:
        flash(link.refusal(), "error")
        return redirect(url_for("offline.page", token=token))
    form = OfflineUploadForm()
    if not form.validate_on_submit():
        return _render_page(link, form, status=422)
    file = form.file.data
    with file.stream:
        data = file.stream.read(xlsx.MAX_UPLOAD_BYTES + 1)  # never more than the cap into memory
    name = (file.filename or "answers.xlsx")[-200:]
    answers, versions = link.answers_and_versions()
    read = response_xlsx.from_xlsx(
        link.questionnaire, data, link.response["id"], current_app.config["SECRET_KEY"], answers
    )
    if not read.seen:  # refused whole: nothing to preview
        form.file.errors.append(_("%(file)s was not read: nothing was changed.", file=name))
        return _render_page(link, form, [_where(p) for p in read.problems], 422)
    problems = [_problem_data(p) for p in read.problems]
    store.hold_offline_upload(
        get_db(), link.response["id"], hashlib.sha256(data).hexdigest(), name, read.changes(),
        {key: version for key, (version, _digest) in read.seen.items()}, problems, link.actor,
    )  # fmt: skip
    return redirect(url_for("offline.preview", token=token))


def _problem_data(problem: xlsx.SheetProblem) -> dict:
    """A problem as it is held: a core message keeps its msgid, to be said in whatever language reads it."""
    text = problem.message
    if isinstance(text, Message):
        return {"sheet": problem.sheet, "cell": problem.cell, "msgid": text.msgid, "params": text.params}
    return {"sheet": problem.sheet, "cell": problem.cell, "text": str(text)}


def _where(problem: xlsx.SheetProblem | dict) -> str:
    if isinstance(problem, dict):
        message = Message(problem["msgid"], problem["params"]) if "msgid" in problem else problem["text"]
        problem = xlsx.SheetProblem(problem["sheet"], problem["cell"], message)
    where = problem.where()
    return f"{where}: {_say(problem.message)}" if where else _say(problem.message)


@bp.get("/<token>/offline/preview")
def preview(token: str):
    """What the held upload changes, answer by answer (old → new), with every cell problem; or what it did."""
    link = open_link(token)
    pending = store.offline_upload(get_db(), link.response["id"])
    if pending is None:
        return redirect(url_for("offline.page", token=token))
    answers, versions = link.answers_and_versions()
    questionnaire = link.questionnaire
    lang = link.response["language"]
    rows = []
    result = pending["result"] or {}
    for key, new in pending["changes"].items():
        question, label = _question(link, key)
        if question is None:
            continue
        newer = versions.get(key, 0) > pending["seen"].get(key, 0) and answers.get(key) != new
        rows.append({
            "key": key,
            "number": question.shown_number,
            "section": questionnaire.section_of(question.id),
            "label": label,
            "old": _readable(question, key, answers.get(key), lang),
            "new": _readable(question, key, new, lang),
            "conflict": key in result.get("conflicts", {}) or (not pending["applied_at"] and newer),
            "theirs": _readable(question, key, answers.get(key), lang) if newer else "",
            "saved": key in result.get("saved", []),
        })  # fmt: skip
    return render_template(
        "vendor/offline_preview.html",
        **_ctx(
            link,
            pending=pending,
            rows=rows,
            problems=[_where(p) for p in pending["problems"]],
            conflicts=sum(1 for r in rows if r["conflict"]),
            result=link.progress(answers),
            applied=result,
        ),
    )


def _question(link: Link, key: str) -> tuple[Question | None, str]:
    """The question an answer key belongs to, and what the preview calls it."""
    qid, dot, option = key.partition(".")
    question = link.questionnaire.questions.get(qid)
    if question is None:
        return None, key
    prompt = localize(question.prompt, link.response["language"])
    if dot:
        return question, _("%(question)s: please specify “%(option)s”", question=prompt,
                           option=question.option_label(option, link.response["language"]))  # fmt: skip
    return question, prompt


def _readable(question: Question, key: str, value: Any, lang: str) -> str:
    """An answer as a person reads it: labels, Yes/No, dates and numbers in the vendor's locale, rows counted."""
    if value is None:
        return _("(no answer)")
    if "." in key:
        return str(value)[:SHOWN_CHARS]
    t = question.type
    if t == "yes_no" and isinstance(value, bool):
        return _("Yes") if value else _("No")
    if t == "single" and isinstance(value, str):
        return question.option_label(value, lang)
    if t == "multi" and isinstance(value, list):
        return "; ".join(question.option_label(v, lang) for v in value) or _("none")
    if t == "date" and isinstance(value, str):
        try:
            return format_date(date.fromisoformat(value), "medium")
        except ValueError:
            return value
    if t == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return format_decimal(value)
    if t == "group" and isinstance(value, list):
        if not value:
            return _("none")
        ids = ", ".join(str(r.get("id")) for r in value if isinstance(r, dict) and r.get("id"))[:SHOWN_CHARS]
        rows = ngettext("%(num)s row", "%(num)s rows", len(value))
        return f"{rows}: {ids}" if ids else rows
    text = str(value)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


@bp.post("/<token>/offline/confirm")
def confirm(token: str):
    """Apply the previewed upload once, with the file's versions as those seen; a colleague's newer answer stays."""
    link = open_link(token)
    if not link.editable:
        flash(link.refusal(), "error")
        return redirect(url_for("offline.page", token=token))
    db = get_db()
    response_id = link.response["id"]
    pending = store.offline_upload(db, response_id)
    wanted = request.form.get("digest", "")
    if pending is None or pending["digest"] != wanted or not store.claim_offline_upload(db, response_id, wanted):
        flash(_("This upload was already applied or replaced by a newer one: upload your file again."), "error")
        return redirect(url_for("offline.page", token=token))
    before = link.answers()
    try:
        saved = store.save_answers(
            db, response_id, pending["changes"], pending["seen"], link.actor, writer=f"offline:{wanted[:16]}"
        )
    except store.NotEditable:
        store.record_offline_result(db, response_id, {"refused": True}, link.actor)
        flash(link.refusal(), "error")
        return redirect(url_for("offline.page", token=token))
    # rows a file replaced may have held the only reference to an evidence file: drop those files
    _drop_files(link, evidence.referenced_ids(link.questionnaire, {k: before.get(k) for k in saved.saved}))
    result = {"saved": saved.saved, "conflicts": {k: digest(v) for k, v in saved.conflicts.items()}}
    store.record_offline_result(db, response_id, result, link.actor)
    flash(ngettext("%(num)s answer was saved.", "%(num)s answers were saved.", len(saved.saved)), "success")
    if saved.conflicts:
        flash(
            ngettext(
                "%(num)s answer was not saved: a colleague saved a newer one in the browser. It is marked below.",
                "%(num)s answers were not saved: a colleague saved newer ones in the browser. They are marked below.",
                len(saved.conflicts),
            ),
            "error",
        )
    return redirect(url_for("offline.preview", token=token))
