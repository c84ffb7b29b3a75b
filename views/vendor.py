"""The vendor's side: a private link opens exactly one response, and nothing else.

Every route starts from the token in the path: its hash finds the invitation, and every
query after that is bounded by that invitation's response id.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections.abc import Callable
from datetime import UTC
from datetime import date
from datetime import datetime
from functools import lru_cache
from hashlib import blake2b

from babel.numbers import get_currency_name
from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import g
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import send_file
from flask import url_for
from flask_babel import format_date
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from forms.vendor import answer_keys
from forms.vendor import display_from_post
from forms.vendor import display_values
from forms.vendor import read_section
from forms.vendor import row_count
from forms.vendor import section_form_class
from stagefour import commercials
from stagefour import deadlines
from stagefour import evidence
from stagefour import store
from stagefour.evaluations import deadline_end
from stagefour.questionnaire import SPECIFY_MAX_LENGTH
from stagefour.questionnaire import Block
from stagefour.questionnaire import Questionnaire
from stagefour.questionnaire import Section
from stagefour.questionnaire import pick_lists
from stagefour.questionnaire import specify_key
from stagefour.response import digest
from stagefour.scoring import Completeness
from stagefour.scoring import completeness
from stagefour.scoring import conditions_outside
from stagefour.scoring import is_applicable
from stagefour.scoring import vendor_problems
from views.db import get_db
from views.i18n import ACCEPTED_NAMES
from views.i18n import filesize
from views.i18n import safe_next
from views.i18n import upload_limit
from views.limits import find_link
from views.notifications import tell
from views.questionnaires import for_snapshot

bp = Blueprint("vendor", __name__, url_prefix="/v")

TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,128}$")


class Link:
    """What a valid token opens: one response of one vendor in one evaluation."""

    def __init__(self, token: str):
        if not TOKEN.match(token):
            abort(404)
        db = get_db()
        invitation = find_link(token)  # the link guard's lookup (views/limits.py), not a second query
        if invitation is None:
            abort(404)
        self.token = token
        self.invitation = invitation
        self.response = store.get_response(db, invitation["response_id"])
        self.evaluation = store.get_evaluation(db, invitation["evaluation_id"])
        self.questionnaire: Questionnaire = for_snapshot(self.evaluation["snapshot_id"])
        g.vendor_language = self.response["language"]

    @property
    def currency(self) -> str:
        """The evaluation's currency: the unit of every money answer (questionnaire 1.1)."""
        return commercials.currency(self.evaluation["buyer_profile"])

    @property
    def closed_reason(self) -> str | None:
        """Why this link no longer opens the form: revoked, expired; None if it does."""
        if self.invitation["revoked_at"]:
            return "revoked"
        expires = self.invitation["expires_at"]
        if expires and expires < store.now():
            return "expired"
        return None

    @property
    def deadline(self) -> date | None:
        """This vendor's deadline (a day, inclusive, UTC): their own extension or the evaluation's."""
        return deadlines.effective_deadline(self.evaluation["deadline"], self.response["vendor_deadline"])

    @property
    def deadline_closes(self) -> str | None:
        """The moment the form closes, UTC (the deadline day's last second)."""
        return deadline_end(self.deadline.isoformat()).isoformat() if self.deadline else None

    @property
    def days_left(self) -> int | None:
        """Whole days until the deadline day (0 on the day, negative once it is over)."""
        return deadlines.days_left(self.deadline, datetime.now(UTC).date())

    @property
    def deadline_passed(self) -> bool:
        """Whether this vendor's deadline (a day, inclusive) is over."""
        return deadlines.passed(self.deadline, datetime.now(UTC).date())

    @property
    def decided(self) -> bool:
        """Whether the buyer recorded a decision, which closes the evaluation to changes (issue 12)."""
        return bool(self.evaluation["closed_at"])

    @property
    def editable(self) -> bool:
        """Whether answers may change now."""
        return self.response["status"] in store.EDITABLE and not self.deadline_passed and not self.decided

    def refusal(self) -> str:
        """Why answers cannot change now, in the vendor's words."""
        if self.decided:
            return _("The buyer has closed this evaluation: your answers can be read but no longer changed.")
        return _("This response can no longer be changed.")

    @property
    def actor(self) -> str:
        # Every entry written through a link names the link and who issued it (issue 11: a
        # reissued link's holder is not necessarily the vendor; SECURITY.md, Attribution).
        return store.Actor(
            f"vendor:{self.response['vendor_id']}",
            via_link=self.invitation["id"],
            via_link_issued_by=self.invitation["issued_by"],
        )

    def section(self, section_id: str) -> Section:
        section = next((s for s in self.questionnaire.sections if s.id == section_id), None)
        if section is None:
            abort(404)
        return section

    def answers(self) -> dict:
        return store.load_answers(get_db(), self.response["id"])

    def answers_and_versions(self) -> tuple[dict, dict[str, int]]:
        """The answers, and the version at which each last changed (what a section page shows)."""
        return store.load_answers_and_versions(get_db(), self.response["id"])

    def waiting(self) -> set[str]:
        """The carried-over answers (issue 16) the vendor has not confirmed or changed yet."""
        rid = self.response["id"]
        rows = store.carried_answers(get_db(), [rid])[rid].values()
        return {r["question_id"] for r in rows if r["carried"] and not r["confirmed_at"]}

    def progress(self, answers: dict) -> Completeness:
        """Required answers given, per section (vendors see progress, never scores)."""
        return completeness(self.questionnaire, answers)


