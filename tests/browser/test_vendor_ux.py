"""The vendor's page in a real browser (issue 12, item 7): a phone's first screen, undo, the file limit,
a link closed while typing."""

import re

from playwright.sync_api import expect

from stagefour import store

from .conftest import shot
from .test_vendor_journey import new_vendor
from .test_vendor_journey import stored

PHONE = {"width": 375, "height": 667}
DESKTOP = {"width": 1280, "height": 800}


def test_on_a_phone_the_first_question_is_on_the_first_screen(live, browser):
    base, _, app = live
    token, _ = new_vendor(app, "Pocket Deployments")
    for javascript in (True, False):
        context = browser.new_context(viewport=PHONE, java_script_enabled=javascript)
        page = context.new_page()
        for sid in ("A", "B", "C"):
            page.goto(f"{base}/v/{token}/s/{sid}")
            label = page.locator(".question .prompt").first
            box = label.bounding_box()
            assert box is not None and box["y"] + box["height"] <= PHONE["height"], (sid, javascript, box)
            # the section list is one line away, not gone
            expect(page.locator("details.sections-compact > summary")).to_be_visible()
            expect(page.locator(".sections-wide")).to_be_hidden()
        shot(page, f"vendor-phone-section-c{'-nojs' if not javascript else ''}")
        page.locator("details.sections-compact > summary").click()
        expect(page.locator("details.sections-compact nav.sections")).to_be_visible()
        shot(page, "vendor-phone-sections-open")
        page.goto(f"{base}/v/{token}")
        shot(page, "vendor-phone-overview")
        context.close()
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{base}/v/{token}/s/B")
    expect(page.locator(".sections-wide nav.sections")).to_be_visible()
    expect(page.locator("details.sections-compact")).to_be_hidden()
    shot(page, "vendor-desktop-section-b")
    page.goto(f"{base}/v/{token}")
    shot(page, "vendor-desktop-overview")
    context.close()


def save_answers(app, response_id, answers):
    db = store.open_db(app.config["DATABASE"])
    try:
        store.save_answers(db, response_id, answers, store.answer_versions(db, response_id), "test")
    finally:
        db.close()


ROWS = [{"id": "e1", "name": "Ana Ruiz"}, {"id": "e2", "name": "Ben Ode"}]


def test_a_removed_row_can_be_undone_for_a_while_and_only_then_is_its_removal_saved(live, page):
    base, _, app = live
    token, response_id = new_vendor(app, "Second Thoughts Ltd")
    save_answers(app, response_id, {"C1": ROWS})
    page.clock.install()  # the undo's while passes when the test says so
    page.goto(f"{base}/v/{token}/s/C")
    second = page.locator("fieldset.row[data-row='1']")
    page.get_by_role("button", name="Remove row 2").click()
    expect(second).to_be_hidden()
    undo = page.locator(".row-removed button", has_text="Undo")
    expect(undo).to_be_focused()
    expect(page.locator(".row-removed")).to_contain_text("Row 2 removed.")
    shot(page, "vendor-row-removed-undo")
    undo.click()
    expect(second).to_be_visible()
    expect(page.locator("[name='C1-1-name']")).to_have_value("Ben Ode")
    page.clock.run_for(30_000)
    assert stored(app, response_id)["C1"] == ROWS  # undone: nothing was saved, nothing removed
    # not undone: once the while is over the removal is saved by the autosave
    page.get_by_role("button", name="Remove row 2").click()
    page.clock.run_for(9_000)
    assert stored(app, response_id)["C1"] == ROWS
    page.clock.run_for(2_000)
    expect(page.locator(".autosave-status")).to_contain_text("Saved at")
    assert stored(app, response_id)["C1"] == ROWS[:1]
    expect(page.locator("fieldset.row")).to_have_count(1)
    # a later save of the same group never brings it back
    page.fill("[name='C1-0-name']", "Ana Ruiz-Ode")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".flash.success")).to_contain_text("Saved at")
    assert stored(app, response_id)["C1"] == [{"id": "e1", "name": "Ana Ruiz-Ode"}]


