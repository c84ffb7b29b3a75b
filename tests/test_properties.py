"""Property tests (hypothesis) over random valid responses to the default questionnaire."""

from datetime import date
from datetime import timedelta

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from stagefour.library import load_by_id
from stagefour.response import parse_response
from stagefour.scoring import score_response

QUESTIONNAIRE = load_by_id("ai-deployment-partner")
AS_OF = date(2026, 11, 21)
ROW_IDS = ["d1", "d2", "d3", "e1", "e2", "f1"]

dates = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 6, 30)).map(date.isoformat)


def value_strategy(q):
    """Valid values for one question or group sub-field."""
    t = q.type
    if t in ("text", "long_text"):
        if q.id == "id":
            return st.sampled_from(ROW_IDS)
        if q.id == "deployment_id":
            return st.sampled_from(ROW_IDS)
        return st.text(st.characters(blacklist_characters="\x00"), max_size=20)
    if t == "yes_no":
        return st.booleans()
    if t == "single":
        return st.sampled_from(q.option_values)
    if t == "multi":
        return st.lists(st.sampled_from(q.option_values), unique=True)
    if t == "number":
        lo = q.min if q.min is not None else 0
        hi = q.max if q.max is not None else 100_000
        if q.integer:
            return st.integers(min_value=int(lo), max_value=int(hi))
        if q.money:  # an amount of at most 2 decimals (1.1): whole cents
            return st.integers(min_value=int(lo * 100), max_value=int(hi * 100)).map(lambda cents: cents / 100)
        return st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False)
    if t == "date":
        return dates
    if t == "url":
        return st.just("https://example.com/x")
    if t == "email":
        return st.just("a@example.com")
    if t == "file":
        return st.lists(st.builds(lambda n: {"name": f"{n}.pdf"}, st.integers(0, 99)), min_size=1, max_size=3)
    if t == "id_list":
        return st.lists(st.sampled_from(ROW_IDS), max_size=3)
    if t == "group":
        row = st.fixed_dictionaries({}, optional={f.id: value_strategy(f) for f in q.fields})
        return st.lists(row, max_size=4)
    raise AssertionError(t)


ANSWERABLE = [q for q in QUESTIONNAIRE.questions.values() if q.type != "computed"]
answers_strategy = st.fixed_dictionaries({}, optional={q.id: value_strategy(q) for q in ANSWERABLE})
manual_ids = [q.id for q in QUESTIONNAIRE.questions.values() if q.scoring.kind == "manual"]
manual_strategy = st.dictionaries(st.sampled_from(manual_ids), st.lists(st.integers(0, 5), min_size=1, max_size=3))
profile_strategy = st.fixed_dictionaries(
    {},
    optional={
        "industry": st.sampled_from(QUESTIONNAIRE.question("B1").field_by_id("industry").option_values),
        "size_band": st.sampled_from(QUESTIONNAIRE.question("B1").field_by_id("size_band").option_values),
    },
)
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def in_range(value):
    return value is None or 0 <= value <= 100


@SETTINGS
@given(answers_strategy, manual_strategy, profile_strategy)
def test_generated_answers_are_valid_response_json(answers, manual, profile):
    parse_response(QUESTIONNAIRE, {"questionnaire": QUESTIONNAIRE.id, "answers": answers})


@SETTINGS
@given(answers_strategy, manual_strategy, profile_strategy)
def test_scores_stay_within_0_and_100(answers, manual, profile):
    result = score_response(QUESTIONNAIRE, answers, AS_OF, buyer_profile=profile, manual_scores=manual)
    assert in_range(result.overall) and in_range(result.low) and in_range(result.high)
    assert 0 <= result.completeness <= 100
    for s in result.sections:
        assert in_range(s.score) and in_range(s.low) and in_range(s.high)
        if s.score is not None:
            assert s.low <= s.score <= s.high
    for i in result.items.values():
        assert i.points is None or 0 <= i.points <= 5


def _section(result, sid):
    return next(s for s in result.sections if s.id == sid)


qualifying_row = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["new1", "new2"]),
        "stage": st.just(4),
        "in_production": st.just(True),
        "vendor_role": st.sampled_from(["built_operates", "handed_over"]),
        "go_live": st.integers(0, 182).map(lambda d: (AS_OF - timedelta(days=d)).isoformat()),
    },
    optional={
        "industry": st.sampled_from(["insurance", "retail"]),
        "size_band": st.sampled_from(["under_1k", "over_10k"]),
        "engineer_ids": st.lists(st.sampled_from(ROW_IDS), max_size=2),
        "reference_available": st.booleans(),
    },
)


@SETTINGS
@given(answers_strategy, manual_strategy, profile_strategy, qualifying_row)
def test_adding_a_qualifying_deployment_never_lowers_section_b(answers, manual, profile, row):
    before = score_response(QUESTIONNAIRE, answers, AS_OF, buyer_profile=profile, manual_scores=manual)
    more = dict(answers, B1=[*answers.get("B1", []), row])
    after = score_response(QUESTIONNAIRE, more, AS_OF, buyer_profile=profile, manual_scores=manual)
    b0, b1 = _section(before, "B"), _section(after, "B")
    for attribute in ("score", "low", "high"):
        if getattr(b0, attribute) is not None:
            assert getattr(b1, attribute) >= getattr(b0, attribute)
    assert after.items["B2"].points >= before.items["B2"].points


REQUIRED = [q.id for q in QUESTIONNAIRE.questions.values() if q.required]


@SETTINGS
@given(answers_strategy, manual_strategy, profile_strategy, st.sampled_from(REQUIRED))
def test_leaving_a_required_item_unanswered_never_raises_a_score(answers, manual, profile, qid):
    answered = score_response(QUESTIONNAIRE, answers, AS_OF, buyer_profile=profile, manual_scores=manual)
    skipped_answers = {k: v for k, v in answers.items() if k != qid}
    skipped = score_response(QUESTIONNAIRE, skipped_answers, AS_OF, buyer_profile=profile, manual_scores=manual)
    for attribute in ("overall", "low", "high"):
        a, s = getattr(answered, attribute), getattr(skipped, attribute)
        if a is not None and s is not None:
            assert s <= a + 1e-9, (attribute, qid)
    assert skipped.completeness <= answered.completeness


@SETTINGS
@given(answers_strategy, manual_strategy, profile_strategy)
def test_scoring_is_deterministic(answers, manual, profile):
    first = score_response(QUESTIONNAIRE, answers, AS_OF, buyer_profile=profile, manual_scores=manual).to_json()
    again = score_response(QUESTIONNAIRE, dict(answers), AS_OF, buyer_profile=dict(profile), manual_scores=manual)
    assert again.to_json() == first
