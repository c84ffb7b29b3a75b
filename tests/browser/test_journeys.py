"""Whole journeys in a real browser: a buyer from login to the comparison PDF, a vendor from link to receipt.

Everything a person would do is done through the pages; the store is only read to check the result,
except in the keyboard test, where the answers that are not typed come from the store (see there).
"""

from __future__ import annotations

import copy
import datetime
import re
import time

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from stagefour import evaluations
from stagefour import store
from stagefour.library import load_by_id

from ..conftest import load_response_json
from .conftest import demo_links
from .conftest import shot

TINY_PDF = b"%PDF-1.4\n%%EOF\n"
# file answers of the example are names only (no bytes): the journey uploads real files to B5 and G8
FILE_FIELDS = {"B1": "evidence", "D1": "postmortem", "H6": "evidence"}
FILE_QUESTIONS = {"B5", "E8", "G8", "H1_evidence"}
UPLOADS = {"B": ("B5", "architecture.pdf"), "G": ("G8", "gate-report.pdf")}
# questionnaire 1.1: the exemplary vendor answers every item, section K and the H6 processors included
EXAMPLE = "stage4-exemplary"


def _db(app):
    return store.open_db(app.config["DATABASE"])


def _questionnaire():
    return load_by_id("ai-deployment-partner")


def _example() -> dict:
    """The exemplary vendor's answers as typed in the journey: without the file answers, which hold no bytes."""
    answers = copy.deepcopy(load_response_json(EXAMPLE)["answers"])
    for qid in FILE_QUESTIONS:
        answers.pop(qid, None)
    for qid, field in FILE_FIELDS.items():
        for row in answers[qid]:
            row.pop(field, None)
    return answers


def _log_in(page: Page, base: str, output: str) -> None:
    creds = demo_links(output)
    page.goto(f"{base}/login")
    shot(page, "journey-login")
    page.fill("#email", creds["email"])
    page.fill("#password", creds["password"])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Evaluations")


# --- the buyer ---------------------------------------------------------------------------------


