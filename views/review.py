"""The buyer's review: one response with its scores, manual scoring, verifications and
clarifications; and the comparison of every vendor side by side."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import send_file
from flask import url_for
from flask_babel import gettext as _

from forms.review import ClarificationForm
from forms.review import ManualScoreForm
from forms.review import ReplyForm
from forms.review import VerificationForm
from stagefour import evaluations
from stagefour import evidence
from stagefour import store
from stagefour.comparison import section_scores
from stagefour.metrics import TrackRecord
from stagefour.metrics import deployment_fingerprint
from stagefour.questionnaire import answer_reference
from views.auth import login_required
from views.buyer import load_evaluation
from views.buyer import load_vendor
from views.db import get_db
from views.questionnaires import for_snapshot

bp = Blueprint("review", __name__)

MAX_WEIGHT = 1000.0


def today():
    """The as-of date of scores shown now."""
    return datetime.now(UTC).date()


def _review(evaluation: dict, vendor: dict):
    questionnaire = for_snapshot(evaluation["snapshot_id"])
    [review] = evaluations.review_vendors(get_db(), evaluation, questionnaire, today(), vendor_ids=[vendor["id"]])
    return questionnaire, review


@bp.get("/evaluations/<int:evaluation_id>/vendors/<int:vendor_id>")
@login_required
def response(evaluation_id: int, vendor_id: int):
    """One vendor's answers with their points, the evaluators' scores, checks and threads."""
    evaluation, vendor = load_vendor(evaluation_id, vendor_id)
    questionnaire, review = _review(evaluation, vendor)
    track = TrackRecord(review.answers, today(), evaluation["buyer_profile"])
    deployments = [
        {
            "row": row,
            "qualifies": track.why_not_qualifying(row) is None,
            "why_not": track.why_not_qualifying(row),
            "fingerprint": deployment_fingerprint(review.answers, row["id"]),
        }
        for row in track.deployments
        if row.get("id")
    ]
    manual_by_item: dict[str, list[dict]] = {}
    for s in review.manual:
        manual_by_item.setdefault(s["question_id"], []).append(s)
    threads_by_item: dict[str, list[dict]] = {}
    for t in review.threads:
        threads_by_item.setdefault(t["question_id"], []).append(t)
    return render_template(
        "review/response.html",
        evaluation=evaluation,
        vendor=vendor,
        questionnaire=questionnaire,
        review=review,
        result=review.result,
        deployments=deployments,
        manual_by_item=manual_by_item,
        threads_by_item=threads_by_item,
        my_user_id=g.user["id"],
        lang=_reader_language(questionnaire),
        reference=answer_reference,
        score_form=ManualScoreForm(),
        verification_form=VerificationForm(),
        clarification_form=ClarificationForm(),
        reply_form=ReplyForm(),
    )


@bp.get("/evaluations/<int:evaluation_id>/vendors/<int:vendor_id>/files/<attachment_id>")
@login_required
def file(evaluation_id: int, vendor_id: int, attachment_id: str):
    """A vendor's evidence file, always as a download."""
    vendor = load_vendor(evaluation_id, vendor_id)[1]
    row = store.get_attachment(get_db(), vendor["response_id"], attachment_id)
    if row is None:
        abort(404)
    path = evidence.stored_path(current_app.config["UPLOAD_FOLDER"], row["id"])
    return send_file(path, mimetype=row["content_type"], as_attachment=True, download_name=row["filename"])


def _reader_language(questionnaire) -> str:
    from flask_babel import get_locale

    locale = str(get_locale())
    return locale if locale in questionnaire.languages else "en"


def _back(evaluation_id: int, vendor_id: int, anchor: str = ""):
    target = url_for("review.response", evaluation_id=evaluation_id, vendor_id=vendor_id)
    return redirect(target + (f"#{anchor}" if anchor else ""))


@bp.post("/evaluations/<int:evaluation_id>/vendors/<int:vendor_id>/scores")
@login_required
def score(evaluation_id: int, vendor_id: int):
    """An evaluator's 0–5 score and comment on a manual item."""
    evaluation, vendor = load_vendor(evaluation_id, vendor_id, "evaluator")
    questionnaire = for_snapshot(evaluation["snapshot_id"])
    form = ManualScoreForm()
    question = questionnaire.questions.get(form.question_id.data or "")
    if question is None or question.scoring.kind != "manual":
        abort(404)
    if not form.validate():
        flash(_("Choose a score from 0 to 5 (comments up to 2,000 characters)."), "error")
        return _back(evaluation_id, vendor_id, f"a-{question.id}")
    store.set_manual_score(
        get_db(), vendor["response_id"], question.id, g.user["id"], int(form.score.data), form.comment.data or ""
    )
    flash(_("Your score for %(id)s was saved.", id=question.id), "success")
    return _back(evaluation_id, vendor_id, f"a-{question.id}")