def open_link(token: str, allow_closed: bool = False) -> Link:
    """The link's response, or the page that says why it is closed."""
    link = Link(token)
    if link.closed_reason and not allow_closed:
        abort(_closed_page(link))
    return link


def _closed_page(link: Link, unsaved: str = ""):
    reason = link.closed_reason
    page = render_template(
        "vendor/closed.html", link=link, reason=reason, questionnaire=link.questionnaire, unsaved=unsaved
    )
    return current_app.make_response((page, 410))


# What a posted section carries besides answers: never shown back as "your unsaved answers".
_FORM_PLUMBING = {"csrf_token", "base_versions", "page_id", "seq", "action", "changed", "confirm"}


def _unsaved_text(formdata) -> str:
    """The answers of a post that could not be saved, one `name: value` a line, to copy elsewhere."""
    lines = [
        f"{key}: {value}"
        for key, value in formdata.items(multi=True)
        if isinstance(value, str) and value.strip() and key not in _FORM_PLUMBING and not key.endswith("-keep")
    ]
    return "\n".join(lines)[:200_000]


@lru_cache(maxsize=16)
def _ui(locale: str, max_file_bytes: int) -> dict:
    """The interface strings of the form's fields, translated once per language, not per field."""
    limit = upload_limit(max_file_bytes)
    return {
        "yes": _("Yes"),
        "no": _("No"),
        "choose": _("— choose —"),
        "none_of_these": _("None of these"),
        "keep": _("Keep"),
        "required": _("required"),
        "computed": _("Worked out from your other answers; nothing to fill in here."),
        "ids_placeholder": _("ids separated by commas, e.g. e1, e2"),
        "row": _("Row"),
        "remove_row": _("Remove row"),
        "add_row": _("Add a row"),
        "none_to_list": _("We have none to list"),
        "complete": _("complete"),
        "of_required": _("%(done)s of %(required)s required"),  # formatted in the template
        # the section page's buttons, and what its script says while saving
        "save_draft": _("Save draft"),
        "save_and_continue": _("Save and continue"),
        "saving": _("Saving…"),
        "not_saved_yet": _("Not saved yet; trying again."),
        "some_not_saved": _("Some answers were not saved: see the marked fields."),
        "not_in_list": _("not in your list in %(source)s"),  # formatted in the template
        "keep_mine": _("Keep mine"),
        "load_theirs": _("Load theirs"),
        # stated at every file field before any upload; the script checks sizes before sending
        "file_limit": _("Accepted: %(types)s; up to %(size)s per file.", types=ACCEPTED_NAMES, size=limit),
        "max_file_bytes": max_file_bytes,
        "too_big": _(
            "%(file)s is over the limit of %(limit)s: it was not added. Choose a smaller file.",
            file="{file}",
            limit=limit,
        ),
        "undo": _("Undo"),
        "row_removed": _("Row %(n)s removed.", n="{n}"),
        "final_not_saved": _(
            "Your last changes were NOT saved. They are still on this page: copy them before you leave it."
        ),
        "copy_unsaved": _("Copy my unsaved answers"),
        "copied": _("Copied. Paste them somewhere safe."),
        "specify": _("Please specify “%(option)s”"),  # formatted in the template
        "specify_max": SPECIFY_MAX_LENGTH,
    }


def _ctx(link: Link, **extra) -> dict:
    ui = _ui(str(get_locale()), current_app.config["MAX_FILE_BYTES"]) | {"currency": link.currency}
    return {
        "link": link,
        "questionnaire": link.questionnaire,
        "lang": link.response["language"],
        "ui": ui,
        "section_nav": lambda result, current=None: _section_nav(link, result, current),
        **extra,
    }


@bp.get("/<token>")
def overview(token: str):
    """The vendor's first page: what this is, the deadline, the sections and their progress."""
    link = open_link(token)
    answers = link.answers()
    result = link.progress(answers)
    threads = [t for ts in _threads_by_question(link).values() for t in ts if t["status"] == "open"]
    return render_template(
        "vendor/overview.html", **_ctx(link, result=result, open_threads=threads, answered=bool(answers))
    )


@bp.get("/<token>/s/<section_id>")
def section(token: str, section_id: str):
    """One section of the questionnaire."""
    link = open_link(token)
    section = link.section(section_id)
    answers, versions = link.answers_and_versions()
    values = display_values(section, answers)
    groups = {q.id: q for q in section.questions if q.type == "group"}
    for qid in request.args.getlist("add"):
        # Each `add` is one empty row, up to the group's max_rows: `?add=D1` repeated used to
        # render (and keep) a page of any size (issue 10).
        if qid in groups and len(values[qid]) < groups[qid].max_rows:
            values[qid].append({})
    return _render_section(link, section, answers, versions, values, {}, {})


