"""Conditions in the vendor's browser (issue 15, item 1): static/conditions.js means what the core means.

A property test runs the page's own functions in Chromium against the core on generated conditions,
answers and chains; a vendor then fills the managed-hosting fixture with an `in:` condition, a condition
on a multi-choice question, a chain and a condition across pages, and submits.
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
from stagefour.questionnaire import Band
from stagefour.questionnaire import Condition
from stagefour.questionnaire import Question
from stagefour.questionnaire import load_questionnaire
from stagefour.scoring import is_applicable

from ..conftest import FIXTURES
from .conftest import shot

SCRIPT = Path(__file__).resolve().parents[2] / "static" / "conditions.js"
STATES = ("applicable", "not_applicable", "unknown")

# Values an answer or a condition can hold: close calls on purpose ("1" and 1, true and 1, 2 and 2.0).
scalars = st.one_of(
    st.sampled_from(["a", "b", "other", "1", "", "yes", "true"]),
    st.integers(-3, 3),
    st.floats(-3, 3, allow_nan=False).map(lambda f: round(f, 1)),
    st.booleans(),
)
answers = st.one_of(st.none(), scalars, st.lists(st.sampled_from(["a", "b", "other", "1", 1, True]), max_size=3))
bounds = st.fixed_dictionaries(
    {}, optional={k: st.integers(-3, 3) | st.floats(-3, 3, allow_nan=False) for k in ("min", "max", "above", "below")}
)
conditions = st.one_of(
    st.builds(lambda v: Condition("X", equals=v), scalars.filter(lambda v: v != "")),
    st.builds(
        lambda vs: Condition("X", one_of=tuple(vs)), st.lists(scalars.filter(lambda v: v != ""), min_size=1, max_size=3)
    ),
    st.builds(lambda b: Condition("X", band=Band(points=0, **b)), bounds),
)


def nested(leaf):
    """Conditions built of `leaf` tests with all / any / not, a few levels deep."""
    return st.recursive(
        leaf,
        lambda parts: st.one_of(
            st.builds(lambda ps: Condition(op="all", parts=tuple(ps)), st.lists(parts, min_size=1, max_size=3)),
            st.builds(lambda ps: Condition(op="any", parts=tuple(ps)), st.lists(parts, min_size=1, max_size=3)),
            st.builds(lambda p: Condition(op="not", parts=(p,)), parts),
        ),
        max_leaves=6,
    )


def on(question):
    """A test of any kind on `question`."""
    return conditions.map(lambda c: Condition(question, c.equals, c.one_of, c.band))


@pytest.fixture(scope="module")
def script_page(browser):
    """One page with static/conditions.js loaded, for many evaluations."""
    context = browser.new_context()
    page = context.new_page()
    page.set_content("<!doctype html><title>conditions</title>")
    page.add_script_tag(content=SCRIPT.read_text(encoding="utf-8"))
    yield page
    context.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases=st.lists(st.tuples(conditions, answers, st.sampled_from(STATES)), min_size=1, max_size=40))
def test_the_page_script_and_the_core_agree_on_every_condition_and_answer(script_page, cases):
    sent = [{"cond": c.to_data(), "value": v, "above": above} for c, v, above in cases]
    got = script_page.evaluate(
        """cases => cases.map(c => [
            c.value === null ? null : window.stagefourConditions.holds(c.cond, c.value),
            window.stagefourConditions.applicability(c.cond, c.value, c.above)])""",
        sent,
    )
    expected = [[None if v is None else c.holds(v), c.applicability(v, above)] for c, v, above in cases]
    assert got == expected, [(s, g, e) for s, g, e in zip(sent, got, expected, strict=True) if g != e]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cases=st.lists(
        st.tuples(
            nested(st.sampled_from("ABC").flatmap(on)),
            st.fixed_dictionaries({q: st.tuples(answers, st.sampled_from(STATES)) for q in "ABC"}),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_the_page_script_and_the_core_agree_on_all_any_and_not(script_page, cases):
    sent = [{"cond": c.to_data(), "table": table} for c, table in cases]
    got = script_page.evaluate(
        "cases => cases.map(c => window.stagefourConditions.decide(c.cond, q => c.table[q]))", sent
    )
    expected = [c.decide(lambda q, table=table: table[q]) for c, table in cases]
    assert got == expected, [(s, g, e) for s, g, e in zip(sent, got, expected, strict=True) if g != e]


@st.composite
def chains(draw):
    """Up to six questions, each maybe shown on a condition (all / any / not too) on earlier ones, and their answers."""
    n = draw(st.integers(1, 6))
    questions = {}
    for i in range(n):
        cond = None
        if i and draw(st.booleans()):
            cond = draw(nested(st.integers(0, i - 1).flatmap(lambda j: on(f"Q{j}"))))
        questions[f"Q{i}"] = Question(id=f"Q{i}", type="text", prompt={}, visible_if=cond)
    values = {qid: draw(answers) for qid in questions}
    return questions, values


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases=st.lists(chains(), min_size=1, max_size=10))
def test_the_page_script_and_the_core_agree_down_chains(script_page, cases):
    sent = [
        {"conditions": {q.id: q.visible_if and q.visible_if.to_data() for q in qs.values()}, "answers": values}
        for qs, values in cases
    ]
    got = script_page.evaluate(
        "cases => cases.map(c => window.stagefourConditions.states(c.conditions, c.answers))", sent
    )
    for (qs, values), states in zip(cases, got, strict=True):
        shown = {qid: state != NOT_APPLICABLE for qid, state in states.items()}
        assert shown == {qid: is_applicable(q, values, qs) for qid, q in qs.items()}, (values, states)


# --- a vendor fills a questionnaire whose questions come and go -----------------------------------


def hosting_vendor(app):
    """A vendor invited to an evaluation of the managed-hosting fixture: (token, response id)."""
    db = store.open_db(app.config["DATABASE"])
    try:
        team_id = store.list_evaluations(db)[0]["team_id"]
        hosting = load_questionnaire(FIXTURES / "conditions.yaml")
        evaluation_id = evaluations.start_evaluation(db, hosting, "Hosting for the claims system", team_id=team_id)
        vendor_id, token = evaluations.invite(db, evaluation_id, "Rackline Hosting", None, "test")
        return token, store.get_vendor(db, vendor_id)["response_id"]
    finally:
        db.close()


def test_a_vendor_sees_questions_come_and_go_as_they_answer_and_submits(live, page):
    base, _, app = live
    token, response_id = hosting_vendor(app)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base}/v/{token}/s/H")
    clouds, other = page.locator("#q-H2"), page.locator("#q-H3")
    # undecided (H1 unanswered): shown, as the server counts them required
    expect(clouds).to_be_visible()
    expect(other).to_be_visible()
    page.check("[name=H1][value=own_site]")
    expect(clouds).to_be_hidden()
    expect(other).to_be_hidden()  # down the chain: H2 does not apply, so neither does H3
    page.check("[name=H1][value=mixed]")  # the second value of H2's `in:`
    expect(clouds).to_be_visible()
    page.check("[name=H2][value=regional]")
    expect(other).to_be_hidden()
    page.check("[name=H2][value=other]")  # any ticked value of a multi-choice question counts
    expect(other).to_be_visible()
    page.fill("#H3", "Tiny Cloud GmbH")
    shot(page, "conditions-hosting-1280")
    page.set_viewport_size({"width": 375, "height": 800})
    shot(page, "conditions-hosting-375")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.uncheck("[name=H2][value=other]")
    expect(other).to_be_hidden()
    expect(page.locator("#H3")).to_have_value("Tiny Cloud GmbH")  # hidden, not cleared
    page.check("[name=H2][value=other]")
    expect(other).to_be_visible()
    page.check("[name=H1][value=your_site]")
    expect(clouds).to_be_hidden()
    expect(other).to_be_hidden()
    expect(page.locator("[name=H2][value=other]")).to_be_checked()
    page.fill("#H4", "99.95")
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Staff")
    count = page.locator("#q-S2")
    page.check("[name=S1][value=yes]")
    expect(count).to_be_visible()
    page.fill("#S2", "3")
    page.check("[name=S1][value=no]")
    expect(count).to_be_hidden()
    page.get_by_role("button", name="Save and continue").click()

    # P2 depends on S1, answered on the page before: the server tells this page its state
    expect(page.get_by_role("heading", level=1)).to_contain_text("Paperwork")
    expect(page.locator("#q-P2")).to_be_hidden()
    page.fill("#P1", "Two references and a criminal record check before the first day.")
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Review and submit")
    expect(page.locator("ul.missing")).to_have_count(0)
    shot(page, "conditions-review-1280")
    page.get_by_label("I have checked the answers").check()
    page.get_by_role("button", name="Submit the response").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("submitted")
    db = store.open_db(app.config["DATABASE"])
    try:
        kept = store.load_answers(db, response_id)
    finally:
        db.close()
    # the hidden answers were kept, not cleared: they come back if the vendor changes their mind
    assert kept["H1"] == "your_site" and kept["S1"] is False
    assert kept["H2"] == ["regional", "other"] and kept["H3"] == "Tiny Cloud GmbH" and kept["S2"] == 3
