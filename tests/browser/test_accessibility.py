"""Accessibility in a real browser: axe-core on every page type, and a vendor using only the keyboard.

axe-core comes from npm (`node_modules/axe-core`, installed by scripts/setup.sh). The app's
Content-Security-Policy allows no inline script, and `page.add_script_tag(path=...)` inlines the
file, so axe is injected with `context.add_init_script(path=...)` instead: Playwright evaluates
init scripts through the DevTools protocol, outside the page's CSP, and the page keeps its CSP.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page
from playwright.sync_api import Response
from playwright.sync_api import expect

from stagefour import evaluations
from stagefour import questionnaire_xlsx
from stagefour import store
from stagefour import xlsx
from stagefour.library import load_by_id
from stagefour.questionnaire import load_questionnaire
from stagefour.response import Response as VendorResponse
from stagefour.xlsx import XLSX_MIMETYPE

from ..conftest import FIXTURES
from ..conftest import load_response_json
from ..test_generic_questionnaire import BASELINE
from ..test_generic_questionnaire import BASELINE_ANSWERS
from .conftest import demo_links
from .conftest import shot

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")

# name, page and the HTTP response that delivered the page's HTML
Check = Callable[[str, Page, Response], None]


def _db(app):
    return store.open_db(app.config["DATABASE"])


def _new_vendor(app, name: str) -> tuple[str, int, int]:
    """A freshly invited vendor in the demo evaluation: (token, vendor id, response id)."""
    db = _db(app)
    try:
        evaluation_id = store.list_evaluations(db)[0]["id"]
        vendor_id, token = evaluations.invite(db, evaluation_id, name, None, "test")
        return token, vendor_id, store.get_vendor(db, vendor_id)["response_id"]
    finally:
        db.close()


def _save(app, response_id: int, answers: dict) -> None:
    db = _db(app)
    try:
        store.save_answers(db, response_id, answers, store.answer_versions(db, response_id), "test")
    finally:
        db.close()


def _stored(app, response_id: int) -> dict:
    db = _db(app)
    try:
        return store.load_answers(db, response_id)
    finally:
        db.close()


def _sectioned_vendor(app, team_id: int, answers: dict) -> str:
    """A vendor of an evaluation of tests/fixtures/sections.yaml with `answers` saved: their token."""
    db = _db(app)
    try:
        questionnaire = load_questionnaire(FIXTURES / "sections.yaml")
        evaluation_id = evaluations.start_evaluation(db, questionnaire, "Payroll processor", team_id=team_id)
        vendor_id, token = evaluations.invite(db, evaluation_id, "Lohnwerk GmbH", None, "test")
        store.save_answers(db, store.get_vendor(db, vendor_id)["response_id"], answers, {}, "test")
        return token
    finally:
        db.close()


def walk_every_page_type(live, page: Page, check: Check) -> list[str]:
    """Open one page of every type, as a buyer and as a vendor, calling `check` on each; their names."""
    base, output, app = live
    seen: list[str] = []

    def visit(name: str, url: str, status: int = 200) -> None:
        response = page.goto(url)
        assert response is not None and response.status == status, f"{name}: {url} gave {response and response.status}"
        check(name, page, response)
        seen.append(name)

    creds = demo_links(output)
    db = _db(app)
    evaluation_id = store.list_evaluations(db)[0]["id"]
    db.close()
    # a vendor with every answer of the exemplary 1.1 vendor but engagement (A), so section B has rows,
    # section H its data processors (H6) and section K its commercials
    full = load_response_json("stage4-exemplary")["answers"]
    token, _, response_id = _new_vendor(app, "Harbour Deployments")
    _save(app, response_id, {k: v for k, v in full.items() if k[0] != "A"})
    # a vendor whose link was withdrawn
    closed_token, closed_vendor, _ = _new_vendor(app, "Withdrawn Ltd")
    db = _db(app)
    store.revoke_invitations(db, closed_vendor, "test")
    db.close()

    visit("login", f"{base}/login")
    page.fill("#email", creds["email"])
    page.fill("#password", creds["password"])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    visit("dashboard", f"{base}/")
    visit("new-evaluation", f"{base}/evaluations/new")
    visit("evaluation", f"{base}/evaluations/{evaluation_id}")
    submitted = page.locator("tr", has_text="Northwind Applied AI").get_by_role("link", name="Northwind Applied AI")
    response_url = submitted.first.get_attribute("href")
    visit("response-view", f"{base}{response_url}")
    # one vendor's deadline, refused (a day before the evaluation's): the error beside the field, in the row
    page.goto(f"{base}/evaluations/{evaluation_id}")
    row = page.locator("tr", has_text="Northwind Applied AI")
    row.locator("summary").click()
    row.locator("input[type=date]").fill(datetime.now(UTC).date().isoformat())
    with page.expect_navigation() as info:  # the new document loaded, not only its response
        row.get_by_role("button", name="Save deadline").click()
    assert info.value.status == 422
    expect(page.locator("details.vendor-deadline[open] .errors")).to_be_visible()
    check("evaluation-vendor-deadline-error", page, info.value)
    seen.append("evaluation-vendor-deadline-error")
    visit("evaluation-settings", f"{base}/evaluations/{evaluation_id}/edit")  # with who may see it
    visit("comparison", f"{base}/evaluations/{evaluation_id}/compare")
    # a heat-map cell opened: its reasons in a panel below the row (issue 13)
    with page.expect_response(lambda r: r.request.resource_type == "document") as info:
        page.reload()
    page.locator("#ranking td.heat summary").first.click()
    expect(page.locator("#ranking td.heat ul.why").first).to_be_visible()
    check("comparison-heat-open", page, info.value)
    seen.append("comparison-heat-open")
    # a PDF asked for in a language or paper size there is none of: a 400 page that says so
    visit("pdf-options-refused", f"{base}/evaluations/{evaluation_id}/report.pdf?lang=xx&size=a3", 400)
    # A generic evaluation (issue 15): the questionnaire's own verdict and warnings, no profile's columns or parts.
    # (Before the silent one below: _new_vendor invites into the newest evaluation, which must have section C.)
    db = _db(app)
    team_id = store.get_evaluation(db, evaluation_id)["team_id"]
    generic = evaluations.start_evaluation(db, BASELINE, "Hosting supplier", team_id=team_id)
    vendors = []
    for name, answers in BASELINE_ANSWERS.items():
        vendor_id, _ = evaluations.invite(db, generic, name, None, "test")
        evaluations.import_response(db, vendor_id, VendorResponse(BASELINE.id, name, answers), "test", submit=True)
        vendors.append(vendor_id)
    db.close()
    visit("comparison-generic", f"{base}/evaluations/{generic}/compare")
    visit("response-view-generic", f"{base}/evaluations/{generic}/vendors/{vendors[-1]}")
    # an evaluation no vendor has answered yet: no ranking, and no PDF (409)
    db = _db(app)
    team_id = store.get_evaluation(db, evaluation_id)["team_id"]
    silent = evaluations.start_evaluation(db, load_by_id("ai-deployment-partner"), "Nobody answered", team_id=team_id)
    evaluations.invite(db, silent, "Quiet Vendor Ltd", None, "test")
    db.close()
    visit("comparison-no-answers", f"{base}/evaluations/{silent}/compare")
    visit("pdf-no-answers", f"{base}/evaluations/{silent}/report.pdf", 409)
    # Shared scoring (issue 12): the owner's grid of assignments and the queue with an item to score.
    visit("assignments", f"{base}/evaluations/{evaluation_id}/assignments")
    visit("queue", f"{base}/evaluations/{evaluation_id}/queue")
    visit("decision", f"{base}/evaluations/{evaluation_id}/decision")  # issue 12: the form, open
    visit("confirm-revoke", f"{base}/evaluations/{evaluation_id}/vendors/{closed_vendor}/revoke")
    # the audit log of the evaluation: more than a page of entries, so the pager shows
    visit("audit-evaluation", f"{base}/evaluations/{evaluation_id}/audit")
    expect(page.locator("nav.pager")).to_contain_text("Page 1 of")
    # filtered through its form: chosen options, dates and a shorter list of entries
    today = datetime.now(UTC).date()
    page.select_option("#filter-action", "answer_saved")
    page.select_option("#filter-actor", "vendor")
    page.select_option("#filter-vendor", label="Northwind Applied AI")
    page.fill("#filter-from", (today - timedelta(days=1)).isoformat())  # the entries may be from before midnight
    page.fill("#filter-to", today.isoformat())
    with page.expect_response(lambda r: r.request.resource_type == "document" and "/audit?" in r.url) as info:
        page.get_by_role("button", name="Filter").click()
    assert info.value.status == 200
    expect(page.locator("table.audit tbody tr")).not_to_have_count(0)
    assert set(page.locator("table.audit tbody tr").evaluate_all("rows => rows.map(r => r.dataset.action)")) == {
        "answer_saved"
    }
    check("audit-evaluation-filtered", page, info.value)
    seen.append("audit-evaluation-filtered")
    visit("audit-filter-errors", f"{base}/evaluations/{evaluation_id}/audit?action=nothing&from=2026-02-30", 400)
    visit("audit-all", f"{base}/audit")
    # The demo buyer is also the site administrator: the teams and accounts pages.
    visit("admin-users", f"{base}/admin/users")
    visit("admin-teams", f"{base}/admin/teams")
    visit("admin-team", f"{base}/admin/teams/1")
    visit("admin-questionnaires", f"{base}/admin/questionnaires")
    # The team's questionnaire library (issue 15): the page, and an upload refused with every error listed.
    visit("library", f"{base}/teams/{team_id}/library")
    page.set_input_files(
        "#file", {"name": "draft.yaml", "mimeType": "application/yaml", "buffer": b"id: Draft\nsections: 3\n"}
    )
    with page.expect_navigation() as info:
        page.get_by_role("button", name="Upload to the library").click()
    assert info.value.status == 422
    expect(page.locator("ul.loader-errors li").first).to_be_visible()
    check("library-upload-errors", page, info.value)
    seen.append("library-upload-errors")
    # A workbook (issue 16): its problems are listed by sheet and cell in the same list.
    book = load_workbook(io.BytesIO(questionnaire_xlsx.template_xlsx()))
    book["Questions"]["E3"] = "=1+1"
    page.set_input_files("#file", {"name": "draft.xlsx", "mimeType": xlsx.XLSX_MIMETYPE, "buffer": xlsx.to_bytes(book)})
    with page.expect_navigation() as info:
        page.get_by_role("button", name="Upload to the library").click()
    assert info.value.status == 422
    expect(page.locator("ul.loader-errors li").first).to_contain_text("Questions!E3")
    check("library-upload-xlsx-errors", page, info.value)
    seen.append("library-upload-xlsx-errors")
    visit("error-404", f"{base}/no-such-page", 404)

    visit("vendor-overview", f"{base}/v/{token}")
    visit("vendor-section-a", f"{base}/v/{token}/s/A")
    page.fill("#A2", "-3")  # below the minimum of 0: the save is refused with a message
    with page.expect_navigation() as info:  # the new document loaded, not only its response
        page.get_by_role("button", name="Save draft").click()
    assert info.value.status == 422
    expect(page.locator("#error-summary")).to_be_visible()
    check("vendor-section-errors", page, info.value)
    seen.append("vendor-section-errors")
    visit("vendor-section-b-rows", f"{base}/v/{token}/s/B")  # with pick lists of the roster's engineers
    # a row removed: with the script, hidden with an Undo for a while (the DOM is checked) ...
    page.get_by_role("button", name="Remove row 1").first.click()
    expect(page.locator(".row-removed button")).to_be_focused()
    check("vendor-row-removed-script", page, page.request.get(page.url))
    seen.append("vendor-row-removed-script")
    page.locator(".row-removed button").click()
    # ... and as the page without the script gets it: the removal saved, its Undo carrying the row
    # (the navigation, not only its response, so that axe runs in the new document: issue 14's longer rows)
    with page.expect_navigation() as info:
        page.evaluate(
            "() => { const b = document.querySelector(\"button[value='remove:B1:0']\"); b.form.requestSubmit(b); }"
        )
    assert info.value.status == 200 and info.value.request.method == "POST"
    check("vendor-row-removed", page, info.value)
    seen.append("vendor-row-removed")
    page.get_by_role("button", name="Undo").click()
    expect(page.locator(".flash.success")).to_contain_text("Saved at")
    visit("vendor-section-d-picks", f"{base}/v/{token}/s/D")  # a failure's deployment picked from B1
    visit("vendor-section-h-processors", f"{base}/v/{token}/s/H")  # H6's rows, the buyer's data regions
    expect(page.locator("[name='H6-3-id']")).to_have_value("s4")
    visit("vendor-section-k", f"{base}/v/{token}/s/K")  # commercials in the evaluation's currency
    expect(page.locator("#K2")).to_have_value("165000")
    _save(app, response_id, {k: v for k, v in full.items() if k[0] == "A"})
    # answers that do not fit together: the review page lists them with links (issue 12)
    typo = [dict(full["B1"][0], engineer_ids=["e1", "E9"]), *full["B1"][1:]]
    _save(app, response_id, {"B1": typo})
    visit("vendor-review-problems", f"{base}/v/{token}/review")
    expect(page.locator("ul.problems li")).to_have_count(1)
    _save(app, response_id, {"B1": full["B1"]})
    # answering offline (issue 16): the page, and the preview of an uploaded workbook with a change and a bad cell
    visit("vendor-offline", f"{base}/v/{token}/offline")
    workbook = openpyxl.load_workbook(io.BytesIO(page.request.get(f"{base}/v/{token}/offline/answers.xlsx").body()))
    engagement = workbook.worksheets[0]
    for row in engagement.iter_rows(min_row=3):
        if row[6].value == "A2":
            row[3].value = 4
        elif row[6].value == "A3":
            row[3].value = "many"
    edited = io.BytesIO()
    workbook.save(edited)
    page.set_input_files(
        "#file", files=[{"name": "answers.xlsx", "mimeType": XLSX_MIMETYPE, "buffer": edited.getvalue()}]
    )
    with page.expect_navigation() as info:  # the upload redirects to the preview
        page.get_by_role("button", name="Upload and check the changes").click()
    expect(page.locator("table.offline-changes tbody tr")).to_have_count(1)
    check("vendor-offline-preview", page, info.value)
    seen.append("vendor-offline-preview")
    visit("vendor-review", f"{base}/v/{token}/review")
    # a submit without the confirmation is refused beside the box
    with page.expect_navigation() as info:  # the new document loaded, not only its response
        page.get_by_role("button", name="Submit the response").click()
    assert info.value.status == 422
    check("vendor-review-unconfirmed", page, info.value)
    seen.append("vendor-review-unconfirmed")
    page.get_by_label("I have checked the answers").check()
    page.get_by_role("button", name="Submit the response").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("submitted")
    visit("vendor-receipt", f"{base}/v/{token}/receipt")
    visit("vendor-closed-link", f"{base}/v/{closed_token}", 410)
    visit("vendor-lost-link", f"{base}/v/lost")
    page.fill("#email", "not an address")
    with page.expect_navigation() as info:  # the new document loaded, not only its response
        page.get_by_role("button", name="Send me a new link").click()
    assert info.value.status == 422
    check("vendor-lost-link-errors", page, info.value)
    seen.append("vendor-lost-link-errors")
    # The buyer again (issue 12): the submission above is an unread notification in the header and the list.
    visit("notifications", f"{base}/notifications")
    expect(page.locator("li.notification.unread")).not_to_have_count(0)
    visit("account-with-notification-choices", f"{base}/account")
    # a link withdrawn while its vendor typed: the closed page gives back what was not saved
    typing_token, typing_vendor, _ = _new_vendor(app, "Typing Ltd")
    page.goto(f"{base}/v/{typing_token}/s/C")
    db = _db(app)
    store.revoke_invitations(db, typing_vendor, "test")
    db.close()
    page.fill("#C4", "Two weeks of overlap.")
    with page.expect_navigation() as info:  # the new document loaded, not only its response
        page.evaluate("() => document.getElementById('section-form').requestSubmit()")
    assert info.value.status == 410
    expect(page.locator("#unsaved")).to_have_value("C4: Two weeks of overlap.")
    check("vendor-closed-unsaved", page, info.value)
    seen.append("vendor-closed-unsaved")
    # Sections shown on a condition (issue 15), in an evaluation of their own (after the last
    # `_new_vendor`, which invites to the newest): the section list with two sections not applicable,
    # a skipped section's own page, and the review that says so
    skipping = _sectioned_vendor(app, team_id, {"G1": False, "G2": "eu", "C1": False})
    visit("vendor-section-list-not-applicable", f"{base}/v/{skipping}/s/G")
    visit("vendor-section-skipped", f"{base}/v/{skipping}/s/D")
    visit("vendor-review-skipped-sections", f"{base}/v/{skipping}/review")
    # Last, as it closes the evaluation to changes: the owner records the decision (issue 12).
    page.goto(f"{base}/evaluations/{evaluation_id}/decision")
    page.get_by_role("button", name="Record the decision and close the evaluation").click()  # empty: refused
    expect(page.locator("ul.errors").first).to_be_visible()
    for group in page.locator("fieldset.choices").all():
        group.get_by_label("Shortlist").check()
    for rationale in page.locator("textarea[id^=rationale_]").all():
        rationale.fill("Answers checked by the committee.")
    with page.expect_response(lambda r: r.request.resource_type == "document" and r.request.method == "GET") as info:
        page.get_by_role("button", name="Record the decision and close the evaluation").click()
    expect(page.get_by_role("heading", name="Reopen the evaluation")).to_be_visible()
    check("decision-recorded", page, info.value)
    seen.append("decision-recorded")
    # Re-assessment (issue 16): next year's evaluation from the decided one; a vendor's carried answers.
    visit("reassess", f"{base}/evaluations/{evaluation_id}/reassess")
    with page.expect_response(lambda r: r.request.resource_type == "document" and r.request.method == "GET") as info:
        page.get_by_role("button", name="Start the re-assessment").click()
    expect(page.locator("#carried")).to_be_visible()  # the new evaluation: new links, what carried per vendor
    check("evaluation-reassessed", page, info.value)
    seen.append("evaluation-reassessed")
    again = page.url.split("#")[0]
    carried_link = page.get_by_label("Link for Harbour Deployments").input_value()
    visit("vendor-section-carried", f"{carried_link}/s/B")
    expect(page.locator(".carried-mark").first).to_be_visible()
    visit("vendor-review-carried", f"{carried_link}/review")
    expect(page.locator("ul.unconfirmed li").first).to_be_visible()
    visit("comparison-changes", f"{again}/compare?changes=1")
    expect(page.locator("#changes")).to_be_visible()
    response_url = page.locator("a", has_text="Harbour Deployments").first.get_attribute("href")
    visit("response-view-changes", f"{base}{response_url}")
    expect(page.locator("dl.carried-states")).to_be_visible()
    return seen


def _describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"  {v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:5]:
            summary = (node.get("failureSummary") or "").splitlines()[-1:]
            lines.append(f"      {' '.join(map(str, node['target']))}: {' '.join(summary).strip()}")
        if len(v["nodes"]) > 5:
            lines.append(f"      … and {len(v['nodes']) - 5} more")
    return "\n".join(lines)


@pytest.fixture
def axe_page(browser):
    """A page of a fresh context that has axe-core in every document it opens."""
    if not AXE.exists():
        pytest.fail(f"{AXE.relative_to(ROOT)} is missing: run `bash scripts/setup.sh` (it runs `npm ci`)")
    context = browser.new_context()
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    yield page
    context.close()


def test_every_page_type_has_no_serious_or_critical_axe_violations(live, axe_page):
    failures: dict[str, list[dict]] = {}

    def check(name: str, page: Page, response: Response) -> None:
        result = page.evaluate("() => axe.run(document)")
        assert result["passes"], f"{name}: axe-core checked nothing"
        for v in result["violations"]:  # moderate and minor ones are reported, not failed
            print(f"{name}: {v['id']} ({v['impact']}) on {len(v['nodes'])} node(s)")
        blocking = [v for v in result["violations"] if v["impact"] in BLOCKING]
        if blocking:
            failures[name] = blocking
            shot(page, f"axe-{name}")

    seen = walk_every_page_type(live, axe_page, check)
    assert len(seen) == 61, seen
    report = "\n".join(f"{name}:\n{_describe(v)}" for name, v in failures.items())
    assert not failures, f"serious or critical axe-core violations:\n{report}"


def _tab_to(page: Page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches `selector` (reading where the focus is, never clicking)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{limit} presses of Tab never reached {selector}")


def test_a_vendor_fills_and_saves_section_a_with_the_keyboard_only(live, page):
    base, _, app = live
    token, _, response_id = _new_vendor(app, "Keyboard Consulting")
    page.goto(f"{base}/v/{token}/s/A")
    _tab_to(page, "input[name=A1]")
    page.keyboard.press("Space")  # checks the first option
    for _ in range(3):
        page.keyboard.press("ArrowDown")  # arrows move the choice within the group: the fourth is the boutique
    expect(page.locator("input[name=A1][value=boutique]")).to_be_checked()
    _tab_to(page, "#A2")
    page.keyboard.type("3")
    _tab_to(page, "#A3")
    page.keyboard.type("7")
    _tab_to(page, "input[name=A4]")
    page.keyboard.press("Space")  # the first option: yes
    _tab_to(page, "#A5")
    page.keyboard.type("40")
    page.keyboard.press("ArrowUp")  # a number input steps with the arrow keys: 41
    _tab_to(page, "button[value=save]")
    expect(page.locator(":focus")).to_have_text("Save draft")
    page.keyboard.press("Enter")
    expect(page.locator(".flash.success")).to_contain_text("Saved at")
    shot(page, "vendor-section-a-keyboard")
    assert _stored(app, response_id) == {"A1": "boutique", "A2": 3, "A3": 7, "A4": True, "A5": 41}
