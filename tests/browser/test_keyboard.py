"""A vendor answers the whole questionnaire with the keyboard only, from the link to the receipt.

Only keys move the focus and change values: Tab and Shift+Tab, typing, Space, Enter and the arrow
keys. The page is read (where the focus is, what a field shows), never clicked or filled by
Playwright or by script; the one help is answering the file chooser's dialog (see there). Every
element the test moves the focus to is checked to show it: it matches `:focus-visible`, draws the
app's 3 px outline (static/style.css), has a size on screen and is not hidden under anything
(WCAG 2.2, 2.4.11 Focus Not Obscured), such as the sticky bar of buttons at the foot of a section.
It runs in a desktop window and in a phone's.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from stagefour import store
from stagefour.library import load_by_id

from .conftest import demo_links
from .conftest import shot
from .test_accessibility import _db
from .test_accessibility import _new_vendor
from .test_accessibility import _stored

TINY_PDF = b"%PDF-1.4\n%%EOF\n"

# When the focused element matches the selector: whether it shows the focus, what covers its middle
# (nothing, or e.g. the sticky bar of buttons) and what it is.
FOCUSED = """s => {
  const e = document.activeElement;
  if (!e || !e.matches(s)) { return null; }
  const style = getComputedStyle(e);
  const box = e.getBoundingClientRect();
  const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  return {
    visible: e.matches(':focus-visible') && style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2
             && box.width > 0 && box.height > 0,
    covered: !hit ? 'off screen' : (hit === e || e.contains(hit)) ? null : hit.outerHTML.slice(0, 80),
    what: `${e.tagName.toLowerCase()}[name=${e.name}] ${style.outlineStyle} ${style.outlineWidth}`,
  };
}"""


def _tab_to(page: Page, selector: str, back: bool = False, limit: int = 60) -> None:
    """Press Tab (Shift+Tab when `back`) until the focus is on `selector`, and check the focus can be seen."""
    key = "Shift+Tab" if back else "Tab"
    page.wait_for_load_state()  # a page just navigated to may still be reading its stylesheet
    for _ in range(limit):
        page.keyboard.press(key)
        found = page.evaluate(FOCUSED, selector)
        if found:
            assert found["visible"], f"the focus on {selector} does not draw the app's outline: {found['what']}"
            assert not found["covered"], f"the focused {selector} is hidden, its middle under {found['covered']}"
            return
    raise AssertionError(f"{limit} presses of {key} never reached {selector}")


def _focused_value(page: Page) -> str:
    return page.evaluate("() => document.activeElement.value")


def _type(page: Page, selector: str, text: str) -> None:
    """Tab to a text, number or date field, or a text area, and type (Enter in a text area is a new line)."""
    _tab_to(page, selector)
    lines = text.split("\n")
    for i, line in enumerate(lines):
        page.keyboard.type(line)
        if i < len(lines) - 1:
            page.keyboard.press("Enter")


def _choose(page: Page, name: str, value: str) -> None:
    """Tab into a group of radio buttons, then move with the arrow keys to `value` (Space ticks the first one)."""
    _tab_to(page, f"input[type=radio][name='{name}']")
    for _ in range(12):
        if _focused_value(page) == value:
            break
        page.keyboard.press("ArrowDown")  # moves to the next option and chooses it
    else:
        raise AssertionError(f"the arrow keys never reached {name}={value}")
    if not page.evaluate("() => document.activeElement.checked"):
        page.keyboard.press("Space")
    expect(page.locator(f"input[name='{name}'][value='{value}']")).to_be_checked()


def _tick(page: Page, name: str, *values: str) -> None:
    """Tab to each checkbox in turn (in the order of the page) and tick it with Space."""
    for value in values:
        _tab_to(page, f"input[type=checkbox][name='{name}'][value='{value}']")
        page.keyboard.press("Space")
        expect(page.locator(f"input[name='{name}'][value='{value}']")).to_be_checked()


def _select(page: Page, selector: str, value: str) -> None:
    """Tab to a closed <select> and step through its options with the down arrow."""
    _tab_to(page, selector)
    for _ in range(20):
        if _focused_value(page) == value:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"the arrow keys never chose {value} in {selector}")


def _add_row(page: Page, group: str, index: int) -> None:
    """The group's "Add a row" button, with Enter: it saves the section and shows the page again with a new row."""
    _tab_to(page, f"button[value='add:{group}']")
    expect(page.locator(":focus")).to_have_text("Add a row")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"[?&]add={group}#{group}$"))
    expect(page.locator(f"[name='{group}-{index}-id']")).to_be_visible()