def _render_section(
    link: Link,
    section: Section,
    answers: dict,
    versions: dict[str, int],
    values: dict,
    errors: dict,
    conflicts: dict,
    status: int = 200,
    extra: dict[str, Markup] | None = None,
):
    seen = {key: [versions.get(key, 0), digest(answers.get(key))] for key in answer_keys(section)}
    lang = link.response["language"]
    locale = str(get_locale())
    ui = _ui(locale, current_app.config["MAX_FILE_BYTES"]) | {"currency": link.currency}
    disabled = not link.editable
    notes = _buyer_notes(link, section)
    threads = _threads_by_question(link)
    progress = link.progress(answers)
    thread_list = _macro("vendor/_threads.html", "thread_list") if threads else None
    picks = _picks(link, section, answers)
    waiting = link.waiting() & {q.id for q in section.questions}
    carried_mark = _macro("vendor/_carried.html", "carried_mark") if waiting else None
    body = []
    for q in section.items or section.questions:
        if isinstance(q, Block):
            body.append(_macro("vendor/_question.html", "block")(q, lang))
            continue
        if extra and q.id in extra:
            body.append(extra[q.id])  # e.g. the Undo of a row just removed, above its group
        if q.id in notes:
            body.append(notes[q.id])
        args = (q, values, errors, conflicts, lang, disabled, link.token, ui, picks.get(q.id, {}))
        if any(name.split("-")[0].removesuffix("_none") == q.id for name in errors) or q.id in conflicts:
            body.append(_macro("vendor/_question.html", "question")(*args))
        else:
            # what the field shows, fingerprinted: repr is exact for these strings, lists and dicts;
            # a pick list's choices come from another section's rows, so they are part of it
            choices = {f: p["choices"] for f, p in picks.get(q.id, {}).items()}
            specified = [values.get(specify_key(q.id, o.value)) for o in q.specify_options]
            shown = repr((values.get(q.id), values.get(f"{q.id}_none"), choices, specified)).encode()
            key = (
                link.questionnaire.hash,
                q.id,
                lang,
                locale,
                disabled,
                link.token,
                link.currency,  # the buyer may change it while the link lives
                blake2b(shown).digest(),
            )
            body.append(_kept(_fragments, key, lambda args=args: _macro("vendor/_question.html", "question")(*args)))
        if q.id in waiting:
            body.append(carried_mark(q, disabled))
        if q.id in threads:
            body.append(thread_list(threads[q.id], section.id))
    return (
        render_template(
            "vendor/section.html",
            **_ctx(
                link,
                section=section,
                body=Markup("").join(body),
                threads=threads,
                errors=errors,
                conflicts=conflicts,
                base_versions=json.dumps(seen),
                conditions_outside=conditions_outside(link.questionnaire, section.questions, answers),
                page_id=secrets.token_urlsafe(12),
                result=progress,
                sections_complete=sum(1 for done, required in progress.by_section.values() if done == required),
                position=link.questionnaire.sections.index(section),
                skipped=section.id in progress.not_applicable,
                next_url=_next_url(link, section, progress),
                depends_on=_depends_on(link, section, lang),
                money_note=_money_note(link, section),
                waiting=waiting,
            ),
        ),
        status,
    )


def _depends_on(link: Link, section: Section, lang: str) -> list[dict]:
    """The questions a section's condition names, each with a link to it (the page of a skipped section)."""
    if section.visible_if is None:
        return []
    questionnaire = link.questionnaire
    out = []
    for qid in section.visible_if.questions:
        q = questionnaire.question(qid)
        url = url_for("vendor.section", token=link.token, section_id=questionnaire.section_of(qid).id)
        out.append({"number": q.shown_number, "prompt": q.prompt, "url": f"{url}#q-{qid}"})
    return out


def _money_note(link: Link, section: Section) -> str | None:
    """What a section with amounts of money says at its top: the currency they are in."""
    if not any(q.money or any(f.money for f in q.fields) for q in section.questions):
        return None
    code = link.currency
    return _(
        "Give every amount in this section in %(currency)s (%(name)s), excluding VAT. Amounts are never converted.",
        currency=code,
        name=get_currency_name(code, locale=get_locale()),
    )


def _buyer_notes(link: Link, section: Section) -> dict[str, Markup]:
    """Above a group with a `regions` field (H6): the regions where the buyer's data may go, when they set them.

    Only what vendors may see of the buyer profile: never `ai_act_class`, which H9 tests them on.
    """
    wanted = link.evaluation["buyer_profile"].get("data_regions")
    if not wanted or not isinstance(wanted, list):
        return {}
    lang = link.response["language"]
    notes = {}
    for q in section.questions:
        regions = q.field_by_id("regions") if q.type == "group" else None
        if regions is None:
            continue
        names = ", ".join(regions.option_label(r, lang) for r in wanted if isinstance(r, str))
        text = _(
            "The buyer's data may be stored, processed or reached only in: %(regions)s. List every party "
            "anyway, with all the regions it uses: the buyer sees where each one falls.",
            regions=names,
        )
        notes[q.id] = Markup('<p class="note buyer-regions" id="{}-buyer-regions">{}</p>').format(q.id, text)
    return notes


def _picks(link: Link, section: Section, answers: dict) -> dict[str, dict[str, dict]]:
    """The pick lists of a section's row fields, from the rows saved so far, with where they come from."""
    questionnaire = link.questionnaire
    out: dict[str, dict[str, dict]] = {}
    for qid, fields in pick_lists(questionnaire, answers, section.questions).items():
        for field_id, picks in fields.items():
            source = questionnaire.question(picks.source)
            url = url_for("vendor.section", token=link.token, section_id=questionnaire.section_of(source.id).id)
            out.setdefault(qid, {})[field_id] = {
                "choices": picks.choices,
                "values": picks.values,
                "source": source,
                "url": f"{url}#q-{source.id}",
            }
    return out


