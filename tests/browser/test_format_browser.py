"""The format of issue 15 in a real browser: a vendor fills the security baseline (N/A, other —
please specify, answers that raise warnings); the buyer's review and comparison show them; the
generic questionnaire's pages pass axe-core and the Nu HTML Checker; screenshots at 1280 and 375 px."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from playwright.sync_api import Page
from playwright.sync_api import expect

from stagefour import evaluations
from stagefour import store
from stagefour.questionnaire import load_questionnaire

from ..conftest import FIXTURES
from .conftest import demo_links
from .conftest import shot
from .test_accessibility import BLOCKING
from .test_accessibility import _describe
from .test_accessibility import axe_page  # noqa: F401, F811 (a fixture)
from .test_html import _checker

WIDTHS = (1280, 375)


def _setup(app) -> tuple[int, str, int]:
    """A security-baseline evaluation in the demo's team, one invited vendor: (evaluation id, token, response id)."""
    db = store.open_db(app.config["DATABASE"])
    try:
        team_id = store.list_evaluations(db)[0]["team_id"]
        evaluation_id = evaluations.start_evaluation(
            db, load_questionnaire(FIXTURES / "security-baseline.yaml"), "Hosting supplier", team_id=team_id
        )
        vendor_id, token = evaluations.invite(db, evaluation_id, "Baseline Hosting", None, "test")
        return evaluation_id, token, store.get_vendor(db, vendor_id)["response_id"]
    finally:
        db.close()


def _stored(app, response_id: int) -> dict:
    db = store.open_db(app.config["DATABASE"])
    try:
        return store.load_answers(db, response_id)
    finally:
        db.close()


def _shots(page: Page, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        shot(page, f"format-{name}-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_vendor_fills_the_security_baseline_and_the_buyer_sees_warnings_and_verdict(live, axe_page, tmp_path):  # noqa: F811
    base, output, app = live
    page = axe_page
    evaluation_id, token, response_id = _setup(app)
    pages: dict[str, bytes] = {}
    axe_failures: dict[str, list] = {}

    def check(name: str, response) -> None:
        pages[name] = response.body()
        result = page.evaluate("() => axe.run(document)")
        blocking = [v for v in result["violations"] if v["impact"] in BLOCKING]
        if blocking:
            axe_failures[name] = blocking

    # --- the vendor: section 1 with a heading, a note, Markdown and "Other — please specify"
    check("vendor-form", page.goto(f"{base}/v/{token}/s/GOV"))
    expect(page.get_by_role("heading", name="Policies")).to_be_visible()
    expect(page.locator(".note em", has_text="current")).to_be_visible()
    specify = page.locator("#GOV_03\\.other")
    expect(specify).to_be_hidden()  # with script: only once "Other" is ticked
    page.get_by_role("group", name="1.1").get_by_label("Yes").check()
    page.get_by_label("At least once a year").check()
    page.get_by_label("ISO/IEC 27001").check()
    page.get_by_label("Other — please specify", exact=True).check()
    expect(specify).to_be_visible()
    specify.fill("CSA STAR level 2")
    _shots(page, "vendor-form")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Access control")

    # --- section 2: a password-only answer (high warning), 45 days (medium), card data N/A
    page.get_by_label("Password only").check()
    page.locator("#ACC_02").fill("45")
    page.get_by_label("N/A — we do not process card data").check()
    with page.expect_navigation():  # the review page, after the section's post was saved
        page.get_by_role("button", name="Save and continue").click()
    assert _stored(app, response_id) == {
        "GOV_01": True,
        "GOV_02": "yearly",
        "GOV_03": ["iso27001", "other"],
        "GOV_03.other": "CSA STAR level 2",
        "ACC_01": "password",
        "ACC_02": 45,
        "ACC_03": "na",
    }

    # --- the buyer: review page and comparison
    creds = demo_links(output)
    page.goto(f"{base}/login")
    page.fill("#email", creds["email"])
    page.fill("#password", creds["password"])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    db = store.open_db(app.config["DATABASE"])
    vendor_id = store.list_vendors(db, evaluation_id)[0]["id"]
    db.close()
    check("review", page.goto(f"{base}/evaluations/{evaluation_id}/vendors/{vendor_id}"))
    flags = page.locator("#flags + ul.flags")
    expect(flags).to_contain_text("Staff sign in with a password alone.")
    expect(flags).to_contain_text("Leavers keep access for more than 30 days.")
    expect(page.locator(".facts .verdict")).to_have_text("Does not meet the requirements")
    expect(page.locator("#a-GOV_03")).to_contain_text("CSA STAR level 2")
    _shots(page, "review")
    check("compare", page.goto(f"{base}/evaluations/{evaluation_id}/compare"))
    expect(page.locator("#ranking")).to_contain_text("Does not meet the requirements")
    expect(page.locator(".vendor-flags")).to_contain_text("Staff sign in with a password alone.")
    _shots(page, "compare")

    report = "\n".join(f"{name}:\n{_describe(v)}" for name, v in axe_failures.items())
    assert not axe_failures, f"serious or critical axe-core violations:\n{report}"
    command = _checker()
    files = []
    for name, body in pages.items():
        path = tmp_path / f"{name}.html"
        path.write_bytes(body)
        files.append(str(path))
    done = subprocess.run([*command, *files], capture_output=True, text=True, timeout=300)
    errors = [m for m in json.loads(done.stderr or '{"messages": []}')["messages"] if m.get("type") != "info"]
    assert not errors, "\n".join(f"{Path(m.get('url', '?')).name}:{m.get('lastLine')}: {m['message']}" for m in errors)