def _save_and_continue(page: Page, to: str) -> None:
    _tab_to(page, "button[value=next]")
    expect(page.locator(":focus")).to_have_text("Save and continue")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/{to}$"))
    expect(page.locator(".flash.success")).to_contain_text("Saved at")


B1_ROW = {
    "id": "kb1",
    "customer_type": "Nordic insurer, 4,000 staff",
    "industry": "insurance",
    "size_band": "1k_10k",
    "go_live": "2026-03-15",
    "stage": 4,
    "in_production": True,
    "daily_volume": 1200,
    "downstream_teams": 3,
    "systems_integrated": "Guidewire claims\nSAP FI",
    "vendor_role": "built_operates",
    "engineer_ids": ["e1"],
    "kpi": "Claims closed per day",
    "kpi_measured_by": "customer",
    "security_review_passed": True,
    "reference_available": False,
}
C1_ROW = {
    "id": "e1",
    "name": "Åsa Lindqvist",
    "role": "Forward-deployed engineer",
    "class": "fde",
    "months_embedded": 9,
    "proposed": True,
    "allocation_pct": 100,
    "employment": "employee",
}
TYPED = {
    "A1": "boutique",
    "A2": 3,
    "A3": 7,
    "A4": True,
    "A5": 41,
    "B1": [B1_ROW],
    "B3": 12,
    "C1": [C1_ROW],
    "C3": True,
    "C5": "We sat with the claims handlers for two weeks.\nEvery hand-off went on one wall.",
    "D1": [],
    "D4": 1.5,
    "D5": True,
    "D5_detail": "A feature flag per agent; on-call can turn it off in one step.",
    "E1": "gateway",
    "E2": "server_allowlist",
    "E3": ["timeouts", "circuit_breaker", "human_escalation"],
    "E4": "per_user_short_lived",
    "E5": False,
    "E6": 90,
    "E7": ["identity", "tool", "trace_id", "timestamp"],
    "E7b": 365,
    "F1": True,
    "F2": "The orchestrator trusts sub-agents for reads only; writes go through it.",
    "F3": "schema_rejected_logged",
    "F4": "end_to_end",
    "G1": ["adversarial", "real_user_phrasing"],
    "G2": "The refund skill defaults to asking; it falls back to a person after two failures.",
    "G3": "monthly_or_more",
    "G4": "2026-10-01",
    "G5": True,
    "H1": [],
    "H2": "prohibited_flowed_down",
    "H3": True,
    "H5": False,
    "I1": ["referral"],
    "I2": 2,
    "I4": ["code", "runbooks"],
    "J2": "Claims closed per handler per day, from 31 to 40 in a quarter; signed off by the head of claims.",
    # questionnaire 1.1 (issue 14)
    "C6": ["mfa", "managed_devices", "no_outside_ai_tools"],
    "E9": ["privilege_separation", "egress_allowlist"],
    "E10": "pinned_reviewed",
    "G6": "pinned_blocking_gate",
    "G7": 250,
    "H6": [],
    "H7": 30,
    "H9": "transparency_only",
    "K1": "fixed_price",
    "K2": 180000,
    "K3": 9000,
    "K4": 42.5,
    "K5": "passthrough_at_cost",
    "K6": 5000000,
    "K7": ["hard_budget_cap", "per_task_limits"],
    "K8": 30,
    "K9": 4,
    "K10": 12,
    "K11": 30,
}


