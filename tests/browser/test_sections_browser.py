"""Section conditions and "skip the rest if…" in the vendor's browser (issue 15, item 1).

A property test loads generated questionnaires (sections shown on earlier answers, questions that
skip the rest of their section) and checks that static/conditions.js decides every question and
every entry of the section list as the core does; a vendor then answers so that two sections and
the rest of a third drop out, and submits.
"""

from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from playwright.sync_api import expect

from stagefour import evaluations
from stagefour import store
from stagefour.questionnaire import NOT_APPLICABLE
from stagefour.questionnaire import load_questionnaire
from stagefour.questionnaire import parse_questionnaire
from stagefour.scoring import is_applicable
from stagefour.scoring import section_applicability

from ..conftest import FIXTURES
from .conftest import shot

SCRIPT = Path(__file__).resolve().parents[2] / "static" / "conditions.js"

# what a condition tests and what an answer holds: close calls on purpose ("1" and 1, true and 1)
values = st.one_of(st.sampled_from(["a", "b", "1", "yes"]), st.integers(-2, 2), st.booleans())
answers = st.one_of(st.none(), values, st.just(""), st.lists(st.sampled_from(["a", "b", "1", 1, True]), max_size=3))
tests = st.one_of(
    st.builds(lambda v: {"equals": v}, values),
    st.builds(lambda vs: {"in": vs}, st.lists(values, min_size=1, max_size=3)),
)


def condition_on(names: list[str]):
    """A `visible_if` as YAML writes it, on some of `names`, with all / any / not."""
    leaf = st.builds(lambda q, t: {"question": q, **t}, st.sampled_from(names), tests)
    return st.recursive(
        leaf,
        lambda parts: st.one_of(
            st.builds(lambda ps: {"all": ps}, st.lists(parts, min_size=1, max_size=3)),
            st.builds(lambda ps: {"any": ps}, st.lists(parts, min_size=1, max_size=3)),
            st.builds(lambda p: {"not": p}, parts),
        ),
        max_leaves=4,
    )


@st.composite
def questionnaires(draw):
    """Up to four sections of up to three text questions: a section maybe shown on earlier sections'
    answers, a question maybe on earlier answers, and maybe skipping the rest of its section."""
    sections, earlier = [], []
    for i in range(draw(st.integers(1, 4))):
        section = {"id": f"S{i}", "title": "Section", "weight": 1, "questions": []}
        if earlier and draw(st.booleans()):
            section["visible_if"] = draw(condition_on(list(earlier)))
        count = draw(st.integers(1, 3))
        above: list[str] = []
        for j in range(count):
            q = {"id": f"S{i}Q{j}", "type": "text", "prompt": "Question"}
            if earlier + above and draw(st.booleans()):
                q["visible_if"] = draw(condition_on(earlier + above))
            if j < count - 1 and draw(st.booleans()):
                q["skip_rest_if"] = draw(tests)
            section["questions"].append(q)
            above.append(q["id"])
        sections.append(section)
        earlier += above
    data = {"id": "generated", "version": "1", "title": "Generated", "languages": ["en"], "sections": sections}
    return parse_questionnaire(data), {qid: draw(answers) for qid in earlier}


@pytest.fixture(scope="module")
def script_page(browser):
    """One page with static/conditions.js loaded, for many evaluations."""
    context = browser.new_context()
    page = context.new_page()
    page.set_content("<!doctype html><title>conditions</title>")
    page.add_script_tag(content=SCRIPT.read_text(encoding="utf-8"))
    yield page
    context.close()


# Every question as if on one page, and the section list built as templates/vendor/_nav.html builds it.
DECIDE = """cases => cases.map(c => {
    const C = window.stagefourConditions;
    const states = C.states(c.conditions, c.answers);
    const root = document.createElement("ol");
    c.sections.forEach(s => {
        const li = document.createElement("li");
        li.id = "nav-" + s.id;
        if (s.cond) { li.dataset.sectionCondition = JSON.stringify(s.cond); }
        root.appendChild(li);
    });
    C.sections(root, q => [c.answers[q], states[q]]);
    const skipped = c.sections.filter(s => root.querySelector("#nav-" + s.id).classList.contains("not-applicable"));
    return [states, skipped.map(s => s.id)];
})"""


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases=st.lists(questionnaires(), min_size=1, max_size=8))
def test_the_page_script_and_the_core_agree_on_sections_and_skips(script_page, cases):
    sent = [
        {
            "conditions": {q.id: q.applies_if and q.applies_if.to_data() for q in qn.questions.values()},
            "answers": values,
            "sections": [{"id": s.id, "cond": s.visible_if and s.visible_if.to_data()} for s in qn.sections],
        }
        for qn, values in cases
    ]
    got = script_page.evaluate(DECIDE, sent)
    for (qn, values), (states, skipped) in zip(cases, got, strict=True):
        questions = qn.questions
        shown = {qid: state != NOT_APPLICABLE for qid, state in states.items()}
        assert shown == {qid: is_applicable(q, values, questions) for qid, q in questions.items()}, (values, states)
        expected = [s.id for s in qn.sections if section_applicability(s, values, questions) == NOT_APPLICABLE]
        assert skipped == expected, (values, [s.visible_if and s.visible_if.to_data() for s in qn.sections])


