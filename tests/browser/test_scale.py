"""Big questionnaires in a real browser (issue 15, scale): twenty sections with long ids and
titles on the comparison page, and a vendor's section of 100 items."""

import pytest
from playwright.sync_api import expect

from bench.bigquestionnaire import big_questionnaire
from bench.bigquestionnaire import responses
from bench.bigquestionnaire import small_variant
from bench.bigquestionnaire import to_yaml
from stagefour import evaluations
from stagefour import store
from stagefour.questionnaire import load_yaml_bytes
from stagefour.response import parse_response

from .conftest import shot
from .test_compare import log_in

# An element holding one token shows it on one line (cut with an ellipsis, never wrapped inside).
ONE_LINE = """e => getComputedStyle(e).whiteSpace === "nowrap"
  && e.offsetHeight < 2 * parseFloat(getComputedStyle(e).fontSize)"""
NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def start(app, data: dict, vendors: int) -> tuple[int, list[str]]:
    """An evaluation of the demo's team on `data`, with `vendors` submitted vendors and one that has not started."""
    questionnaire = load_yaml_bytes(to_yaml(data).encode(), "big.yaml")
    db = store.open_db(app.config["DATABASE"])
    team_id = store.get_team_by_name(db, "Procurement")["id"]
    evaluation_id = evaluations.start_evaluation(db, questionnaire, "Big questionnaire", team_id=team_id)
    tokens = []
    for body in responses(data, vendors):
        response = parse_response(questionnaire, body)
        vendor_id, token = evaluations.invite(db, evaluation_id, response.vendor, None, "test")
        evaluations.import_response(db, vendor_id, response, "test", submit=True)
        tokens.append(token)
    _, fresh = evaluations.invite(db, evaluation_id, "Fresh Vendor GmbH", None, "test")
    db.close()
    return evaluation_id, [*tokens, fresh]


@pytest.mark.parametrize("width", [1280, 375])
def test_twenty_long_sections_do_not_push_the_comparison_sideways(live, page, width):
    base, output, app = live
    evaluation_id, _ = start(app, big_questionnaire(sections=20, per_section=5), vendors=3)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, base, output)
    page.goto(f"{base}/evaluations/{evaluation_id}/compare")
    expect(page.locator("#ranking tbody tr")).to_have_count(4)
    headings = page.locator("#ranking thead th.num")
    expect(headings).to_have_count(20)
    # The display number is shown, the full title is one hover away.
    expect(headings.first).to_have_text("ISG")
    expect(headings.first).to_have_attribute("title", "Information security governance and management oversight")
    shot(page, f"scale-compare-20-sections-{width}")
    assert page.evaluate(NO_SIDEWAYS_SCROLL), "the page scrolls sideways"
    if width == 1280:  # every heat-map column on screen: the ranking needs no sideways scrolling
        scroll = page.locator("#ranking").locator("xpath=..")
        assert scroll.evaluate("e => e.scrollWidth <= e.clientWidth")


def test_heat_map_headings_cut_a_long_section_id_without_breaking_it(live, page):
    base, output, app = live
    data = big_questionnaire(sections=12, per_section=2)
    for section in data["sections"]:
        del section["number"]  # the reader sees the long ids themselves
    evaluation_id, _ = start(app, data, vendors=2)
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, base, output)
    page.goto(f"{base}/evaluations/{evaluation_id}/compare")
    first = page.locator("#ranking thead th.num .cut").first
    expect(first).to_have_text("INFORMATION_SECURITY_GOVERNANCE")
    # One line: the id is cut with an ellipsis, never wrapped inside the token.
    assert first.evaluate(ONE_LINE)
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    shot(page, "scale-compare-long-ids-1280")


@pytest.mark.parametrize("width", [1280, 375])
def test_a_vendor_fills_a_section_of_100_items_and_saves(live, page, width):
    base, _, app = live
    data = small_variant()
    for section in data["sections"][1:]:
        del section["number"]  # long ids in the navigation
    _, tokens = start(app, data, vendors=1)
    page.set_viewport_size({"width": width, "height": 900})
    section_id = data["sections"][0]["id"]
    reply = page.goto(f"{base}/v/{tokens[-1]}/s/{section_id}")
    assert reply.status == 200
    weight = len(reply.body())
    assert weight < 600_000, f"the section page weighs {weight} bytes"
    nav = page.locator("nav.sections").first
    expect(nav.locator("li")).to_have_count(4)  # three sections and "Review and submit"
    # A long section id in the navigation stays on one line (cut, not broken mid-word).
    sid = nav.locator(".sid").nth(1)
    expect(sid).to_have_text("IDENTITY_AND_ACCESS_MANAGEMENT")
    shot(page, f"scale-vendor-100-items-{width}")
    assert sid.evaluate(ONE_LINE)
    shot(page, f"scale-vendor-100-items-{width}")
    assert page.evaluate(NO_SIDEWAYS_SCROLL), "the vendor page scrolls sideways"
    first = data["sections"][0]["questions"][0]["id"]
    last_id = data["sections"][0]["questions"][99]["id"]
    page.locator(f"input[name='{first}'][value='yes']").check()
    page.locator(f"input[name='{last_id}']").last.fill("4")
    with page.expect_navigation():
        page.get_by_role("button", name="Save draft").first.click()
    db = store.open_db(app.config["DATABASE"])
    vendor = next(v for v in db.query("SELECT id FROM vendors WHERE name = 'Fresh Vendor GmbH'"))
    saved = store.answers_by_response(db, [store.get_vendor(db, vendor["id"])["response_id"]])
    db.close()
    answers = next(iter(saved.values()))
    assert answers[first] is True
    assert answers[last_id] == 4
