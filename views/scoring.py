"""Shared scoring (issue 12): the owner's assignments, each evaluator's queue, and manual scores
saved with or without JavaScript.

A score form posts normally (Post/Redirect/Get back to the item, or on to the next one in the
queue); the page's script posts the same form with fetch and `Accept: application/json`, and gets
the item re-rendered by the same template to put in place. An error is shown at its field in both
ways: without JavaScript the page is rendered again with status 400 (409 for a score changed
elsewhere) and what was typed.
"""

from __future__ import annotations

from flask import Blueprint
from flask import abort
from flask import g
from flask import get_template_attribute
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from forms.review import AssignmentsForm
from forms.review import ManualScoreForm
from stagefour import access
from stagefour import assignments as shared
from stagefour import evaluations
from stagefour import store
from views import review as review_views
from views.auth import login_required
from views.buyer import load_evaluation
from views.buyer import load_vendor
from views.db import get_db
from views.questionnaires import for_snapshot

bp = Blueprint("scoring", __name__)


def _wants_json() -> bool:
    """Whether the request is the page's script asking for JSON (a browser's form post asks for HTML)."""
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def counts_text(queue: shared.Queue, one_vendor: bool = False) -> str:
    """ "N left for you · M left in total" in the reader's language (of one vendor's items, or all)."""
    mine = ngettext("%(num)s item left for you", "%(num)s items left for you", queue.left_for_you)
    total = ngettext("%(num)s left in total", "%(num)s left in total", queue.left_in_total)
    return (_("For this vendor: %(counts)s", counts=f"{mine} · {total}")) if one_vendor else f"{mine} · {total}"


def manual_entry(questionnaire, review, question_id: str, assigned: set, values: dict | None = None,
           errors: dict | None = None, saved: bool = False) -> dict:  # fmt: skip
    """What the item templates need to show one manual item of one vendor and its score form."""
    section, question, item = next(
        (section, question, item)
        for section, score in zip(questionnaire.sections, review.result.sections, strict=True)
        for question, item in zip(section.questions, score.items, strict=True)
        if question.id == question_id
    )
    given = [m for m in review.manual if m["question_id"] == question_id]
    mine = next((m for m in given if m["evaluator_id"] == g.user["id"]), None)
    if values is None:
        values = {
            "score": str(mine["score"]) if mine else "",
            "comment": mine["comment"] if mine else "",
            "version": mine["version"] if mine else 0,
        }
    return {
        "vendor": review.vendor,
        "section": section,
        "q": question,
        "item": item,
        "given": given,
        "answer": review.answers.get(question_id),
        "assigned": section.id in assigned[0] or review.vendor["id"] in assigned[1],
        "typed": values,
        "errors": errors or {},
        "saved": saved,
        "can_score": access.at_least(g.evaluation_role, "evaluator"),
    }


def queue_for(evaluation: dict, questionnaire, vendor_id: int | None = None) -> tuple[shared.Queue, list, list[dict]]:
    """The current user's queue (of every vendor, or of one: scoring them all for a page about one
    would make it cost as much as the comparison), the reviews it came from, the assignments."""
    db = get_db()
    only = None if vendor_id is None else [vendor_id]
    reviews = evaluations.review_vendors(db, evaluation, questionnaire, review_views.today(), vendor_ids=only)
    held = shared.current_assignments(db, evaluation)
    return shared.queue(questionnaire, reviews, held, g.user["id"]), reviews, held


def _queue_panel(evaluation: dict, questionnaire, queue, reviews, held, saved=None, entry=None) -> str:
    """The queue's panel (counts and the item to score), as the page and the JSON answer show it."""
    if entry is None and queue.next is not None:
        review = next(r for r in reviews if r.vendor["id"] == queue.next.vendor_id)
        entry = manual_entry(questionnaire, review, queue.next.question_id, shared.assigned_to(held, g.user["id"]))
    panel = get_template_attribute("review/_scoring.html", "queue_panel")
    return panel(
        evaluation, questionnaire, entry, counts_text(queue), review_views._reader_language(questionnaire), saved
    )