def _threads_by_question(link: Link) -> dict[str, list[dict]]:
    threads: dict[str, list[dict]] = {}
    for t in store.clarifications(get_db(), [link.response["id"]])[link.response["id"]]:
        threads.setdefault(t["question_id"], []).append(t)
    return threads


def _macro(template: str, name: str):
    return getattr(current_app.jinja_env.get_template(template).module, name)


# A question's HTML is a pure function of its definition, what it shows, the language and the
# link, and the section list's is one of the progress it shows, so both are kept by those (LRU):
# after a save only what changed renders again. Keys hold the questionnaire's content hash and
# a digest of the shown value, never a version. Each key holds the token: no link sees another's.
# Both are bounded by the bytes they hold, not by entries: one entry can be a group of 200 rows
# (megabytes), and what a page shows is partly chosen by whoever holds a link (issue 10).
FRAGMENT_BYTES = 16 * 1024 * 1024
NAV_BYTES = 2 * 1024 * 1024
KEY_BYTES = 256  # what a key and the dict's bookkeeping cost beside the HTML, roughly


class KeptHtml:
    """Rendered HTML by key, least recently used first out, bounded by the bytes it holds.

    Not cachetools' LRUCache: behind the same lock its layers cost ~2.3 µs a hit against ~1.4 µs
    here (timeit, 40 fragments, the shared machine), ~35 µs of a page's ~1.3 ms, and the page has
    ~4 % left above 0.8 × a plain template (bench/RESULTS.md).
    """

    def __init__(self, budget: int):
        self.budget = budget
        self.size = 0  # bytes counted in; never less than what `items` holds
        self.items: dict[tuple, Markup] = {}
        self._lock = threading.Lock()  # the dev server and gthread workers run requests in threads

    def get(self, key: tuple) -> Markup | None:
        """The HTML kept for `key`, now the most recently used; None if not kept."""
        with self._lock:
            html = self.items.pop(key, None)
            if html is not None:
                self.items[key] = html
        return html

    def put(self, key: tuple, html: Markup) -> None:
        """Keep `html`, dropping the least recently used until the budget holds; one over it is not kept."""
        weight = len(html) + KEY_BYTES
        if weight > self.budget:
            return
        with self._lock:
            old = self.items.pop(key, None)
            if old is not None:
                self.size -= len(old) + KEY_BYTES
            self.items[key] = html
            self.size += weight
            while self.size > self.budget:
                dropped = self.items.pop(next(iter(self.items)))
                self.size -= len(dropped) + KEY_BYTES

    def clear(self) -> None:
        """Forget everything (tests, after a catalogue changes)."""
        with self._lock:
            self.items.clear()
            self.size = 0


_fragments = KeptHtml(FRAGMENT_BYTES)
_navs = KeptHtml(NAV_BYTES)


def _kept(cache: KeptHtml, key: tuple, render: Callable[[], Markup]) -> Markup:
    html = cache.get(key)
    if html is None:
        html = render()
        cache.put(key, html)
    return html


def _section_nav(link: Link, result: Completeness, current: str | None = None) -> Markup:
    """The section list with each section's progress; `current` is a section id or "review"."""
    lang, locale = link.response["language"], str(get_locale())
    progress = tuple((sid, tuple(counts)) for sid, counts in result.by_section.items())
    key = (link.questionnaire.hash, link.token, lang, locale, current, progress, result.not_applicable)

    def render() -> Markup:
        base = url_for("vendor.overview", token=link.token)
        ui = _ui(locale, current_app.config["MAX_FILE_BYTES"])
        return _macro("vendor/_nav.html", "section_nav")(link.questionnaire, base, lang, ui, result, current)

    return _kept(_navs, key, render)


@bp.post("/<token>/s/<section_id>")
def save_section(token: str, section_id: str):
    """Save a section (Post/Redirect/Get); add or remove a row; go on to the next section."""
    link = open_link(token, allow_closed=True)
    if link.closed_reason:
        # closed while the vendor typed: say so, and give back what was typed (it was not saved)
        return _closed_page(link, _unsaved_text(request.form))
    section = link.section(section_id)
    if not link.editable:
        flash(link.refusal(), "error")
        return redirect(url_for("vendor.section", token=token, section_id=section_id))
    action = request.form.get("action", "save")
    outcome = _save(link, section, request.form, request.files, action)
    if outcome["errors"] or outcome["conflicts"]:
        if outcome["saved"]:
            flash(_("Your other answers were saved."), "info")
        answers, versions = link.answers_and_versions()
        values = display_from_post(section, outcome["formdata"], outcome["files"])
        stored = display_values(section, answers)
        for q in section.questions:
            if (
                q.type == "group"
                and q.id in outcome["errors"]
                and not any(k.startswith(f"{q.id}-") for k in outcome["formdata"])
            ):
                values[q.id] = stored[q.id]  # a refused group is not echoed back row by row
        conflicts = {k: _conflict_text(link, k, v) for k, v in outcome["conflicts"].items()}
        return _render_section(link, section, answers, versions, values, outcome["errors"], conflicts, 422)
    stamp = _time(outcome["saved_at"])
    flash(_("Saved at %(time)s.", time=stamp), "success")
    confirmed = _confirm(link, section, request.form, every=action == "confirm_all")
    if confirmed:
        flash(ngettext("%(num)s carried-over answer confirmed.", "%(num)s carried-over answers confirmed.",
                       len(confirmed)), "success")  # fmt: skip
    if action == "confirm_all":
        return redirect(url_for("vendor.section", token=token, section_id=section_id))
    if outcome["removed"]:
        # Not Post/Redirect/Get: the removed row lives on only in this page's form, for its Undo
        # button. Posting this form again is harmless: it carries the rows as they now are.
        answers, versions = link.answers_and_versions()
        undo = _macro("vendor/_undo.html", "undo_box")(
            outcome["removed"], _ui(str(get_locale()), current_app.config["MAX_FILE_BYTES"])
        )
        return _render_section(
            link,
            section,
            answers,
            versions,
            display_values(section, answers),
            {},
            {},
            extra={outcome["removed"]["qid"]: undo},
        )
    if action == "next":
        return redirect(_next_url(link, section, link.progress(link.answers())))
    group = action.removeprefix("add:") if action.startswith("add:") else None
    if group and any(q.id == group and q.type == "group" for q in section.questions):
        return redirect(url_for("vendor.section", token=token, section_id=section_id, add=group) + f"#{group}")
    undone = ROW_ACTION.fullmatch(action)
    if undone and undone["verb"] == "undo":
        return redirect(url_for("vendor.section", token=token, section_id=section_id) + f"#{undone['qid']}")
    return redirect(url_for("vendor.section", token=token, section_id=section_id))


