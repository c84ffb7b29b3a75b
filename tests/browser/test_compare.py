"""The comparison page in a real browser: moving a weight slider re-ranks the vendors."""

import pytest
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


def figures(page) -> dict:
    """Every figure on the comparison page that depends on the weights, as the reader sees it."""
    return page.evaluate(
        """() => {
          const text = (n) => n ? n.textContent.replace(/\\s+/g, " ").trim() : null;
          return {
            ranking: [...document.querySelectorAll("#ranking tbody tr")].map((tr) =>
              [text(tr.querySelector(".rank")), text(tr.querySelector("th a")), text(tr.querySelector(".overall"))]),
            stability: text(document.getElementById("stability")),
            sensitivity: [...document.querySelectorAll("#sensitivity tbody tr")].map((tr) =>
              [...tr.cells].map(text)),
          };
        }"""
    )


def log_in(page, base: str, output: str) -> None:
    creds = demo_links(output)
    page.goto(f"{base}/login")
    page.fill("#email", creds["email"])
    page.fill("#password", creds["password"])
    page.get_by_role("button", name="Log in").click()


def test_after_moving_sliders_every_figure_is_the_servers_for_those_weights(live, page):
    base, output, app = live
    log_in(page, base, output)
    close = add_two_close_vendors(app)
    db = store.open_db(app.config["DATABASE"])
    demo = min(e["id"] for e in db.query("SELECT id FROM evaluations"))  # the demo's vendors
    db.close()
    settings = [
        {"A": 0, "B": 0, "C": 50, "D": 0, "E": 0, "F": 0, "G": 0, "H": 0, "I": 0, "J": 0},
        {"A": 37, "C": 3, "F": 999},
        {"B": 1000, "D": 13, "H": 7},
        {"A": 1, "E": 250, "J": 0},
    ]
    compared = 0
    for evaluation_id in (demo, close):
        page.goto(f"{base}/evaluations/{evaluation_id}/compare")
        expect(page.locator("#w_A-range")).to_be_visible()
        for weights in settings:
            for section, value in weights.items():
                page.locator(f"#w_{section}-range").fill(str(value))
            moved = figures(page)
            page.reload()  # the address carries the weights: the server computes the same page
            served = figures(page)
            assert moved == served, (evaluation_id, weights)
            compared += len(served["ranking"]) + len(served["sensitivity"])
        # a box typed beyond the slider's old stop of 50 moves the slider to the same value
        page.fill("#w_B", "640")
        assert page.locator("#w_B-range").input_value() == "640"
        assert page.locator("#w_B-range").get_attribute("max") == page.locator("#w_B").get_attribute("max") == "1000"
    assert compared > 20
    shot(page, "buyer-compare-figures")


def test_the_comparison_on_a_phone_and_without_answers(live, browser):
    base, output, app = live
    db = store.open_db(app.config["DATABASE"])
    demo = min(e["id"] for e in db.query("SELECT id FROM evaluations"))
    team_id = store.get_team_by_name(db, "Procurement")["id"]
    silent = evaluations.start_evaluation(db, load_by_id("ai-deployment-partner"), "Nobody answered", team_id=team_id)
    evaluations.invite(db, silent, "Quiet Vendor Ltd", None, "test")
    db.close()
    for width, height in ((1280, 800), (375, 667)):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        log_in(page, base, output)
        page.goto(f"{base}/evaluations/{demo}/compare")
        page.locator("#w_B-range").fill("200")
        page.locator("details.sensitivity > summary").click()
        expect(page.locator("#sensitivity")).to_be_visible()
        shot(page, f"buyer-compare-{width}")
        page.goto(f"{base}/evaluations/{silent}/compare")
        expect(page.locator("#no-answers")).to_contain_text("No vendor has answered yet")
        expect(page.locator("#ranking")).to_have_count(0)
        expect(page.locator("form.pdf-form")).to_have_count(0)
        shot(page, f"buyer-compare-no-answers-{width}")
        context.close()


def column_boxes(page) -> list[tuple[float, float]]:
    """(x within the table, width) of each heading of the ranking: a click may scroll, never reflow."""
    left = page.locator("#ranking").bounding_box()["x"]
    return [
        (round(b["x"] - left, 1), round(b["width"], 1))
        for b in (h.bounding_box() for h in page.locator("#ranking thead th").all())
    ]


@pytest.mark.parametrize("width", [1280, 375])
def test_opening_a_heat_map_cell_keeps_every_column_where_it_was(live, page, width):
    base, output, app = live
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, base, output)
    page.goto(f"{base}/evaluations/1/compare")
    before = column_boxes(page)
    if width == 1280:  # every column on screen: the ranking needs no sideways scrolling
        scroll = page.locator("#ranking").locator("xpath=..")
        assert scroll.evaluate("e => e.scrollWidth <= e.clientWidth")
    # The first vendor's cells of sections A and J (a panel opening rightwards, one leftwards).
    for cell in (0, -1):
        heat = page.locator("#ranking tbody tr").first.locator("td.heat").nth(cell if cell >= 0 else 9)
        heat.locator("summary").click()
        panel = heat.locator("ul.why")
        expect(panel).to_be_visible()
        assert column_boxes(page) == before, "opening a cell moved the columns"
        box, table = panel.bounding_box(), page.locator("#ranking").bounding_box()
        row = page.locator("#ranking tbody tr").first.bounding_box()
        assert box["y"] >= row["y"] + row["height"] - 1, "the panel opens below the row"
        if width == 1280:  # the whole table fits: the panel stays inside it, nothing scrolls sideways
            assert table["x"] - 1 <= box["x"] and box["x"] + box["width"] <= table["x"] + table["width"] + 1
        shot(page, f"buyer-compare-heat-open-{'A' if cell == 0 else 'J'}-{width}")
        heat.locator("summary").click()
        expect(panel).to_be_hidden()
