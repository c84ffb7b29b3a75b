"""The committee's decision (issue 12): the owner records per vendor award, shortlist or reject,
which closes the evaluation to changes; reopening it is audited with a reason."""

from __future__ import annotations

from flask import Blueprint
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _

from forms.decision import OUTCOME_LABELS
from forms.decision import ReopenForm
from forms.decision import decision_form
from stagefour import evaluations
from stagefour import store
from views.auth import login_required
from views.buyer import load_evaluation
from views.db import get_db
from views.questionnaires import for_snapshot
from views.review import today

bp = Blueprint("decision", __name__)


def _render(evaluation: dict, form, reopen_form: ReopenForm, status: int = 200):
    db = get_db()
    questionnaire = for_snapshot(evaluation["snapshot_id"])
    # The committee decides on the comparison's ranking: the page lists vendors in its order.
    comparison = evaluations.compare(db, evaluation, questionnaire, today())
    return (
        render_template(
            "buyer/decision.html",
            evaluation=evaluation,
            comparison=comparison,
            form=form,
            reopen_form=reopen_form,
            outcome_labels=OUTCOME_LABELS,
            history=store.past_decisions(db, evaluation["id"]),
        ),
        status,
    )


@bp.route("/evaluations/<int:evaluation_id>/decision", methods=["GET", "POST"])
@login_required
def record(evaluation_id: int):
    """The decision page: record each vendor's outcome (closes the evaluation), or see the one recorded."""
    evaluation = load_evaluation(evaluation_id, "owner", changing=request.method == "POST")
    vendors = store.list_vendors(get_db(), evaluation_id)
    form = decision_form(vendors)
    if vendors and form.validate_on_submit():
        outcomes = {v["id"]: (form[f"outcome_{v['id']}"].data, form[f"rationale_{v['id']}"].data) for v in vendors}
        try:
            store.record_decision(get_db(), evaluation_id, outcomes, form.approvers.data or "", g.user["id"])
        except store.EvaluationClosed:
            flash(_("A decision was recorded meanwhile: it is shown below."), "error")
        except store.StoreError:
            # A vendor was added while the page was open: show the form again with every vendor.
            flash(_("The vendors changed while you decided: check the outcome of each vendor again."), "error")
            return _render(evaluation, decision_form(store.list_vendors(get_db(), evaluation_id)), ReopenForm(), 409)
        else:
            flash(_("The decision was recorded. The evaluation is closed to changes."), "success")
        return redirect(url_for("decision.record", evaluation_id=evaluation_id))
    return _render(evaluation, form, ReopenForm(), 422 if request.method == "POST" else 200)


@bp.post("/evaluations/<int:evaluation_id>/reopen")
@login_required
def reopen(evaluation_id: int):
    """Open a decided evaluation to changes again, with a reason (audited; the decision stays in history)."""
    evaluation = load_evaluation(evaluation_id, "owner")
    form = ReopenForm()
    if not evaluation["closed_at"]:
        flash(_("This evaluation is open: there is no decision to reopen."), "info")
        return redirect(url_for("decision.record", evaluation_id=evaluation_id))
    if not form.validate_on_submit():
        return _render(evaluation, decision_form([]), form, 422)
    store.reopen_evaluation(get_db(), evaluation_id, form.reason.data, g.user["id"])
    flash(_("The evaluation is open to changes again. Its decision is kept in the history."), "success")
    return redirect(url_for("decision.record", evaluation_id=evaluation_id))


@bp.app_template_global("outcome_label")
def outcome_label(code: str) -> str:
    """An outcome (award, shortlist, reject) in the reader's language."""
    return str(OUTCOME_LABELS.get(code, code))
