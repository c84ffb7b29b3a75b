"""No English left behind (issue 13): every page type and both PDFs, in every language but English.

Each page is rendered with the demo data in each language the app offers; its visible text is
cut into segments and compared with the English the app can say: the fragments of every msgid
of the catalogue template (translations/messages.pot) and every English text of the default
questionnaire. A fragment that the language's own catalogue or questionnaire texts also use (a
name, a code, a borrowed term such as "Go-live") is not English for that language; the rest
must not appear. What vendors typed (the demo answers are in English) is theirs and is skipped.

The pages come from the URL map: `PAGES` says, for every GET route, which page of the demo world
it shows, or why it is not a page to read (a file, JSON, a PDF covered by the PDF test). A new
GET route fails `test_every_get_route_has_a_page_in_the_coverage_table` until it gets a row:
add the endpoint with who opens it and its URL arguments (keys of `World`).
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from commands import DEMO_FOLDER
from commands import DEMO_PROFILE
from commands import DEMO_VENDORS
from stagefour import evaluations
from stagefour import notifications
from stagefour import report
from stagefour import store
from stagefour.library import load_by_id
from stagefour.questionnaire import Questionnaire
from stagefour.response import read_response
from views.auth import hash_password

from .conftest import AS_OF
from .conftest import app_config

PASSWORD = "correct horse battery staple"
ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = [code for code in report.LANGUAGES if code != "en"]
UNKNOWN_TOKEN = "Zz" * 22

# Reviewed by hand: English fragments that a translation may keep as they are. Codes and names
# of standards, products and the app; everything else the check finds is a missing translation.
ALLOWED = {
    "Stagefour",
    "PDF",
    "CSV",
    "JSON",
    "UTC",
    "SHA-256",
    "MCP",
    "KPI",
    "FDE",
    "A4",
    "YYYY-MM-DD",
    "REPORT_MAX_PAGES",
    "REPORT_MAX_SECONDS",
    "import-response",
}


@dataclass(frozen=True)
class Skip:
    """A GET route that shows no page to read, and why."""

    why: str


# Who opens each GET route and with which arguments (keys of the World below): "buyer" is the
# demo buyer (owner of the team, site administrator), "anonymous" nobody logged in, "vendor" the
# in-progress vendor's link, "submitted" a submitted vendor's link, "revoked" a withdrawn link,
# "evaluator" a member of the team with the evaluator role, "ready" the link of a vendor who
# answered everything and has not submitted yet.
# "section_id": "*" visits every section. A list holds several pages of one route.
PAGES: dict[str, list[tuple[str, dict, int]] | Skip] = {
    "auth.login": [("anonymous", {}, 200)],
    "notifications.index": [("buyer", {}, 200)],
    "decision.record": [
        ("buyer", {"evaluation_id": "evaluation"}, 200),
        ("buyer", {"evaluation_id": "decided"}, 200),
        ("buyer", {"evaluation_id": "empty"}, 200),
    ],
    # Re-assessment (issue 16): the form on a decided evaluation, the "decide first" page on an open one.
    "reassess.start": [
        ("buyer", {"evaluation_id": "decided"}, 200),
        ("buyer", {"evaluation_id": "evaluation"}, 200),
    ],
    "scoring.assignments": [
        ("buyer", {"evaluation_id": "evaluation"}, 200),
        ("buyer", {"evaluation_id": "evaluation", "saved": "1"}, 200),
        ("evaluator", {"evaluation_id": "evaluation"}, 200),
    ],
    "scoring.queue": [
        ("buyer", {"evaluation_id": "evaluation"}, 200),
        ("evaluator", {"evaluation_id": "evaluation"}, 200),
    ],
    "lost_link.request_link": [("anonymous", {}, 200), ("anonymous", {"sent": "1"}, 200)],
    "buyer.dashboard": [("buyer", {}, 200)],
    "buyer.new_evaluation": [("buyer", {}, 200)],
    "buyer.evaluation": [
        ("buyer", {"evaluation_id": "evaluation"}, 200),
        ("buyer", {"evaluation_id": "decided"}, 200),
        ("buyer", {"evaluation_id": "empty"}, 200),
    ],
    "buyer.edit_evaluation": [("buyer", {"evaluation_id": "evaluation"}, 200)],
    "buyer.reissue_link": [("buyer", {"evaluation_id": "evaluation", "vendor_id": "vendor"}, 200)],
    "buyer.revoke_link": [("buyer", {"evaluation_id": "evaluation", "vendor_id": "vendor"}, 200)],
    "review.response": [
        ("buyer", {"evaluation_id": "evaluation", "vendor_id": "submitted_vendor"}, 200),
        ("buyer", {"evaluation_id": "evaluation", "vendor_id": "vendor"}, 200),
        ("buyer", {"evaluation_id": "evaluation", "vendor_id": "ready_vendor"}, 200),
    ],
    "review.compare": [
        ("buyer", {"evaluation_id": "evaluation"}, 200),
        ("buyer", {"evaluation_id": "decided"}, 200),
        ("buyer", {"evaluation_id": "empty"}, 200),
    ],
    "review.file": Skip("a vendor's file, served as it was uploaded"),
    "exports.export_json": Skip("JSON for machines: stable codes (and English) by contract"),
    "exports.export_csv": Skip("CSV export: stable codes by contract"),
    "exports.export_xlsx": Skip("the wide XLSX sheet: its words are checked in test_wide_sheet.py"),
    "audit.evaluation_csv": Skip("CSV export of the log"),
    "reports.comparison_pdf": Skip("the comparison PDF: test_no_english_left_in_the_pdfs"),
    "reports.response_pdf": Skip("the receipt PDF: test_no_english_left_in_the_pdfs"),
    "reports.vendor_receipt_pdf": Skip("the receipt PDF: test_no_english_left_in_the_pdfs"),
    "reports.comparison_status": Skip("JSON polled by the page that waits for a PDF"),
    "audit.evaluation_log": [
        ("buyer", {"evaluation_id": "evaluation"}, 200),
        ("buyer", {"evaluation_id": "decided"}, 200),
    ],
    "audit.full_log": [("buyer", {}, 200)],
    "vendor.overview": [("vendor", {"token": "vendor"}, 200), ("revoked", {"token": "revoked"}, 410)],
    "vendor.section": [("vendor", {"token": "vendor", "section_id": "*"}, 200)],
    "vendor.review": [("vendor", {"token": "vendor"}, 200), ("ready", {"token": "ready"}, 200)],
    "vendor.receipt": [("submitted", {"token": "submitted"}, 200)],
    "vendor.download": Skip("a vendor's own file"),
    "offline.page": [("vendor", {"token": "vendor"}, 200)],
    "library.template": Skip("a questionnaire as a workbook: its columns are the format's keys in every language"),
    "library.download": Skip("a questionnaire as a workbook: its columns are the format's keys in every language"),
    "offline.workbook": Skip("the answers workbook: its German is checked in tests/test_offline_xlsx.py"),
    "offline.preview": Skip("with no upload held it redirects; its German: tests/test_offline_xlsx.py"),
    "admin.users": [("buyer", {}, 200)],
    "admin.teams": [("buyer", {}, 200)],
    "admin.team": [("buyer", {"team_id": "team"}, 200)],
    "library.shipped_questionnaires": [("buyer", {}, 200)],
    "library.team_library": [("buyer", {"team_id": "team"}, 200)],
    "oidc.login": Skip("single sign-on is off here; its errors are flashed on the login page"),
    "oidc.callback": Skip("single sign-on is off here; its errors are flashed on the login page"),
    "accounts.account": [("buyer", {}, 200)],
    "accounts.change_password": [("buyer", {}, 200)],
    "accounts.totp": [("buyer", {}, 200)],
    "accounts.login_code": Skip("only during a two-step login; its strings are shared with accounts.totp"),
    "accounts.forgot_password": [("anonymous", {}, 200)],
    "accounts.reset_password": [("anonymous", {"account_token": "unknown"}, 404)],
    "accounts.accept_invitation": [("anonymous", {"account_token": "unknown"}, 404)],
    "accounts.invite": [("buyer", {}, 200)],
    "accounts.user": [("buyer", {"user_id": "user"}, 200)],
}
# Error pages, by a URL that fails: not routes of their own.
ERRORS = [("buyer", "/no-such-page", 404), ("anonymous", "/v/" + UNKNOWN_TOKEN, 404)]


# --- what counts as English ---------------------------------------------------------------------

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\n")
EDGES = " \t:;,.!?()[]{}–—-·/|*…\"'“”„«»‹›"


def _catalogue_texts(path: Path) -> tuple[list[str], list[str]]:
    """(msgids, msgstrs) of a catalogue, plural forms included."""
    with path.open("rb") as f:
        catalogue = read_po(f)
    ids, strings = [], []
    for m in catalogue:
        if not m.id:
            continue
        ids += list(m.id) if isinstance(m.id, tuple) else [m.id]
        strings += [s for s in (m.string if isinstance(m.string, tuple) else [m.string]) if s]
    return ids, strings


def _questionnaire_texts(questionnaire: Questionnaire) -> list[dict]:
    texts = [questionnaire.title, questionnaire.description, *questionnaire.anchors.values()]
    for section in questionnaire.sections:
        texts += [section.title, section.help]
        for q in section.questions:
            for sub in (q, *q.fields):
                texts += [sub.prompt, sub.help, sub.unit, *(o.label for o in sub.options)]
    return [t for t in texts if isinstance(t, dict) and t.get("en")]


@dataclass
class English:
    """The English fragments a page in `lang` must not show."""

    lang: str
    words: set[str]  # one-word fragments: found when a whole segment is one of them
    phrases: re.Pattern  # longer fragments: found anywhere in a segment, at word boundaries

    def find(self, segment: str) -> str | None:
        """The English fragment in a segment of text, or None."""
        text = " ".join(segment.split()).strip(EDGES)
        if text.casefold() in self.words:
            return text
        found = self.phrases.search(text)
        return found.group(0) if found else None


def english_for(lang: str, catalogue_root: Path = ROOT / "translations") -> English:
    """The English of the catalogue template and the default questionnaire that `lang` must not show."""
    msgids, _ = _catalogue_texts(catalogue_root / "messages.pot")
    _, translated = _catalogue_texts(catalogue_root / lang / "LC_MESSAGES" / "messages.po")
    texts = _questionnaire_texts(load_by_id("ai-deployment-partner"))
    english = msgids + [t["en"] for t in texts]
    said_there = "\n".join(translated + [t.get(lang, "") for t in texts])
    fragments = set()
    for text in english:
        for piece in PLACEHOLDER.split(text.replace("%%", "%")):
            piece = " ".join(piece.split()).strip(EDGES)
            if len(piece) < 3 or not re.search(r"[A-Za-z]{2}", piece) or piece in ALLOWED:
                continue
            if re.search(r"(?<!\w)" + re.escape(piece) + r"(?!\w)", said_there, re.IGNORECASE):
                continue  # the translation uses it too: a name, a code or a borrowed term
            fragments.add(piece)
    # Case does not matter: the PDF's headings are upper case by CSS (text-transform).
    words = {f.casefold() for f in fragments if " " not in f}
    phrases = sorted((f for f in fragments if " " in f), key=len, reverse=True)
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(p) for p in phrases) + r")(?!\w)", re.IGNORECASE)
    return English(lang, words, pattern)


class _Text(HTMLParser):
    """The text a reader sees or hears: text nodes outside script and style, plus labels in attributes."""

    SPOKEN = ("aria-label", "title", "placeholder", "alt")

    def __init__(self):
        super().__init__()
        self.segments: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._hidden += 1
        for name, value in attrs:
            if name in self.SPOKEN and value:
                self.segments.append(value)
            if name == "value" and tag == "input" and dict(attrs).get("type") in ("submit", "button"):
                self.segments.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.segments.append(data)


def page_segments(html: str) -> list[str]:
    """The visible text of a page, one segment per text node."""
    parser = _Text()
    parser.feed(html)
    return parser.segments


def _without_typed(text: str, typed: list[str]) -> str:
    """The text with what vendors typed cut out, also where a page shows only its start (cut with …)."""
    for words in typed:
        at = text.find(words[:30])
        while at >= 0:
            text = text[:at] + " · " + text[at + len(words) :]
            at = text.find(words[:30])
    return text


def english_left(segments: list[str], english: English, typed: str) -> list[tuple[str, str]]:
    """(segment, English fragment) for each segment with English in it that no vendor typed."""
    found = []
    long_texts = sorted((t for t in typed.split("\n") if len(t) >= 12), key=len, reverse=True)
    for segment in segments:
        text = " ".join(segment.split())
        if text and text in typed:
            continue  # a vendor's own words (the demo answers are English), a name, a title
        fragment = english.find(_without_typed(text, long_texts))
        if fragment:
            found.append((text[:120], fragment))
    return found


# --- the demo world --------------------------------------------------------------------------------


@dataclass
class World:
    """The demo evaluation with its vendors, scores, a verification, a clarification and a revoked link."""

    app: object
    ids: dict
    typed: str  # everything vendors and the buyer typed, normalised, one text per line
    questionnaire: Questionnaire


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    """The demo of `flask --app app demo` (same responses), plus what a buyer does on the review pages."""
    from app import create_app

    app = create_app(app_config(tmp_path_factory.mktemp("coverage")))
    db = store.open_db(app.config["DATABASE"])
    questionnaire = load_by_id("ai-deployment-partner")
    user_id = store.create_user(db, "buyer@example.com", hash_password(PASSWORD), is_admin=True)
    team_id = store.create_team(db, "Claims automation", "test")
    store.set_membership(db, team_id, user_id, "owner", "test")
    evaluation_id = evaluations.start_evaluation(
        db,
        questionnaire,
        "AI deployment partner for claims automation",
        deadline="2099-12-31",
        buyer_profile=DEMO_PROFILE,  # the demo's: data regions, AI Act class, currency, monthly tasks
        user_id=user_id,
        team_id=team_id,
    )
    typed = ["AI deployment partner for claims automation", "Claims automation", "buyer@example.com"]
    tokens, vendor_ids = {}, {}
    for name, submit, sections in DEMO_VENDORS:
        response = read_response(questionnaire, (DEMO_FOLDER / "responses" / f"{name}.json").read_bytes())
        if sections:
            keep = {q.id for s in questionnaire.sections if s.id in sections for q in s.questions}
            response = type(response)(
                response.questionnaire, response.vendor, {k: v for k, v in response.answers.items() if k in keep}
            )
        vendor_id, token = evaluations.invite(db, evaluation_id, response.vendor, None, f"user:{user_id}")
        evaluations.import_response(db, vendor_id, response, f"vendor:{vendor_id}", submit=submit)
        tokens[name], vendor_ids[name] = token, vendor_id
        typed += [response.vendor, *_strings(response.answers)]
    # A vendor who was invited and whose link was withdrawn: the closed page.
    revoked_id, revoked = evaluations.invite(db, evaluation_id, "Withdrawn Ltd", None, f"user:{user_id}")
    store.revoke_invitations(db, revoked_id, f"user:{user_id}")
    typed.append("Withdrawn Ltd")
    # Answers changed through the link: the audit log shows them in words.
    in_progress = store.get_vendor(db, vendor_ids["stage-inflation"])
    store.save_answers(db, in_progress["response_id"], {"A1": "lab_jv", "A4": False}, {}, f"vendor:{in_progress['id']}")
    client = app.test_client()
    client.post("/login", data={"email": "buyer@example.com", "password": PASSWORD})
    base = f"/evaluations/{evaluation_id}/vendors/{vendor_ids['stage4-deployer']}"
    comment, question = "Clear runbook, named owners.", "Who was on the ground for d1?"
    for url, data in (
        (f"{base}/scores", {"question_id": "C4", "score": "3", "comment": comment}),
        (f"{base}/verifications", {"deployment_id": "d1", "reference_checked": "y", "note": "Called the COO."}),
        (f"{base}/clarifications", {"question_id": "C4", "body": question}),
        (
            f"/evaluations/{evaluation_id}/vendors/{vendor_ids['stage-inflation']}/clarifications",
            {"question_id": "A2", "body": question},
        ),
    ):
        assert client.post(url, data=data).status_code == 302, url
    typed += [comment, question, "Called the COO."]
    extra = _more_of_the_world(db, questionnaire, user_id, team_id, evaluation_id, vendor_ids)
    typed += extra.pop("typed")
    ids = {
        "evaluation": evaluation_id,
        "vendor": vendor_ids["stage-inflation"],
        "submitted_vendor": vendor_ids["stage4-deployer"],
        "team": team_id,
        "user": user_id,
        "unknown": UNKNOWN_TOKEN,
        "revoked_response": store.get_vendor(db, revoked_id)["response_id"],
        "tokens": {
            "vendor": tokens["stage-inflation"],
            "submitted": tokens["stage4-deployer"],
            "revoked": revoked,
            "ready": extra.pop("ready_token"),
        },
        **extra,
    }
    db.close()
    return World(app, ids, "\n".join(" ".join(str(t).split()) for t in typed), questionnaire)


def _more_of_the_world(db, questionnaire, user_id, team_id, evaluation_id, vendor_ids) -> dict:
    """The states of this week's pages: shared scoring, deadlines and reminders, notifications, a
    decided evaluation, one without answers (and overdue), and a complete response not yet submitted."""
    actor = f"user:{user_id}"
    typed = []
    # A second evaluator, and scoring shared out by section and by vendor: the grid and the queue.
    evaluator_id = store.create_user(db, "evaluator@example.com", hash_password(PASSWORD), is_admin=False)
    store.set_membership(db, team_id, evaluator_id, "evaluator", "test")
    manual = next(s.id for s in questionnaire.sections if any(q.scoring.kind == "manual" for q in s.questions))
    wanted = [(user_id, "section", manual), (evaluator_id, "vendor", str(vendor_ids["pilots-only"]))]
    store.set_assignments(db, evaluation_id, wanted, actor)
    typed.append("evaluator@example.com")
    # Reminders, and a vendor with a deadline of their own (later than the evaluation's).
    store.set_reminder_schedule(db, evaluation_id, [7, 1], True, actor)
    store.set_vendor_deadline(db, vendor_ids["stage-inflation"], "2100-01-31", actor)

    def response_of(name, vendor=None):
        response = read_response(questionnaire, (DEMO_FOLDER / "responses" / f"{name}.json").read_bytes())
        return type(response)(response.questionnaire, vendor or response.vendor, response.answers)

    # Every answer given but not submitted, with answers that do not fit together: the vendor's
    # review page with its problems, the read-only answers and the submit confirmation.
    inflated, complete = response_of("stage-inflation", "Ready Ltd"), response_of("stage4-deployer").answers
    ready = type(inflated)(inflated.questionnaire, inflated.vendor, {**complete, **inflated.answers})
    ready_id, ready_token = evaluations.invite(db, evaluation_id, ready.vendor, None, actor)
    evaluations.import_response(db, ready_id, ready, f"vendor:{ready_id}", submit=False)
    typed += [ready.vendor, *_strings(ready.answers)]
    # An evaluation the committee decided: its decision page, evaluation page, comparison and PDF.
    title = "Decided: document intake partner"
    decided_id = evaluations.start_evaluation(
        db, questionnaire, title, deadline="2099-12-31", user_id=user_id, team_id=team_id
    )
    outcomes = {}
    for name, outcome in (("stage4-deployer", "award"), ("pilots-only", "reject")):
        response = response_of(name)
        vendor_id, _token = evaluations.invite(db, decided_id, response.vendor, None, actor)
        evaluations.import_response(db, vendor_id, response, f"vendor:{vendor_id}", submit=True)
        outcomes[vendor_id] = (outcome, f"Committee vote 4 to 1; {response.vendor} references checked.")
    approvers = "Head of claims, CFO"
    # Decided, reopened with a reason, decided again: the page shows the decision and its history.
    reason = "The CFO asked for a second reference call."
    store.record_decision(db, decided_id, outcomes, approvers, user_id)
    store.reopen_evaluation(db, decided_id, reason, user_id)
    store.record_decision(db, decided_id, outcomes, approvers, user_id)
    typed += [title, approvers, reason, *(r for _o, r in outcomes.values())]
    # An evaluation past its deadline whose only vendor has not answered: nothing to compare yet,
    # an overdue vendor on the dashboard's "needs attention" list, and an overdue notification.
    empty_title = "Overdue: translation partner"
    empty_id = evaluations.start_evaluation(
        db, questionnaire, empty_title, deadline="2020-01-31", user_id=user_id, team_id=team_id
    )
    evaluations.invite(db, empty_id, "Silent Ltd", None, actor)
    typed += [empty_title, "Silent Ltd"]
    # Notifications: a submission, a reply, the overdue vendor; one of them read.
    notifications.notify(db, "submitted", evaluation_id, vendor_ids["stage4-deployer"], actor)
    notifications.notify(db, "replied", evaluation_id, vendor_ids["stage-inflation"], actor)
    notifications.notify_overdue(db, datetime(2026, 11, 30, tzinfo=UTC))
    read = store.user_notifications(db, user_id)[-1]
    store.read_notification(db, user_id, read["id"])
    return {
        "typed": typed,
        "ready_token": ready_token,
        "ready_vendor": ready_id,
        "decided": decided_id,
        "empty": empty_id,
        "evaluator": evaluator_id,
    }


def _strings(value) -> list[str]:
    """Every text in an answer: strings, and the ids and texts inside rows."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _pages(world: World) -> list[tuple[str, str, int]]:
    """(who, URL, expected status) of every page in PAGES and ERRORS."""
    adapter = world.app.url_map.bind("localhost")
    pages = []
    for endpoint, visits in PAGES.items():
        if isinstance(visits, Skip):
            continue
        for who, arguments, status in visits:
            values = {}
            for name, key in arguments.items():
                values[name] = world.ids["tokens"][key] if name == "token" else world.ids.get(key, key)
            sections = [s.id for s in world.questionnaire.sections] if values.get("section_id") == "*" else [None]
            for section in sections:
                if section:
                    values["section_id"] = section
                pages.append((who, adapter.build(endpoint, values), status))
    return pages + ERRORS


