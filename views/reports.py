"""PDFs: the comparison of an evaluation's vendors, and one vendor's response (their receipt).

A PDF takes WeasyPrint seconds, so it is made once per change of what it shows (stagefour/report.py
keys it by the SHA-256 of its inputs) by a Huey job (stagefour/jobs.py), while the reader sees a page
that refreshes itself every two seconds (the CSP allows no inline script) and shows how far it got.
An unchanged PDF is sent from the cache.
"""

from __future__ import annotations

import logging
from datetime import UTC
from datetime import datetime

from babel import Locale
from babel import UnknownLocaleError
from flask import Blueprint
from flask import abort
from flask import current_app
from flask import g
from flask import jsonify
from flask import make_response
from flask import render_template
from flask import request
from flask import send_file
from flask import url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature
from itsdangerous import URLSafeSerializer

from stagefour import jobs
from stagefour import report
from stagefour import store
from views.auth import login_required
from views.buyer import load_evaluation
from views.buyer import load_vendor
from views.db import get_db
from views.questionnaires import for_snapshot
from views.vendor import open_link

bp = Blueprint("reports", __name__)
log = logging.getLogger(__name__)


def report_folder() -> str:
    """Where PDFs are cached (config REPORT_FOLDER, default instance/reports)."""
    return current_app.config["REPORT_FOLDER"]


def default_size() -> str:
    """The paper the reader's locale implies: its territory (en-US, fr-CA) from the browser, else A4."""
    for tag, _quality in request.accept_languages:
        try:
            territory = Locale.parse(tag, sep="-").territory
        except (ValueError, UnknownLocaleError):
            continue
        if territory:
            return report.paper_for(territory)
    return "a4"


def default_language() -> str:
    """The interface language when the PDF has it, else English."""
    lang = str(get_locale())
    return lang if lang in report.LANGUAGES else "en"


@bp.app_context_processor
def pdf_choices() -> dict:
    """What the PDF forms next to every download offer (views/reports.py is their one source)."""
    return {
        "pdf_languages": report.LANGUAGES,
        "pdf_default_language": default_language,
        "pdf_default_size": default_size,
    }


def _options() -> tuple[str, str]:
    """Page size and language from the query (defaults: the interface language and its locale's paper)."""
    size = request.args.get("size") or default_size()
    lang = request.args.get("lang") or default_language()
    if size not in report.PAGE_SIZES or lang not in report.LANGUAGES:
        message = _(
            "This PDF cannot be made in that language or paper size. Choose a language of the list "
            "(%(languages)s) and A4 or US Letter.",
            languages=", ".join(report.LANGUAGES),
        )
        abort(make_response(render_template("errors/error.html", code=400, message=message), 400))
    return size, lang


def _as_of():
    return datetime.now(UTC).date()


def _actor() -> str:
    return f"user:{g.user['id']}"


def _send(path, name: str):
    response = send_file(path, mimetype="application/pdf", download_name=name, conditional=True)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _jobs() -> jobs.Jobs:
    return current_app.extensions["jobs"]


def _comparison_state(evaluation: dict, size: str, lang: str, start: bool):
    """(key, status) of the evaluation's PDF now; with `start`, a missing PDF is queued to be made."""
    questionnaire = for_snapshot(evaluation["snapshot_id"])
    db = get_db()
    as_of = _as_of()
    # One read transaction: the key and the vendor count see the same rows (the job checks the key again).
    with db.atomic():
        inputs = report.comparison_inputs(db, evaluation)
        key = report.comparison_key(inputs, questionnaire, as_of, lang, size)
    status = _jobs().pdf_status(key)
    if start and status.state == "absent":
        _jobs().request_comparison(
            evaluation["id"], lang, size, key, as_of, _actor(), g.user["email"], vendors=len(inputs["vendors"])
        )
        status = _jobs().pdf_status(key)
    return key, status


def _waits() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="pdf-wait")


def _waited_for(slot: str) -> tuple[str, report.BuildStatus] | None:
    """The PDF the progress page waits for (`?wait=`, signed: a slot and the key first asked for).

    The page asks for the state it first saw, or the later one that replaced it, never "whatever
    is newest now": while vendors keep saving, the newest state would never be ready.
    """
    token = request.args.get("wait")
    if token is None:
        return None
    try:
        waited_slot, key = _waits().loads(token)
    except (BadSignature, ValueError, TypeError):
        abort(400)
    if waited_slot != slot:
        abort(400)
    key = _jobs().answer_for(key, slot)
    status = _jobs().pdf_status(key)
    return (key, status) if status.state != "absent" else None


def _making_page(
    evaluation: dict, status: report.BuildStatus, retry: str, back: str, slot: str, key: str, code: int = 202
):
    kind = "comparison" if request.endpoint == "reports.comparison_pdf" else "response"
    # The page reloads itself onto the PDF it waits for; "Try again" after a failure starts afresh.
    refresh = url_for(
        request.endpoint, **(request.view_args or {}), **request.args.to_dict() | {"wait": _waits().dumps([slot, key])}
    )
    page = render_template(
        "report/making.html", evaluation=evaluation, status=status, retry=retry, back=back, kind=kind, refresh=refresh
    )
    return make_response(page, code, {"Cache-Control": "no-store"})


