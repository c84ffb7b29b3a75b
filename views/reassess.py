"""Re-assessment (issue 16, item 4): an owner starts next year's evaluation from a decided one.

The new evaluation keeps the team, the weights of the sections that remain, the buyer profile and
the vendors; each vendor gets a new link and starts from their last saved answers, which they
confirm or change (views/vendor.py). What carries is decided by stagefour/reassessment.py.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

from flask import Blueprint
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from forms.reassess import ReassessForm
from stagefour import access
from stagefour import reassessment
from stagefour import store
from views.auth import login_required
from views.buyer import _hand_out
from views.buyer import link_expiry
from views.buyer import load_evaluation
from views.buyer import offered
from views.db import get_db
from views.questionnaires import for_snapshot

bp = Blueprint("reassess", __name__)

# Why an answer did not carry over, as the owner reads it.
DROP_REASONS = {
    reassessment.REMOVED: _l("the question is no longer in the questionnaire"),
    reassessment.INVALID: _l("the answer does not fit the new version of the question"),
    reassessment.FILE: _l("files are not carried over: the vendor sends this year's"),
    reassessment.COMPUTED: _l("worked out from the other answers"),
}


def _versions(evaluation: dict):
    """(the questionnaire the evaluation used, the team's current version of it or None if the same)."""
    used = for_snapshot(evaluation["snapshot_id"])
    current = offered([evaluation["team_id"]])[0].get(used.id)
    return used, current if current is not None and current.hash != used.hash else None


@bp.route("/evaluations/<int:evaluation_id>/reassess", methods=["GET", "POST"])
@login_required
def start(evaluation_id: int):
    """Start next year's evaluation from a decided one (asks for its title and questionnaire version first)."""
    evaluation = load_evaluation(evaluation_id, "owner")
    finished = reassessment.is_finished(evaluation)
    used, current = _versions(evaluation)
    form = ReassessForm(title=reassessment.next_title(evaluation["title"], datetime.now(UTC).year + 1))
    form.version.choices = [
        SelectChoice(
            "current", _("The current version in your library: %(version)s", version=(current or used).version)
        ),
        SelectChoice("same", _("The same version as before: %(version)s", version=used.version)),
    ]
    vendors = store.list_vendors(get_db(), evaluation_id)
    if request.method == "POST" and not finished:
        return _page(evaluation, form, vendors, current, used, 409)
    if form.validate_on_submit():
        questionnaire = current if form.version.data == "current" and current is not None else used
        expires_at = link_expiry(dict(evaluation, deadline=None))  # the new evaluation has no deadline yet
        new_id, links, carried = reassessment.start_reassessment(
            get_db(), evaluation, questionnaire, form.title.data, g.user["id"], expires_at
        )
        new = store.get_evaluation(get_db(), new_id)
        for vendor_id, token in links:
            _hand_out(new, vendor_id, token, expires_at)  # shown once on the new evaluation's page, as when adding
        dropped = sum(len(c.dropped) for c in carried.values())
        flash(
            _(
                "The re-assessment was created with %(vendors)s vendors and %(carried)s carried-over answers "
                "(%(dropped)s not carried: see each vendor below). "
                "Set a deadline, then send each vendor their new link.",
                vendors=len(links),
                carried=sum(len(c.answers) for c in carried.values()),
                dropped=dropped,
            ),
            "success",
        )
        return redirect(url_for("buyer.evaluation", evaluation_id=new_id))
    return _page(evaluation, form, vendors, current, used, 422 if request.method == "POST" else 200)


def _page(evaluation: dict, form: ReassessForm, vendors: list[dict], current, used, status: int):
    return (
        render_template(
            "buyer/reassess.html",
            evaluation=evaluation,
            form=form,
            vendors=vendors,
            current=current,
            used=used,
            finished=reassessment.is_finished(evaluation),
        ),
        status,
    )


@bp.app_template_global("reassessment_of")
def reassessment_of(evaluation: dict) -> dict:
    """What the evaluation page says of re-assessment: the previous and next evaluations this user may
    see, and per vendor of a re-assessment the answers carried over and those not carried (with why)."""
    db = get_db()
    previous = store.get_evaluation(db, evaluation["previous_evaluation_id"] or 0)
    visible = [
        e
        for e in ([previous] if previous else []) + store.next_evaluations(db, evaluation["id"])
        if access.evaluation_role(db, g.user, e) is not None
    ]
    carried = {}
    if previous is not None:
        vendors = store.list_vendors(db, evaluation["id"])
        states = store.carried_answers(db, [v["response_id"] for v in vendors])
        for v in vendors:
            rows = states[v["response_id"]].values()
            carried[v["id"]] = {
                "name": v["name"],
                "carried": sum(1 for r in rows if r["carried"]),
                "waiting": sum(1 for r in rows if r["carried"] and not r["confirmed_at"]),
                "dropped": [(r["question_id"], str(DROP_REASONS.get(r["reason"], r["reason"]))) for r in rows
                            if not r["carried"]],
            }  # fmt: skip
    return {
        "previous": next((e for e in visible if previous and e["id"] == previous["id"]), None),
        "next": [e for e in visible if not previous or e["id"] != previous["id"]],
        "carried": carried,
    }


@bp.app_template_global("changes_since_previous")
def changes_since_previous(evaluation: dict, reviews: list, as_of) -> dict | None:
    """What changed per re-assessed vendor since the previous evaluation (the comparison's and the review
    page's "Changed since …"); None without a previous evaluation this user may see."""
    db = get_db()
    previous = store.get_evaluation(db, evaluation["previous_evaluation_id"] or 0)
    if previous is None or access.evaluation_role(db, g.user, previous) is None:
        return None
    questionnaire = for_snapshot(evaluation["snapshot_id"])
    changes = reassessment.changes_by_vendor(
        db, questionnaire, reviews, previous, for_snapshot(previous["snapshot_id"]), as_of
    )
    states = store.carried_answers(db, [r.vendor["response_id"] for r in reviews])
    vendors = []
    for r in reviews:
        rows = states[r.vendor["response_id"]]
        vendors.append(
            {
                "vendor": r.vendor,
                "changes": changes.get(r.vendor["id"]),
                "confirmed": [q for q, s in rows.items() if s["carried"] and s["confirmed_how"] == "confirmed"],
                "changed": [q for q, s in rows.items() if s["carried"] and s["confirmed_how"] == "changed"],
                "waiting": [q for q, s in rows.items() if s["carried"] and not s["confirmed_at"]],
            }
        )
    return {"previous": previous, "vendors": vendors, "questionnaire": questionnaire}
