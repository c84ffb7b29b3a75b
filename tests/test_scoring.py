"""Scoring rules, normalisation and determinism, on a small questionnaire with every rule kind."""

from datetime import date

import pytest

from stagefour.questionnaire import load_questionnaire
from stagefour.scoring import score_response

from .conftest import FIXTURES

AS_OF = date(2026, 11, 21)


@pytest.fixture(scope="module")
def every():
    return load_questionnaire(FIXTURES / "every-type.yaml")


def item(every, answers, qid, **kwargs):
    return score_response(every, answers, AS_OF, **kwargs).items[qid]


@pytest.mark.parametrize(("value", "points"), [(True, 5), (False, 1)])
def test_points_rule_on_yes_no(every, value, points):
    assert item(every, {"agree": value}, "agree").points == points


@pytest.mark.parametrize(("value", "points"), [("red", 4), ("blue", 0)])
def test_points_rule_on_single_gives_zero_for_unlisted_option(every, value, points):
    assert item(every, {"colour": value}, "colour").points == points


@pytest.mark.parametrize(
    ("days", "points"),
    [(0, 1), (1, 1), (2, 5), (4, 5), (5, 1), (8, 1), (9, 2), (1000, 2)],
)
def test_bands_rule_first_match_inclusive_min_max_exclusive_above(every, days, points):
    assert item(every, {"days": days}, "days").points == points


def test_per_option_rule_caps_at_max_and_needs_evidence(every):
    three_files = [{"name": f"{n}.pdf"} for n in "abc"]
    assert item(every, {"tools": ["a", "b", "c"], "proof": three_files}, "tools").points == 5  # 6 capped at 5
    assert item(every, {"tools": ["a", "b", "c"], "proof": three_files[:1]}, "tools").points == 2
    assert item(every, {"tools": ["a", "b"]}, "tools").points == 0
    assert item(every, {"tools": []}, "tools").points == 0


def test_share_rule_with_bonus_from_another_question(every):
    assert item(every, {"logged": ["x"]}, "logged").points == 1.5
    assert item(every, {"logged": ["x", "y"]}, "logged").points == 3
    assert item(every, {"logged": ["x", "y"], "days": 180}, "logged").points == 5
    assert item(every, {"logged": ["x", "y"], "days": 179}, "logged").points == 3
    result = item(every, {"logged": ["x"], "days": 200}, "logged")
    assert result.points == 3.5
    assert "+2 for days = 200" in result.why


@pytest.mark.parametrize(
    ("tested", "points"),
    [
        ("2026-11-21", 5),  # the as-of date itself
        ("2026-08-21", 5),  # exactly three months
        ("2026-08-20", 3),  # a day older
        ("2025-11-21", 3),  # exactly twelve months
        ("2025-11-20", 0),
        ("2026-11-22", 0),  # in the future
    ],
)
def test_age_rule_windows_are_calendar_months(every, tested, points):
    assert item(every, {"tested": tested}, "tested").points == points


def test_unanswered_scored_item_is_zero_and_stays_in_denominator(every):
    result = score_response(every, {"agree": True}, AS_OF)
    assert result.items["colour"].status == "unanswered"
    assert result.items["colour"].points == 0
    # S1 counts agree (5), colour, tools, logged, days (0 each) and story is unanswered (0)
    assert result.sections[0].score == pytest.approx(100 * 5 / 5 / 6, abs=0.1)


def test_manual_item_pending_is_provisional_not_zero(every):
    result = score_response(every, {"agree": True, "story": "we did it"}, AS_OF)
    story = result.items["story"]
    assert story.status == "pending"
    assert story.points is None
    assert result.provisional
    # pending leaves the denominator: 5 items counted, not 6
    assert result.sections[0].score == pytest.approx(20.0)
    assert result.sections[0].low == pytest.approx(16.7)
    assert result.sections[0].high == pytest.approx(33.3)


def test_manual_scores_are_averaged_and_a_spread_asks_for_a_third(every):
    answers = {"story": "we did it"}
    close = item(every, answers, "story", manual_scores={"story": [3, 4]})
    assert close.points == 3.5 and not close.needs_third_opinion
    apart = item(every, answers, "story", manual_scores={"story": [1, 4]})
    assert apart.points == 2.5 and apart.needs_third_opinion
    three = item(every, answers, "story", manual_scores={"story": [1, 4, 4]})
    assert three.points == 3 and not three.needs_third_opinion
    assert not score_response(every, answers, AS_OF, manual_scores={"story": [4]}).provisional


@pytest.mark.parametrize("bad", [{"story": 6}, {"story": [-1]}, {"agree": 3}, {"nope": 1}, {"story": "4"}])
def test_bad_manual_scores_are_refused(every, bad):
    with pytest.raises(ValueError):
        score_response(every, {}, AS_OF, manual_scores=bad)


def test_conditional_item_leaves_denominator_when_condition_is_false(every):
    hidden = score_response(every, {"gate": False}, AS_OF)
    assert hidden.items["gated"].status == "not_applicable"
    assert "gated" not in hidden.missing_required
    shown = score_response(every, {"gate": True}, AS_OF)
    assert shown.items["gated"].status == "unanswered"
    assert "gated" in shown.missing_required


def test_conditional_item_counts_as_unanswered_while_its_condition_is_unanswered(every):
    result = score_response(every, {"gated": True}, AS_OF)
    assert result.items["gated"].status == "unanswered"
    assert result.items["gated"].points == 0
    assert "gate" in result.items["gated"].why


def test_completeness_counts_required_applicable_items(every):
    assert score_response(every, {}, AS_OF).completeness == 0
    # required: name, agree, gate (gated is not applicable once gate is no)
    assert score_response(every, {"name": "x", "gate": False}, AS_OF).completeness == pytest.approx(66.7)
    assert score_response(every, {"name": "x", "agree": False, "gate": False}, AS_OF).completeness == 100


def test_section_weights_can_be_overridden(every):
    answers = {"agree": True, "colour": "red", "tools": [], "logged": [], "days": 3, "tested": "2026-11-01"}
    default = score_response(every, answers, AS_OF)
    tilted = score_response(every, answers, AS_OF, weights={"S1": 1, "S2": 9})
    assert default.overall != tilted.overall
    s1, s2 = default.sections[0].score, default.sections[1].score
    assert tilted.overall == pytest.approx((s1 + 9 * s2) / 10, abs=0.1)


def test_every_point_explains_itself(every):
    result = score_response(every, {"agree": True, "days": 3, "colour": "blue"}, AS_OF)
    assert result.items["agree"].why == '5: answered "yes"'
    assert result.items["days"].why == "5: 3 (band 2–4)"
    assert result.items["colour"].why == '0: answered "Blue"'


def test_scoring_is_deterministic_byte_for_byte(every):
    answers = {"agree": True, "days": 3, "tools": ["a"], "story": "x", "rows": [{"id": "r", "n": 2}]}
    first = score_response(every, answers, AS_OF, manual_scores={"story": [2, 5]}).to_json()
    for _ in range(3):
        assert (
            score_response(every, dict(reversed(answers.items())), AS_OF, manual_scores={"story": [2, 5]}).to_json()
            == first
        )
