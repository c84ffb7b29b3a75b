"""Section-level conditions and "skip the rest if…" (issue 15, item 1): a section's `visible_if`
and a question's `skip_rest_if` become part of each question's one condition (`applies_if`), so
scoring, completeness, the vendor's pages and the page's script decide alike."""

import copy
import json
import re
from datetime import date

import pytest

from stagefour import evaluations
from stagefour import store
from stagefour.questionnaire import QuestionnaireError
from stagefour.questionnaire import load_questionnaire
from stagefour.questionnaire import parse_questionnaire
from stagefour.scoring import completeness
from stagefour.scoring import conditions_outside
from stagefour.scoring import score_response
from stagefour.scoring import section_applicability

from .conftest import FIXTURES

DATA = load_questionnaire(FIXTURES / "sections.yaml")
AS_OF = date(2026, 11, 21)
# everything answered, personal data processed outside the EU, a continuity plan
FULL = {
    "G1": True, "G2": "elsewhere", "D1": False, "D2": True, "D3": "By e-mail within a month.",
    "T1": "clauses", "C1": True, "C2": 8, "C3": "In March.",
}  # fmt: skip


def item(result, qid):
    return result.items[qid]


def section(result, sid):
    return next(s for s in result.sections if s.id == sid)


# --- the core: applicability, scoring, completeness ----------------------------------------------


def test_a_question_applies_if_its_section_and_the_skips_above_it_and_its_own_condition_all_hold():
    data = {q.id: q.applies_if.to_data() if q.applies_if else None for q in DATA.questions.values()}
    assert data["G1"] is None and data["C1"] is None
    assert data["D1"] == {"q": "G1", "equals": True}
    assert data["D2"] == {"all": [{"q": "G1", "equals": True}, {"not": {"q": "D1", "equals": True}}]}
    assert data["C3"] == {"not": {"q": "C1", "equals": False}}
    # the question's own condition stays its own (the method and the PDF say it in words)
    assert DATA.question("D2").visible_if is None and DATA.section_of("D2").visible_if is not None


def test_a_section_that_does_not_apply_leaves_the_denominator_and_gives_its_weight_to_the_others():
    answers = FULL | {"G1": False}
    result = score_response(DATA, answers, AS_OF)
    for qid in ("D1", "D2", "D3", "T1"):
        assert item(result, qid).status == "not_applicable" and item(result, qid).points is None
    assert section(result, "D").score is None and section(result, "T").score is None
    # G 40 (elsewhere: 2 of 5) and C 100 + 60 (8 h: 3 of 5) / 2 = 80, each of weight 1
    assert section(result, "G").score == 40.0 and section(result, "C").score == 80.0
    assert result.overall == 60.0
    assert result.missing_required == ()


def test_a_section_that_applies_counts_with_its_weight():
    result = score_response(DATA, FULL, AS_OF)
    # D: D1 no (0) and D2 yes (5) → 50, weight 2; T: clauses 4 of 5 → 80
    assert section(result, "D").score == 50.0 and section(result, "T").score == 80.0
    assert result.overall == round((40 + 2 * 50 + 80 + 80) / 5, 1)


def test_a_skipped_section_requires_nothing_and_says_so():
    done = completeness(DATA, {"G1": False, "G2": "eu", "C1": False})
    assert done.missing == ()
    assert done.by_section == {"G": (2, 2), "D": (0, 0), "T": (0, 0), "C": (1, 1)}
    assert done.not_applicable == {"D", "T"}
    assert done.percent == 100.0


def test_a_section_on_all_and_not_across_sections_applies_only_when_both_parts_hold():
    questions = DATA.questions
    transfers = DATA.sections[2]
    assert section_applicability(transfers, {"G1": True, "G2": "elsewhere"}, questions) == "applicable"
    assert section_applicability(transfers, {"G1": True, "G2": "eu"}, questions) == "not_applicable"
    assert section_applicability(transfers, {"G1": False}, questions) == "not_applicable"
    assert section_applicability(transfers, {"G1": True}, questions) == "unknown"


def test_a_section_undecided_while_its_question_is_unanswered_keeps_its_questions_required():
    done = completeness(DATA, {"G2": "eu", "C1": False})
    assert "D" not in done.not_applicable
    assert {"G1", "D1", "D2", "D3"} <= set(done.missing)
    result = score_response(DATA, {"G2": "eu"}, AS_OF)
    assert item(result, "D1").status == "unanswered"
    assert item(result, "D1").why.params["why"].params == {"question": "G1"}


