"""Accessibility in a real browser: axe-core on every page type, and a vendor using only the keyboard.

axe-core comes from npm (`node_modules/axe-core`, installed by scripts/setup.sh). The app's
Content-Security-Policy allows no inline script, and `page.add_script_tag(path=...)` inlines the
file, so axe is injected with `context.add_init_script(path=...)` instead: Playwright evaluates
init scripts through the DevTools protocol, outside the page's CSP, and the page keeps its CSP.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page
from playwright.sync_api import Response
from playwright.sync_api import expect

from stagefour import evaluations
from stagefour import store

from ..conftest import load_response_json
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
    # a vendor with every answer of the stage-4 deployer but engagement (A), so section B has rows
    full = load_response_json("stage4-deployer")["answers"]
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
    visit("error-404", f"{base}/no-such-page", 404)

    visit("vendor-overview", f"{base}/v/{token}")
    visit("vendor-section-a", f"{base}/v/{token}/s/A")
    page.fill("#A2", "-3")  # below the minimum of 0: the save is refused with a message
    with page.expect_response(lambda r: r.request.method == "POST" and r.request.resource_type == "document") as info:
        page.get_by_role("button", name="Save draft").click()
    assert info.value.status == 422
    expect(page.locator("#error-summary")).to_be_visible()
    check("vendor-section-errors", page, info.value)
    seen.append("vendor-section-errors")
    visit("vendor-section-b-rows", f"{base}/v/{token}/s/B")
    _save(app, response_id, {k: v for k, v in full.items() if k[0] == "A"})
    visit("vendor-review", f"{base}/v/{token}/review")
    page.get_by_role("button", name="Submit the response").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("submitted")
    visit("vendor-receipt", f"{base}/v/{token}/receipt")
    visit("vendor-closed-link", f"{base}/v/{closed_token}", 410)
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
    assert len(seen) == 25, seen
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
