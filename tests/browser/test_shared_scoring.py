"""Shared scoring in a real browser (issue 12, item 5): the owner assigns, two evaluators split the
items through the queue without a reload, and the same work without JavaScript."""

from __future__ import annotations

import itertools

from playwright.sync_api import Page
from playwright.sync_api import expect

from commands import DEMO_VENDORS
from stagefour import assignments as shared
from stagefour import evaluations
from stagefour import store
from stagefour.library import load_by_id
from views.auth import hash_password
from views.review import today

from ..conftest import load_response_json
from .conftest import SHOTS
from .conftest import demo_links
from .conftest import shot

PASSWORD = "scoring in a real browser"


def _db(app):
    return store.open_db(app.config["DATABASE"])


def _evaluators(app) -> tuple[int, dict]:
    """The demo evaluation's id and two evaluators added to its team: name -> (user id, e-mail)."""
    db = _db(app)
    try:
        evaluation = store.list_evaluations(db)[0]
        people = {}
        for name in ("ann", "bob"):
            email = f"{name}@example.com"
            user_id = store.create_user(db, email, hash_password(PASSWORD))
            store.set_membership(db, evaluation["team_id"], user_id, "evaluator", "test")
            people[name] = (user_id, email)
        return evaluation["id"], people
    finally:
        db.close()


def _log_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Evaluations")


def _pending(app, evaluation_id: int) -> list:
    db = _db(app)
    try:
        evaluation = store.get_evaluation(db, evaluation_id)
        questionnaire = load_by_id("ai-deployment-partner")
        reviews = evaluations.review_vendors(db, evaluation, questionnaire, today())
        return shared.pending_manual_items(questionnaire, reviews)
    finally:
        db.close()


def _scores(app) -> list[dict]:
    db = _db(app)
    try:
        return list(db.query("SELECT response_id, question_id, evaluator_id, score FROM manual_scores"))
    finally:
        db.close()


def _assign(page: Page, base: str, evaluation_id: int, people: dict) -> None:
    """The owner gives each evaluator one submitted vendor on the assignments page."""
    page.goto(f"{base}/evaluations/{evaluation_id}/assignments")
    expect(page.get_by_role("heading", level=1)).to_have_text("Assignments")
    vendors = page.locator("table.assignment-grid thead tr").nth(1).locator("th").all_inner_texts()[1:]
    # every submitted demo vendor, shared out in turn: each item in the queue is someone's
    names = [load_response_json(name)["vendor"] for name, submit, _ in DEMO_VENDORS if submit]
    submitted = [v for v in names if v in vendors]
    assert submitted == names and len(submitted) >= 2, vendors
    for (_user_id, email), vendor in zip(itertools.cycle(people.values()), submitted):
        page.get_by_label(f"{email} scores vendor {vendor}").check()
    page.get_by_role("button", name="Save assignments").click()
    expect(page.get_by_role("status")).to_have_text("The assignments were saved.")
    page.set_viewport_size({"width": 1280, "height": 900})
    shot(page, "assignments-1280")
    page.set_viewport_size({"width": 375, "height": 800})
    shot(page, "assignments-375")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_two_evaluators_split_the_items_through_the_queue_without_reloads(live, browser):
    base, output, app = live
    evaluation_id, people = _evaluators(app)
    creds = demo_links(output)
    owner = browser.new_context()
    page = owner.new_page()
    _log_in(page, base, creds["email"], creds["password"])
    _assign(page, base, evaluation_id, people)
    owner.close()
    before = len(_pending(app, evaluation_id))
    assert before > 2

    pages, navigations = {}, {}
    for name, (_user_id, email) in people.items():
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        pages[name] = context.new_page()
        _log_in(pages[name], base, email, PASSWORD)
        pages[name].goto(f"{base}/evaluations/{evaluation_id}/queue")
        expect(pages[name].locator("[data-queue-counts]")).to_contain_text(f"{before} left in total")
        navigations[name] = []
        pages[name].on(
            "framenavigated", lambda frame, n=name: frame == pages[n].main_frame and navigations[n].append(frame.url)
        )
    shot(pages["ann"], "queue-1280")
    pages["ann"].set_viewport_size({"width": 375, "height": 800})
    shot(pages["ann"], "queue-375")
    pages["ann"].set_viewport_size({"width": 1280, "height": 900})

    # A score left out is refused at its field, in place, and focus goes to it.
    ann = pages["ann"]
    ann.get_by_role("button", name="Save and next").click()
    error = ann.locator(".score-form .errors").first
    expect(error).to_have_text("Choose a score from 0 to 5.")
    expect(ann.locator("input[name=score]").first).to_be_focused()
    assert ann.locator("input[name=score]").first.get_attribute("aria-describedby") == error.get_attribute("id")
    shot(ann, "queue-error-1280")

    done = {"ann": 0, "bob": 0}
    while True:
        moved = False
        for name, page in pages.items():
            if page.locator(".score-form").count() == 0:
                continue
            heading = page.locator("#queue-panel h2").inner_text()
            expect(page.locator(".queue-item .badge")).to_have_text("Assigned to you")
            page.locator("input[name=score][value='3']").check()
            page.get_by_role("button", name="Save and next").click()
            expect(page.locator("#queue-panel .saved")).to_contain_text("was saved")
            expect(page.locator("#queue-panel h2")).not_to_have_text(heading)
            expect(page.locator("#queue-panel h2")).to_be_focused()
            done[name] += 1
            moved = True
        if not moved:
            break
    for name, page in pages.items():
        expect(page.locator("#queue-panel h2")).to_have_text("Nothing left for you to score")
        assert navigations[name] == [], navigations[name]  # every save went by fetch: no page loaded
    assert done["ann"] > 0 and done["bob"] > 0
    scores = _scores(app)
    assert len(scores) == done["ann"] + done["bob"] == before
    assert len({(s["response_id"], s["question_id"]) for s in scores}) == before  # none scored twice
    assert _pending(app, evaluation_id) == []
    shot(pages["ann"], "queue-empty-1280")