def _normal(value):
    """A text area sends its line breaks as CR LF (HTML's form encoding): compare them as LF."""
    if isinstance(value, str):
        return value.replace("\r\n", "\n")
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    return value


VIEWPORTS = {"desktop": {"width": 1280, "height": 720}, "phone": {"width": 375, "height": 700}}


@pytest.fixture(params=list(VIEWPORTS))
def keyboard_page(browser, request):
    """A page in a desktop or a phone-sized window, whose date fields read month/day/year (en-US) on every machine.

    It listens for file choosers from the start: Playwright turns the interception of the file dialog on
    when the first listener comes, and a key pressed right after `expect_file_chooser()` can beat it
    (about 1 time in 5 here), so that the real dialog opens instead, unseen, and the test times out.
    """
    context = browser.new_context(locale="en-US", viewport=VIEWPORTS[request.param])
    page = context.new_page()
    page.on("filechooser", lambda chooser: None)
    yield page, request.param
    context.close()


# the question types this test answers (computed ones are never answered); url and email do not occur yet
ANSWERED_TYPES = {"single", "multi", "yes_no", "number", "text", "long_text", "date", "file", "id_list", "group"}


def test_a_vendor_answers_every_section_and_submits_with_the_keyboard_only(live, keyboard_page):
    questionnaire = load_by_id("ai-deployment-partner")
    types = {t for s in questionnaire.sections for q in s.questions for t in (q.type, *(f.type for f in q.fields))}
    assert types - {"computed"} == ANSWERED_TYPES, "a question type came or went: answer it with the keyboard here"
    base, _, app = live
    page, size = keyboard_page
    token, _, response_id = _new_vendor(app, "Keyboard Only Ltd")
    link = f"{base}/v/{token}"
    page.goto(f"{link}/s/A")

    # A: radio buttons with the arrows, numbers typed and stepped, a yes/no; Shift+Tab goes back
    _choose(page, "A1", "boutique")
    _type(page, "#A2", "3")
    _type(page, "#A3", "7")
    _choose(page, "A4", "yes")
    _type(page, "#A5", "40")
    page.keyboard.press("ArrowUp")  # a number steps with the arrows: 41
    _tab_to(page, "#A2", back=True)
    expect(page.locator(":focus")).to_have_value("3")
    _tab_to(page, "button[value=next]")
    shot(page, f"keyboard-{size}-a-save-and-continue")
    _save_and_continue(page, "s/B")

    # B: a deployment row added with "Add a row" and filled cell by cell, a <select>, a date, a file
    _add_row(page, "B1", 0)
    row = B1_ROW
    _type(page, "[name='B1-0-id']", row["id"])
    _type(page, "[name='B1-0-customer_type']", row["customer_type"])
    _select(page, "select[name='B1-0-industry']", row["industry"])
    shot(page, f"keyboard-{size}-b-select")
    _choose(page, "B1-0-size_band", row["size_band"])
    _type(page, "[name='B1-0-go_live']", "03152026")  # the date field's parts, in the order of en-US
    expect(page.locator(":focus")).to_have_value(row["go_live"])
    _type(page, "[name='B1-0-stage']", "4")
    _choose(page, "B1-0-in_production", "yes")
    _type(page, "[name='B1-0-daily_volume']", "1200")
    _type(page, "[name='B1-0-downstream_teams']", "3")
    _type(page, "[name='B1-0-systems_integrated']", row["systems_integrated"])
    _choose(page, "B1-0-vendor_role", row["vendor_role"])
    _type(page, "[name='B1-0-kpi']", row["kpi"])
    _choose(page, "B1-0-kpi_measured_by", row["kpi_measured_by"])
    _choose(page, "B1-0-security_review_passed", "yes")
    _choose(page, "B1-0-reference_available", "no")
    _tab_to(page, "[name='B1-0-id']", back=True)
    expect(page.locator(":focus")).to_have_value("kb1")
    _type(page, "#B3", "12")
    _tab_to(page, "input[type=file][name=B5]")
    # The file chooser is the operating system's dialog, which headless Chromium never shows. Space on
    # the focused file input is the keyboard's way to open it (a real key press, a user activation);
    # Playwright then answers the dialog, as the person would in it.
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files({"name": "architecture.pdf", "mimeType": "application/pdf", "buffer": TINY_PDF})
    expect(page.locator(":focus")).to_have_attribute("name", "B5")
    shot(page, f"keyboard-{size}-b-file")
    _save_and_continue(page, "s/C")

    # C: an engineer's row; a second row added, then taken away again with its "Remove" button
    _add_row(page, "C1", 0)
    row = C1_ROW
    _type(page, "[name='C1-0-id']", row["id"])
    _type(page, "[name='C1-0-name']", row["name"])
    _type(page, "[name='C1-0-role']", row["role"])
    _choose(page, "C1-0-class", row["class"])
    _type(page, "[name='C1-0-months_embedded']", "9")
    _choose(page, "C1-0-proposed", "yes")
    _type(page, "[name='C1-0-allocation_pct']", "100")
    _choose(page, "C1-0-employment", row["employment"])
    _add_row(page, "C1", 1)
    _type(page, "[name='C1-1-id']", "typo")
    _tab_to(page, "button[value='remove:C1:1']")
    expect(page.locator(":focus")).to_have_text("Remove row 2")
    page.keyboard.press("Enter")
    # the row hides with an Undo, which takes the focus; the removal is saved with the section below
    expect(page.locator(":focus")).to_have_text("Undo")
    expect(page.locator("fieldset.row:visible")).to_have_count(1)
    expect(page.locator("[name='C1-0-name']")).to_have_value(row["name"])
    _choose(page, "C3", "yes")
    _type(page, "#C5", TYPED["C5"])
    _tick(page, "C6", *TYPED["C6"])
    _save_and_continue(page, "s/D")

    # back to B: the deployment's engineers are ticked from the roster just saved (issue 12)
    page.goto(f"{link}/s/B")
    _tick(page, "B1-0-engineer_ids", "e1")
    _save_and_continue(page, "s/C")
    page.goto(f"{link}/s/D")

    # D: "none to list" for a group, a decimal number, and a question shown by the answer before it
    _tab_to(page, "input[type=checkbox][name=D1_none]")
    page.keyboard.press("Space")
    expect(page.locator("input[name=D1_none]")).to_be_checked()
    _type(page, "#D4", "1.5")
    # undecided, it shows (the server would count it); a "no" hides it (issue 15: one meaning)
    expect(page.locator("#q-D5_detail")).to_be_visible()
    _choose(page, "D5", "no")
    expect(page.locator("#q-D5_detail")).to_be_hidden()
    _choose(page, "D5", "yes")
    expect(page.locator("#q-D5_detail")).to_be_visible()
    _type(page, "#D5_detail", TYPED["D5_detail"])
    shot(page, f"keyboard-{size}-d-conditional")
    _save_and_continue(page, "s/E")

    # E: single and multiple choices, a "no", numbers
    _choose(page, "E1", "gateway")
    _choose(page, "E2", "server_allowlist")
    _tick(page, "E3", *TYPED["E3"])
    _choose(page, "E4", "per_user_short_lived")
    _choose(page, "E5", "no")
    _type(page, "#E6", "90")
    _tick(page, "E7", *TYPED["E7"])
    _type(page, "#E7b", "365")
    _tick(page, "E9", *TYPED["E9"])
    _choose(page, "E10", "pinned_reviewed")
    _save_and_continue(page, "s/F")

    # F: required questions that go with a "no" and come back with a "yes"
    _choose(page, "F1", "no")
    expect(page.locator("#q-F2")).to_be_hidden()
    _choose(page, "F1", "yes")
    expect(page.locator("#q-F2")).to_be_visible()
    _type(page, "#F2", TYPED["F2"])
    _choose(page, "F3", "schema_rejected_logged")
    _choose(page, "F4", "end_to_end")
    _save_and_continue(page, "s/G")

    # G: a date on its own
    _tick(page, "G1", *TYPED["G1"])
    _type(page, "#G2", TYPED["G2"])
    _choose(page, "G3", "monthly_or_more")
    _type(page, "#G4", "10012026")
    expect(page.locator(":focus")).to_have_value("2026-10-01")
    _choose(page, "G5", "yes")
    _choose(page, "G6", "pinned_blocking_gate")
    _type(page, "#G7", "250")
    _tab_to(page, "input[type=file][name=G8]")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files({"name": "gate-report.pdf", "mimeType": "application/pdf", "buffer": TINY_PDF})
    _save_and_continue(page, "s/H")

    # H: "none of these" for a multiple choice; a "no" keeps its follow-up hidden and out of the Tab order
    _tick(page, "H1", "_none")
    _choose(page, "H2", "prohibited_flowed_down")
    _choose(page, "H3", "yes")
    _choose(page, "H5", "no")
    expect(page.locator("#q-H5_detail")).to_be_hidden()
    # 1.1: no data processor to list (everything in our environment), a number, the AI Act class; H10
    # asks for provider deliverables only after a high-risk class, so it is hidden and out of the Tab order
    _tab_to(page, "input[type=checkbox][name=H6_none]")
    page.keyboard.press("Space")
    expect(page.locator("input[name=H6_none]")).to_be_checked()
    _type(page, "#H7", "30")
    _choose(page, "H9", "transparency_only")
    expect(page.locator("#q-H10")).to_be_hidden()
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Save draft")
    _save_and_continue(page, "s/I")

    # I
    _tick(page, "I1", *TYPED["I1"])
    _type(page, "#I2", "2")
    _tick(page, "I4", *TYPED["I4"])
    _save_and_continue(page, "s/J")

    # J, then the review page: nothing missing, and the Submit button
    _type(page, "#J2", TYPED["J2"])
    _save_and_continue(page, "s/K")

    # K (1.1): the commercials, amounts typed with decimals, and the run and exit commitments
    _choose(page, "K1", "fixed_price")
    _type(page, "#K2", "180000")
    _type(page, "#K3", "9000")
    _type(page, "#K4", "42.5")
    _choose(page, "K5", "passthrough_at_cost")
    _type(page, "#K6", "5000000")
    _tick(page, "K7", *TYPED["K7"])
    for qid in ("K8", "K9", "K10", "K11"):
        _type(page, f"#{qid}", str(TYPED[qid]))
    shot(page, f"keyboard-{size}-k")
    _save_and_continue(page, "review")
    expect(page.get_by_role("heading", level=1)).to_have_text("Review and submit")
    expect(page.locator("ul.missing")).to_have_count(0)
    _tab_to(page, "input[type=checkbox][name=confirm]")
    page.keyboard.press("Space")
    _tab_to(page, "form[action$='/submit'] button[type=submit]")
    expect(page.locator(":focus")).to_have_text("Submit the response")
    shot(page, f"keyboard-{size}-review-submit")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/receipt$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you: your response is submitted")
    shot(page, f"keyboard-{size}-receipt")

    stored = _normal(_stored(app, response_id))
    b5 = stored.pop("B5")
    assert [(f["name"], f["size"]) for f in b5] == [("architecture.pdf", len(TINY_PDF))]
    g8 = stored.pop("G8")
    assert [(f["name"], f["size"]) for f in g8] == [("gate-report.pdf", len(TINY_PDF))]
    assert stored == TYPED
    db = _db(app)
    try:
        assert store.get_response(db, response_id)["status"] == "submitted"
    finally:
        db.close()


