"""The buyer's side: evaluations, vendors and their links."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from babel.numbers import get_currency_name
from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import force_locale
from flask_babel import format_date
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms.fields.choices import SelectChoice

from forms.buyer import AI_ACT_LABELS
from forms.buyer import PROFILE_FIELDS
from forms.buyer import EvaluationSettingsForm
from forms.buyer import NewEvaluationForm
from forms.buyer import VendorDeadlineForm
from forms.buyer import VendorForm
from forms.buyer import evaluation_form
from forms.buyer import offered_profile_fields
from forms.buyer import profile_questions
from forms.buyer import region_options
from stagefour import access
from stagefour import dashboard as dashboard_core
from stagefour import deadlines
from stagefour import evaluations
from stagefour import library as library_core
from stagefour import mail
from stagefour import store
from stagefour.commercials import DEFAULT_CURRENCY
from stagefour.numbers import readable_number
from stagefour.profile import CURRENCIES
from stagefour.questionnaire import Questionnaire
from stagefour.questionnaire import QuestionnaireError
from stagefour.questionnaire import localize
from stagefour.scoring import score_response
from views import library as library_views
from views import notices
from views.auth import login_required
from views.db import get_db
from views.i18n import OVERLAY_LABELS
from views.i18n import VERDICT_LABELS
from views.questionnaires import for_snapshot
from views.vendor import KeptHtml

bp = Blueprint("buyer", __name__)

# A link just issued is held server-side (store.hold_issued_link), never in the session cookie,
# until the evaluation page shows it once to whoever issued it; unshown after this long, it goes.
ISSUED_LINK_KEPT_FOR = timedelta(minutes=15)

# Why a write to a decided evaluation is refused (409): said the same way on every write path.
CLOSED_MESSAGE = _l(
    "A decision is recorded for this evaluation, so it is closed to changes. "
    "An owner can reopen it on its decision page."
)


def offered(team_ids: list[int]) -> tuple[dict[str, Questionnaire], dict[int, dict[str, Questionnaire]]]:
    """What "New evaluation" offers: the newest version of each questionnaire in these teams'
    libraries, then the shipped ones (an id a team uses hides the shipped one); and each team's own."""
    by_team = library_views.team_questionnaires(team_ids)
    out: dict[str, Questionnaire] = {}
    for team_id in team_ids:
        for qid, questionnaire in by_team[team_id].items():
            out.setdefault(qid, questionnaire)
    for qid, questionnaire in library_views.shipped().questionnaires.items():
        out.setdefault(qid, questionnaire)
    return out, by_team


def _language() -> str:
    return str(get_locale())


def _actor() -> str:
    return f"user:{g.user['id']}"


def load_evaluation(evaluation_id: int, role: str = "viewer", changing: bool = False) -> dict:
    """An evaluation the buyer may see, or 404 (whether it exists or not); 403 below `role` on it;
    409 when `changing` it while a decision closes it (issue 12)."""
    db = get_db()
    evaluation = store.get_evaluation(db, evaluation_id)
    have = access.evaluation_role(db, g.user, evaluation) if evaluation is not None else None
    if have is None:
        abort(404)
    if not access.at_least(have, role):
        abort(403)
    g.evaluation_role = have  # for can() in the templates
    if changing and evaluation["closed_at"]:
        abort(409, description=CLOSED_MESSAGE)
    return evaluation


def load_vendor(evaluation_id: int, vendor_id: int, role: str = "viewer", changing: bool = False) -> tuple[dict, dict]:
    """The evaluation (as load_evaluation) and one of its vendors; 404 for a vendor of another evaluation."""
    evaluation = load_evaluation(evaluation_id, role, changing)
    vendor = store.get_vendor(get_db(), vendor_id)
    if vendor is None or vendor["evaluation_id"] != evaluation_id:
        abort(404)
    return evaluation, vendor


def link_expiry(evaluation: dict) -> str:
    """When a link issued now expires (see evaluations.link_expiry)."""
    return evaluations.link_expiry(evaluation["deadline"], current_app.config["LINK_VALID_DAYS"], datetime.now(UTC))