def test_the_queue_works_without_javascript(live, browser):
    base, _output, app = live
    evaluation_id, people = _evaluators(app)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _log_in(page, base, people["ann"][1], PASSWORD)
    page.goto(f"{base}/evaluations/{evaluation_id}/queue")
    left = len(_pending(app, evaluation_id))
    # Nothing chosen: the page comes back with status 400, the error at the field and the comment kept.
    page.fill("textarea[name=comment]", "Typed before the mistake")
    with page.expect_response(lambda r: r.request.method == "POST") as info:
        page.get_by_role("button", name="Save and next").click()
    assert info.value.status == 400
    expect(page.locator(".score-form .errors").first).to_have_text("Choose a score from 0 to 5.")
    expect(page.locator("textarea[name=comment]")).to_have_value("Typed before the mistake")
    assert page.locator(".flash").count() == 0
    shot(page, "queue-error-nojs-1280")
    for n in range(2):
        question = page.locator("input[name=question_id]").get_attribute("value")
        page.locator("input[name=score][value='4']").check()
        with page.expect_navigation():
            page.get_by_role("button", name="Save and next").click()
        expect(page.locator("#queue-panel .saved")).to_contain_text(f"Your score on {question} of")
        expect(page.locator("[data-queue-counts]")).to_contain_text(f"{left - n - 1} left in total")
    assert len(_scores(app)) == 2
    context.close()


def test_a_score_on_the_response_page_is_saved_in_place(live, browser):
    base, _output, app = live
    evaluation_id, people = _evaluators(app)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _log_in(page, base, people["ann"][1], PASSWORD)
    page.goto(f"{base}/evaluations/{evaluation_id}")
    page.locator("tr", has_text="Northwind Applied AI").get_by_role("link", name="Northwind Applied AI").first.click()
    left = len([i for i in _pending(app, evaluation_id) if i.vendor_name == "Northwind Applied AI"])
    counts = page.locator(".scoring-summary [data-queue-counts]")
    expect(counts).to_have_text(f"For this vendor: {left} items left for you · {left} left in total")
    navigations = []
    page.on("framenavigated", lambda frame: frame == page.main_frame and navigations.append(frame.url))
    item = page.locator(".manual-item").filter(has=page.locator("form.score-form")).first
    block_id = item.get_attribute("id")
    block = page.locator(f"#{block_id}")
    block.locator("input[name=score][value='5']").check()
    block.get_by_role("button", name="Save score").click()
    expect(block.locator(".saved")).to_have_text("Your score was saved.")
    expect(block.locator(".saved")).to_be_focused()
    expect(block.locator(".points")).to_contain_text("5 / 5")
    expect(block.locator(".evaluator-scores")).to_contain_text("ann@example.com")
    expect(counts).to_contain_text(f"{left - 1} left in total")
    # A second opinion far from the first, without a comment: refused at the comment, focus there.
    db = _db(app)
    question = block_id.rsplit("-", 1)[1]
    response_id = store.get_vendor(db, int(block_id.split("-")[1]))["response_id"]
    store.save_manual_score(db, response_id, question, people["bob"][0], 1, "thin")
    db.close()
    block.locator("input[name=score][value='4']").check()
    block.get_by_role("button", name="Save score").click()
    comment = block.locator("textarea[name=comment]")
    expect(block.locator(".field .errors")).to_contain_text("say why in a comment")
    expect(comment).to_be_focused()
    assert comment.get_attribute("aria-describedby") == block.locator(".field .errors").get_attribute("id")
    SHOTS.mkdir(parents=True, exist_ok=True)
    block.screenshot(path=str(SHOTS / "response-score-error-1280.png"))  # the item, not the 14,000 px page
    comment.fill("The runbook is real but the deployment is a pilot.")
    block.get_by_role("button", name="Save score").click()
    expect(block.locator(".saved")).to_be_visible()
    expect(block.locator(".third-opinion")).to_be_visible()  # 4 and 1: a third opinion is asked for
    assert navigations == []
    context.close()