def _next_url(link: Link, section: Section, progress: Completeness) -> str:
    """The next section that applies to the vendor's answers (issue 15), else the review page."""
    sections = link.questionnaire.sections
    for nxt in sections[sections.index(section) + 1 :]:
        if nxt.id not in progress.not_applicable:
            return url_for("vendor.section", token=link.token, section_id=nxt.id)
    return url_for("vendor.review", token=link.token)


@bp.post("/<token>/s/<section_id>/autosave")
def autosave(token: str, section_id: str):
    """Save the changed questions of a section; answer in JSON for the page's script."""
    link = open_link(token, allow_closed=True)
    if link.closed_reason:
        # final: the script stops retrying and tells the vendor these changes were not saved
        # the closed page's own headings, as a sentence
        said = _("This link has been withdrawn") if link.closed_reason == "revoked" else _("This link has expired")
        return jsonify(error=f"{said}.", final=True, closed=link.closed_reason), 410
    section = link.section(section_id)
    if not link.editable:
        return jsonify(error=link.refusal(), final=True), 409
    changed = {c for c in request.form.get("changed", "").split(",") if c}
    outcome = _save(link, section, request.form, MultiDict(), "save", only=changed or None)
    if not outcome["errors"] and not outcome["conflicts"]:
        _confirm(link, section, request.form)
    return jsonify(
        saved=outcome["saved"],
        saved_at=outcome["saved_at"],
        saved_at_text=_("Saved at %(time)s.", time=_time(outcome["saved_at"])) if outcome["saved_at"] else "",
        versions=outcome["versions"],
        errors={k: [str(m) for m in v] for k, v in outcome["errors"].items()},
        conflicts={k: _conflict_text(link, k, v) for k, v in outcome["conflicts"].items()},
        conflict_versions=outcome["conflict_versions"],
    ), (200 if not outcome["errors"] and not outcome["conflicts"] else 422)


def _confirm(link: Link, section: Section, formdata, every: bool = False) -> list[str]:
    """Confirm the carried-over answers of this section the vendor ticked (or all of them); ids of
    other sections or unknown ones are ignored: a page confirms only what it showed."""
    here = {q.id for q in section.questions}
    wanted = here if every else here.intersection(formdata.getlist("confirm"))
    try:
        return store.confirm_carried(get_db(), link.response["id"], sorted(wanted), link.actor)
    except store.NotEditable:
        abort(409)


def _conflict_text(link: Link, qid: str, value) -> str:
    if value is None:
        return _("A colleague cleared this answer.")
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return _("A colleague changed these rows (%(count)s now).", count=len(value))
    shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return _("A colleague saved a different answer: %(value)s", value=shown[:300])