def _vendor_rows(evaluation: dict, questionnaire: Questionnaire) -> list[dict]:
    """The evaluation's vendors with required answers (answered, required) and their link's state."""
    db = get_db()
    vendors = store.list_vendors(db, evaluation["id"])
    answers = store.answers_by_response(db, [v["response_id"] for v in vendors])
    today = datetime.now(UTC).date()
    stamp = store.now()
    rows = []
    for vendor in vendors:
        result = score_response(
            questionnaire, answers[vendor["response_id"]], today, buyer_profile=evaluation["buyer_profile"]
        )
        rows.append(
            dict(
                vendor,
                answered=sum(a for a, _r in result.progress.values()),
                required=sum(r for _a, r in result.progress.values()),
                link=dashboard_core.link_state(vendor, stamp),
                deadline=(deadline := deadlines.effective_deadline(evaluation["deadline"], vendor["deadline"])),
                days_left=deadlines.days_left(deadline, today),
            )
        )
    return rows


# The most pressing things the dashboard lists at its top; the rest is in each evaluation's table.
ATTENTION_SHOWN = 40


class _DashboardTexts:
    """The words and numbers of the dashboard's rows, each made once a request.

    2,000 rows that each called the translation catalogue and Babel for every cell took
    seconds; the same words come from here once, and numbers and days once per value.
    """

    def __init__(self):
        locale = get_locale()
        self.language = str(locale)
        self.states = {
            "submitted": _("Submitted"), "revoked": _("Link revoked"), "expired": _("Link expired"),
            "no_link": _("No working link"), "overdue": _("Overdue"), "reopened": _("Reopened"),
            "in_progress": _("In progress"), "not_started": _("Not started"),
        }  # fmt: skip
        self.verdicts = {code: str(label) for code, label in VERDICT_LABELS.items()}
        self.overlays = {code: str(label) for code, label in OVERLAY_LABELS.items()}
        self.provisional = _("provisional, %(low)s–%(high)s")  # a pattern: formatted per row below
        self.answers = _("%(answered)s / %(required)s")
        self.no_answers = _("No answers yet")
        self.number = lru_cache(maxsize=None)(lambda value: readable_number(value, locale))
        self.day = lru_cache(maxsize=None)(lambda stamp: format_date(date.fromisoformat(stamp), "medium"))

    def row(self, v: dict, base: str, closed: bool) -> dict:
        """The vendor's row with its texts and its HTML."""
        v["state_text"] = self.states[v["state"]]
        stamp = v["submitted_at"] if v["state"] == "submitted" else v["updated_at"]
        v["when"] = self.no_answers if v["status"] == "invited" else self.day(stamp[:10]) if stamp else ""
        verdict = v["verdict"]
        v["verdict_text"] = self.verdicts.get(verdict["code"], verdict["code"]) if verdict else ""
        v["overlay_texts"] = [self.overlays.get(code, code) for code, _label in verdict["overlays"]] if verdict else []
        v["overall_text"] = self.number(v["overall"])
        if v["provisional"]:
            v["range_text"] = self.provisional % {"low": self.number(v["low"]), "high": self.number(v["high"])}
        v["answers_text"] = self.answers % {"answered": v["answered"], "required": v["required"]}
        v["html"] = _kept_html(
            "vendor_row",
            self.language, base, closed, v["id"], v["name"], v["state"], v["state_text"], v["when"],
            verdict["tier"] if verdict else None, v["verdict_text"], tuple(v["overlay_texts"]), v["overall_text"],
            bool(v["provisional"]), v.get("range_text", ""), v["answers_text"], v["awaiting_buyer"], v["pending"],
            v["decision"],
        )  # fmt: skip
        return v


# The dashboard's pieces by everything they show: 2,000 rows and 200 evaluation headings rendered
# anew took most of a big team's page; a piece whose figures did not change is written out as it
# was (same macro and arguments, same HTML).
_pieces = KeptHtml(8 * 1024 * 1024)


def _kept_html(macro: str, *values) -> Markup:
    """A macro of templates/buyer/_dashboard_row.html called with `values` (the first: the language), kept."""
    key = (macro, *values)
    html = _pieces.get(key)
    if html is None:
        module = current_app.jinja_env.get_template("buyer/_dashboard_row.html").module
        html = Markup(getattr(module, macro)(*values))
        _pieces.put(key, html)
    return html


