"""Conditions (issue 15, item 1): one meaning for `visible_if` in the core, down chains, no cycles,
and the data the vendor page gives its script."""

import copy
import json
from datetime import date
from html.parser import HTMLParser

import pytest

from stagefour import evaluations
from stagefour import store
from stagefour.questionnaire import Band
from stagefour.questionnaire import Condition
from stagefour.questionnaire import QuestionnaireError
from stagefour.questionnaire import load_questionnaire
from stagefour.questionnaire import parse_questionnaire
from stagefour.scoring import completeness
from stagefour.scoring import conditions_outside
from stagefour.scoring import is_applicable
from stagefour.scoring import score_response

from .conftest import FIXTURES

HOSTING = load_questionnaire(FIXTURES / "conditions.yaml")
AS_OF = date(2026, 11, 21)


def states(answers: dict) -> dict:
    questions = HOSTING.questions
    return {qid: is_applicable(q, answers, questions) for qid, q in questions.items()}


def item(result, qid):
    return next(i for s in result.sections for i in s.items if i.question_id == qid)


# --- holds: the same test whatever the answer's type ---------------------------------------------


@pytest.mark.parametrize(
    ("condition", "value", "expected"),
    [
        (Condition("X", equals="other"), ["regional", "other"], True),  # a multi: any ticked value
        (Condition("X", equals="other"), ["regional"], False),
        (Condition("X", equals="other"), [], False),  # "none of these"
        (Condition("X", one_of=("a", "b")), ["c", "b"], True),
        (Condition("X", one_of=("a", "b")), "b", True),
        (Condition("X", equals=1), True, False),  # true is not 1, as in the browser
        (Condition("X", equals=True), 1, False),
        (Condition("X", one_of=(0,)), False, False),
        (Condition("X", equals=2), 2.0, True),
        (Condition("X", band=Band(points=0, min=3)), 3, True),
        (Condition("X", band=Band(points=0, below=3)), 3, False),
        (Condition("X", band=Band(points=0, min=3)), True, False),
        (Condition("X", band=Band(points=0, min=3)), "4", False),
    ],
)
def test_a_condition_holds_for_the_same_values_as_the_page_script(condition, value, expected):
    assert condition.holds(value) is expected


@pytest.mark.parametrize(
    ("condition", "data"),
    [
        (Condition("H1", equals=True), {"q": "H1", "equals": True}),
        (Condition("H1", equals=2.5), {"q": "H1", "equals": 2.5}),
        (Condition("H1", one_of=("a", "b")), {"q": "H1", "in": ["a", "b"]}),
        (Condition("H1", band=Band(points=0, min=1, below=4)), {"q": "H1", "band": {"min": 1, "below": 4}}),
    ],
)
def test_a_condition_becomes_plain_data_for_the_page(condition, data):
    assert condition.to_data() == data
    assert json.loads(json.dumps(condition.to_data())) == data


# --- chains --------------------------------------------------------------------------------------


def test_a_question_below_one_that_does_not_apply_does_not_apply_whatever_it_keeps():
    # H2 still holds "other" from before H1 changed: H3 must not come back because of it
    answers = {"H1": "own_site", "H2": ["other"], "H3": "Tiny Cloud GmbH"}
    assert states(answers) == {
        "H1": True, "H2": False, "H3": False, "H4": True, "S1": True, "S2": True, "P1": True, "P2": True,
    }  # fmt: skip
    result = completeness(HOSTING, answers)
    assert "H2" not in result.missing and "H3" not in result.missing
    assert result.by_section["H"] == (1, 2)  # H1 answered, H4 missing; H2 and H3 left out


def test_the_chain_applies_again_with_the_kept_answers_once_the_top_answer_changes_back():
    answers = {"H1": "mixed", "H2": ["other", "regional"], "H3": "Tiny Cloud GmbH", "H4": 99.95}
    assert states(answers)["H3"] is True
    assert completeness(HOSTING, answers).by_section["H"] == (4, 4)


def test_an_unanswered_question_up_the_chain_leaves_the_ones_below_it_undecided():
    # H1 unanswered: H2 (which keeps "other") and H3 are undecided, so they show and count as missing
    answers = {"H2": ["other"], "H3": "Tiny Cloud GmbH"}
    assert states(answers)["H3"] is True
    assert set(completeness(HOSTING, answers).missing) >= {"H1", "H2", "H3"}
    # ... unless the answer kept below already rules it out either way
    answers = {"H2": ["regional"]}
    assert states(answers)["H3"] is False