def _save(link: Link, section: Section, formdata, files, action: str, only: set[str] | None = None) -> dict:
    """Validate and store a section's posted answers; never loses what validated."""
    errors: dict[str, list] = {}
    removed: dict = {}
    formdata = _clean_rows(section, formdata, action, errors, removed)
    with_files = _has_files(section)
    before = link.answers() if with_files else {}
    uploaded: set[str] = set()  # the ids of the files this request stored
    kept_files = _files(link, section, formdata, files, errors, uploaded)
    # CSRFProtect has already checked the token for the whole app.
    form_class = section_form_class(link.questionnaire, section)
    form = form_class(formdata=formdata, meta={"csrf": False})
    form.validate()
    values, field_errors = read_section(form, section, kept_files, require_specify=only is None)
    errors.update(field_errors)
    seen = _seen(formdata.get("base_versions"))
    base_versions = {qid: version for qid, (version, _) in seen.items()}
    if only is not None:
        values = {k: v for k, v in values.items() if k.split(".")[0] in only}  # with its specify texts
    # What the page showed and the vendor left as it was is not a change: without this, a
    # whole-section post would send back a colleague's older answers as if they were new.
    values = {k: v for k, v in values.items() if k not in seen or seen[k][1] != digest(v)}
    # A question with an error keeps its stored answer: only what validated is written.
    errored = {name.split("-")[0].removesuffix("_none") for name in errors}
    values = {k: v for k, v in values.items() if k.split(".")[0] not in errored}  # with its specify texts
    try:
        writer = (formdata.get("page_id") or "")[:64] or None
        seq = formdata.get("seq", "")
        seq = int(seq) if seq.isdigit() and len(seq) < 18 else None
        result = store.save_answers(get_db(), link.response["id"], values, base_versions, link.actor, writer, seq)
    except store.NotEditable:
        _drop_files(link, set(uploaded))
        abort(409)
    if with_files:
        replaced = evidence.referenced_ids(link.questionnaire, {q.id: before.get(q.id) for q in section.questions})
        dropped = set(_drop_files(link, set(uploaded) | replaced))
        for name, refs in kept_files.items():
            for ref in [r for r in refs if r["id"] in dropped]:
                refs.remove(ref)  # an upload whose answer was refused is gone: the page must not offer it
                errors.setdefault(name, []).append(
                    _("%(file)s was not kept because this answer was not saved: choose it again.", file=ref["name"])
                )
    return {
        "formdata": formdata,
        "saved": result.saved,
        "errors": errors,
        "conflicts": result.conflicts,
        "files": kept_files,
        "saved_at": result.saved_at,
        "versions": {q: [result.version, digest(values[q])] for q in result.saved},
        "conflict_versions": {q: [v, digest(result.conflicts[q])] for q, v in result.conflict_versions.items()},
        "removed": removed if removed.get("qid") in result.saved else {},
    }


def _seen(raw: str | None) -> dict[str, tuple[int, str | None]]:
    """The page's `{question: [version, digest]}`; anything malformed counts as seen nothing."""
    try:
        data = json.loads(raw or "{}")
    except (ValueError, RecursionError):
        return {}
    if not isinstance(data, dict):
        return {}
    seen = {}
    for qid, entry in data.items():
        if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], int) and isinstance(entry[1], str):
            seen[qid] = (entry[0], entry[1])
        elif isinstance(entry, int) and not isinstance(entry, bool):
            seen[qid] = (entry, None)
    return seen


ROW_KEY = re.compile(r"^(?P<index>[0-9]{1,4})-(?P<field>[A-Za-z][A-Za-z0-9_]*(?:-keep)?)$")


ROW_ACTION = re.compile(r"(?P<verb>remove|undo):(?P<qid>[A-Za-z][A-Za-z0-9_]*):(?P<index>[0-9]{1,4})")
UNDO_PREFIX = "_undo-"  # the removed row's fields, carried by the page that offers to bring it back


def _clean_rows(section: Section, formdata, action: str, errors: dict, removed: dict | None = None) -> MultiDict:
    """The posted data with the rows of each group made safe to read.

    Keys of a group whose row part is not a short ASCII index are dropped (WTForms would call
    int() on them); a group with more rows than allowed is dropped whole, with a message, and
    its stored rows stay; a "remove:QID:N" action drops row N and renumbers the rows after it
    (its fields go into `removed`); "undo:QID:N" puts the posted `_undo-QID-N-*` row back at N.
    """
    groups = {q.id: q for q in section.questions if q.type == "group"}
    verb = ROW_ACTION.fullmatch(action or "")
    rows: dict[str, dict[int, list]] = {qid: {} for qid in groups}
    restored: list = []
    out = MultiDict()
    for key, value in formdata.items(multi=True):
        if not isinstance(key, str):  # a multipart part whose name Werkzeug could not read
            continue
        if key.startswith(UNDO_PREFIX):
            qid, _dash, rest = key.removeprefix(UNDO_PREFIX).partition("-")
            match = ROW_KEY.match(rest)
            if verb and verb["verb"] == "undo" and qid == verb["qid"] and match and match["index"] == verb["index"]:
                restored.append((match["field"], value))
            continue
        qid, dash, rest = key.partition("-")
        if not dash or qid not in groups:
            out.add(key, value)
            continue
        match = ROW_KEY.match(rest)
        if match:
            rows[qid].setdefault(int(match["index"]), []).append((match["field"], value))
    for qid, group in groups.items():
        acted = verb is not None and verb["qid"] == qid
        order: list = sorted(rows[qid])
        if acted and verb["verb"] == "remove" and int(verb["index"]) in rows[qid]:
            drop = int(verb["index"])
            order.remove(drop)
            if removed is not None:
                fields = rows[qid][drop]
                had_files = any(f.endswith("-keep") for f, _value in fields)  # deleted with the row
                removed.update(qid=qid, index=sorted(rows[qid]).index(drop), fields=fields, had_files=had_files)
        elif acted and verb["verb"] == "undo" and restored:
            order.insert(min(int(verb["index"]), len(order)), "restored")
        if len(order) > group.max_rows:
            errors[qid] = [_("Too many rows: at most %(n)s. Your other answers were kept.", n=group.max_rows)]
            continue
        for new_index, old_index in enumerate(order):
            for field, value in restored if old_index == "restored" else rows[qid][old_index]:
                out.add(f"{qid}-{new_index}-{field}", value)
    return out


def _has_files(section: Section) -> bool:
    return any(
        q.type == "file" or (q.type == "group" and any(f.type == "file" for f in q.fields)) for q in section.questions
    )