def test_a_row_removed_just_before_the_form_is_sent_stays_removed(live, page):
    base, _, app = live
    token, response_id = new_vendor(app, "In A Hurry Ltd")
    save_answers(app, response_id, {"C1": ROWS})
    page.clock.install()
    page.goto(f"{base}/v/{token}/s/C")
    page.get_by_role("button", name="Remove row 1").click()
    page.get_by_role("button", name="Save draft").click()  # within the undo's while
    expect(page.locator(".flash.success")).to_contain_text("Saved at")
    assert stored(app, response_id)["C1"] == ROWS[1:]
    expect(page.locator("fieldset.row")).to_have_count(1)


def test_a_file_over_the_limit_is_refused_before_it_is_sent(live, page):
    base, _, app = live
    token, response_id = new_vendor(app, "Big Files Ltd")
    app.config["MAX_FILE_BYTES"] = 2_000_000
    page.goto(f"{base}/v/{token}/s/B")
    expect(page.locator("#B5-limit")).to_have_text(re.compile(r"Accepted: PDF, .*; up to 2 MB per file\."))
    big = {"name": "huge-scan.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n" + b"0" * 2_000_001}
    small = {"name": "runbook.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}
    page.set_input_files("#B5", files=[big, small])
    expect(page.locator("#B5-size-error")).to_contain_text("huge-scan.pdf is over the limit of 2 MB")
    expect(page.locator("#B5")).to_have_attribute("aria-invalid", "true")
    assert page.locator("#B5").evaluate("el => Array.from(el.files).map(f => f.name)") == ["runbook.pdf"]
    shot(page, "vendor-file-too-big")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".flash.success")).to_contain_text("Saved at")
    assert [f["name"] for f in stored(app, response_id)["B5"]] == ["runbook.pdf"]


def test_a_link_revoked_while_typing_keeps_the_text_and_says_it_was_not_saved(live, page):
    base, _, app = live
    token, response_id = new_vendor(app, "Revoked Midway Ltd")
    page.goto(f"{base}/v/{token}/s/C")
    page.fill("#C4", "First draft, saved.")
    page.locator("#C4").blur()
    expect(page.locator(".autosave-status")).to_contain_text("Saved at")
    db = store.open_db(app.config["DATABASE"])
    store.revoke_invitations(db, store.get_response(db, response_id)["vendor_id"], "test")
    db.close()
    typed = "An overlap of two weeks, then shadowing; runbooks in the customer's wiki."
    page.fill("#C4", typed)
    page.locator("#C4").blur()
    alert = page.locator(".unsaved[role=alert]")
    expect(alert).to_contain_text("NOT saved")
    expect(alert).not_to_contain_text("nothing is lost")
    expect(page.locator("#C4")).to_have_value(typed)  # the typed text stays in its field
    expect(page.locator("#unsaved-answers")).to_have_value(f"C4: {typed}")
    expect(page.locator(".autosave-status")).not_to_contain_text("trying again")
    shot(page, "vendor-link-closed-while-typing")
    assert stored(app, response_id)["C4"] == "First draft, saved."
    # the form's own button now shows the closed page with the text, not a loss
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#unsaved")).to_contain_text(typed)
    expect(page.locator("h1")).to_have_text("This link has been withdrawn")


def test_without_javascript_a_removed_row_comes_back_with_the_undo_button(live, browser):
    base, _, app = live
    token, response_id = new_vendor(app, "No Script Ltd")
    save_answers(app, response_id, {"C1": ROWS})
    for viewport, name in ((DESKTOP, "1280"), (PHONE, "375")):
        context = browser.new_context(viewport=viewport, java_script_enabled=False)
        page = context.new_page()
        page.goto(f"{base}/v/{token}/s/C")
        page.get_by_role("button", name="Remove row 1").click()
        expect(page.locator(".row-removed")).to_contain_text("Row 1 of C1 removed.")
        assert stored(app, response_id)["C1"] == ROWS[1:]
        page.locator(".row-removed").scroll_into_view_if_needed()
        shot(page, f"vendor-row-removed-nojs-{name}")
        page.get_by_role("button", name="Undo").click()
        expect(page.locator(".flash.success")).to_contain_text("Saved at")
        assert stored(app, response_id)["C1"] == ROWS
        expect(page.locator("[name='C1-0-name']")).to_have_value("Ana Ruiz")
        context.close()
