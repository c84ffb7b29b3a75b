"""No traps for vendors in a real browser (issue 12): engineers ticked from the roster, a problem on
the review page fixed through its link, then a confirmed submit."""

import copy
import re

from playwright.sync_api import expect

from stagefour import store

from ..conftest import load_response_json
from ..conftest import with_1_1_answers
from .conftest import shot
from .test_vendor_journey import new_vendor
from .test_vendor_journey import stored


def _save(app, response_id: int, answers: dict) -> None:
    db = store.open_db(app.config["DATABASE"])
    try:
        store.save_answers(db, response_id, answers, store.answer_versions(db, response_id), "test")
    finally:
        db.close()


def _both_widths(page, name: str) -> None:
    """Screenshots at 1280 and 375 px wide, for a person to look at."""
    for width, height in ((1280, 900), (375, 812)):
        page.set_viewport_size({"width": width, "height": height})
        shot(page, f"{name}-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_vendor_ticks_engineers_fixes_a_problem_through_its_link_confirms_and_submits(live, page):
    base, _, app = live
    token, response_id = new_vendor(app, "Picklist Partners")
    full = with_1_1_answers(load_response_json("stage4-deployer")["answers"])
    answers = copy.deepcopy(full)
    for row in answers["B1"]:
        row.pop("engineer_ids")
    answers["D1"][0]["deployment_id"] = "D-1"  # typed before the pick list: not a B1 id
    _save(app, response_id, answers)
    link = f"{base}/v/{token}"

    page.goto(f"{link}/s/B")
    roster = page.locator("#B1-0-engineer_ids")
    expect(roster).to_contain_text("e1 — Dana Ruiz")
    expect(page.locator("#B1-0-engineer_ids-picks")).to_contain_text("Picked from the rows saved in C1")
    for i, row in enumerate(full["B1"]):
        for engineer in row["engineer_ids"]:
            page.check(f"input[name='B1-{i}-engineer_ids'][value='{engineer}']")
    page.locator("#B1-0-engineer_ids").scroll_into_view_if_needed()
    _both_widths(page, "picks-section-b")
    page.get_by_role("button", name="Save draft").last.click()
    expect(page.locator(".flash.success")).to_contain_text("Saved at")
    assert [r["engineer_ids"] for r in stored(app, response_id)["B1"]] == [r["engineer_ids"] for r in full["B1"]]

    page.goto(f"{link}/review")
    problems = page.locator("ul.problems li")
    expect(problems).to_have_count(1)
    expect(problems).to_contain_text("Failure mode f1 names deployment D-1")
    expect(page.locator("p.lead")).to_contain_text("1 answer needs checking.")
    _both_widths(page, "picks-review-problems")
    problems.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/s/D#D1-0-deployment_id$"))
    select = page.locator("select[name='D1-0-deployment_id']")
    expect(select.locator("option:checked")).to_have_text("D-1 (not in your list in B1)")
    _both_widths(page, "picks-section-d")
    select.select_option("d1")
    page.get_by_role("button", name="Save draft").last.click()
    expect(page.locator(".flash.success")).to_contain_text("Saved at")

    page.goto(f"{link}/review")
    expect(page.locator("ul.problems")).to_have_count(0)
    expect(page.locator("section.summary")).to_have_count(11)  # A to K (questionnaire 1.1)
    _both_widths(page, "picks-review")
    page.get_by_role("button", name="Submit the response").click()
    expect(page.locator("#confirm-error")).to_contain_text("Tick the box")
    assert stored(app, response_id)["D1"][0]["deployment_id"] == "d1"
    page.get_by_label("I have checked the answers").check()
    page.get_by_role("button", name="Submit the response").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("submitted")
    db = store.open_db(app.config["DATABASE"])
    try:
        assert store.get_response(db, response_id)["status"] == "submitted"
    finally:
        db.close()