# --- a vendor answers so that sections drop out, and submits ---------------------------------------


def data_vendor(app):
    """A vendor invited to an evaluation of the data-processing fixture: (token, response id)."""
    db = store.open_db(app.config["DATABASE"])
    try:
        team_id = store.list_evaluations(db)[0]["team_id"]
        questionnaire = load_questionnaire(FIXTURES / "sections.yaml")
        evaluation_id = evaluations.start_evaluation(db, questionnaire, "Payroll processor", team_id=team_id)
        vendor_id, token = evaluations.invite(db, evaluation_id, "Lohnwerk GmbH", None, "test")
        return token, store.get_vendor(db, vendor_id)["response_id"]
    finally:
        db.close()


def test_a_vendor_answers_so_whole_sections_drop_out_and_submits(live, page):
    base, _, app = live
    token, response_id = data_vendor(app)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base}/v/{token}/s/G")
    nav = page.locator(".sections-wide nav.sections")
    personal, transfers = nav.locator("li", has_text="Personal data"), nav.locator("li", has_text="Transfers")
    # undecided while G1 is unanswered: links with their required counts, as the server counts them
    expect(personal.get_by_role("link", name="Personal data")).to_be_visible()
    page.check("[name=G1][value=yes]")
    page.check("[name=G2][value=elsewhere]")
    expect(transfers.get_by_role("link")).to_be_visible()
    page.check("[name=G2][value=eu]")  # T asks only about data stored outside the EU
    expect(transfers).to_contain_text("not applicable")
    expect(transfers.get_by_role("link")).to_have_count(0)
    page.check("[name=G1][value=no]")  # no personal data: D goes too, before anything is saved
    expect(personal).to_contain_text("not applicable")
    expect(personal.get_by_role("link")).to_have_count(0)
    expect(nav.locator("li", has_text="Continuity").get_by_role("link")).to_be_visible()
    shot(page, "sections-nav-1280")
    page.set_viewport_size({"width": 375, "height": 800})
    page.locator("details.sections-compact summary").click()
    shot(page, "sections-nav-375")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Save and continue").click()

    # Save and continue passes D and T
    expect(page.get_by_role("heading", level=1)).to_contain_text("Continuity")
    hours, tested = page.locator("#q-C2"), page.locator("#q-C3")
    expect(hours).to_be_visible()  # undecided until C1 is answered
    page.check("[name=C1][value=yes]")
    page.fill("#C2", "8")
    page.check("[name=C1][value=no]")  # no plan: the rest of the section is skipped
    expect(hours).to_be_hidden()
    expect(tested).to_be_hidden()
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Review and submit")
    expect(page.locator("ul.missing")).to_have_count(0)
    expect(page.get_by_role("region", name="D Personal data")).to_contain_text("does not apply")
    shot(page, "sections-review-1280")

    # the skipped section's own page says so and asks nothing
    page.goto(f"{base}/v/{token}/s/D")
    expect(page.get_by_role("heading", name="This section does not apply")).to_be_visible()
    expect(page.locator("#section-form")).to_have_count(0)
    shot(page, "sections-skipped-1280")
    page.set_viewport_size({"width": 375, "height": 800})
    shot(page, "sections-skipped-375")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("link", name="Go on").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Continuity")

    page.goto(f"{base}/v/{token}/review")
    page.get_by_label("I have checked the answers").check()
    page.get_by_role("button", name="Submit the response").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("submitted")
    db = store.open_db(app.config["DATABASE"])
    try:
        kept = store.load_answers(db, response_id)
    finally:
        db.close()
    # the skipped answer is kept, not cleared
    assert kept == {"G1": False, "G2": "eu", "C1": False, "C2": 8}