def _drop_files(link: Link, candidates: set[str]) -> list[str]:
    """Delete those of `candidates` no answer refers to (rows, then files); returns their ids."""
    dropped = store.drop_unreferenced_attachments(
        get_db(),
        link.response["id"],
        candidates,
        lambda answers: evidence.referenced_ids(link.questionnaire, answers),
        link.actor,
    )
    for attachment_id in dropped:
        evidence.delete_file(current_app.config["UPLOAD_FOLDER"], attachment_id)
    return dropped


def _files(link: Link, section: Section, formdata, files, errors: dict, uploaded: set) -> dict[str, list[dict]]:
    """Each file field's references after this save: those kept plus new uploads (recorded in `uploaded`)."""
    db = get_db()
    quota = current_app.config["RESPONSE_QUOTA_BYTES"]
    used: int | None = None
    out: dict[str, list[dict]] = {}
    names = []
    for q in section.questions:
        if q.type == "file":
            names.append((q.id, q))
        elif q.type == "group":
            for i in range(row_count(formdata, q.id)):
                names += [(f"{q.id}-{i}-{f.id}", f) for f in q.fields if f.type == "file"]
    for name, q in names:
        refs = []
        for attachment_id in formdata.getlist(f"{name}-keep"):
            row = store.get_attachment(db, link.response["id"], attachment_id)
            if row:  # an id of another response (or a made-up one) is ignored
                refs.append(_ref(row))
        for upload in files.getlist(name):
            if not upload or not upload.filename:
                continue
            data = upload.read(current_app.config["MAX_FILE_BYTES"] + 1)
            try:
                accepted = evidence.check_upload(upload.filename, data, current_app.config["MAX_FILE_BYTES"])
            except evidence.UploadRejected as exc:
                errors.setdefault(name, []).append(str(exc))
                continue
            if len(refs) >= q.max_files:
                errors.setdefault(name, []).append(_("At most %(n)s files.", n=q.max_files))
                break
            if used is None:
                used = store.attachment_bytes(db, link.response["id"])
            if used + accepted.size > quota:
                errors.setdefault(name, []).append(
                    _(
                        "%(file)s was not stored: this response's files would take more than %(quota)s. "
                        "Remove files you no longer need and save, then upload it again.",
                        file=accepted.filename,
                        quota=filesize(quota),
                    )
                )
                continue
            used += accepted.size
            attachment_id = evidence.new_attachment_id()
            evidence.store_file(current_app.config["UPLOAD_FOLDER"], attachment_id, data)
            store.add_attachment(
                db,
                attachment_id,
                link.response["id"],
                name,
                accepted.filename,
                accepted.content_type,
                accepted.size,
                accepted.sha256,
                link.actor,
            )
            uploaded.add(attachment_id)
            refs.append(
                {
                    "id": attachment_id,
                    "name": accepted.filename,
                    "size": accepted.size,
                    "content_type": accepted.content_type,
                    "sha256": accepted.sha256,
                }
            )
        out[name] = refs
    return out


def _ref(row: dict) -> dict:
    return {k: row[k] for k in ("id", "size", "content_type", "sha256")} | {"name": row["filename"]}


def _time(stamp: str) -> str:
    from flask_babel import format_time

    return format_time(datetime.fromisoformat(stamp), "short") if stamp else ""


@bp.post("/<token>/clarifications/<int:thread_id>/reply")
def reply(token: str, thread_id: int):
    """The vendor's answer to the buyer's question on one of their answers."""
    link = open_link(token)
    body = (request.form.get("body") or "").strip()
    if link.decided:
        flash(link.refusal(), "error")
    elif not body or len(body) > 4000:
        flash(_("Write your reply (up to 4,000 characters)."), "error")
    elif not store.add_clarification_message(get_db(), link.response["id"], thread_id, link.actor, body):
        abort(404)
    else:
        tell("replied", link.evaluation["id"], link.response["vendor_id"], thread_id=thread_id)
        flash(_("Your reply was sent."), "success")
    section_id = request.form.get("section", "")
    if any(s.id == section_id for s in link.questionnaire.sections):
        return redirect(url_for("vendor.section", token=token, section_id=section_id) + f"#thread-{thread_id}")
    return redirect(url_for("vendor.overview", token=token))


@bp.get("/<token>/files/<attachment_id>")
def download(token: str, attachment_id: str):
    """One of this response's files, always as a download."""
    link = open_link(token, allow_closed=False)
    row = store.get_attachment(get_db(), link.response["id"], attachment_id)
    if row is None:
        abort(404)
    path = evidence.stored_path(current_app.config["UPLOAD_FOLDER"], row["id"])
    return send_file(path, mimetype=row["content_type"], as_attachment=True, download_name=row["filename"])


@bp.get("/<token>/review")
def review(token: str):
    """Missing answers and fixable problems, each with a link to it; every answer read-only; submit."""
    return _render_review(open_link(token))


def _unconfirmed(link: Link, answers: dict, required_only: bool = True) -> list[tuple]:
    """(section, question, required) of the carried-over answers still to confirm that apply, in questionnaire order."""
    waiting = link.waiting()
    questions = link.questionnaire.questions
    return [
        (s, q, q.required)
        for s in link.questionnaire.sections
        for q in s.questions
        if q.id in waiting and (q.required or not required_only) and is_applicable(q, answers, questions)
    ]


