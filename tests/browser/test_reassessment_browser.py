"""Re-assessment in a real browser (issue 16): a vendor opens next year's form, sees what carried over,
confirms it section by section and submits; at desktop and phone widths."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from stagefour import reassessment
from stagefour import store
from stagefour.scoring import completeness

from .conftest import demo_links
from .conftest import shot

WIDTHS = {"desktop": (1280, 900), "phone": (375, 812)}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _reassess(app) -> tuple[str, int]:
    """Decide the demo evaluation and start its re-assessment: (the vendor's new token, its response id)."""
    db = store.open_db(app.config["DATABASE"])
    try:
        evaluation = store.list_evaluations(db)[-1]
        vendors = store.list_vendors(db, evaluation["id"])
        owner = evaluation["created_by"]
        store.record_decision(db, evaluation["id"], {v["id"]: ("shortlist", "Checked.") for v in vendors}, "", owner)
        questionnaire = reassessment_questionnaire(db, evaluation)
        new_id, links, _carried = reassessment.start_reassessment(
            db, store.get_evaluation(db, evaluation["id"]), questionnaire, "Next year", owner, None
        )
        names = {v["id"]: v for v in store.list_vendors(db, new_id)}
        # the vendor whose carried answers leave the fewest required ones to give again (only G8's file)
        missing = {vid: completeness(questionnaire, store.load_answers(db, names[vid]["response_id"])).missing
                   for vid, _t in links}  # fmt: skip
        vendor_id, token = min(links, key=lambda link: len(missing[link[0]]))
        assert missing[vendor_id] == ("G8",)
        return token, names[vendor_id]["response_id"]
    finally:
        db.close()


def reassessment_questionnaire(db, evaluation):
    """The questionnaire of the evaluation's snapshot."""
    from stagefour.questionnaire import parse_questionnaire

    return parse_questionnaire(store.get_snapshot(db, evaluation["snapshot_id"])["definition"], "demo")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_vendor_confirms_carried_answers_section_by_section_and_submits(live, page: Page, width):
    base, _output, app = live
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    token, response_id = _reassess(app)
    page.goto(f"{base}/v/{token}/s/A")
    expect(page.locator(".carried-mark").first).to_contain_text("Carried over, please confirm.")
    shot(page, f"reassess-vendor-section-a-{width}")
    # submitting before confirming: refused, and the review page lists what to confirm
    page.goto(f"{base}/v/{token}/review")
    expect(page.locator("ul.unconfirmed li").first).to_be_visible()
    expect(page.get_by_role("button", name="Submit the response")).to_have_count(0)
    shot(page, f"reassess-vendor-review-unconfirmed-{width}")
    # one answer confirmed by its own box, then every section with its "confirm all" button
    page.goto(f"{base}/v/{token}/s/A")
    page.get_by_label("Confirm answer A1 as it is").check()
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".flash.success").last).to_contain_text("1 carried-over answer confirmed.")
    expect(page.locator("#carried-A1")).to_have_count(0)
    db = store.open_db(app.config["DATABASE"])
    sections = [
        s.id
        for s in reassessment_questionnaire(db, store.get_evaluation(db, store.list_evaluations(db)[0]["id"])).sections
    ]
    db.close()
    for section_id in sections:
        page.goto(f"{base}/v/{token}/s/{section_id}")
        button = page.get_by_role("button", name="Save and confirm all answers in this section")
        if button.count():
            button.click()
            expect(page.locator(".carried-mark")).to_have_count(0)
    # files never carry over: the required exit-plan document (G8) is sent again, this year's
    page.goto(f"{base}/v/{token}/review")
    expect(page.locator("ul.unconfirmed")).to_have_count(0)
    expect(page.locator("ul.missing li")).to_have_count(1)
    page.goto(f"{base}/v/{token}/s/G")
    page.set_input_files(
        "input[type=file][name=G8]", {"name": "exit-plan.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".flash.success").last).to_contain_text("Saved at")
    page.goto(f"{base}/v/{token}/review")
    page.get_by_label("I have checked the answers").check()
    page.get_by_role("button", name="Submit the response").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("submitted")
    db = store.open_db(app.config["DATABASE"])
    try:
        assert store.get_response(db, response_id)["status"] == "submitted"
        states = store.carried_answers(db, [response_id])[response_id].values()
        assert all(s["confirmed_at"] for s in states if s["carried"])
    finally:
        db.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_owner_starts_next_years_evaluation_and_sees_what_changed(live, page: Page, width):
    base, output, app = live
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    db = store.open_db(app.config["DATABASE"])
    evaluation = store.list_evaluations(db)[-1]
    vendors = store.list_vendors(db, evaluation["id"])
    store.record_decision(
        db, evaluation["id"], {v["id"]: ("shortlist", "Checked.") for v in vendors}, "", evaluation["created_by"]
    )
    db.close()
    creds = demo_links(output)
    page.goto(f"{base}/login")
    page.fill("#email", creds["email"])
    page.fill("#password", creds["password"])
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{base}/evaluations/{evaluation['id']}")
    page.get_by_role("link", name="Start next year's evaluation").click()
    expect(page.locator("#title")).to_have_value(re.compile(r"\(\d{4}\)$"))
    shot(page, f"reassess-form-{width}")
    page.get_by_role("button", name="Start the re-assessment").click()
    expect(page.locator("#carried")).to_be_visible()
    expect(page.locator("#new-links .copy-link")).to_have_count(len(vendors))
    shot(page, f"reassess-new-evaluation-{width}")
    new_id = int(page.url.split("#")[0].rstrip("/").split("/")[-1])
    db = store.open_db(app.config["DATABASE"])
    first = store.list_vendors(db, new_id)[0]
    store.save_answers(db, first["response_id"], {"A2": 1}, store.answer_versions(db, first["response_id"]), "test")
    db.close()
    page.goto(f"{base}/evaluations/{new_id}/compare")
    page.get_by_role("link", name="Show what changed since the previous evaluation").click()
    expect(page.locator("#changes")).to_contain_text("Changed since")
    shot(page, f"reassess-compare-changes-{width}")
    page.goto(f"{base}/evaluations/{new_id}/vendors/{first['id']}")
    expect(page.locator("dl.carried-states")).to_contain_text("A2")
    shot(page, f"reassess-response-changes-{width}")