@bp.get("/")
@login_required
def dashboard():
    """Every evaluation the buyer may see: each vendor's true state, verdict and score, and what needs attention."""
    db = get_db()
    today = datetime.now(UTC).date()
    stamp = store.now()
    texts = _DashboardTexts()
    shown = store.list_evaluations(db, visible_to=g.user["id"])
    vendors = store.dashboard_vendors(db, [e["id"] for e in shown])
    items = []
    for evaluation in shown:
        questionnaire = for_snapshot(evaluation["snapshot_id"])
        rows = dashboard_core.fresh_summaries(db, evaluation, questionnaire, vendors[evaluation["id"]], today)
        base = url_for("buyer.evaluation", evaluation_id=evaluation["id"])
        for v in rows:
            deadline = deadlines.effective_deadline(evaluation["deadline"], v["deadline"])
            v["state"] = dashboard_core.vendor_state(v, deadline.isoformat() if deadline else None, stamp, today)
            texts.row(v, base, bool(evaluation["closed_at"]))
        days_left = deadlines.days_left(evaluation["deadline"], today)
        e = evaluation
        items.append(
            {
                "evaluation": evaluation,
                "vendors": rows,
                "past_deadline": days_left is not None and days_left < 0,
                "head": _kept_html(
                    "evaluation_head",
                    texts.language,
                    base,
                    e["id"],
                    e["title"],
                    e["team_name"],
                    e["restricted"],
                    localize(questionnaire.title, texts.language),
                    e["questionnaire_version"],
                    e["deadline"],
                    days_left,
                    e["submitted_count"],
                    e["vendor_count"],
                    e["closed_at"],
                ),  # fmt: skip
                "thead": _kept_html("vendors_head", texts.language, bool(e["closed_at"])),
            }
        )
    attention = dashboard_core.attention(items)
    return render_template(
        "buyer/dashboard.html",
        items=items,
        library_teams=access.teams_where(get_db(), g.user, "viewer"),
        attention=attention[:ATTENTION_SHOWN],
        attention_more=max(len(attention) - ATTENTION_SHOWN, 0),
    )


# --- evaluation settings ------------------------------------------------------------------------


def _in_team_library(form: NewEvaluationForm, questionnaire: Questionnaire, by_team: dict) -> bool:
    """Whether the questionnaire chosen is the one this id names for the team chosen (its library, then
    the shipped ones): another team's questionnaire is never used, even by a buyer who owns both."""
    folder = Path(current_app.config["QUESTIONNAIRE_FOLDER"])
    try:
        found = library_core.find(questionnaire.id, folder, team=by_team.get(int(form.team.data), {}))
    except (library_core.UnknownQuestionnaire, QuestionnaireError):
        found = None
    if found is None or found.hash != questionnaire.hash:
        form.questionnaire.errors.append(_("This questionnaire is not in the library of the team you chose."))
        return False
    return True


def _questionnaire_choices(questionnaires: dict[str, Questionnaire]) -> list[tuple[str, str]]:
    language = _language()
    return [
        (qid, _("%(title)s (version %(version)s)", title=localize(q.title, language), version=q.version))
        for qid, q in questionnaires.items()
    ]


@lru_cache(maxsize=8)
def _currencies(language: str) -> tuple[tuple[str, str], ...]:
    """(ISO 4217 code, its name in the reader's language) for the currency field's suggestions."""
    return tuple((code, get_currency_name(code, locale=language)) for code in CURRENCIES)