def _render_review(link: Link, confirm_error: str | None = None, status: int = 200):
    answers = link.answers()
    result = link.progress(answers)
    questionnaire = link.questionnaire
    missing = [(questionnaire.section_of(qid), questionnaire.question(qid)) for qid in result.missing]
    today = datetime.now(UTC).date()
    # only while the vendor can still fix them: a locked response's links would lead nowhere useful
    found = vendor_problems(questionnaire, answers, today) if link.editable else []
    problems = [_problem_view(link, p) for p in found]
    questions = questionnaire.questions
    memo: dict[str, str] = {}
    applicable = {q.id for q in questions.values() if is_applicable(q, answers, questions, memo)}
    context = _ctx(
        link,
        result=result,
        missing=missing,
        answers=answers,
        problems=problems,
        applicable=applicable,
        confirm_error=confirm_error,
        unconfirmed=_unconfirmed(link, answers, required_only=False),
    )
    return render_template("vendor/review.html", **context), status


# What each problem says to the vendor (the profile's `vendor_problems`, stagefour/profiles/): never a flag
# code, a severity or a score, only what is inconsistent and where.
PROBLEM_TEXTS = {
    "unknown_engineer": _l("Deployment %(row)s names engineer %(id)s, who is not in your roster (C1)."),
    "unknown_deployment": _l("Failure mode %(row)s names deployment %(id)s, which is not in your deployments (B1)."),
    "duplicate_id": _l("The id %(id)s is used by more than one row of %(group)s: give each row its own id."),
    "future_go_live": _l("Deployment %(row)s has a go-live date in the future (%(date)s)."),
    "production_below_stage_4": _l(
        "Deployment %(row)s is marked as in production today but at stage %(stage)s: "
        "check the stage or the answer to “In production today?”."
    ),
    "over_allocated": _l("%(name)s (%(row)s) is allocated more than 100 %% across your roster."),
}


def _problem_view(link: Link, problem) -> dict:
    section = link.questionnaire.section_of(problem.question)
    anchor = f"{problem.question}-{problem.row}-{problem.field}" if problem.field else f"q-{problem.question}"
    params = dict(problem.params)
    if "date" in params:
        try:
            params["date"] = format_date(date.fromisoformat(params["date"]), "long")
        except ValueError:
            pass  # a date the checks read another way is shown as the vendor wrote it
    return {
        "text": str(PROBLEM_TEXTS[problem.kind]) % params,
        "url": url_for("vendor.section", token=link.token, section_id=section.id) + f"#{anchor}",
        "section": section,
    }


@bp.post("/<token>/submit")
def submit(token: str):
    """Lock the response once it is complete and the vendor confirms; a second submit changes nothing."""
    link = open_link(token)
    if link.response["status"] == "submitted":
        return redirect(url_for("vendor.receipt", token=token))
    if not link.editable:
        flash(link.refusal(), "error")
        return redirect(url_for("vendor.review", token=token))
    result = link.progress(link.answers())
    if result.missing:
        flash(_("Some required answers are missing."), "error")
        return redirect(url_for("vendor.review", token=token))
    if _unconfirmed(link, link.answers()):
        flash(_("Some required answers carried over from your previous response are not confirmed yet."), "error")
        return redirect(url_for("vendor.review", token=token))
    if request.form.get("confirm") != "yes":
        # nothing changes: the response stays open and the page says what is needed, beside the box
        return _render_review(link, _("Tick the box to confirm you have checked your answers."), 422)
    if store.set_response_status(get_db(), link.response["id"], "submitted", link.actor, expect=store.EDITABLE):
        tell("submitted", link.evaluation["id"], link.response["vendor_id"])
    return redirect(url_for("vendor.receipt", token=token))


@bp.get("/<token>/receipt")
def receipt(token: str):
    """The confirmation of a submitted response."""
    link = open_link(token)
    if link.response["status"] != "submitted":
        return redirect(url_for("vendor.overview", token=token))
    answers = link.answers()
    return render_template("vendor/receipt.html", **_ctx(link, answers=answers))


@bp.post("/<token>/language")
def language(token: str):
    """The vendor's language for the interface and the questionnaire."""
    link = open_link(token)
    chosen = request.form.get("language", "")
    if chosen in current_app.config["LANGUAGES"]:
        store.set_response_language(get_db(), link.response["id"], chosen)
    prefix = url_for("vendor.overview", token=token)
    target = safe_next(request.form.get("next"), prefix)
    return redirect(target if target.startswith(prefix) else prefix)


@bp.errorhandler(CSRFError)
def csrf_recover(error: CSRFError):
    """A vendor's save whose CSRF token expired: show the page again with what they typed."""
    match = re.match(r"^/v/([^/]+)/s/([^/]+)$", request.path)
    message = _("Your session expired. Reload the page and try again.")
    if not match:
        return render_template("errors/error.html", code=400, message=message), 400
    try:
        link = open_link(match.group(1))
        section = link.section(match.group(2))
    except HTTPException as exc:  # an unknown or closed link: its own page, never a 500
        return exc.response if exc.response is not None else current_app.handle_http_exception(exc)
    flash(
        _("Your session expired, so nothing was saved yet. Your answers are still on this page: save again."), "error"
    )
    values = display_from_post(section, request.form, {})
    return _render_section(link, section, *link.answers_and_versions(), values, {}, {}, 400)