class _LateAutosaves:
    """The app behind a slow network: each autosave is done at once but answered `delay` seconds late."""

    def __init__(self, wsgi_app, delay: float):
        self.wsgi_app = wsgi_app
        self.delay = delay
        self.count = 0

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] != "POST" or not environ["PATH_INFO"].endswith("/autosave"):
            return self.wsgi_app(environ, start_response)
        body = list(self.wsgi_app(environ, start_response))  # werkzeug sends nothing before the body
        self.count += 1
        time.sleep(self.delay)
        return body


def test_a_row_removed_while_its_autosave_is_on_its_way_stays_removed(live, keyboard_page):
    # Leaving a field sends an autosave of its question; a person who goes on to the row's "Remove"
    # button and presses Enter posts the form before that is answered. The form then still says the
    # row list was as loaded, the server took the removal for "no change", and the typed row came back.
    base, _, app = live
    page, _ = keyboard_page
    token, _, response_id = _new_vendor(app, "Slow Network Ltd")
    db = _db(app)
    try:
        store.save_answers(db, response_id, {"C1": [{"id": "e1"}]}, store.answer_versions(db, response_id), "test")
    finally:
        db.close()
    late = _LateAutosaves(app.wsgi_app, 0.5)
    app.wsgi_app = late
    try:
        page.goto(f"{base}/v/{token}/s/C")
        _add_row(page, "C1", 1)
        _type(page, "[name='C1-1-id']", "typo")
        _tab_to(page, "button[value='remove:C1:1']")
        page.keyboard.press("Enter")  # the row hides, with an Undo for a while ...
        expect(page.locator(":focus")).to_have_text("Undo")
        _tab_to(page, "button[value=save]")
        page.keyboard.press("Enter")  # ... and the form goes before that while is over
        expect(page).to_have_url(re.compile(r"/s/C$"))
        expect(page.locator(".flash.success")).to_contain_text("Saved at")
        assert late.count >= 1, "no autosave was sent: this test tests nothing"
        expect(page.locator("fieldset.row")).to_have_count(1)
        assert _stored(app, response_id)["C1"] == [{"id": "e1"}]
    finally:
        app.wsgi_app = late.wsgi_app


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_enter_in_a_field_saves_the_section_and_keeps_every_row(live, browser, javascript):
    base, _, app = live
    token, _, response_id = _new_vendor(app, "Enter Key Ltd")
    rows = [{"id": "d1", "customer_type": "First"}, {"id": "d2", "customer_type": "Second"}]
    db = _db(app)
    try:
        store.save_answers(db, response_id, {"B1": rows}, store.answer_versions(db, response_id), "test")
    finally:
        db.close()
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    try:
        page.goto(f"{base}/v/{token}/s/B")
        _type(page, "#B3", "5")
        page.keyboard.press("Enter")  # a form's implicit submission: what most people expect to save
        expect(page.locator(".flash.success")).to_contain_text("Saved at")
        stored = _stored(app, response_id)
        assert stored.get("B3") == 5
        assert stored["B1"] == rows, "Enter in B3 took row 1's 'Remove' button"
    finally:
        context.close()


