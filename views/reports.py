"""PDFs: the comparison of an evaluation's vendors, and one vendor's response (their receipt).

A comparison of many vendors takes WeasyPrint seconds, so it is made once per change of the
evaluation (stagefour/report.py keys it by the SHA-256 of its inputs), in a background thread,
while the buyer sees a page that refreshes itself every two seconds (the CSP allows no inline
script) and shows how far it got. An unchanged evaluation's PDF is sent from the cache.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC
from datetime import datetime

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import g
from flask import jsonify
from flask import render_template
from flask import request
from flask import send_file
from flask import url_for
from flask_babel import get_locale

from stagefour import evaluations
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
    return current_app.config.get("REPORT_FOLDER", os.path.join(current_app.instance_path, "reports"))


def _options() -> tuple[str, str]:
    """Page size and language from the query (language defaults to the reader's locale)."""
    size = request.args.get("size", "a4")
    lang = request.args.get("lang") or str(get_locale())
    if size not in report.PAGE_SIZES or lang not in report.LANGUAGES:
        abort(400)
    return size, lang


def _as_of():
    return datetime.now(UTC).date()


def _actor() -> str:
    return f"user:{g.user['id']}"


def _send(path, name: str):
    response = send_file(path, mimetype="application/pdf", download_name=name, conditional=True)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _comparison_state(evaluation: dict, size: str, lang: str, start: bool):
    """(cache, key, status) of the evaluation's PDF now; with `start`, a missing PDF starts being made."""
    questionnaire = for_snapshot(evaluation["snapshot_id"])
    db = get_db()
    cache = report.ReportCache(report_folder())
    as_of = _as_of()
    # One read transaction: the key and the data the PDF is made from see the same rows.
    with db.atomic():
        inputs = report.comparison_inputs(db, evaluation)
        key = report.comparison_key(inputs, questionnaire, as_of, lang, size)
        status = cache.status(key)
        if start and status.state == "absent":
            comparison = evaluations.compare(db, evaluation, questionnaire, as_of)
            model = report.comparison_model(comparison, evaluation, questionnaire)
            _start_build(cache, key, model, questionnaire, lang, size, evaluation["id"])
            status = cache.status(key)
    return cache, key, status


def _start_build(cache, key: str, model: dict, questionnaire, lang: str, size: str, evaluation_id: int) -> None:
    """Make the comparison PDF in a background thread (unless someone else is making it)."""
    database = current_app.config["DATABASE"]
    actor = _actor()
    generated_by = g.user["email"]
    vendors = len(model["vendors"])

    def make(progress):
        html = report.comparison_html(model, questionnaire, lang, size, store.now(), generated_by, key)
        return report.render_pdf(html, progress)

    def done(rendered: report.Rendered, seconds: float) -> None:
        try:
            db = store.open_db(database)
            try:
                store.audit(
                    db,
                    actor,
                    "report_made",
                    evaluation_id=evaluation_id,
                    report="comparison",
                    key=key,
                    lang=lang,
                    size=size,
                    vendors=vendors,
                    pages=rendered.pages,
                    seconds=round(seconds, 2),
                )
            finally:
                db.close()
        except Exception:  # the PDF is made; a failed audit entry must not hide it
            log.exception("could not record report_made for evaluation %s", evaluation_id)

    cache.start(key, make, report.estimate_seconds(vendors), vendors=vendors, on_done=done)


def _making_page(evaluation: dict, status: report.BuildStatus, size: str, lang: str, code: int = 202):
    page = render_template(
        "report/making.html",
        evaluation=evaluation,
        status=status,
        retry=url_for("reports.comparison_pdf", evaluation_id=evaluation["id"], size=size, lang=lang),
    )
    return page, code, {"Cache-Control": "no-store"}


@bp.get("/evaluations/<int:evaluation_id>/report.pdf")
@login_required("viewer")
def comparison_pdf(evaluation_id: int):
    """The comparison PDF: from the cache, or a page showing progress while it is made."""
    evaluation = load_evaluation(evaluation_id)
    size, lang = _options()
    cache, key, status = _comparison_state(evaluation, size, lang, start=True)
    if status.state == "ready":
        return _send(cache.pdf_path(key), f"stagefour-evaluation-{evaluation_id}-{lang}-{size}.pdf")
    if status.state == "failed":
        # Shown once; the next request (the "Try again" link) makes it again.
        cache.clear_failure(key)
        log.error("comparison PDF of evaluation %s failed: %s", evaluation_id, status.error)
        return _making_page(evaluation, status, size, lang, 500)
    return _making_page(evaluation, status, size, lang)


@bp.get("/evaluations/<int:evaluation_id>/report/status")
@login_required("viewer")
def comparison_status(evaluation_id: int):
    """Where the comparison PDF is, as JSON: ready, building (with progress), failed or absent."""
    evaluation = load_evaluation(evaluation_id)
    size, lang = _options()
    _cache, key, status = _comparison_state(evaluation, size, lang, start=False)
    url = url_for("reports.comparison_pdf", evaluation_id=evaluation_id, size=size, lang=lang)
    return jsonify(status.to_dict() | {"key": key, "url": url})


def _receipt(evaluation: dict, vendor: dict, size: str, lang: str, actor: str):
    """A vendor's response PDF, made in this request when not cached (one vendor takes ~a second)."""
    questionnaire = for_snapshot(evaluation["snapshot_id"])
    answers = store.load_answers(get_db(), vendor["response_id"])
    cache = report.ReportCache(report_folder())
    key = report.receipt_key(vendor, evaluation, answers, questionnaire, lang, size)
    path = cache.get(key)
    if path is None:
        if cache.claim(key, report.estimate_seconds(1)):
            rendered = cache.build(
                key,
                lambda progress: report.render_pdf(
                    report.receipt_html(vendor, evaluation, answers, questionnaire, lang, size), progress
                ),
            )
            store.audit(
                get_db(),
                actor,
                "report_made",
                evaluation_id=evaluation["id"],
                vendor_id=vendor["id"],
                response_id=vendor["response_id"],
                report="response",
                key=key,
                lang=lang,
                size=size,
                pages=rendered.pages,
            )
        path = cache.wait(key, timeout=60)
        if path is None:
            abort(503)
    return _send(path, f"stagefour-response-{vendor['id']}-{lang}-{size}.pdf")


@bp.get("/evaluations/<int:evaluation_id>/vendors/<int:vendor_id>/response.pdf")
@login_required("viewer")
def response_pdf(evaluation_id: int, vendor_id: int):
    """One vendor's answers by section, for the buyer (marked as a draft until submitted)."""
    evaluation, vendor = load_vendor(evaluation_id, vendor_id)
    size, lang = _options()
    return _receipt(evaluation, vendor, size, lang, _actor())


@bp.get("/v/<token>/receipt.pdf")
def vendor_receipt_pdf(token: str):
    """The vendor's receipt, from their own link, once their response is submitted."""
    link = open_link(token)
    if link.response["status"] != "submitted":
        abort(404)
    size, lang = _options()
    vendor = store.get_vendor(get_db(), link.response["vendor_id"])
    response = _receipt(link.evaluation, vendor, size, lang, link.actor)
    # Like every vendor page (views/errors.py): the link's answers are never kept by a cache.
    response.headers["Cache-Control"] = "no-store"
    return response