def test_answers_in_a_skipped_section_are_kept_unused_and_count_again_when_it_applies():
    answers = FULL | {"G1": False}
    kept = copy.deepcopy(answers)
    assert section(score_response(DATA, answers, AS_OF), "D").score is None
    assert answers == kept
    again = score_response(DATA, kept | {"G1": True}, AS_OF)
    assert section(again, "D").score == 50.0 and item(again, "D2").points == 5.0


def test_skip_the_rest_if_leaves_the_later_questions_of_the_section_out():
    result = score_response(DATA, FULL | {"C1": False}, AS_OF)
    assert item(result, "C2").status == "not_applicable" and item(result, "C3").status == "not_applicable"
    assert str(item(result, "C2").why.params["question"]) == "C1"
    assert section(result, "C").score == 0.0  # C1 alone: no plan scores 0, the rest leaves the denominator
    done = completeness(DATA, FULL | {"C1": False, "C2": None})
    assert done.missing == () and done.by_section["C"] == (1, 1)
    assert "C" not in done.not_applicable  # the section applies; only the rest of it is skipped


def test_skip_the_rest_if_does_not_touch_the_questions_above_it_or_other_sections():
    result = score_response(DATA, FULL | {"D1": True}, AS_OF)
    assert item(result, "D1").status == "scored" and item(result, "D1").points == 5.0
    assert item(result, "D2").status == "not_applicable" and item(result, "D3").status == "not_applicable"
    assert section(result, "D").score == 100.0
    assert item(result, "T1").status == "scored"


def test_until_the_skip_question_is_answered_the_rest_is_required():
    done = completeness(DATA, {"G1": False, "G2": "eu"})
    assert done.missing == ("C1", "C2")  # C3 is optional


def test_a_skip_question_that_does_not_apply_skips_nothing():
    data = copy.deepcopy(DATA.source)
    data["sections"][3]["questions"][0]["visible_if"] = {"question": "G1", "equals": True}
    hidden_skip = parse_questionnaire(data)
    done = completeness(hidden_skip, {"G1": False, "G2": "eu", "C1": False})
    assert done.missing == ("C2",)  # C1 does not apply, so its "no" skips nothing


def test_the_page_of_another_section_gets_the_state_of_the_questions_section_conditions_name():
    continuity = DATA.sections[3].questions
    # C names nothing outside itself; the section list beside it shows D and T, which name G1 and G2
    assert conditions_outside(DATA, continuity, {"G1": True}) == {
        "G1": ["applicable", True],
        "G2": ["applicable", None],
    }
    assert conditions_outside(DATA, DATA.sections[0].questions, {}) == {}


# --- the loader ----------------------------------------------------------------------------------


def loader_errors(change) -> list[str]:
    data = copy.deepcopy(DATA.source)
    change(data)
    with pytest.raises(QuestionnaireError) as info:
        parse_questionnaire(data)
    return info.value.errors