@bp.get("/evaluations/<int:evaluation_id>/queue")
@login_required
def queue(evaluation_id: int):
    """The next manual item the current evaluator has not scored, with how many are left."""
    evaluation = load_evaluation(evaluation_id, "evaluator")
    questionnaire = for_snapshot(evaluation["snapshot_id"])
    queue, reviews, held = queue_for(evaluation, questionnaire)
    saved = _saved_item(questionnaire, reviews)
    panel = _queue_panel(evaluation, questionnaire, queue, reviews, held, saved)
    return render_template("review/queue.html", evaluation=evaluation, panel=panel)


def _saved_item(questionnaire, reviews) -> dict | None:
    """The item named by `?saved=<vendor id>-<question id>` (after a save without JavaScript)."""
    vendor_id, _sep, question_id = request.args.get("saved", "").partition("-")
    names = {str(r.vendor["id"]): r.vendor["name"] for r in reviews}
    if vendor_id in names and question_id in questionnaire.questions:
        return {"vendor": names[vendor_id], "question": question_id}
    return None


@bp.post("/evaluations/<int:evaluation_id>/vendors/<int:vendor_id>/scores")
@login_required
def score(evaluation_id: int, vendor_id: int):
    """An evaluator's 0–5 score and comment on a manual item, from a page or from its script."""
    evaluation, vendor = load_vendor(evaluation_id, vendor_id, "evaluator", changing=True)
    questionnaire = for_snapshot(evaluation["snapshot_id"])
    form = ManualScoreForm()
    question = questionnaire.questions.get(form.question_id.data or "")
    if question is None or question.scoring.kind != "manual":
        abort(404)
    db = get_db()
    in_queue = form.next.data == "queue"
    values = {"score": form.score.data or "", "comment": form.comment.data or "", "version": form.version.data or 0}
    others = [s["score"] for s in store.manual_scores(db, [vendor["response_id"]])
              if s["question_id"] == question.id and s["evaluator_id"] != g.user["id"]]  # fmt: skip
    errors, status = _score_errors(form, others), 400
    if not errors:
        seen = int(form.version.data) if form.version.data else None
        try:
            store.save_manual_score(db, vendor["response_id"], question.id, g.user["id"], int(form.score.data),
                                    form.comment.data or "", seen)  # fmt: skip
        except store.StaleScore as stale:
            errors, status = _stale_error(stale.current), 409
            # Saving again, having seen the newer score in the message, replaces it on purpose.
            values["version"] = stale.current["version"] if stale.current else 0
    return _after_score(evaluation, questionnaire, vendor, question.id, in_queue, values, errors, status)


def _score_errors(form: ManualScoreForm, others: list[int]) -> dict[str, str]:
    """The form's errors by field, in words that say how to put them right."""
    errors = {}
    form.validate()
    if form.score.errors:
        errors["score"] = _("Choose a score from 0 to 5.")
    if form.comment.errors:
        errors["comment"] = _("A comment is at most 2,000 characters long.")
    elif not errors and not (form.comment.data or "").strip() and shared.comment_required(int(form.score.data), others):
        errors["comment"] = _("Your score is more than one point away from another evaluator's: say why in a comment.")
    if form.version.errors or form.next.errors:
        errors.setdefault("score", _("This page is out of date: reload it and score again."))
    return errors


def _stale_error(current: dict | None) -> dict[str, str]:
    if current is None:
        return {"score": _("Your score on this item was removed since this page was shown. Save again to score it.")}
    return {
        "score": _(
            "You changed this score elsewhere since this page was shown: it is now %(score)s. "
            "Save again to replace it.",
            score=current["score"],
        )  # fmt: skip
    }