def test_a_scored_item_under_an_undecided_chain_names_the_unanswered_question():
    data = copy.deepcopy(HOSTING.source)
    questions = data["sections"][1]["questions"]
    questions.append(
        {
            "id": "S3",
            "type": "yes_no",
            "prompt": "Are they vetted as your own staff are?",
            "visible_if": {"question": "S2", "in": [1, 2, 3]},
            "scoring": {"kind": "points", "points": {"yes": 5}},
        }
    )
    chained = parse_questionnaire(data)
    result = score_response(chained, {"S2": 2, "S3": True}, AS_OF)
    assert item(result, "S3").status == "unanswered"
    assert item(result, "S3").why.params["why"].params == {"question": "S1"}
    result = score_response(chained, {"S1": False, "S2": 2, "S3": True}, AS_OF)
    assert item(result, "S3").status == "not_applicable" and item(result, "S3").points is None
    result = score_response(chained, {"S1": True, "S2": 2, "S3": True}, AS_OF)
    assert (item(result, "S3").status, item(result, "S3").points) == ("scored", 5.0)


def test_a_hidden_answer_is_neither_scored_nor_required_but_stays_in_the_answers():
    answers = {"H1": "own_site", "H2": ["regional"], "H4": 99.95, "S1": False, "S2": 4, "P1": "References."}
    kept = copy.deepcopy(answers)
    result = score_response(HOSTING, answers, AS_OF)
    assert item(result, "H2").status == "not_applicable"
    assert item(result, "P2").status == "not_applicable"
    assert result.missing_required == ()
    assert answers == kept


def test_the_page_gets_the_state_of_controlling_questions_on_other_pages():
    paperwork = HOSTING.sections[2].questions
    assert conditions_outside(HOSTING, paperwork, {"S1": True}) == {"S1": ["applicable", True]}
    assert conditions_outside(HOSTING, paperwork, {}) == {"S1": ["applicable", None]}
    assert conditions_outside(HOSTING, HOSTING.sections[0].questions, {"H1": "own_site"}) == {}


# --- the loader ----------------------------------------------------------------------------------


def hosting_with(*changes) -> list[str]:
    data = copy.deepcopy(HOSTING.source)
    questions = {q["id"]: q for s in data["sections"] for q in s["questions"]}
    for qid, condition in changes:
        questions[qid]["visible_if"] = condition
    with pytest.raises(QuestionnaireError) as info:
        parse_questionnaire(data)
    return info.value.errors


def test_two_questions_that_hide_each_other_are_a_loader_error_with_the_path():
    errors = hosting_with(("H1", {"question": "H4", "equals": 99}), ("H4", {"question": "H1", "equals": "mixed"}))
    assert errors == [
        "sections[0].questions[0].visible_if.question: a cycle of conditions: H1 depends on H4, which depends on H1"
    ]


def test_a_longer_cycle_is_reported_once_from_its_first_question():
    errors = hosting_with(("S1", {"question": "H1", "equals": "mixed"}), ("H1", {"question": "S2", "equals": 3}))
    assert errors == [
        "sections[0].questions[0].visible_if.question: a cycle of conditions: "
        "H1 depends on S2, which depends on S1, which depends on H1"
    ]


def test_a_question_that_depends_on_itself_is_a_loader_error():
    errors = hosting_with(("H4", {"question": "H4", "equals": 99}))
    assert errors == ["sections[0].questions[3].visible_if.question: a question cannot depend on itself"]


def test_a_chain_that_only_shares_a_top_is_no_cycle():
    data = copy.deepcopy(HOSTING.source)
    parse_questionnaire(data)  # H1 → H2 → H3 and S1 → S2, S1 → P2: a tree, loads


@pytest.mark.parametrize(
    ("condition", "error"),
    [
        ({"question": "H4", "equals": None}, "visible_if.equals: expected text, a number or true/false, got nothing"),
        ({"question": "H4", "equals": [99]}, "visible_if.equals: expected text, a number or true/false, got a list"),
        ({"question": "H4", "equals": float("inf")}, "visible_if.equals: expected text, a number or true/false"),
        (
            {"question": "H4", "in": [99, {"a": 1}]},
            "visible_if.in[1]: expected text, a number or true/false, got a mapping",
        ),
    ],
)
def test_a_condition_value_the_page_could_not_compare_is_refused(condition, error):
    errors = hosting_with(("P1", condition))
    assert any(e.startswith("sections[2].questions[0]." + error) for e in errors), errors


# --- the vendor's pages ----------------------------------------------------------------------------