def set_in(path: list, value):
    def change(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


@pytest.mark.parametrize(
    ("path", "value", "error"),
    [
        (
            ["sections", 1, "visible_if"],
            {"question": "X9", "equals": True},
            'sections[1].visible_if.question: unknown question "X9"',
        ),
        (
            ["sections", 1, "visible_if"],
            {"question": "D1", "equals": True},
            'sections[1].visible_if: a section cannot depend on its own question "D1"',
        ),
        (
            ["sections", 1, "visible_if"],
            {"any": [{"question": "G1", "equals": True}, {"not": {"question": "D3", "equals": "x"}}]},
            'sections[1].visible_if: a section cannot depend on its own question "D3"',
        ),
        (["sections", 1, "visible_if"], "G1", "sections[1].visible_if: expected a mapping, got a string"),
        (
            ["sections", 1, "visible_if"],
            {"question": "G1", "equals": "yes"},
            "sections[1].visible_if: \"G1\" is yes/no: expected true or false, got 'yes'",
        ),
        (
            ["sections", 1, "visible_if"],
            {"all": []},
            "sections[1].visible_if.all: expected a non-empty list of conditions",
        ),
        (
            ["sections", 3, "questions", 0, "skip_rest_if"],
            {"question": "C1", "equals": False},
            "sections[3].questions[0].skip_rest_if.question: unknown key",
        ),
        (
            ["sections", 3, "questions", 0, "skip_rest_if"],
            {},
            "sections[3].questions[0].skip_rest_if: expected exactly one test: equals or in",
        ),
        (
            ["sections", 3, "questions", 0, "skip_rest_if"],
            {"equals": False, "in": [False]},
            "sections[3].questions[0].skip_rest_if: expected exactly one test: equals, in",
        ),
        (
            ["sections", 3, "questions", 0, "skip_rest_if"],
            [False],
            "sections[3].questions[0].skip_rest_if: expected a mapping, got a list",
        ),
        (
            ["sections", 0, "questions", 1, "skip_rest_if"],
            {"in": ["eu", "moon"]},
            'sections[0].questions[1].skip_rest_if: unknown option "moon" of "G2"',
        ),
        (
            ["sections", 3, "questions", 2, "skip_rest_if"],
            {"equals": "never"},
            "sections[3].questions[2].skip_rest_if: no question follows it in its section",
        ),
    ],
)
def test_a_wrong_section_condition_or_skip_is_a_loader_error_with_its_path(path, value, error):
    errors = loader_errors(set_in(path, value))
    assert error in errors, errors


def test_a_cycle_through_two_sections_is_a_loader_error_told_from_the_section():
    # D shows when G2 says eu, and G2 now shows only when D1 is answered yes
    def change(data):
        data["sections"][1]["visible_if"] = {"question": "G2", "equals": "eu"}
        data["sections"][0]["questions"][1]["visible_if"] = {"question": "D1", "equals": True}

    assert loader_errors(change) == [
        "sections[0].questions[1].visible_if.question: a cycle of conditions: G2 depends on D1, which depends on G2"
    ]


def test_a_cycle_through_a_section_condition_is_reported_where_its_first_step_is_written():
    def change(data):
        data["sections"][0]["questions"][0]["visible_if"] = {"question": "T1", "equals": "none"}

    assert loader_errors(change) == [
        "sections[0].questions[0].visible_if.question: a cycle of conditions: G1 depends on T1, which depends on G1"
    ]

    def backwards(data):  # the same cycle written from the other side: T1's step is its section's
        data["sections"][2]["visible_if"] = {"question": "C1", "equals": True}
        data["sections"][3]["visible_if"] = {"question": "T1", "equals": "none"}

    assert loader_errors(backwards) == [
        "sections[2].visible_if: a cycle of conditions: T1 depends on C1, which depends on T1"
    ]


def test_a_cycle_through_a_skip_is_a_loader_error():
    # C1 now shows only when C3 (below it, skipped by C1's "no") says so
    def change(data):
        data["sections"][3]["questions"][0]["visible_if"] = {"question": "C2", "equals": 4}

    assert loader_errors(change) == [
        "sections[3].questions[0].visible_if.question: a cycle of conditions: C1 depends on C2, which depends on C1"
    ]


def test_skip_rest_if_is_not_for_the_fields_of_a_group():
    def change(data):
        data["sections"][3]["questions"].append(
            {
                "id": "C4",
                "type": "group",
                "prompt": "Sites",
                "fields": [{"id": "name", "type": "text", "prompt": "Name", "skip_rest_if": {"equals": "x"}}],
            }
        )

    assert "sections[3].questions[3].fields[0].skip_rest_if: unknown key" in loader_errors(change)


# --- the vendor's pages ----------------------------------------------------------------------------


@pytest.fixture
def data_vendor(db, team):
    """A vendor invited to an evaluation of the data-processing fixture: (token, response id)."""
    evaluation_id = evaluations.start_evaluation(db, DATA, "Payroll processor", team_id=team)
    vendor_id, token = evaluations.invite(db, evaluation_id, "Lohnwerk GmbH", None, "test")
    return token, store.get_vendor(db, vendor_id)["response_id"]


def nav_entry(page: str, sid: str) -> str:
    """The section list's entry for one section (the wide copy)."""
    wide = page.split('class="sections-wide"', 1)[1] if 'class="sections-wide"' in page else page
    return re.search(
        r'<li(?: class="[^"]*")?\s*(?:data-section-condition=\'[^\']*\')?>\s*'
        rf'<a href="[^"]*/s/{sid}".*?</li>',
        wide,
        re.S,
    ).group(0)


def test_the_section_list_says_a_skipped_section_does_not_apply_and_does_not_link_to_it(client, db, data_vendor):
    token, response_id = data_vendor
    store.save_answers(db, response_id, {"G1": False, "G2": "eu"}, {}, "test")
    page = client.get(f"/v/{token}").get_data(as_text=True)
    entry = nav_entry(page, "D")
    assert "not-applicable" in entry and "not applicable" in entry
    assert re.search(r'<a [^>]*class="section-link"[^>]* hidden>', entry)
    assert json.loads(re.search(r"data-section-condition='([^']*)'", entry).group(1)) == {"q": "G1", "equals": True}
    continuity = nav_entry(page, "C")
    assert "not-applicable" not in continuity and " hidden>" not in continuity.split("</a>")[0]


def test_the_page_of_a_skipped_section_says_so_asks_nothing_and_goes_on(client, db, data_vendor):
    token, response_id = data_vendor
    store.save_answers(db, response_id, {"G1": False, "G2": "eu", "D2": True}, {}, "test")
    page = client.get(f"/v/{token}/s/D").get_data(as_text=True)
    assert "This section does not apply" in page
    assert 'id="section-form"' not in page and 'name="D2"' not in page
    assert f'href="/v/{token}/s/G#q-G1"' in page
    assert f'href="/v/{token}/s/C"' in page  # "Go on" passes T, which does not apply either
    assert store.load_answers(db, response_id)["D2"] is True  # kept


def test_save_and_continue_passes_the_sections_that_do_not_apply(client, db, data_vendor):
    token, response_id = data_vendor

    def next_after_g(g1: str):
        page = client.get(f"/v/{token}/s/G").get_data(as_text=True)
        versions = re.search(r'name="base_versions" value="([^"]*)"', page).group(1).replace("&#34;", '"')
        form = {"base_versions": versions, "G1": g1, "G2": "eu", "action": "next"}
        saved = client.post(f"/v/{token}/s/G", data=form)
        assert saved.status_code == 302
        return saved.headers["Location"]

    assert next_after_g("no").endswith(f"/v/{token}/s/C")  # D and T do not apply
    assert next_after_g("yes").endswith(f"/v/{token}/s/D")


def test_a_vendor_whose_answers_skip_sections_can_submit_and_the_skipped_answers_stay(client, db, data_vendor):
    token, response_id = data_vendor
    store.save_answers(db, response_id, FULL, {}, "test")
    store.save_answers(db, response_id, {"G1": False, "C1": False}, store.answer_versions(db, response_id), "test")
    review = client.get(f"/v/{token}/review").get_data(as_text=True)
    assert "Missing required answers" not in review
    assert review.count("This section does not apply to your answers.") == 2
    assert f"/v/{token}/s/D#q-" not in review
    done = client.post(f"/v/{token}/submit", data={"confirm": "yes"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/receipt")
    assert store.get_response(db, response_id)["status"] == "submitted"
    assert store.load_answers(db, response_id) == FULL | {"G1": False, "C1": False}


def test_a_section_left_undecided_keeps_its_questions_missing_and_submitting_refused(client, db, data_vendor):
    token, response_id = data_vendor
    store.save_answers(db, response_id, {"G2": "eu", "C1": False}, {}, "test")
    review = client.get(f"/v/{token}/review").get_data(as_text=True)
    assert f"/v/{token}/s/D#q-D1" in review and f"/v/{token}/s/G#q-G1" in review
    refused = client.post(f"/v/{token}/submit", data={"confirm": "yes"})
    assert refused.status_code == 302 and refused.headers["Location"].endswith("/review")
    assert store.get_response(db, response_id)["status"] == "in_progress"


def test_the_page_writes_each_question_s_whole_condition_for_the_script(client, db, data_vendor):
    token, response_id = data_vendor
    store.save_answers(db, response_id, {"G1": True}, {}, "test")
    page = client.get(f"/v/{token}/s/D").get_data(as_text=True)
    d2 = re.search(r'data-question="D2" data-type="yes_no" data-condition=\'([^\']*)\'', page).group(1)
    assert json.loads(d2) == DATA.question("D2").applies_if.to_data()
    outside = re.search(r"data-conditions-outside=\'([^\']*)\'", page).group(1)
    assert json.loads(outside) == {"G1": ["applicable", True], "G2": ["applicable", None]}


# --- the buyer's pages ------------------------------------------------------------------------------


def test_the_buyer_sees_a_skipped_section_as_not_applicable_on_the_response_and_the_comparison(
    client, db, team, make_user, login
):
    evaluation_id = evaluations.start_evaluation(db, DATA, "Payroll processor", team_id=team)
    vendor_id, _ = evaluations.invite(db, evaluation_id, "Lohnwerk GmbH", None, "test")
    response_id = store.get_vendor(db, vendor_id)["response_id"]
    store.save_answers(db, response_id, FULL | {"G1": False}, {}, "test")
    store.set_response_status(db, response_id, "submitted", "test", expect=store.EDITABLE)
    login(make_user("viewer"))
    response = client.get(f"/evaluations/{evaluation_id}/vendors/{vendor_id}")
    assert response.status_code == 200
    html = re.sub(r"\s+", " ", response.get_data(as_text=True))
    for sid, title in (("D", "Personal data"), ("T", "Transfers")):
        heading = f'<h2><span class="sid">{sid}</span> {title} <span class="section-score">not applicable</span></h2>'
        assert heading in html
    assert '<span class="section-score">80</span>' in html  # C, beside G's 40: the weights of D and T left
    assert client.get(f"/evaluations/{evaluation_id}/compare").status_code == 200
