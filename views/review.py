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
from flask_babel import get_locale
from flask_babel import gettext as _

from forms.buyer import MAX_WEIGHT
from forms.review import ClarificationForm
from forms.review import ReplyForm
from forms.review import VerificationForm
from stagefour import access
from stagefour import assignments as shared
from stagefour import evaluations
from stagefour import evidence
from stagefour import store
from stagefour.comparison import Entry
from stagefour.comparison import browser_inputs
from stagefour.numbers import readable_money
from stagefour.numbers import readable_number
from stagefour.profiles import profile_for
from stagefour.questionnaire import answer_reference
from views import scoring
from views.auth import login_required
from views.buyer import load_evaluation
from views.buyer import load_vendor
from views.db import get_db
from views.questionnaires import for_snapshot

bp = Blueprint("review", __name__)


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
    return render_response(evaluation, vendor, saved=request.args.get("saved"))


def render_response(evaluation: dict, vendor: dict, score_state: dict | None = None, saved: str | None = None) -> str:
    """The response page; `score_state` maps a manual item to the (typed values, errors) of a refused score."""
    questionnaire = for_snapshot(evaluation["snapshot_id"])
    queue, [review], held = scoring.queue_for(evaluation, questionnaire, vendor["id"])
    profile = profile_for(questionnaire)
    track = profile.facts(review.answers, today(), evaluation["buyer_profile"]) if profile else None
    deployments = [
        {
            "row": row,
            "qualifies": track.why_not_qualifying(row) is None,
            "why_not": track.why_not_qualifying(row),
            "fingerprint": profile.fingerprint(review.answers, row["id"]),
        }
        for row in (track.deployments if track else ())
        if row.get("id")
    ]
    assigned = shared.assigned_to(held, g.user["id"])
    score_state = score_state or {}
    entries = {
        q.id: scoring.manual_entry(
            questionnaire, review, q.id, assigned, *score_state.get(q.id, (None, None)), saved=q.id == saved
        )  # fmt: skip
        for q in questionnaire.questions.values()
        if q.scoring.kind == "manual"
    }
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
        entries=entries,
        assigned_sections=[s for s in questionnaire.sections if s.id in assigned[0]],
        assigned_vendor=vendor["id"] in assigned[1],
        queue_counts=scoring.counts_text(queue, one_vendor=True)
        if access.at_least(g.evaluation_role, "evaluator")
        else None,
        threads_by_item=threads_by_item,
        lang=_reader_language(questionnaire),
        reference=answer_reference,
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
    locale = str(get_locale())
    return locale if locale in questionnaire.languages else "en"


def _back(evaluation_id: int, vendor_id: int, anchor: str = ""):
    target = url_for("review.response", evaluation_id=evaluation_id, vendor_id=vendor_id)
    return redirect(target + (f"#{anchor}" if anchor else ""))


@bp.post("/evaluations/<int:evaluation_id>/vendors/<int:vendor_id>/verifications")
@login_required
def verify(evaluation_id: int, vendor_id: int):
    """Record the reference check and evidence review of one deployment."""
    evaluation, vendor = load_vendor(evaluation_id, vendor_id, "evaluator", changing=True)
    form = VerificationForm()
    profile = profile_for(for_snapshot(evaluation["snapshot_id"]))
    if profile is None:
        abort(404)  # only a profile with deployments has verifications
    answers = store.load_answers(get_db(), vendor["response_id"])
    ids = {row.get("id") for row in answers.get("B1") or [] if isinstance(row, dict)}
    if not form.validate() or form.deployment_id.data not in ids:
        abort(400)
    fingerprint = profile.fingerprint(answers, form.deployment_id.data)
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
    evaluation, vendor = load_vendor(evaluation_id, vendor_id, "evaluator", changing=True)
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
    vendor = load_vendor(evaluation_id, vendor_id, "evaluator", changing=True)[1]
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
    vendor = load_vendor(evaluation_id, vendor_id, "evaluator", changing=True)[1]
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
    entries = [Entry(r.vendor["id"], r.vendor["name"], r.result) for r in comparison.reviews]
    data = browser_inputs(entries, comparison.weights) | {
        "defaults": {s.id: float(evaluation["weights"].get(s.id, s.weight)) for s in questionnaire.sections},
        "max": MAX_WEIGHT,
        # the page's sentences with {placeholders} the script fills, translated here like the page's own
        "text": {
            "one": _("One vendor only."),
            "stable": _(
                "The ranking's winner, %(name)s, stays first if any one section weight moves by half in either direction.",  # noqa: E501
                name="{name}",
            ),
            "sensitive": _("The winner, %(name)s, is sensitive to the weights:", name="{name}"),
            "lower": _("≤ %(w)s: %(name)s first", w="{w}", name="{name}"),
            "higher": _("≥ %(w)s: %(name)s first", w="{w}", name="{name}"),
            "no_lower": _("no change down to 0"),
            "no_higher": _("no change up to 10×"),
            "provisional": _("provisional, %(low)s–%(high)s", low="{low}", high="{high}"),
        },
    }
    return render_template(
        "review/compare.html",
        evaluation=evaluation,
        questionnaire=questionnaire,
        comparison=comparison,
        answered=any(r.answers for r in comparison.reviews),
        max_weight=MAX_WEIGHT,
        errors=errors,
        lang=_reader_language(questionnaire),
        reference=answer_reference,
        data=data,
        severity_order={"high": 0, "medium": 1, "low": 2},
        block_formats=BlockFormats(),
    )


class BlockFormats:
    """The commercials block's formatters for the reader's locale (the PDF passes report.Formats)."""

    def money(self, value, currency: str) -> str:
        """An amount with its currency, Babel's format for the reader's locale."""
        return readable_money(value, currency, get_locale())

    def number(self, value) -> str:
        """A count, grouped for the reader's locale."""
        return readable_number(value, get_locale())