def _client(world: World, who: str, lang: str):
    """A test client of `who`, reading in `lang`."""
    client = world.app.test_client()
    if who in ("buyer", "evaluator"):
        client.post("/login", data={"email": f"{who}@example.com", "password": PASSWORD})
    client.post("/language", data={"language": lang, "next": "/"})
    if who in ("vendor", "submitted", "ready"):
        client.post(f"/v/{world.ids['tokens'][who]}/language", data={"language": lang})
    if who == "revoked":  # a closed link takes no choice: its page speaks the language chosen before
        db = store.open_db(world.app.config["DATABASE"])
        store.set_response_language(db, world.ids["revoked_response"], lang)
        db.close()
    return client


# --- the tests ---------------------------------------------------------------------------------------


def test_every_get_route_has_a_page_in_the_coverage_table(app):
    get_routes = {r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods and r.endpoint != "static"}
    missing = sorted(get_routes - set(PAGES))
    stale = sorted(set(PAGES) - get_routes)
    assert not missing, f"GET routes with no row in PAGES (say which page of the demo world they show): {missing}"
    assert not stale, f"rows of PAGES for routes that no longer exist: {stale}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_english_left_on_any_page(world, lang):
    english = english_for(lang)
    clients = {}
    found, statuses, count = [], [], 0
    for who, url, status in _pages(world):
        client = clients.get(who) or clients.setdefault(who, _client(world, who, lang))
        response = client.get(url)
        if response.status_code != status:
            statuses.append(f"{url}: {response.status_code}, expected {status}")
            continue
        html = response.get_data(as_text=True)
        assert f'lang="{lang}"' in html, f"{url} is not in {lang}"
        found += [
            f"{url}: {segment!r} has {fragment!r}"
            for segment, fragment in english_left(page_segments(html), english, world.typed)
        ]
        count += 1
    assert not statuses, statuses
    assert count >= 30, "every page type was visited"
    assert not found, f"English left on {lang} pages ({len(found)}):\n" + "\n".join(found)