@bp.route("/evaluations/new", methods=["GET", "POST"])
@login_required
def new_evaluation():
    """Create an evaluation from a questionnaire of the library, in a team the buyer owns."""
    teams = access.teams_where(get_db(), g.user, "owner")
    if not teams:
        abort(403)
    questionnaires, by_team = offered([t["id"] for t in teams])
    if not questionnaires:
        return render_template("buyer/evaluation_form.html", form=None, questionnaire=None, new=True)
    first = next(iter(questionnaires))
    if request.method == "POST":
        chosen = request.form.get("questionnaire", "")
    else:
        chosen = request.args.get("questionnaire") if request.args.get("questionnaire") in questionnaires else first
    questionnaire = questionnaires.get(chosen)
    # The sections on the page belong to the questionnaire chosen before; when the buyer picks
    # another one, show its sections with their default weights instead of creating anything.
    shown = request.form.get("shown", chosen)
    switching = (
        request.method == "POST"
        and questionnaire is not None
        and (request.form.get("action") == "choose" or shown != chosen)
    )
    formdata = None
    if switching:
        formdata = MultiDict([(k, v) for k, v in request.form.items(multi=True) if not k.startswith("weight_")])
    form = evaluation_form(NewEvaluationForm, questionnaire, _language(), formdata=formdata, questionnaire=chosen)
    form.questionnaire.choices = _questionnaire_choices(questionnaires)
    form.team.choices = [SelectChoice(str(t["id"]), t["name"]) for t in teams]
    if not form.team.raw_data and (request.method == "GET" or len(teams) == 1):
        # Not sent: a GET, or the page of a buyer who owns one team (it shows no choice to make).
        form.team.data = str(teams[0]["id"])
    if not switching and form.validate_on_submit() and _in_team_library(form, questionnaire, by_team):
        evaluation_id = evaluations.start_evaluation(
            get_db(),
            questionnaire,
            form.title.data,
            deadline=form.deadline.data.isoformat() if form.deadline.data else None,
            weights=form.weights(),
            buyer_profile=form.buyer_profile(),
            user_id=g.user["id"],
            team_id=int(form.team.data),
        )
        flash(_("The evaluation was created. Now add the vendors you want to invite."), "success")
        return redirect(url_for("buyer.evaluation", evaluation_id=evaluation_id))
    status = 422 if request.method == "POST" and not switching else 200
    return (
        render_template(
            "buyer/evaluation_form.html",
            form=form,
            currencies=_currencies(str(get_locale())),
            questionnaire=questionnaire,
            shown=chosen if questionnaire else "",
            several=len(questionnaires) > 1,
            switched=switching,
            new=True,
            library_teams=teams,
        ),
        status,
    )


@bp.route("/evaluations/<int:evaluation_id>/edit", methods=["GET", "POST"])
@login_required
def edit_evaluation(evaluation_id: int):
    """Change an evaluation's title, deadline, weights, buyer profile and who may see it."""
    evaluation = load_evaluation(evaluation_id, "owner", changing=request.method == "POST")
    db = get_db()
    questionnaire = for_snapshot(evaluation["snapshot_id"])
    profile = evaluation["buyer_profile"]
    members = [str(i) for i in store.evaluation_members(db, evaluation_id)]
    form = evaluation_form(
        EvaluationSettingsForm,
        questionnaire,
        _language(),
        title=evaluation["title"],
        deadline=date.fromisoformat(evaluation["deadline"]) if evaluation["deadline"] else None,
        weights=evaluation["weights"],
        restricted=bool(evaluation["restricted"]),
        members=members,
        reminder_days=", ".join(str(d) for d in json.loads(evaluation["reminder_days"])),
        reminder_overdue=bool(evaluation["reminder_overdue"]),
        **{name: profile.get(name, "") for name in PROFILE_FIELDS},
        data_regions=profile.get("data_regions", []),
        ai_act_class=profile.get("ai_act_class", ""),
        currency=profile.get("currency", DEFAULT_CURRENCY),
        monthly_tasks="" if profile.get("monthly_tasks") is None else str(profile["monthly_tasks"]),
    )
    form.current_deadline = evaluation["deadline"]
    form.members.choices = [
        SelectChoice(str(m["id"]), m["email"]) for m in store.team_members(db, evaluation["team_id"])
    ]
    if form.validate_on_submit():
        deadline = form.deadline.data.isoformat() if form.deadline.data else None
        store.update_evaluation(
            db, evaluation_id, _actor(), form.title.data, deadline, form.weights(), form.buyer_profile()
        )
        if deadline and deadline != evaluation["deadline"]:
            store.extend_invitations(
                db, evaluation_id, evaluations.deadline_end(deadline).isoformat(timespec="seconds"), _actor()
            )
        schedule = form.reminder_schedule()
        if list(schedule) != json.loads(evaluation["reminder_days"]) or form.reminder_overdue.data != bool(
            evaluation["reminder_overdue"]
        ):
            store.set_reminder_schedule(db, evaluation_id, schedule, form.reminder_overdue.data, _actor())
        named = sorted(form.members.data or ())
        if form.restricted.data != bool(evaluation["restricted"]) or (
            form.restricted.data and named != sorted(members)
        ):
            # Whoever restricts it stays on it: an owner cannot lock themselves out by a missed tick.
            named_ids = [int(i) for i in named] + [g.user["id"]]
            store.set_evaluation_access(db, evaluation_id, form.restricted.data, named_ids, _actor())
        flash(_("The settings were saved."), "success")
        return redirect(url_for("buyer.evaluation", evaluation_id=evaluation_id))
    return (
        render_template(
            "buyer/evaluation_form.html",
            form=form,
            currencies=_currencies(str(get_locale())),
            questionnaire=questionnaire,
            evaluation=evaluation,
            team=store.get_team(db, evaluation["team_id"]),
            new=False,
        ),
        422 if request.method == "POST" else 200,
    )