def test_a_button_marked_hidden_is_neither_seen_nor_reached_with_tab(live, browser):
    # The "Copy" button beside a new vendor link starts `hidden` and only buyer.js shows it (when the
    # clipboard can be used). `button { display: inline-block }` once overrode `hidden`: without
    # JavaScript a button that does nothing was on the page and in the Tab order.
    base, output, app = live
    creds = demo_links(output)
    db = _db(app)
    evaluation_id = store.list_evaluations(db)[0]["id"]
    db.close()
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{base}/login")
        _type(page, "#email", creds["email"])
        _type(page, "#password", creds["password"])
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text("Evaluations")
        page.goto(f"{base}/evaluations/{evaluation_id}")
        _tab_to(page, "#name", limit=150)
        page.keyboard.type("Hidden Button Ltd")
        _tab_to(page, "#add-vendor button[type=submit]")
        page.keyboard.press("Enter")
        link = page.get_by_label("Link for Hidden Button Ltd")
        expect(link).to_be_visible()
        copy = page.locator("button[data-copy]")
        expect(copy).to_have_count(1)
        expect(copy).to_be_hidden()
        _tab_to(page, "input[data-select-on-focus]", limit=150)
        page.keyboard.press("Tab")
        assert not page.evaluate("() => document.activeElement.matches('button[data-copy]')")
    finally:
        context.close()
