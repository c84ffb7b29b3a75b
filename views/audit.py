"""The audit log, read-only: a buyer page per evaluation, the owner's page of their evaluations, a CSV export.

Nothing here changes the log but appending `audit_exported`; the table itself refuses UPDATE
and DELETE (store.m001_initial). Issue 5, item 5.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from flask import Blueprint
from flask import Response
from flask import abort
from flask import g
from flask import render_template
from flask import request
from flask import stream_with_context
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from stagefour import access
from stagefour import report
from stagefour import store
from stagefour.changes import is_summary
from stagefour.export import csv_cell
from stagefour.questionnaire import Question
from stagefour.questionnaire import Questionnaire
from views.auth import login_required
from views.buyer import load_evaluation
from views.db import get_db
from views.questionnaires import for_snapshot

bp = Blueprint("audit", __name__)

PER_PAGE = 100
# Answers can be long texts or whole tables of rows: the page shows their start.
SHORT = 80

ACTOR_KINDS = {
    "buyer": _l("Buyers"),
    "vendor": _l("Vendors"),
    "cli": _l("Command line"),
    "anonymous": _l("Not logged in"),
}

# One readable sentence per action; %(name)s are the entry's detail, plus `vendor` (its name).
SENTENCES = {
    "answer_saved": _l("Answer to %(question)s saved: %(before)s → %(after)s"),
    "response_submitted": _l("Response of %(vendor)s submitted"),
    "response_reopened": _l("Response of %(vendor)s reopened"),
    "response_status": _l("Response of %(vendor)s set to %(status)s"),
    "score_given": _l("Score %(score)s given on %(question)s"),
    "link_issued": _l("Link issued to %(vendor)s, valid until %(expires_at)s"),
    "link_reissued": _l("Link reissued to %(vendor)s, valid until %(expires_at)s"),
    "link_revoked": _l("Link of %(vendor)s revoked"),
    "link_emailed": _l("Link e-mailed to %(to)s"),
    "link_email_failed": _l("Link e-mail to %(to)s failed: %(error)s"),
    "links_extended": _l("%(count)s links extended to %(expires_at)s"),
    "export_made": _l("Export made (%(format)s)"),
    "report_made": _l("PDF made (%(report)s, %(lang)s)"),
    "audit_exported": _l("Audit log exported as CSV (%(entries)s entries)"),
    "login_succeeded": _l("Logged in"),
    "login_failed": _l("Failed login as %(email)s"),
    "clarification_asked": _l("Clarification asked on %(question)s"),
    "clarification_replied": _l("Clarification on %(question)s answered"),
    "clarification_closed": _l("Clarification closed"),
    "verification_recorded": _l("Verification of deployment %(deployment)s recorded"),
    "assignments_changed": _l("Assignments changed: %(added_count)s added, %(removed_count)s removed"),
    "evaluation_created": _l("Evaluation %(title)s created"),
    "evaluation_changed": _l("Evaluation settings changed"),
    "vendor_added": _l("Vendor %(name)s added"),
    "file_uploaded": _l("File %(filename)s uploaded for %(question)s"),
    "files_removed": _l("%(count)s files no answer refers to removed (%(size)s bytes)"),
    "response_imported": _l(
        "Response of %(vendor)s imported from %(file)s: %(answers)s answers, %(changed)s changed, %(cleared)s cleared"
    ),
    "vendor_notified": _l("%(vendor)s told by e-mail (%(to)s) of the change to their link"),
    "vendor_notice_failed": _l("E-mail to %(to)s about the change to their link failed: %(error)s"),
    # sessions and single sign-on (T3)
    "logout": _l("Logged out (every session of this account ended)"),
    "sso_login_succeeded": _l("Logged in by single sign-on (%(issuer)s)"),
    "sso_refused": _l("Single sign-on refused (%(reason)s)"),
    "sso_linked": _l("Account %(user)s linked to single sign-on identity %(subject)s"),
    "user_provisioned": _l("Account %(email)s made at its first single sign-on"),
    # Accounts (issue 11, item 2): `user` is the account's id.
    "account_invited": _l("%(email)s invited into team %(team)s as %(role)s"),
    "invitation_accepted": _l("Invitation accepted: account %(user)s made"),
    "password_changed": _l("Password of account %(user)s changed"),
    "password_change_failed": _l("Password change of account %(user)s refused: wrong current password"),
    "password_reset_requested": _l("Password reset asked for account %(user)s"),
    "password_reset": _l("Password of account %(user)s reset"),
    "account_disabled": _l("Account %(user)s disabled"),
    "account_enabled": _l("Account %(user)s enabled"),
    "totp_enrolled": _l("Two-step login switched on for account %(user)s"),
    "totp_disabled": _l("Two-step login switched off for account %(user)s"),
    "recovery_code_used": _l("Recovery code used by account %(user)s (%(left)s left)"),
    "login_code_failed": _l("Wrong two-step login code for account %(user)s"),
    "account_emailed": _l("Account e-mail (%(what)s) sent to %(to)s"),
    # Notifications to buyers (issue 12, item 2): `kind` is submitted, replied or overdue.
    "buyers_notified": _l("Buyers told of %(vendor)s (%(kind)s): in the app %(in_app)s, by e-mail %(emailed)s"),
    "notification_emailed": _l("Notification (%(kind)s) e-mailed to %(to)s"),
    "notification_email_failed": _l("Notification e-mail (%(kind)s) to %(to)s failed: %(error)s"),
    "notification_choices_changed": _l("Notification choices of account %(user)s changed"),
    "account_email_failed": _l("Account e-mail (%(what)s) to %(to)s failed: %(error)s"),
    # The team's questionnaire library (issue 15): `team` is the team's id.
    "questionnaire_uploaded": _l(
        "Questionnaire %(questionnaire)s version %(version)s added to the library of team %(team)s"
    ),
}

# The actions by name, for the filter (issue 13): a reader picks "Answer saved", never `answer_saved`.
ACTION_NAMES = {
    "answer_saved": _l("Answer saved"),
    "response_submitted": _l("Response submitted"),
    "response_reopened": _l("Response reopened"),
    "response_status": _l("Response status set"),
    "score_given": _l("Score given"),
    "link_issued": _l("Link issued"),
    "link_reissued": _l("Link reissued"),
    "link_revoked": _l("Link revoked"),
    "link_emailed": _l("Link e-mailed"),
    "link_email_failed": _l("Link e-mail failed"),
    "links_extended": _l("Links extended"),
    "export_made": _l("Export made"),
    "report_made": _l("PDF made"),
    "audit_exported": _l("Audit log exported"),
    "login_succeeded": _l("Logged in"),
    "login_failed": _l("Failed login"),
    "clarification_asked": _l("Clarification asked"),
    "clarification_replied": _l("Clarification answered"),
    "clarification_closed": _l("Clarification closed"),
    "verification_recorded": _l("Verification recorded"),
    "evaluation_created": _l("Evaluation created"),
    "evaluation_changed": _l("Evaluation settings changed"),
    "vendor_added": _l("Vendor added"),
    "file_uploaded": _l("File uploaded"),
    "files_removed": _l("Unused files removed"),
    "response_imported": _l("Response imported"),
    "vendor_notified": _l("Vendor told of a link change"),
    "vendor_notice_failed": _l("Notice to vendor failed"),
    "logout": _l("Logged out"),
    "sso_login_succeeded": _l("Logged in by single sign-on"),
    "sso_refused": _l("Single sign-on refused"),
    "sso_linked": _l("Single sign-on identity linked"),
    "user_provisioned": _l("Account made by single sign-on"),
    "account_invited": _l("Account invited"),
    "invitation_accepted": _l("Invitation accepted"),
    "password_changed": _l("Password changed"),
    "password_change_failed": _l("Password change refused"),
    "password_reset_requested": _l("Password reset asked"),
    "password_reset": _l("Password reset"),
    "account_disabled": _l("Account disabled"),
    "account_enabled": _l("Account enabled"),
    "totp_enrolled": _l("Two-step login switched on"),
    "totp_disabled": _l("Two-step login switched off"),
    "recovery_code_used": _l("Recovery code used"),
    "login_code_failed": _l("Wrong two-step login code"),
    "account_emailed": _l("Account e-mail sent"),
    "account_email_failed": _l("Account e-mail failed"),
    "questionnaire_uploaded": _l("Questionnaire uploaded"),
}

FILTERS = ("action", "actor", "vendor", "from", "to")
CSV_COLUMNS = ("id", "at", "actor", "who", "action", "what", "evaluation_id", "vendor_id", "response_id", "detail")


class FilterError(ValueError):
    """A filter in the query string that cannot be used."""


class _Blank(dict):
    """Detail values for a sentence: a key the entry lacks shows as a dash, never a KeyError."""

    def __missing__(self, key: str) -> str:
        return "—"


def shorten(value: Any, size: int = SHORT) -> str:
    """An answer as short text: strings as they are, anything else as JSON; cut with … past `size`."""
    if value is None:
        return _("(empty)")
    if is_summary(value):  # a large answer, kept in the log as its start, size and hash
        start = " ".join(str(value.get("start", "")).split())[: max(size - 1, 1)]
        return _("%(start)s… (%(size)s bytes)", start=start, size=value.get("bytes", "?"))
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1] + "…"


def who(actor: str, emails: dict[int, str], vendors: dict[int, str]) -> str:
    """The person behind an actor reference: a buyer's e-mail, a vendor's name, or the reference itself."""
    kind, _sep, ident = actor.partition(":")
    if ident.isdigit():
        if kind == "user" and int(ident) in emails:
            return emails[int(ident)]
        if kind == "vendor" and int(ident) in vendors:
            return vendors[int(ident)]
    if actor == "cli":
        return _("command line")
    if kind == "cli" and ident:
        return _("command line (%(user)s)", user=ident)
    if actor == "anonymous":
        return _("not logged in")
    return actor


def who_through(entry: dict, emails: dict[int, str], vendors: dict[int, str], inviters: dict[int, int | None]) -> str:
    """`who`, and for a vendor's entry made through a link issued by someone other than the user who
    first invited that vendor (a reissue after a reopen, say), that link's issuer; for a user's
    entry made by the import-response command, that command."""
    name = who(entry["actor"], emails, vendors)
    detail = entry["detail"] if isinstance(entry["detail"], dict) else {}
    if detail.get("via") == "import-response" and entry["actor"].startswith("user:"):
        return _("%(user)s, by import-response", user=name)
    if not entry["actor"].startswith("vendor:") or "via_link_issued_by" not in detail:
        return name
    issuer = detail["via_link_issued_by"]
    if issuer == inviters.get(entry["vendor_id"]):
        return name
    if issuer is None:
        by = _("the command line")
    else:
        by = emails.get(issuer) or _("user %(id)s", id=issuer)
    return _("%(vendor)s, through a link issued by %(issuer)s", vendor=name, issuer=by)


def answer_words(question: Question | None, value: Any, size: int = SHORT) -> str:
    """An answer in the log as the reader reads it: option labels, yes/no and numbers in their language."""
    if question is None or value is None or is_summary(value):
        return shorten(value, size)  # a question the snapshot lacks, or a cut-short answer: as stored
    try:
        text = report.Formats(str(get_locale())).value(question, value)
    except (TypeError, ValueError, AttributeError):
        return shorten(value, size)  # old data of another shape: shown as stored, never a 500
    return shorten(text or _("(empty)"), size)


def describe(
    entry: dict, vendors: dict[int, str], size: int = SHORT, questionnaire: Questionnaire | None = None
) -> str:
    """One readable sentence for an entry."""
    sentence = SENTENCES.get(entry["action"])
    if sentence is None:
        return entry["action"]
    detail = entry["detail"] if isinstance(entry["detail"], dict) else {}
    values = _Blank({k: shorten(v, size) if v is not None else "—" for k, v in detail.items()})
    if entry["action"] == "answer_saved":
        question = questionnaire.questions.get(detail.get("question")) if questionnaire else None
        values["before"] = answer_words(question, detail.get("before"), size)
        values["after"] = answer_words(question, detail.get("after"), size)
    vendor_id = entry["vendor_id"]
    values["vendor"] = vendors.get(vendor_id, _("vendor %(id)s", id=vendor_id)) if vendor_id is not None else "—"
    return str(sentence) % values


def _questionnaire_of(entry: dict, evaluation: dict | None, snapshots: dict) -> Questionnaire | None:
    """The questionnaire an answer in the log belongs to (only answers need one)."""
    if entry["action"] != "answer_saved" or entry["evaluation_id"] is None:
        return None
    if evaluation is not None:
        return for_snapshot(evaluation["snapshot_id"])
    if entry["evaluation_id"] not in snapshots:
        other = store.get_evaluation(get_db(), entry["evaluation_id"])
        snapshots[entry["evaluation_id"]] = other["snapshot_id"] if other else None
    snapshot_id = snapshots[entry["evaluation_id"]]
    return for_snapshot(snapshot_id) if snapshot_id is not None else None


def parse_filter(args, evaluation_id: int | None, vendors: dict[int, str], actions: list[str]) -> store.AuditFilter:
    """The filters of the query string, checked; FilterError names each bad one."""
    problems: list[str] = []
    action = args.get("action", "").strip() or None
    if action is not None and action not in SENTENCES and action not in actions:
        problems.append(_("Unknown action: %(value)s.", value=action[:60]))
    kind = args.get("actor", "").strip() or None
    if kind is not None and kind not in ACTOR_KINDS:
        problems.append(_("Unknown kind of actor: %(value)s.", value=kind[:60]))
    vendor_id = None
    raw_vendor = args.get("vendor", "").strip()
    if raw_vendor:
        if not re.fullmatch(r"\d{1,12}", raw_vendor) or int(raw_vendor) not in vendors:
            problems.append(_("No such vendor in this evaluation: %(value)s.", value=raw_vendor[:60]))
        else:
            vendor_id = int(raw_vendor)
    days: dict[str, str | None] = {}
    for name, label in (("from", _("From")), ("to", _("To"))):
        raw = args.get(name, "").strip()
        days[name] = _day(raw) if raw else None
        if raw and days[name] is None:
            problems.append(_("%(field)s is not a date (YYYY-MM-DD): %(value)s.", field=label, value=raw[:60]))
    if days["from"] and days["to"] and days["from"] > days["to"]:
        problems.append(_("The first day comes after the last day."))
    if problems:
        raise FilterError(problems)
    return store.AuditFilter(evaluation_id, action, kind, vendor_id, days["from"], days["to"])


def _day(raw: str) -> str | None:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        return None
    try:
        return date.fromisoformat(raw).isoformat()
    except ValueError:
        return None


def _page_number() -> int:
    raw = request.args.get("page", "1").strip()
    if not re.fullmatch(r"\d{1,6}", raw) or int(raw) < 1:
        raise FilterError([_("Page must be a whole number from 1: %(value)s.", value=raw[:60])])
    return int(raw)


def _context(evaluation: dict | None, vendors: dict[int, str], actions: list[str], errors=()) -> dict:
    """What the page needs besides its rows: the filter choices and any errors."""
    return {
        "evaluation": evaluation,
        "vendors": vendors,
        "actions": sorted(set(actions) | set(SENTENCES)),
        "action_names": ACTION_NAMES,
        "actor_kinds": ACTOR_KINDS,
        "args": request.args,
        # Only the filters go into links (CSV, pages): other query keys could clash with url_for's.
        "filters": {k: request.args[k] for k in FILTERS if request.args.get(k)},
        # A date field holds a real day or nothing: a bad one is named in the errors, not put back.
        "days": {k: _day(request.args.get(k, "").strip()) or "" for k in ("from", "to")},
        "errors": list(errors),
        "rows": [],
        "page": 1,
        "pages": 1,
        "total": 0,
    }


def _show(evaluation: dict | None, owned: tuple[int, ...] = ()):
    """One evaluation's log, or (evaluation None) the log of the evaluations `owned`."""
    db = get_db()
    evaluation_id = evaluation["id"] if evaluation else None
    vendors = store.vendor_names(db, evaluation_id if evaluation else owned)
    actions = store.audit_actions(db, evaluation_id)
    context = _context(evaluation, vendors, actions)
    try:
        audit_filter = parse_filter(request.args, evaluation_id, vendors, actions)
        if evaluation is None:
            audit_filter = dataclasses.replace(audit_filter, evaluation_ids=owned)
        page = _page_number()
    except FilterError as exc:
        context["errors"] = exc.args[0]
        return render_template("audit/log.html", **context), 400
    total = store.audit_count(db, audit_filter)
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(page, pages)
    entries = store.audit_search(db, audit_filter, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    emails = store.user_emails(db)
    inviters = store.original_inviters(db, evaluation_id)
    titles = store.evaluation_titles(db) if evaluation is None else {}
    snapshots: dict[int, int | None] = {}
    context["rows"] = [
        {
            "entry": e,
            "who": who_through(e, emails, vendors, inviters),
            "what": describe(e, vendors, questionnaire=_questionnaire_of(e, evaluation, snapshots)),
            "evaluation": titles.get(e["evaluation_id"]) if e["evaluation_id"] is not None else None,
        }
        for e in entries
    ]
    context.update(page=page, pages=pages, total=total)
    return render_template("audit/log.html", **context)


@bp.get("/evaluations/<int:evaluation_id>/audit")
@login_required
def evaluation_log(evaluation_id: int):
    """Who did what when in one evaluation, newest first, filtered and paged."""
    return _show(load_evaluation(evaluation_id))


@bp.get("/audit")
@login_required
def full_log():
    """The log of every evaluation the buyer owns (owners only): other teams' stay out of it."""
    db = get_db()
    if not access.teams_where(db, g.user, "owner"):
        abort(403)
    return _show(None, tuple(store.visible_evaluation_ids(db, g.user["id"], roles=("owner",))))


@bp.get("/evaluations/<int:evaluation_id>/audit.csv")
@login_required
def evaluation_csv(evaluation_id: int):
    """The filtered entries of one evaluation as CSV; the export is itself logged."""
    evaluation = load_evaluation(evaluation_id)
    db = get_db()
    vendors = store.vendor_names(db, evaluation_id)
    actions = store.audit_actions(db, evaluation_id)
    try:
        audit_filter = parse_filter(request.args, evaluation_id, vendors, actions)
    except FilterError as exc:
        context = _context(evaluation, vendors, actions, errors=exc.args[0])
        return render_template("audit/log.html", **context), 400
    emails = store.user_emails(db)
    inviters = store.original_inviters(db, evaluation_id)
    # Logged first, with the count the export will hold: the rows below stream out one by one.
    exported = store.audit(
        db,
        f"user:{g.user['id']}",
        "audit_exported",
        evaluation_id=evaluation_id,
        entries=store.audit_count(db, audit_filter),
        filters={k: request.args[k] for k in FILTERS if request.args.get(k)},
    )

    def rows() -> Iterator[str]:
        line = _Line()
        writer = csv.writer(line, lineterminator="\r\n")
        yield "\ufeff" + writer.writerow(CSV_COLUMNS)  # the BOM tells spreadsheets it is UTF-8
        for e in store.audit_stream(db, audit_filter, before_id=exported):  # what was counted, not later entries
            cells = (
                e["id"],
                e["at"],
                e["actor"],
                who_through(e, emails, vendors, inviters),
                e["action"],
                describe(e, vendors, size=10_000, questionnaire=for_snapshot(evaluation["snapshot_id"])),
                e["evaluation_id"],
                e["vendor_id"],
                e["response_id"],
                json.dumps(e["detail"], ensure_ascii=False),
            )
            yield writer.writerow([csv_cell(c) for c in cells])

    response = Response(stream_with_context(rows()), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="audit-evaluation-{evaluation_id}.csv"'
    # The log quotes vendors' confidential answers: no copy in a shared or browser cache.
    response.headers["Cache-Control"] = "no-store"
    return response


class _Line:
    """A file for csv.writer that hands each written line back instead of keeping it."""

    def write(self, text: str) -> str:
        """Return the line csv.writer wrote (csv.writer.writerow returns it in turn)."""
        return text
