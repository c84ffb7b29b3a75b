"""A generic evaluation in a real browser (issue 15): its comparison and review pages, as a reader sees them,
say nothing of stages, deployments or verification, at desktop and phone widths, in English and German."""

import pytest
from playwright.sync_api import expect

from stagefour import evaluations
from stagefour import store
from stagefour.response import Response

from ..test_generic_questionnaire import CASES
from ..test_generic_questionnaire import ai_words_in
from .conftest import demo_links
from .conftest import shot


def add_generic_evaluation(app, case: str) -> tuple[int, dict]:
    """An evaluation of a generic questionnaire in the demo's team with two submitted vendors: (id, name -> id)."""
    questionnaire, answers_by_vendor = CASES[case]
    db = store.open_db(app.config["DATABASE"])
    team_id = store.get_team_by_name(db, "Procurement")["id"]  # the demo's team, where its buyer is owner
    evaluation_id = evaluations.start_evaluation(db, questionnaire, "Hosting supplier 2027", team_id=team_id)
    vendors = {}
    for name, answers in answers_by_vendor.items():
        vendor_id, _ = evaluations.invite(db, evaluation_id, name, None, "test")
        evaluations.import_response(db, vendor_id, Response(questionnaire.id, name, answers), "test", submit=True)
        vendors[name] = vendor_id
    db.close()
    return evaluation_id, vendors


@pytest.mark.parametrize("case", sorted(CASES))
def test_generic_comparison_and_review_pages_show_no_ai_words_at_any_width(live, page, case):
    base, output, app = live
    evaluation_id, vendors = add_generic_evaluation(app, case)
    creds = demo_links(output)
    page.goto(f"{base}/login")
    page.fill("#email", creds["email"])
    page.fill("#password", creds["password"])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    for lang in ("en", "de"):
        page.set_extra_http_headers({"Accept-Language": lang})
        for width, height in ((1280, 900), (375, 800)):
            page.set_viewport_size({"width": width, "height": height})
            page.goto(f"{base}/evaluations/{evaluation_id}/compare")
            expect(page.locator("#ranking tbody tr")).to_have_count(2)
            assert ai_words_in(page.locator("main").inner_text(), lang) == set()
            shot(page, f"generic-{case}-compare-{lang}-{width}")
            page.goto(f"{base}/evaluations/{evaluation_id}/vendors/{vendors['Beta Systems']}")
            expect(page.get_by_role("heading", level=1)).to_have_text("Beta Systems")
            assert ai_words_in(page.locator("main").inner_text(), lang) == set()
            shot(page, f"generic-{case}-review-{lang}-{width}")
