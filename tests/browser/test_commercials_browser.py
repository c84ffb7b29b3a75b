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
from .conftest import SHOTS
from .conftest import demo_links
from .conftest import shot
from .test_accessibility import BLOCKING
from .test_accessibility import _describe
from .test_accessibility import axe_page  # noqa: F401 (the fixture)

BASES = ("stage4-deployer", "no-engineers", "pilots-only")


def close_vendors() -> list[dict]:
    """Three stage-4 deployers: one as it is, one weak on people (C), one weak on engagement (A)."""
    full = load_response_json("stage4-deployer")["answers"]
    weak_c = dict(full, C3=False, C1=[dict(e, proposed=False) for e in full["C1"]][:1] + full["C1"][1:])
    return [full, weak_c, dict(full, A2=0, A4=False, A5=5)]


def add_three_vendors(app, bases: list[dict] | None = None) -> int:
    """A 1.1 evaluation with the buyer profile set and three vendors with realistic answers and K1–K6."""
    bases = bases or [load_response_json(name)["answers"] for name in BASES]
    db = store.open_db(app.config["DATABASE"])
    team_id = store.get_team_by_name(db, "Procurement")["id"]
    evaluation_id = evaluations.start_evaluation(
        db, load_by_id("ai-deployment-partner"), "Claims commercials", buyer_profile=dict(PROFILE), team_id=team_id
    )
    for (name, answers), base in zip(VENDORS, bases, strict=True):
        full = copy.deepcopy(base) | copy.deepcopy(answers)
        vendor_id, _ = evaluations.invite(db, evaluation_id, name, None, "test")
        evaluations.import_response(db, vendor_id, Response("ai-deployment-partner", name, full), "test", submit=True)
    db.close()
    return evaluation_id


def shot_of_block(page, name: str) -> None:
    """A screenshot from the ranking to the block's note: the part of the page a person checks."""
    top = page.locator("#ranking").bounding_box()
    note = page.locator(".commercials-note").bounding_box()
    scroll = page.evaluate("window.scrollY")
    y = top["y"] + scroll - 40
    bottom = note["y"] + scroll + note["height"] + 10
    clip = {"x": 0, "y": y, "width": page.viewport_size["width"], "height": bottom - y}
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True, clip=clip)


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
    log_in(page, base, output)
    page.set_extra_http_headers({"Accept-Language": lang})
    url = f"{base}/evaluations/{evaluation_id}/compare"
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(url)
    expect(page.locator("#commercials caption")).to_contain_text("EUR")
    shot(page, f"commercials-{lang}-1280")
    shot_of_block(page, f"commercials-{lang}-1280-block")
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(url)
    block = page.locator(".commercials-scroll")
    expect(block).to_be_visible()
    # the page itself does not scroll sideways: the table scrolls inside its box
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert block.evaluate("e => e.scrollWidth > e.clientWidth")
    shot(page, f"commercials-{lang}-375")
    shot_of_block(page, f"commercials-{lang}-375-block")


def test_the_blocks_columns_follow_the_ranking_when_a_weight_moves(live, page):
    base, output, app = live
    evaluation_id = add_three_vendors(app, close_vendors())
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


def test_the_comparison_with_the_block_has_no_serious_axe_violations(live, axe_page):  # noqa: F811
    """The walk in test_accessibility meets the block only with the demo's answers; here it is full."""
    base, output, app = live
    evaluation_id = add_three_vendors(app)
    log_in(axe_page, base, output)
    for lang in ("en", "de"):
        axe_page.set_extra_http_headers({"Accept-Language": lang})
        axe_page.goto(f"{base}/evaluations/{evaluation_id}/compare")
        expect(axe_page.locator("#commercials")).to_be_visible()
        result = axe_page.evaluate("() => axe.run(document)")
        assert result["passes"]
        blocking = [v for v in result["violations"] if v["impact"] in BLOCKING]
        assert not blocking, f"{lang}:\n{_describe(blocking)}"
