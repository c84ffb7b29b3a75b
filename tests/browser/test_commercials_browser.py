"""The commercials block in a real browser: it scrolls inside its own box on a phone, follows the
ranking when the weights move, and reads in English and German (screenshots to look at)."""

import copy

import pytest
from playwright.sync_api import expect

from stagefour import evaluations
from stagefour import store
from stagefour.library import load_by_id
from stagefour.response import Response

from ..conftest import load_response_json
from ..test_commercials_block import PROFILE
from ..test_commercials_block import VENDORS
from .conftest import demo_links
from .conftest import shot

BASES = ("stage4-deployer", "no-engineers", "pilots-only")


def add_three_vendors(app) -> int:
    """A 1.1 evaluation with the buyer profile set and three vendors with realistic answers and K1–K6."""
    db = store.open_db(app.config["DATABASE"])
    team_id = store.get_team_by_name(db, "Procurement")["id"]
    evaluation_id = evaluations.start_evaluation(
        db, load_by_id("ai-deployment-partner"), "Claims commercials", buyer_profile=dict(PROFILE), team_id=team_id
    )
    for (name, answers), base in zip(VENDORS, BASES, strict=True):
        full = load_response_json(base)["answers"] | copy.deepcopy(answers)
        vendor_id, _ = evaluations.invite(db, evaluation_id, name, None, "test")
        evaluations.import_response(db, vendor_id, Response("ai-deployment-partner", name, full), "test", submit=True)
    db.close()
    return evaluation_id


def log_in(page, base: str, output: str) -> None:
    creds = demo_links(output)
    page.goto(f"{base}/login")
    page.fill("#email", creds["email"])
    page.fill("#password", creds["password"])
    page.get_by_role("button", name="Log in").click()


@pytest.mark.parametrize("lang", ["en", "de"])
def test_the_block_scrolls_in_its_own_box_on_a_phone_and_reads_in_each_language(live, page, lang):
    base, output, app = live
    evaluation_id = add_three_vendors(app)
    page.set_extra_http_headers({"Accept-Language": lang})
    log_in(page, base, output)
    url = f"{base}/evaluations/{evaluation_id}/compare"
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(url)
    expect(page.locator("#commercials caption")).to_contain_text("EUR")
    shot(page, f"commercials-{lang}-1280")
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(url)
    block = page.locator(".commercials-scroll")
    expect(block).to_be_visible()
    # the page itself does not scroll sideways: the table scrolls inside its box
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert block.evaluate("e => e.scrollWidth > e.clientWidth")
    shot(page, f"commercials-{lang}-375")


def test_the_blocks_columns_follow_the_ranking_when_a_weight_moves(live, page):
    base, output, app = live
    evaluation_id = add_three_vendors(app)
    log_in(page, base, output)
    page.goto(f"{base}/evaluations/{evaluation_id}/compare")
    expect(page.locator("#w_A-range")).to_be_visible()

    def orders():
        ranking = page.locator("#ranking tbody tr[data-vendor]").evaluate_all("rs => rs.map(r => r.dataset.vendor)")
        heads = page.locator("#commercials thead th[data-vendor]").evaluate_all("hs => hs.map(h => h.dataset.vendor)")
        cells = page.locator("#commercials tr.row-K2 td").evaluate_all("ds => ds.map(d => d.dataset.vendor)")
        return ranking, heads, cells

    first, heads, cells = orders()
    assert first == heads == cells
    sections = "ABCDEFGHIJK"
    seen = set()
    for alone in sections:  # weigh one section alone, each in turn
        page.locator(f"#w_{alone}-range").fill("50")  # first, so no moment has every weight at 0
        for section in sections.replace(alone, ""):
            page.locator(f"#w_{section}-range").fill("0")
        ranking, heads, cells = orders()
        assert ranking == heads == cells, alone
        seen.add(tuple(ranking))
    assert len(seen) > 1  # some weights did re-rank, and the block followed