# --- the evaluation page and its vendors --------------------------------------------------------


def _profile_summary(questionnaire: Questionnaire, profile: dict) -> list[tuple[str, str]]:
    """(label, chosen option's label) of each profile field that is set."""
    language = _language()
    questions = profile_questions(questionnaire)
    out = []
    for name in PROFILE_FIELDS:
        if profile.get(name) and name in questions:
            q = questions[name]
            out.append((localize(q.prompt, language), q.option_label(profile[name], language)))
    offered = offered_profile_fields(questionnaire)
    if "data_regions" in offered and profile.get("data_regions"):
        labels = {o.value: localize(o.label, language) for o in region_options(questionnaire)}
        regions = ", ".join(labels.get(r, r) for r in profile["data_regions"])
        out.append((_("Where your data may go"), regions))
    if "ai_act_class" in offered and profile.get("ai_act_class") in AI_ACT_LABELS:
        out.append((_("AI Act class, your reading"), str(AI_ACT_LABELS[profile["ai_act_class"]])))
    if "currency" in offered:
        code = profile.get("currency") or DEFAULT_CURRENCY
        out.append((_("Currency"), f"{code} ({get_currency_name(code, locale=get_locale())})"))
    if "monthly_tasks" in offered and profile.get("monthly_tasks") is not None:
        out.append((_("Tasks a month"), readable_number(profile["monthly_tasks"], get_locale())))
    return out


def _issued_links_since() -> str:
    return (datetime.now(UTC) - ISSUED_LINK_KEPT_FOR).isoformat(timespec="seconds")


def _take_issued_links(evaluation_id: int, vendors: list[dict]) -> list[dict]:
    """The links this user issued for this evaluation and has not seen yet; they leave the database now."""
    mine = store.take_issued_links(get_db(), g.user["id"], evaluation_id, _issued_links_since())
    names = {v["id"]: v["name"] for v in vendors}
    return [
        dict(
            p,
            vendor=names.get(p["vendor_id"], ""),
            url=url_for("vendor.overview", token=p["token"], _external=True),
        )
        for p in mine
    ]


def _render_evaluation(
    evaluation: dict, form: VendorForm, status: int = 200, deadline_form: tuple[int, VendorDeadlineForm] | None = None
):
    questionnaire = for_snapshot(evaluation["snapshot_id"])
    vendors = _vendor_rows(evaluation, questionnaire)
    new_links = _take_issued_links(evaluation["id"], vendors)
    # Like every page but the static files, this one is never kept by a cache (views/errors.py):
    # it may show a working link.
    return (
        render_template(
            "buyer/evaluation.html",
            evaluation=evaluation,
            team=store.get_team(get_db(), evaluation["team_id"]),
            questionnaire=questionnaire,
            vendors=vendors,
            profile=_profile_summary(questionnaire, evaluation["buyer_profile"]),
            form=form,
            new_links=new_links,
            mail_enabled=bool(current_app.config["MAIL_SERVER"]),
            closes=evaluations.deadline_end(evaluation["deadline"]).isoformat() if evaluation["deadline"] else None,
            reminder_days=json.loads(evaluation["reminder_days"]),
            deadline_form=deadline_form,
            decisions=store.current_decisions(get_db(), evaluation["id"]),
            answered=store.any_answers(get_db(), evaluation["id"]),  # no PDF to offer before any answer
        ),
        status,
    )