def _failed(key: str, status: report.BuildStatus, what: str):
    """Forget a failure once it is shown: the next request (the "Try again" link) makes it again."""
    _jobs().clear_failure(key)
    # A cap is the reader's to act on (fewer vendors, an admin): 422; anything else is ours: 500.
    log.log(logging.WARNING if status.reason else logging.ERROR, "%s PDF %s: %s", what, key[:12], status.error)
    return 422 if status.reason else 500


@bp.get("/evaluations/<int:evaluation_id>/report.pdf")
@login_required
def comparison_pdf(evaluation_id: int):
    """The comparison PDF: from the cache, or a page showing progress while it is made."""
    evaluation = load_evaluation(evaluation_id)
    size, lang = _options()
    slot = jobs.comparison_slot(evaluation_id, lang, size)
    waited = _waited_for(slot)  # a bad `wait` is refused (400) first, like bad options
    if waited is None and not store.any_answers(get_db(), evaluation_id):
        # a ranking of empty responses would name a winner by its name alone
        return make_response(render_template("report/no_answers.html", evaluation=evaluation), 409)
    key, status = waited or _comparison_state(evaluation, size, lang, start=True)
    if status.state == "ready":
        return _send(
            report.ReportCache(report_folder()).pdf_path(key), f"stagefour-evaluation-{evaluation_id}-{lang}-{size}.pdf"
        )
    retry = url_for("reports.comparison_pdf", evaluation_id=evaluation_id, size=size, lang=lang)
    back = url_for("buyer.evaluation", evaluation_id=evaluation_id)
    if status.state == "failed":
        return _making_page(evaluation, status, retry, back, slot, key, _failed(key, status, "comparison"))
    return _making_page(evaluation, status, retry, back, slot, key)


@bp.get("/evaluations/<int:evaluation_id>/report/status")
@login_required
def comparison_status(evaluation_id: int):
    """Where the comparison PDF is, as JSON: ready, building (with progress), failed or absent."""
    evaluation = load_evaluation(evaluation_id)
    size, lang = _options()
    key, status = _comparison_state(evaluation, size, lang, start=False)
    url = url_for("reports.comparison_pdf", evaluation_id=evaluation_id, size=size, lang=lang)
    return jsonify(status.to_dict() | {"key": key, "url": url})


def _receipt(evaluation: dict, vendor: dict, size: str, lang: str, actor: str, retry: str, back: str):
    """A vendor's response PDF from the cache, or the progress page while a job makes it."""
    slot = jobs.response_slot(vendor["id"], lang, size)
    waited = _waited_for(slot)
    if waited:
        key, status = waited
    else:
        questionnaire = for_snapshot(evaluation["snapshot_id"])
        answers = store.load_answers(get_db(), vendor["response_id"])
        key = report.receipt_key(vendor, evaluation, answers, questionnaire, lang, size)
        status = _jobs().pdf_status(key)
        if status.state == "absent":
            _jobs().request_response(evaluation["id"], vendor["id"], lang, size, key, actor)
            status = _jobs().pdf_status(key)
    if status.state == "ready":
        return _send(
            report.ReportCache(report_folder()).pdf_path(key), f"stagefour-response-{vendor['id']}-{lang}-{size}.pdf"
        )
    if status.state == "failed":
        return _making_page(evaluation, status, retry, back, slot, key, _failed(key, status, "response"))
    return _making_page(evaluation, status, retry, back, slot, key)


@bp.get("/evaluations/<int:evaluation_id>/vendors/<int:vendor_id>/response.pdf")
@login_required
def response_pdf(evaluation_id: int, vendor_id: int):
    """One vendor's answers by section, for the buyer (marked as a draft until submitted)."""
    evaluation, vendor = load_vendor(evaluation_id, vendor_id)
    size, lang = _options()
    retry = url_for("reports.response_pdf", evaluation_id=evaluation_id, vendor_id=vendor_id, size=size, lang=lang)
    back = url_for("review.response", evaluation_id=evaluation_id, vendor_id=vendor_id)
    return _receipt(evaluation, vendor, size, lang, _actor(), retry, back)


@bp.get("/v/<token>/receipt.pdf")
def vendor_receipt_pdf(token: str):
    """The vendor's receipt, from their own link, once their response is submitted."""
    link = open_link(token)
    if link.response["status"] != "submitted":
        abort(404)
    size, lang = _options()
    vendor = store.get_vendor(get_db(), link.response["vendor_id"])
    retry = url_for("reports.vendor_receipt_pdf", token=token, size=size, lang=lang)
    back = url_for("vendor.receipt", token=token)
    response = _receipt(link.evaluation, vendor, size, lang, link.actor, retry, back)
    # Like every vendor page (views/errors.py): the link's answers are never kept by a cache.
    response.headers["Cache-Control"] = "no-store"
    return response