@bp.post("/evaluations/<int:evaluation_id>/vendors/<int:vendor_id>/verifications")
@login_required
def verify(evaluation_id: int, vendor_id: int):
    """Record the reference check and evidence review of one deployment."""
    evaluation, vendor = load_vendor(evaluation_id, vendor_id, "evaluator")
    form = VerificationForm()
    answers = store.load_answers(get_db(), vendor["response_id"])
    ids = {row.get("id") for row in answers.get("B1") or [] if isinstance(row, dict)}
    if not form.validate() or form.deployment_id.data not in ids:
        abort(400)
    fingerprint = deployment_fingerprint(answers, form.deployment_id.data)
    if fingerprint is None:
        flash(_("Several deployments have the id %(id)s: ask the vendor to tell them apart.",
                id=form.deployment_id.data), "error")  # fmt: skip
        return _back(evaluation_id, vendor_id, "verification")
    if form.fingerprint.data and form.fingerprint.data != fingerprint:
        flash(_("The vendor changed %(id)s since this page was shown: check it again.", id=form.deployment_id.data),
              "error")  # fmt: skip
        return _back(evaluation_id, vendor_id, "verification")
    store.set_verification(
        get_db(),
        vendor["response_id"],
        form.deployment_id.data,
        form.reference_checked.data,
        form.evidence_reviewed.data,
        form.note.data or "",
        g.user["id"],
        fingerprint,
    )
    flash(_("The checks of %(id)s were saved.", id=form.deployment_id.data), "success")
    return _back(evaluation_id, vendor_id, "verification")


@bp.post("/evaluations/<int:evaluation_id>/vendors/<int:vendor_id>/clarifications")
@login_required
def ask(evaluation_id: int, vendor_id: int):
    """Ask the vendor a question about one answer."""
    evaluation, vendor = load_vendor(evaluation_id, vendor_id, "evaluator")
    questionnaire = for_snapshot(evaluation["snapshot_id"])
    form = ClarificationForm()
    if form.question_id.data not in questionnaire.questions:
        abort(404)
    if not form.validate():
        flash(_("Write the question (up to 4,000 characters)."), "error")
        return _back(evaluation_id, vendor_id, f"a-{form.question_id.data}")
    store.open_clarification(get_db(), vendor["response_id"], form.question_id.data, form.body.data, g.user["id"])
    flash(_("Your question was sent to the vendor."), "success")
    return _back(evaluation_id, vendor_id, f"a-{form.question_id.data}")


@bp.post("/evaluations/<int:evaluation_id>/vendors/<int:vendor_id>/clarifications/<int:thread_id>/reply")
@login_required
def reply(evaluation_id: int, vendor_id: int, thread_id: int):
    """The buyer's reply on an open thread."""
    vendor = load_vendor(evaluation_id, vendor_id, "evaluator")[1]
    form = ReplyForm()
    if not form.validate():
        flash(_("Write the reply (up to 4,000 characters)."), "error")
    elif not store.add_clarification_message(get_db(), vendor["response_id"], thread_id, f"user:{g.user['id']}",
                                             form.body.data):  # fmt: skip
        abort(404)
    return _back(evaluation_id, vendor_id, f"thread-{thread_id}")


@bp.post("/evaluations/<int:evaluation_id>/vendors/<int:vendor_id>/clarifications/<int:thread_id>/close")
@login_required
def close(evaluation_id: int, vendor_id: int, thread_id: int):
    """Close a thread: the question is answered."""
    vendor = load_vendor(evaluation_id, vendor_id, "evaluator")[1]
    if not store.close_clarification(get_db(), vendor["response_id"], thread_id, g.user["id"]):
        abort(404)
    return _back(evaluation_id, vendor_id, f"thread-{thread_id}")


def requested_weights(questionnaire, evaluation: dict) -> tuple[dict, dict]:
    """Section weights from the query (`w_A=...`), else the evaluation's; and errors by section."""
    weights, errors = {}, {}
    for s in questionnaire.sections:
        raw = request.args.get(f"w_{s.id}")
        default = float(evaluation["weights"].get(s.id, s.weight))
        if raw is None or raw == "":
            weights[s.id] = default
            continue
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if not 0 <= value <= MAX_WEIGHT or value != value:
            errors[s.id] = _("A weight is a number from 0 to %(max)s.", max=int(MAX_WEIGHT))
            value = default
        weights[s.id] = value
    if not any(weights.values()):
        errors["_all"] = _("At least one section needs a weight above 0.")
        weights = {s.id: float(evaluation["weights"].get(s.id, s.weight)) for s in questionnaire.sections}
    return weights, errors


@bp.get("/evaluations/<int:evaluation_id>/compare")
@login_required
def compare(evaluation_id: int):
    """Every vendor side by side, ranked by verdict tier then score, with live re-weighting."""
    evaluation = load_evaluation(evaluation_id)
    questionnaire = for_snapshot(evaluation["snapshot_id"])
    weights, errors = requested_weights(questionnaire, evaluation)
    comparison = evaluations.compare(get_db(), evaluation, questionnaire, today(), weights)
    data = {
        "weights": comparison.weights,
        "vendors": [
            {
                "id": r.vendor["id"],
                "name": r.vendor["name"],
                "tier": r.result.verdict.tier if r.result.verdict else 0,
                "sections": section_scores(r),
            }
            for r in comparison.reviews
        ],
    }
    return render_template(
        "review/compare.html",
        evaluation=evaluation,
        questionnaire=questionnaire,
        comparison=comparison,
        errors=errors,
        lang=_reader_language(questionnaire),
        reference=answer_reference,
        data=data,
        severity_order={"high": 0, "medium": 1, "low": 2},
    )