@bp.get("/evaluations/<int:evaluation_id>")
@login_required
def evaluation(evaluation_id: int):
    """An evaluation's settings and vendors; owners add vendors and manage their links here."""
    return _render_evaluation(load_evaluation(evaluation_id), VendorForm())


def _mail_settings() -> mail.MailSettings:
    return mail.MailSettings.from_config(current_app.config)


def _email_link(evaluation: dict, vendor: dict, url: str, expires_at: str) -> str | None:
    """Queue the link's e-mail when a server is configured and the vendor has an address; the address."""
    settings = _mail_settings()
    if not settings.enabled or not vendor["contact_email"]:
        return None
    with force_locale(vendor["language"]):
        subject = _("Questionnaire: %(title)s", title=evaluation["title"])
        body = _(
            "Hello %(vendor)s,\n\n"
            "you are invited to answer the questionnaire “%(title)s”.\n\n"
            "Open it with this private link:\n%(url)s\n\n"
            "Your answers are saved as you go; you can leave and come back with the same link. "
            "Keep it private: anyone with it can read and change your answers. "
            "The link works until %(expires)s (UTC).\n",
            vendor=vendor["name"],
            title=evaluation["title"],
            url=url,
            expires=expires_at.replace("T", " ").removesuffix("+00:00"),
        )
    try:
        # A job retries a failed send (stagefour/jobs.py) and audits link_emailed or link_email_failed.
        current_app.extensions["jobs"].send_link(
            vendor["contact_email"], subject, body, evaluation["id"], vendor["id"], _actor()
        )
    except Exception as exc:  # the queue itself is down: say so, the link is still shown
        current_app.logger.warning("link e-mail to vendor %s could not be queued: %s", vendor["id"], exc)
        store.audit(
            get_db(),
            _actor(),
            "link_email_failed",
            evaluation_id=evaluation["id"],
            vendor_id=vendor["id"],
            to=vendor["contact_email"],
            error=str(exc)[:500],
        )
        flash(
            _(
                "The e-mail to %(email)s could not be sent. Nothing is lost: copy the link below and send it yourself.",
                email=vendor["contact_email"],
            ),
            "error",
        )
        return None
    return vendor["contact_email"]


def _hand_out(evaluation: dict, vendor_id: int, token: str, expires_at: str) -> None:
    """E-mail a fresh link if possible, and hold it until the evaluation page shows it once to this user."""
    vendor = store.get_vendor(get_db(), vendor_id)
    url = url_for("vendor.overview", token=token, _external=True)
    emailed_to = _email_link(evaluation, vendor, url, expires_at)
    store.hold_issued_link(
        get_db(), g.user["id"], evaluation["id"], vendor_id, token, expires_at, emailed_to, _issued_links_since()
    )


def _back(evaluation_id: int, anchor: str = ""):
    return redirect(url_for("buyer.evaluation", evaluation_id=evaluation_id) + anchor)


@bp.post("/evaluations/<int:evaluation_id>/vendors")
@login_required
def add_vendor(evaluation_id: int):
    """Add a vendor and issue their link."""
    evaluation = load_evaluation(evaluation_id, "owner", changing=True)
    form = VendorForm()
    if form.validate_on_submit():
        expires_at = link_expiry(evaluation)
        try:
            vendor_id, token = evaluations.invite(
                get_db(), evaluation_id, form.name.data, form.contact_email.data or None, _actor(), expires_at
            )
        except store.StoreError:
            form.name.errors.append(_("A vendor with this name is already in this evaluation."))
        else:
            _hand_out(evaluation, vendor_id, token, expires_at)
            flash(_("%(name)s was added.", name=form.name.data), "success")
            return _back(evaluation_id)
    return _render_evaluation(evaluation, form, 422)


