"""A vendor and a buyer in a real browser: fill, reload, autosave, submit; two colleagues at once."""

import re

import pytest
from playwright.sync_api import expect

from stagefour import evaluations
from stagefour import store

from ..conftest import load_response_json
from ..conftest import with_1_1_answers
from .conftest import demo_links
from .conftest import shot


def new_vendor(app, name="Harbour Deployments"):
    """A freshly invited vendor in the demo evaluation: (token, response id)."""
    db = store.open_db(app.config["DATABASE"])
    evaluation_id = store.list_evaluations(db)[0]["id"]
    vendor_id, token = evaluations.invite(db, evaluation_id, name, None, "test")
    response_id = store.get_vendor(db, vendor_id)["response_id"]
    db.close()
    return token, response_id


def stored(app, response_id):
    db = store.open_db(app.config["DATABASE"])
    try:
        return store.load_answers(db, response_id)
    finally:
        db.close()


def fill_row(page, i, **cells):
    for name, value in cells.items():
        field = page.locator(f"[name='B1-{i}-{name}']")
        kind = field.first.get_attribute("type")
        if kind == "radio":
            page.check(f"[name='B1-{i}-{name}'][value='{value}']")
        elif field.first.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


def test_vendor_fills_two_sections_reloads_and_submits(live, page):
    base, output, app = live
    token, response_id = new_vendor(app)
    page.goto(f"{base}/v/{token}")
    shot(page, "vendor-overview")
    page.get_by_role("link", name=re.compile("Start with section A")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Engagement")
    page.check("input[name=A1][value=boutique]")
    page.fill("#A2", "3")
    page.fill("#A3", "7")
    page.check("input[name=A4][value=yes]")
    shot(page, "vendor-section-a")
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Production track record")
    page.get_by_role("button", name="Add a row").click()
    fill_row(page, 0, id="d1", customer_type="Regional insurer", industry="insurance", go_live="2026-09-01",
             stage="4", in_production="yes", vendor_role="built_operates")  # fmt: skip
    page.get_by_role("button", name="Add a row").click()
    expect(page.locator("[name='B1-1-id']")).to_be_visible()
    expect(page.locator("[name='B1-0-id']")).to_have_value("d1")  # the first row was kept
    fill_row(page, 1, id="d2", stage="3", in_production="no", vendor_role="poc")
    page.fill("#B3", "2")
    shot(page, "vendor-section-b-rows")
    page.get_by_role("button", name="Save draft").click()
    expect(page).to_have_url(re.compile(r"/s/B$"))  # the page after the save (the one before had a flash too)
    expect(page.locator(".flash.success")).to_contain_text("Saved at")

    page.reload()
    expect(page.locator("[name='B1-0-id']")).to_have_value("d1")
    expect(page.locator("[name='B1-1-id']")).to_have_value("d2")
    expect(page.locator("[name='B1-0-industry']")).to_have_value("insurance")
    expect(page.locator("#B3")).to_have_value("2")
    page.goto(f"{base}/v/{token}/s/A")
    expect(page.locator("#A2")).to_have_value("3")
    expect(page.locator("input[name=A1][value=boutique]")).to_be_checked()
    answers = stored(app, response_id)
    assert answers["B1"][0]["stage"] == 4 and answers["B1"][1]["vendor_role"] == "poc"

    # autosave: type, leave the field, and the status says it was saved
    page.fill("#A5", "40")
    page.locator("#A2").focus()
    expect(page.locator(".autosave-status")).to_contain_text("Saved at", timeout=10_000)
    assert stored(app, response_id)["A5"] == 40

    # a colleague answers the rest; the vendor reviews and submits
    rest = {
        k: v for k, v in with_1_1_answers(load_response_json("stage4-deployer")["answers"]).items() if k[0] not in "AB"
    }
    db = store.open_db(app.config["DATABASE"])
    store.save_answers(db, response_id, rest, store.answer_versions(db, response_id), "test")
    db.close()
    page.goto(f"{base}/v/{token}/review")
    shot(page, "vendor-review")
    page.get_by_label("I have checked the answers").check()
    page.get_by_role("button", name="Submit the response").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("submitted")
    shot(page, "vendor-receipt")

    # the buyer logs in and sees the vendor as submitted
    creds = demo_links(output)
    page.goto(f"{base}/login")
    page.fill("#email", creds["email"])
    page.fill("#password", creds["password"])
    page.get_by_role("button", name="Log in").click()
    row = page.locator("tr", has_text="Harbour Deployments")
    expect(row).to_contain_text("Submitted")
    shot(page, "buyer-dashboard")


def test_a_new_row_typed_without_saving_is_not_lost_when_adding_another(live, page):
    base, _, app = live
    token, response_id = new_vendor(app)
    page.goto(f"{base}/v/{token}/s/B")
    page.get_by_role("button", name="Add a row").click()
    fill_row(page, 0, id="only-typed")
    page.get_by_role("button", name="Add a row").click()
    expect(page.locator("[name='B1-1-id']")).to_be_visible()  # the page after the save, with a new row
    expect(page.locator("[name='B1-0-id']")).to_have_value("only-typed")
    assert stored(app, response_id)["B1"] == [{"id": "only-typed"}]


def test_two_colleagues_on_one_link_keep_both_edits_or_are_told(live, browser):
    base, _, app = live
    token, response_id = new_vendor(app)
    first = browser.new_context().new_page()
    second = browser.new_context().new_page()
    for page in (first, second):
        page.goto(f"{base}/v/{token}/s/A")
    # different questions at the same time: both kept
    first.fill("#A2", "4")
    second.fill("#A3", "9")
    first.get_by_role("button", name="Save draft").click()
    second.get_by_role("button", name="Save draft").click()
    expect(second.locator(".flash.success")).to_contain_text("Saved at")
    assert stored(app, response_id) == {"A2": 4, "A3": 9}
    # the same question: the later save is told, and nothing is overwritten silently
    first.fill("#A2", "2")
    first.get_by_role("button", name="Save draft").click()
    expect(first.locator(".flash.success")).to_contain_text("Saved at")
    second.goto(f"{base}/v/{token}/s/A")
    first.fill("#A2", "3")
    first.locator("#A3").focus()  # autosave on leaving the field
    expect(first.locator(".autosave-status")).to_contain_text("Saved at", timeout=10_000)
    second.fill("#A2", "6")  # second still shows 2
    second.get_by_role("button", name="Save draft").click()
    expect(second.locator(".conflict")).to_contain_text("A colleague saved a different answer: 3")
    shot(second, "vendor-conflict")
    assert stored(app, response_id)["A2"] == 3
    # keeping theirs on purpose: save again from the conflict page
    second.get_by_role("button", name="Save draft").click()
    expect(second.locator(".flash.success")).to_contain_text("Saved at")
    assert stored(app, response_id)["A2"] == 6


@pytest.mark.parametrize("language,heading", [("de", "Einsatzmodell"), ("fr", "Modalités de la mission")])
def test_language_switch_in_the_browser(live, page, language, heading):
    base, _, app = live
    token, _ = new_vendor(app)
    page.goto(f"{base}/v/{token}/s/A")
    page.select_option("#language-switch", language)
    page.get_by_role("button", name="Change language").click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    shot(page, f"vendor-section-a-{language}")