class Conditions(HTMLParser):
    """Every question box's `data-condition` on a page, by question id."""

    def __init__(self):
        super().__init__()
        self.boxes = {}
        self.outside = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "data-question" in attrs:
            self.boxes[attrs["data-question"]] = attrs.get("data-condition")
        if attrs.get("id") == "section-form":
            self.outside = attrs.get("data-conditions-outside")


def page_conditions(client, url) -> Conditions:
    response = client.get(url)
    assert response.status_code == 200
    parser = Conditions()
    parser.feed(response.get_data(as_text=True))
    return parser


@pytest.fixture
def hosting_vendor(db, team):
    """A vendor invited to an evaluation of the managed-hosting fixture: (token, response id)."""
    evaluation_id = evaluations.start_evaluation(db, HOSTING, "Hosting for the claims system", team_id=team)
    vendor_id, token = evaluations.invite(db, evaluation_id, "Rackline Hosting", None, "test")
    return token, store.get_vendor(db, vendor_id)["response_id"]


def test_every_condition_on_the_default_questionnaires_vendor_pages_parses_and_names_a_question(
    client, questionnaire, make_vendor
):
    v = make_vendor()
    seen = {}
    for section in questionnaire.sections:
        page = page_conditions(client, f"/v/{v['token']}/s/{section.id}")
        for qid, raw in page.boxes.items():
            if raw is not None:
                seen[qid] = json.loads(raw)
    expected = {q.id for q in questionnaire.questions.values() if q.visible_if}
    assert set(seen) == expected and expected
    for qid, data in seen.items():
        for test in named_tests(data):
            assert test["q"] in questionnaire.questions and test["q"] != qid
            assert len(set(test) & {"equals", "in", "band"}) == 1


def named_tests(data: dict) -> list[dict]:
    """The tests on one question each inside a condition's data (all / any / not opened)."""
    if "not" in data:
        return named_tests(data["not"])
    if "all" in data or "any" in data:
        return [t for part in data.get("all") or data["any"] for t in named_tests(part)]
    return [data]


def test_the_page_writes_in_conditions_as_data_and_the_state_of_questions_on_other_pages(client, db, hosting_vendor):
    token, response_id = hosting_vendor
    hosting = page_conditions(client, f"/v/{token}/s/H")
    assert json.loads(hosting.boxes["H2"]) == {"q": "H1", "in": ["public_cloud", "mixed"]}
    assert json.loads(hosting.boxes["H3"]) == {"q": "H2", "equals": "other"}
    assert hosting.outside is None
    store.save_answers(db, response_id, {"S1": True}, {}, "test")
    paperwork = page_conditions(client, f"/v/{token}/s/P")
    assert json.loads(paperwork.outside) == {"S1": ["applicable", True]}