def _pdf_text(pdf: bytes, tmp_path: Path) -> list[str]:
    """The text of a PDF (pdftotext), one segment per paragraph: lines of a block joined."""
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True)
    return [" ".join(block.split()) for block in re.split(r"\n\s*\n", text.stdout) if block.strip()]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_english_left_in_the_pdfs(world, lang, tmp_path):
    english = english_for(lang)
    db = store.open_db(world.app.config["DATABASE"])
    try:
        pdfs = []
        # The demo comparison, and a decided one: its summary says each vendor's decision.
        for key in ("evaluation", "decided"):
            evaluation = store.get_evaluation(db, world.ids[key])
            with world.app.app_context():
                comparison = report.make_comparison(db, evaluation, world.questionnaire, AS_OF, lang=lang)
            pdfs.append((f"comparison of {key}", comparison.pdf))
        evaluation = store.get_evaluation(db, world.ids["evaluation"])
        vendor = store.get_vendor(db, world.ids["submitted_vendor"])
        answers = store.load_answers(db, vendor["response_id"])
        receipt = report.render_pdf(report.receipt_html(vendor, evaluation, answers, world.questionnaire, lang)).pdf
        pdfs.append(("receipt", receipt))
    finally:
        db.close()
    found = []
    for name, pdf in pdfs:
        # Wrapped lines of a vendor's answer are pieces of what they typed; PDF lines are checked whole.
        typed = world.typed
        text = _pdf_text(pdf, tmp_path)
        found += [f"{name}: {s!r} has {f!r}" for s, f in english_left(text, english, typed)]
        if name == "comparison of decided":  # the summary's decision lines are there to be checked
            assert sum("Head of claims, CFO" in s for s in text) == 2, text
    assert not found, f"English left in the {lang} PDFs ({len(found)}):\n" + "\n".join(found)