def _after_score(evaluation, questionnaire, vendor, question_id, in_queue, values, errors, status):
    """The answer to a score post: JSON with the item re-rendered, or a redirect, or the page again."""
    if in_queue:
        queue, reviews, held = queue_for(evaluation, questionnaire)
        entry = saved = None
        if errors:
            review = next(r for r in reviews if r.vendor["id"] == vendor["id"])
            entry = manual_entry(
                questionnaire, review, question_id, shared.assigned_to(held, g.user["id"]), values, errors
            )
        else:
            saved = {"vendor": vendor["name"], "question": question_id}
        if _wants_json():
            html = _queue_panel(evaluation, questionnaire, queue, reviews, held, saved, entry)
            return _json(not errors, html, queue), status if errors else 200
        if not errors:
            return redirect(url_for(".queue", evaluation_id=evaluation["id"], saved=f"{vendor['id']}-{question_id}"))
        panel = _queue_panel(evaluation, questionnaire, queue, reviews, held, None, entry)
        return render_template("review/queue.html", evaluation=evaluation, panel=panel), status
    if not errors and not _wants_json():
        target = url_for("review.response", evaluation_id=evaluation["id"], vendor_id=vendor["id"], saved=question_id)
        return redirect(f"{target}#a-{question_id}")
    if _wants_json():
        queue, [review], held = queue_for(evaluation, questionnaire, vendor["id"])
        entry = manual_entry(questionnaire, review, question_id, shared.assigned_to(held, g.user["id"]),
                       values if errors else None, errors, saved=not errors)  # fmt: skip
        block = get_template_attribute("review/_scoring.html", "manual_block")
        html = block(evaluation, questionnaire, entry, review_views._reader_language(questionnaire), "response")
        return _json(not errors, html, queue, one_vendor=True), status if errors else 200
    return review_views.render_response(evaluation, vendor, score_state={question_id: (values, errors)}), status


def _json(ok: bool, html: str, queue: shared.Queue, one_vendor: bool = False):
    counts = counts_text(queue, one_vendor)
    return jsonify(ok=ok, html=html, left_for_you=queue.left_for_you, left_in_total=queue.left_in_total, counts=counts)


@bp.route("/evaluations/<int:evaluation_id>/assignments", methods=["GET", "POST"])
@login_required
def assignments(evaluation_id: int):
    """The owner's grid: which evaluator scores which sections and which vendors."""
    changing = request.method == "POST"
    evaluation = load_evaluation(evaluation_id, "owner" if changing else "evaluator", changing)
    questionnaire = for_snapshot(evaluation["snapshot_id"])
    db = get_db()
    people = shared.eligible_evaluators(db, evaluation)
    sections = [s for s in questionnaire.sections if any(q.scoring.kind == "manual" for q in s.questions)]
    vendors = store.list_vendors(db, evaluation_id)
    form = AssignmentsForm()
    error, status = None, 200
    if request.method == "POST":
        wanted, error = _wanted_assignments(request.form.getlist("cell"), people, sections, vendors)
        if error is None and form.validate():
            store.set_assignments(db, evaluation_id, wanted, f"user:{g.user['id']}")
            return redirect(url_for(".assignments", evaluation_id=evaluation_id, saved=1))
        status = 400
        chosen = set(request.form.getlist("cell"))
    else:
        chosen = {f"{a['user_id']}:{a['scope']}:{a['target']}" for a in shared.current_assignments(db, evaluation)}
    return render_template(
        "review/assignments.html",
        evaluation=evaluation,
        questionnaire=questionnaire,
        people=people,
        sections=sections,
        vendors=vendors,
        chosen=chosen,
        form=form,
        error=error,
        saved=request.method == "GET" and request.args.get("saved") == "1",
        lang=review_views._reader_language(questionnaire),
    ), status


MAX_CELLS = 10_000


def _wanted_assignments(cells: list[str], people, sections, vendors) -> tuple[list[tuple], str | None]:
    """The posted cells ("user:scope:target") as assignments, or the error that refuses them all."""
    if len(cells) > MAX_CELLS:
        return [], _("Too many assignments in one form.")
    allowed = {p["id"] for p in people}
    targets = {"section": {s.id for s in sections}, "vendor": {str(v["id"]) for v in vendors}}
    wanted = []
    for cell in cells:
        user, _sep, rest = cell.partition(":")
        scope, _sep, target = rest.partition(":")
        if not user.isdigit() or len(user) > 18 or int(user) not in allowed:
            return [], _(
                "Only members of this evaluation's team with the evaluator or owner role who can see the evaluation "
                "can be assigned. Nothing was changed."
            )
        if target not in targets.get(scope, ()):
            return [], _("A section or vendor in the form is not part of this evaluation. Nothing was changed.")
        wanted.append((int(user), scope, target))
    return wanted, None