def test_buyer_creates_an_evaluation_invites_three_vendors_compares_and_downloads_the_pdf(live, page):
    base, output, app = live
    _log_in(page, base, output)
    shot(page, "journey-dashboard")

    page.get_by_role("link", name="New evaluation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New evaluation")
    title = "Claims automation partner 2027"
    deadline = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    page.fill("#title", title)
    page.fill("#deadline", deadline)
    page.select_option("#industry", "insurance")
    page.select_option("#size_band", "1k_10k")
    shot(page, "journey-new-evaluation")
    page.get_by_role("button", name="Create evaluation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator(".flash.success")).to_contain_text("The evaluation was created")
    evaluation_id = int(re.search(r"/evaluations/(\d+)$", page.url).group(1))

    vendors = ["Northwind Applied AI", "Harbour Deployments", "Kestrel Labs"]
    links = {}
    for name in vendors:
        page.fill("#name", name)
        page.get_by_role("button", name="Add vendor and issue link").click()
        expect(page.locator(".flash.success")).to_contain_text(f"{name} was added")
        box = page.get_by_label(f"Link for {name}")
        expect(box).to_have_attribute("readonly", "")
        links[name] = box.input_value()
        assert re.fullmatch(rf"{re.escape(base)}/v/[\w-]{{20,}}", links[name]), links[name]
        if name == vendors[0]:
            shot(page, "journey-evaluation-new-link")
    assert len(set(links.values())) == 3
    # the profile and the deadline are on the evaluation page
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("Insurance")
    # a link opens the vendor's questionnaire (in another context: no buyer session)
    vendor_page = page.context.browser.new_context().new_page()
    vendor_page.goto(links["Kestrel Labs"])
    expect(vendor_page.get_by_role("heading", level=1)).to_be_visible()
    expect(vendor_page.locator("body")).to_contain_text("Kestrel Labs")
    vendor_page.context.close()

    page.get_by_role("link", name="Evaluations").first.click()
    card = page.locator("section.evaluation-card", has=page.get_by_role("heading", name=title))
    expect(card).to_contain_text("0 of 3 vendors submitted")
    for name in vendors:
        row = card.locator("tr", has=page.get_by_role("rowheader", name=name))
        expect(row).to_contain_text("Not started")
    expect(card.locator("tbody tr")).to_have_count(3)
    shot(page, "journey-dashboard-three-invited")

    # before any answer: no ranking, no winner, no PDF (issue 12, item 8)
    page.goto(f"{base}/evaluations/{evaluation_id}/compare")
    expect(page.locator("#no-answers")).to_contain_text("No vendor has answered yet")
    assert page.goto(f"{base}/evaluations/{evaluation_id}/report.pdf").status == 409
    vendor_page = page.context.browser.new_context().new_page()
    vendor_page.goto(links["Kestrel Labs"] + "/s/A")
    vendor_page.fill("#A2", "3")
    vendor_page.get_by_role("button", name="Save draft").click()
    expect(vendor_page.locator(".flash.success")).to_contain_text("Saved at")
    vendor_page.context.close()

    page.get_by_role("link", name="Evaluations").first.click()
    card = page.locator("section.evaluation-card", has=page.get_by_role("heading", name=title))
    card.get_by_role("link", name=title).click()
    page.get_by_role("link", name="Compare vendors").click()
    expect(page).to_have_url(re.compile(rf"/evaluations/{evaluation_id}/compare"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    for name in vendors:
        expect(page.locator("main")).to_contain_text(name)
    shot(page, "journey-comparison")

    # No page links to the PDF (reported): open its address as a person would from a bookmark. The first
    # request starts the PDF and shows a page that reloads itself until a reload is the PDF itself.
    # Language and paper named, as the form beside each download sends them: a request of the test's
    # own (page.request) does not carry the browser's Accept-Language, whose locale picks the paper.
    pdf_url = f"{base}/evaluations/{evaluation_id}/report.pdf?lang=en&size=a4"
    first = page.goto(pdf_url)
    assert first is not None and first.status == 202
    expect(page.get_by_role("heading", level=1)).to_have_text("Making the PDF…")
    expect(page.locator("meta[http-equiv=refresh]")).to_have_attribute("content", re.compile(r"^2; url=.*wait="))
    shot(page, "journey-making-pdf")
    ready = page.wait_for_event(
        "response",
        lambda r: r.url.startswith(pdf_url) and r.status == 200 and r.request.is_navigation_request(),
        timeout=120_000,
    )
    assert ready.headers["content-type"] == "application/pdf"
    status = page.request.get(f"{base}/evaluations/{evaluation_id}/report/status?lang=en&size=a4").json()
    assert status["state"] == "ready", status
    pdf = page.request.get(pdf_url)  # the cached PDF, with the buyer's session
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    db = _db(app)
    try:
        assert sorted(v["name"] for v in store.list_vendors(db, evaluation_id)) == sorted(vendors)
    finally:
        db.close()


# --- the vendor --------------------------------------------------------------------------------


def _invite(app, name: str) -> tuple[str, int]:
    """A fresh link in the demo evaluation: (token, response id)."""
    db = _db(app)
    try:
        evaluation_id = store.list_evaluations(db)[0]["id"]
        vendor_id, token = evaluations.invite(db, evaluation_id, name, None, "test")
        return token, store.get_vendor(db, vendor_id)["response_id"]
    finally:
        db.close()


def _stored(app, response_id: int) -> dict:
    db = _db(app)
    try:
        return store.load_answers(db, response_id)
    finally:
        db.close()


def _status(app, response_id: int) -> str:
    db = _db(app)
    try:
        return store.get_response(db, response_id)["status"]
    finally:
        db.close()


def _fill(page: Page, q, name: str, value) -> None:
    """Answer one (non-group) question or group cell `q`, whose form field is called `name`, as a person would."""
    t = q.type
    if t == "text" and q.choices_from:
        page.locator(f"select[name='{name}']").select_option(value)
    elif t in ("text", "long_text", "date"):
        page.locator(f"[name='{name}']").fill(str(value))
    elif t == "id_list" and q.choices_from:
        for v in value:
            page.locator(f"[name='{name}'][value='{v}']").check()
    elif t == "id_list":
        page.locator(f"[name='{name}']").fill(", ".join(value))
    elif t == "number":
        page.locator(f"[name='{name}']").fill(str(value))
    elif t == "yes_no":
        page.locator(f"[name='{name}'][value={'yes' if value else 'no'}]").check()
    elif t == "single" and len(q.options) > 6:
        page.locator(f"select[name='{name}']").select_option(value)
    elif t == "single":
        page.locator(f"[name='{name}'][value='{value}']").check()
    elif t == "multi":
        for v in value:
            page.locator(f"[name='{name}'][value='{v}']").check()
    else:
        raise AssertionError(f"{name}: no way to fill a {t}")


def _fill_section(page: Page, section, answers: dict) -> None:
    for q in section.questions:
        if q.id not in answers:
            continue
        if q.type == "group":
            for i, row in enumerate(answers[q.id]):
                page.locator(f"button[value='add:{q.id}']").click()  # saves the rows so far and adds one
                expect(page.locator(f"[name='{q.id}-{i}-id']")).to_be_visible()
                for f in q.fields:
                    if f.id in row and not _picks_later(section, f):
                        _fill(page, f, f"{q.id}-{i}-{f.id}", row[f.id])
        else:
            _fill(page, q, q.id, answers[q.id])


def _picks_later(section, f) -> bool:
    """Whether a row field picks from a group of a later section: the vendor comes back for it (issue 12)."""
    if not f.choices_from:
        return False
    order = [s.id for s in _questionnaire().sections]
    source = _questionnaire().section_of(f.choices_from.split(".")[0]).id
    return order.index(source) > order.index(section.id)


def _fill_later_picks(page: Page, link: str, questionnaire, answers: dict) -> None:
    """Back in each section with such a field, pick from the rows now saved, and save."""
    for section in questionnaire.sections:
        cells = [
            (f, f"{q.id}-{i}-{f.id}", row[f.id])
            for q in section.questions
            if q.type == "group"
            for i, row in enumerate(answers.get(q.id) or [])
            for f in q.fields
            if f.id in row and _picks_later(section, f)
        ]
        if cells:
            page.goto(f"{link}/s/{section.id}")
            for f, name, value in cells:
                _fill(page, f, name, value)
            page.locator("button[value=save]").last.click()
            expect(page.locator(".flash.success")).to_be_visible()


def _check_section(page: Page, section, answers: dict) -> None:
    """Every answer of `section` is shown in its form (after leaving and coming back)."""
    for q in section.questions:
        if q.id not in answers:
            continue
        cells = (
            [
                (f, f"{q.id}-{i}-{f.id}", row[f.id])
                for i, row in enumerate(answers[q.id])
                for f in q.fields
                if f.id in row
            ]
            if q.type == "group"
            else [(q, q.id, answers[q.id])]
        )
        for f, name, value in cells:
            if f.type == "yes_no":
                expect(page.locator(f"[name='{name}'][value={'yes' if value else 'no'}]")).to_be_checked()
            elif f.type == "multi":
                for v in value:
                    expect(page.locator(f"[name='{name}'][value='{v}']")).to_be_checked()
            elif f.type == "single" and len(f.options) <= 6:
                expect(page.locator(f"[name='{name}'][value='{value}']")).to_be_checked()
            elif f.type == "id_list" and f.choices_from:
                for v in value:
                    expect(page.locator(f"[name='{name}'][value='{v}']")).to_be_checked()
            elif f.type == "id_list":
                expect(page.locator(f"[name='{name}']")).to_have_value(", ".join(value))
            elif f.type == "number":
                expect(page.locator(f"[name='{name}']")).to_have_value(re.compile(rf"^{re.escape(str(value))}(\.0)?$"))
            else:
                expect(page.locator(f"[name='{name}']")).to_have_value(str(value))


# what the vendor reads, by language
WORDS = {
    "en": {"A": "Engagement", "next": "Save and continue", "review": "Review and submit", "receipt": "Thank you"},
    "de": {
        "A": "Einsatzmodell",
        "next": "Speichern und weiter",
        "review": "Prüfen und einreichen",
        "receipt": "Vielen Dank",
    },
}


@pytest.mark.parametrize("language", ["en", "de"])
def test_vendor_fills_every_section_leaves_comes_back_submits_and_downloads_the_receipt(live, page, language):
    base, _, app = live
    questionnaire = _questionnaire()
    answers = _example()
    token, response_id = _invite(app, f"Journey {language.upper()}")
    link = f"{base}/v/{token}"

    page.goto(link)
    if language != "en":
        page.select_option("#language-switch", language)
        page.locator("form.language button[type=submit]").click()
        expect(page.locator("html")).to_have_attribute("lang", language)
    shot(page, f"journey-vendor-overview-{language}")
    page.goto(f"{link}/s/A")
    expect(page.get_by_role("heading", level=1)).to_contain_text(WORDS[language]["A"])

    for section in questionnaire.sections:
        expect(page).to_have_url(re.compile(rf"/s/{section.id}$"))
        _fill_section(page, section, answers)
        if section.id in UPLOADS:
            qid, filename = UPLOADS[section.id]
            page.locator(f"input[type=file][name={qid}]").set_input_files(
                {"name": filename, "mimeType": "application/pdf", "buffer": TINY_PDF}
            )
            shot(page, f"journey-vendor-section-{section.id.lower()}-{language}")
        if section.id in ("H", "K"):
            shot(page, f"journey-vendor-section-{section.id.lower()}-{language}")
        page.get_by_role("button", name=WORDS[language]["next"]).click()
    expect(page).to_have_url(re.compile(r"/review$"))
    _fill_later_picks(page, link, questionnaire, answers)

    # leave: another page of another context (a new browser session), then come back with the link
    page.goto("about:blank")
    again = page.context.browser.new_context().new_page()
    again.goto(link)
    expect(again.locator("html")).to_have_attribute("lang", language)  # the chosen language is the response's
    for section in questionnaire.sections:
        again.goto(f"{link}/s/{section.id}")
        _check_section(again, section, answers)
    stored = _stored(app, response_id)
    for section_id, (qid, filename) in UPLOADS.items():
        again.goto(f"{link}/s/{section_id}")
        expect(again.locator("ul.files")).to_contain_text(filename)
        expect(again.locator(f"input[name={qid}-keep]")).to_be_checked()
        files = stored.pop(qid)
        assert [f["name"] for f in files] == [filename]
        download = again.request.get(f"{link}/files/{files[0]['id']}")
        assert download.ok and download.body() == TINY_PDF
    assert stored == answers

    again.goto(f"{link}/review")
    expect(again.get_by_role("heading", level=1)).to_have_text(WORDS[language]["review"])
    expect(again.locator("ul.missing")).to_have_count(0)
    submit = again.locator("form[action$='/submit'] button[type=submit]")
    expect(submit).to_be_visible()
    shot(again, f"journey-vendor-review-{language}")
    again.locator("input[name=confirm]").check()
    submit.click()
    expect(again).to_have_url(re.compile(r"/receipt$"))
    expect(again.get_by_role("heading", level=1)).to_contain_text(WORDS[language]["receipt"])
    expect(again.locator("dl.facts")).to_contain_text(f"Journey {language.upper()}")
    shot(again, f"journey-vendor-receipt-{language}")
    assert _status(app, response_id) == "submitted"
    # The receipt is made by the job queue: the first answers are the progress page (202), as the
    # buyer's PDF above; ask again, as that page does, until it is the PDF.
    for _ in range(120):
        receipt = again.request.get(f"{link}/receipt.pdf")
        if receipt.status != 202:
            break
        time.sleep(0.5)
    assert receipt.ok and receipt.headers["content-type"] == "application/pdf"
    assert receipt.body().startswith(b"%PDF")
    again.context.close()


# --- the keyboard ------------------------------------------------------------------------------


def _tab_to(page: Page, selector: str, limit: int = 150, back: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the focused element matches `selector`: reads the focus, never clicks."""
    key = "Shift+Tab" if back else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{limit} presses of {key} never reached {selector}")


def test_keyboard_only_adds_a_deployment_row_in_section_b_and_submits(live, page):
    base, _, app = live
    token, response_id = _invite(app, "Keyboard Deployments")
    link = f"{base}/v/{token}"
    page.goto(f"{link}/s/B")
    _tab_to(page, "button[value='add:B1']")
    expect(page.locator(":focus")).to_have_text("Add a row")
    page.keyboard.press("Enter")
    expect(page.locator("[name='B1-0-id']")).to_be_visible()
    _tab_to(page, "[name='B1-0-id']")
    page.keyboard.type("k1")
    _tab_to(page, "[name='B1-0-stage']")
    page.keyboard.type("3")
    page.keyboard.press("ArrowUp")  # a number steps with the arrows: 4
    _tab_to(page, "[name='B1-0-in_production']")
    page.keyboard.press("Space")  # the first option: yes
    _tab_to(page, "[name='B1-0-id']", back=True)  # and back, to check what was typed
    expect(page.locator(":focus")).to_have_value("k1")
    _tab_to(page, "button[value=save]")
    expect(page.locator(":focus")).to_have_text("Save draft")
    page.keyboard.press("Enter")
    expect(page.locator(".flash.success")).to_contain_text("Saved at")
    shot(page, "journey-keyboard-section-b")
    assert _stored(app, response_id) == {"B1": [{"id": "k1", "stage": 4, "in_production": True}]}

    # the rest is not typed: a colleague's answers through the store (every section but B1)
    rest = {k: v for k, v in load_response_json(EXAMPLE)["answers"].items() if k != "B1"}
    db = _db(app)
    try:
        store.save_answers(db, response_id, rest, store.answer_versions(db, response_id), "test")
    finally:
        db.close()

    page.goto(f"{link}/review")
    expect(page.locator("ul.missing")).to_have_count(0)
    _tab_to(page, "input[type=checkbox][name=confirm]")
    page.keyboard.press("Space")
    _tab_to(page, "form[action$='/submit'] button[type=submit]")
    expect(page.locator(":focus")).to_have_text("Submit the response")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("submitted")
    assert _status(app, response_id) == "submitted"
    stored = _stored(app, response_id)
    assert stored["B1"] == [{"id": "k1", "stage": 4, "in_production": True}]
    assert {k: v for k, v in stored.items() if k != "B1"} == rest