def test_the_check_finds_a_string_left_untranslated(world, monkeypatch):
    """A test of the test: one interface string missing from the German catalogue is caught."""
    import views.i18n

    english = english_for("de")
    real = views.i18n._request_translations

    class Forgetful:
        """The German catalogue with one entry missing, as if a translator had skipped it."""

        def __init__(self, translations):
            self.translations = translations

        def ugettext(self, text):
            return text if text == "Compare vendors" else self.translations.ugettext(text)

        def __getattr__(self, name):
            return getattr(self.translations, name)

    monkeypatch.setattr(views.i18n, "_request_translations", lambda: Forgetful(real()))
    client = _client(world, "buyer", "de")
    html = client.get(f"/evaluations/{world.ids['evaluation']}").get_data(as_text=True)
    found = english_left(page_segments(html), english, world.typed)
    assert ("Compare vendors", "Compare vendors") in found


def test_the_check_finds_a_core_message_left_in_english(world):
    """A red flag said in English under a German page is caught, and its German words are not."""
    from babel.support import NullTranslations

    from stagefour.messages import N_

    english = english_for("de")
    flag = N_("Stage 4 claimed but not in production: %(deployments)s", deployments="d2")
    german = flag.render(report.translations("de"), "de")
    assert english_left([flag.render(NullTranslations(), "de")], english, "") == [
        (str(flag), "Stage 4 claimed but not in production")
    ]
    assert english_left([german], english, "") == []