@bp.route("/evaluations/<int:evaluation_id>/vendors/<int:vendor_id>/reissue", methods=["GET", "POST"])
@login_required
def reissue_link(evaluation_id: int, vendor_id: int):
    """Replace a vendor's link with a new one (asks first: the old link stops working)."""
    evaluation, vendor = load_vendor(evaluation_id, vendor_id, "owner", changing=request.method == "POST")
    if request.method == "GET":
        return render_template("buyer/confirm.html", evaluation=evaluation, vendor=vendor, action="reissue")
    expires_at = link_expiry(evaluation)
    token = evaluations.issue_link(get_db(), vendor_id, _actor(), expires_at)
    _hand_out(evaluation, vendor_id, token, expires_at)
    notices.tell_vendor(evaluation, vendor, "reissued", _actor())  # issue 11: the vendor hears of it
    flash(_("%(name)s has a new link; the old one no longer works.", name=vendor["name"]), "success")
    return _back(evaluation_id)


@bp.route("/evaluations/<int:evaluation_id>/vendors/<int:vendor_id>/revoke", methods=["GET", "POST"])
@login_required
def revoke_link(evaluation_id: int, vendor_id: int):
    """Withdraw a vendor's link (asks first); their answers are kept."""
    evaluation, vendor = load_vendor(evaluation_id, vendor_id, "owner", changing=request.method == "POST")
    if request.method == "GET":
        return render_template("buyer/confirm.html", evaluation=evaluation, vendor=vendor, action="revoke")
    if store.revoke_invitations(get_db(), vendor_id, _actor()):
        flash(_("The link of %(name)s no longer works.", name=vendor["name"]), "success")
        notices.tell_vendor(evaluation, vendor, "revoked", _actor())  # issue 11: the vendor hears of it
    else:
        flash(_("%(name)s had no working link.", name=vendor["name"]), "info")
    return _back(evaluation_id)


@bp.post("/evaluations/<int:evaluation_id>/vendors/<int:vendor_id>/reopen")
@login_required
def reopen_response(evaluation_id: int, vendor_id: int):
    """Unlock a submitted response so the vendor can change it."""
    evaluation, vendor = load_vendor(evaluation_id, vendor_id, "owner", changing=True)
    if not store.set_response_status(get_db(), vendor["response_id"], "reopened", _actor(), expect=("submitted",)):
        flash(_("Only a submitted response can be reopened."), "error")
        return _back(evaluation_id)
    flash(_("The response of %(name)s is open again.", name=vendor["name"]), "success")
    if deadlines.passed(
        deadlines.effective_deadline(evaluation["deadline"], vendor["deadline"]), datetime.now(UTC).date()
    ):
        flash(_("The deadline has passed: move it in the settings so the vendor can change their answers."), "info")
    return _back(evaluation_id)


@bp.post("/evaluations/<int:evaluation_id>/vendors/<int:vendor_id>/deadline")
@login_required
def vendor_deadline(evaluation_id: int, vendor_id: int):
    """Give one vendor a later deadline than the evaluation's (empty: the evaluation's again); their links follow."""
    evaluation, vendor = load_vendor(evaluation_id, vendor_id, "owner", changing=True)
    form = VendorDeadlineForm(prefix=f"v{vendor_id}")
    form.evaluation_deadline = evaluation["deadline"]
    if not form.validate_on_submit():
        return _render_evaluation(evaluation, VendorForm(formdata=None), 422, (vendor_id, form))
    deadline = form.deadline.data.isoformat() if form.deadline.data else None
    if deadline != vendor["deadline"]:
        db = get_db()
        store.set_vendor_deadline(db, vendor_id, deadline, _actor())
        if deadline:
            store.extend_vendor_invitations(
                db, vendor_id, evaluations.deadline_end(deadline).isoformat(timespec="seconds"), _actor()
            )
    if deadline:
        day = format_date(form.deadline.data, "long")
        flash(_("%(name)s can answer until the end of %(day)s (UTC).", name=vendor["name"], day=day), "success")
    else:
        flash(_("%(name)s has the evaluation's deadline again.", name=vendor["name"]), "success")
    return _back(evaluation_id, f"#vendor-{vendor_id}")
