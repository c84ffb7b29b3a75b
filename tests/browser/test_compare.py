"""The comparison page in a real browser: moving a weight slider re-ranks the vendors."""

from playwright.sync_api import expect

from stagefour import evaluations
from stagefour import store
from stagefour.library import load_by_id
from stagefour.response import Response

from ..conftest import load_response_json
from .conftest import demo_links
from .conftest import shot


def add_two_close_vendors(app) -> int:
    """Two stage-4 vendors: one strong on engagement (A), one on people (C)."""
    full = load_response_json("stage4-deployer")["answers"]
    db = store.open_db(app.config["DATABASE"])
    team_id = store.get_team_by_name(db, "Procurement")["id"]  # the demo's team, where its buyer is owner
    evaluation_id = evaluations.start_evaluation(
        db, load_by_id("ai-deployment-partner"), "Two close vendors", team_id=team_id
    )
    variants = {
        "People First": dict(full, A2=0, A3=50, A4=False, A5=5),
        "Engaged Co": dict(full, C3=False, C1=[dict(e, proposed=False) for e in full["C1"]][:1] + full["C1"][1:]),
    }
    for name, answers in variants.items():
        vendor_id, _ = evaluations.invite(db, evaluation_id, name, None, "test")
        response = Response("ai-deployment-partner", name, answers)
        evaluations.import_response(db, vendor_id, response, "test", submit=True)
    db.close()
    return evaluation_id


def first_in_ranking(page) -> str:
    return page.locator("#ranking tbody tr").first.locator("th a").inner_text()


def test_moving_a_weight_slider_changes_the_order(live, page):
    base, output, app = live
    evaluation_id = add_two_close_vendors(app)
    creds = demo_links(output)
    page.goto(f"{base}/login")
    page.fill("#email", creds["email"])
    page.fill("#password", creds["password"])
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{base}/evaluations/{evaluation_id}/compare")
    expect(page.locator("#w_A-range")).to_be_visible()  # the script shows the sliders
    before = first_in_ranking(page)
    # weigh only engagement, then only people: the two vendors swap places
    for section in "BCDEFGHIJ":
        page.locator(f"#w_{section}-range").fill("0")
    page.locator("#w_A-range").fill("50")
    engaged = first_in_ranking(page)
    page.locator("#w_A-range").fill("0")
    page.locator("#w_C-range").fill("50")
    people = first_in_ranking(page)
    assert {engaged, people} == {"Engaged Co", "People First"}
    assert engaged == "Engaged Co" and people == "People First"
    # columns of the side-by-side tables follow the ranking
    expect(page.locator("table.side-by-side thead th[data-vendor]").first).to_have_text("People First")
    assert "w_C=50" in page.url  # the weights are in the address, so a reload keeps them
    shot(page, "buyer-compare-reweighted")
    page.reload()
    assert first_in_ranking(page) == "People First"
    assert before in {"Engaged Co", "People First"}