def test_questions_hidden_down_a_chain_are_not_missing_and_the_vendor_can_submit(client, db, hosting_vendor):
    token, response_id = hosting_vendor
    # first on a public cloud, named "other", then moved to the vendor's own data centre
    first = {"H1": "public_cloud", "H2": ["other"], "H3": "Tiny Cloud GmbH", "H4": 99.9, "S1": False, "P1": "Checks."}
    store.save_answers(db, response_id, first, {}, "test")
    store.save_answers(db, response_id, {"H1": "your_site"}, store.answer_versions(db, response_id), "test")
    review = client.get(f"/v/{token}/review").get_data(as_text=True)
    for qid in ("H2", "H3", "S2", "P2"):
        assert f"#q-{qid}" not in review
    done = client.post(f"/v/{token}/submit", data={"confirm": "yes"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/receipt")
    assert store.get_response(db, response_id)["status"] == "submitted"
    # the hidden answers are kept, ready if the buyer reopens and the vendor moves back to the cloud
    assert store.load_answers(db, response_id) == first | {"H1": "your_site"}


def test_a_question_left_undecided_up_a_chain_is_missing_and_blocks_submitting(client, db, hosting_vendor):
    token, response_id = hosting_vendor
    answers = {"H2": ["other"], "H3": "Tiny Cloud GmbH", "H4": 99.9, "S1": False, "P1": "Checks."}
    store.save_answers(db, response_id, answers, {}, "test")
    review = client.get(f"/v/{token}/review").get_data(as_text=True)
    assert f"/v/{token}/s/H#q-H1" in review
    refused = client.post(f"/v/{token}/submit", data={"confirm": "yes"})
    assert refused.headers["Location"].endswith("/review")
    assert store.get_response(db, response_id)["status"] == "in_progress"


# --- all / any / not -------------------------------------------------------------------------------


def hosting_parsed(*changes):
    data = copy.deepcopy(HOSTING.source)
    questions = {q["id"]: q for s in data["sections"] for q in s["questions"]}
    for qid, condition in changes:
        questions[qid]["visible_if"] = condition
    return parse_questionnaire(data)


# P2: the subcontractors' vetting, asked when they work on our systems and the systems are not on our own site
VETTING = {"all": [{"question": "S1", "equals": True}, {"not": {"question": "H1", "equals": "own_site"}}]}


def test_all_any_and_not_load_become_data_and_decide_as_three_valued_logic():
    hosting = hosting_parsed(("P2", VETTING))
    cond = hosting.question("P2").visible_if
    assert cond.to_data() == {"all": [{"q": "S1", "equals": True}, {"not": {"q": "H1", "equals": "own_site"}}]}
    assert cond.questions == ("S1", "H1")
    questions = hosting.questions

    def applies(answers):
        return is_applicable(questions["P2"], answers, questions)

    assert applies({"S1": True, "H1": "your_site"}) is True
    assert applies({"S1": True, "H1": "own_site"}) is False
    assert applies({"S1": False}) is False  # one failing part of `all` decides, H1 unanswered or not
    assert "P2" in completeness(hosting, {"S1": True}).missing  # H1 unanswered: undecided, so required
    assert "P2" not in completeness(hosting, {"S1": False}).missing


def test_any_holds_when_one_part_holds_even_while_another_is_undecided():
    hosting = hosting_parsed(
        ("P2", {"any": [{"question": "S1", "equals": True}, {"question": "H2", "in": ["regional", "other"]}]})
    )
    p2, questions = hosting.question("P2"), hosting.questions
    assert is_applicable(p2, {"S1": True}, questions) is True
    assert is_applicable(p2, {"S1": False, "H1": "own_site", "H2": ["other"]}, questions) is False  # H2 hidden
    assert is_applicable(p2, {"S1": False, "H1": "mixed", "H2": ["other"]}, questions) is True


def test_not_of_a_question_that_does_not_apply_holds():
    # H3 hidden (H1 on our own site): "not (H3 is Tiny Cloud GmbH)" is true, so P2 shows
    hosting = hosting_parsed(("P2", {"not": {"question": "H3", "equals": "Tiny Cloud GmbH"}}))
    p2, questions = hosting.question("P2"), hosting.questions
    answers = {"H1": "own_site", "H2": ["other"], "H3": "Tiny Cloud GmbH"}
    assert is_applicable(p2, answers, questions) is True
    assert is_applicable(p2, answers | {"H1": "public_cloud"}, questions) is False


def test_a_cycle_through_any_is_a_loader_error():
    errors = hosting_with(
        ("H4", {"any": [{"question": "S1", "equals": True}, {"question": "P1", "equals": "x"}]}),
        ("P1", {"question": "H4", "equals": 99}),
    )
    assert errors == [
        "sections[0].questions[3].visible_if: a cycle of conditions: H4 depends on P1, which depends on H4"
    ]


@pytest.mark.parametrize(
    ("condition", "error"),
    [
        ({"all": []}, "visible_if.all: expected a non-empty list of conditions"),
        ({"any": "S1"}, "visible_if.any: expected a non-empty list of conditions"),
        (
            {"all": [{"question": "S1", "equals": True}], "question": "S1"},
            "visible_if: expected either a test on one question or one of all, any, not alone",
        ),
        ({"not": {"question": "S9", "equals": True}}, 'visible_if.not.question: unknown question "S9"'),
        (
            {"any": [{"question": "S1", "equals": True}, {"question": "P2", "equals": "x"}]},
            "visible_if.any[1].question: a question cannot depend on itself",
        ),
        (
            {"all": [{"question": "S1", "equals": "yes"}]},
            "visible_if.all[0]: \"S1\" is yes/no: expected true or false, got 'yes'",
        ),
        (
            {
                "not": {
                    "not": {
                        "not": {"not": {"not": {"not": {"not": {"not": {"not": {"question": "S1", "equals": True}}}}}}}
                    }
                }
            },
            "visible_if.not.not.not.not.not.not.not.not: conditions nest at most 8 deep",
        ),
    ],
)
def test_a_wrong_compound_condition_is_a_loader_error_with_its_path(condition, error):
    assert "sections[2].questions[1]." + error in hosting_with(("P2", condition))


def test_the_method_says_a_compound_condition_in_words():
    from stagefour.report import Formats
    from stagefour.report import rule_words

    hosting = hosting_parsed(("P2", VETTING))
    words = rule_words(hosting.question("P2"), hosting, Formats("en"))
    assert words.endswith("Shown only when S1 is Yes and not (H1 is In our own server rooms).")