def test_vendor_typed_text_and_allowed_codes_are_not_english_to_fix(world):
    english = english_for("es")
    assert english_left(["Northwind Applied AI", "ISO/IEC 27001", "KPI", "d1, d2"], english, world.typed) == []
    assert english.find("Evaluations") == "Evaluations"
    assert english.find("RED FLAGS") == "RED FLAGS"
    assert json.dumps(sorted(ALLOWED))  # the allow-list stays short and plain: reviewed by hand


def test_the_check_reads_english_in_a_pdf(world, tmp_path):
    """A test of the test for PDFs: the English receipt, read as if it were German, is full of English."""
    db = store.open_db(world.app.config["DATABASE"])
    try:
        evaluation = store.get_evaluation(db, world.ids["evaluation"])
        vendor = store.get_vendor(db, world.ids["submitted_vendor"])
        answers = store.load_answers(db, vendor["response_id"])
        pdf = report.render_pdf(report.receipt_html(vendor, evaluation, answers, world.questionnaire, "en")).pdf
    finally:
        db.close()
    found = english_left(_pdf_text(pdf, tmp_path), english_for("de"), world.typed)
    assert {"response receipt", "what type of firm are you"} <= {fragment.casefold() for _segment, fragment in found}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_english_left_on_the_lost_link_page_of_a_site_that_sends_mail(world, lang, monkeypatch):
    """The lost-link page says something else when the site can e-mail a new link (the world sends none)."""
    english = english_for(lang)
    monkeypatch.setitem(world.app.config, "MAIL_SERVER", "mail.example.com")
    client = _client(world, "anonymous", lang)
    found = []
    for url in ("/v/lost", "/v/lost?sent=1"):
        html = client.get(url).get_data(as_text=True)
        assert 'lang="' + lang + '"' in html and "novalidate" in html, url
        found += [f"{url}: {s!r} has {f!r}" for s, f in english_left(page_segments(html), english, world.typed)]
    assert not found, f"English left on the {lang} lost-link pages:\n" + "\n".join(found)
