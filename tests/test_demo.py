"""The demo's example responses for questionnaire 1.1 and `flask demo` loading them (issue 14)."""

import json

import pytest

from commands import DEMO_FOLDER
from commands import DEMO_PROFILE
from commands import DEMO_VENDORS
from stagefour import commercials
from stagefour import store
from stagefour.questionnaire import load_questionnaire
from stagefour.response import is_answered
from stagefour.response import read_response
from stagefour.scoring import is_applicable
from stagefour.scoring import score_response

from .conftest import AS_OF
from .conftest import FIXTURES
from .conftest import RESPONSES

# The four vendors that answer every 1.1 item, each showing one thing a committee weighs.
NEW_VENDORS = ("stage4-exemplary", "global-inference", "model-reseller", "no-exit")
OLD_VENDORS = ("stage4-deployer", "pilots-only", "stage-inflation", "no-engineers")
NEW_FLAGS = {f"R{n}" for n in range(19, 27)}


def _read(questionnaire, name):
    return read_response(questionnaire, (RESPONSES / f"{name}.json").read_bytes())


def _score(questionnaire, name, profile=DEMO_PROFILE):
    return score_response(questionnaire, _read(questionnaire, name).answers, AS_OF, buyer_profile=profile)


@pytest.fixture(scope="module")
def ids_1_1(questionnaire):
    """The ids 1.1 adds to 1.0 (the previous questionnaire file is kept as a fixture)."""
    before = load_questionnaire(FIXTURES / "questionnaires" / "ai-deployment-partner-1.0.0.yaml")
    old = {q.id for s in before.sections for q in s.questions}
    return [q for s in questionnaire.sections for q in s.questions if q.id not in old]


def test_the_demo_responses_are_read_against_questionnaire_1_1(questionnaire):
    assert questionnaire.version == "1.1.0"
    for name in NEW_VENDORS + OLD_VENDORS:
        assert _read(questionnaire, name).answers, name


@pytest.mark.parametrize("name", NEW_VENDORS)
def test_each_new_demo_vendor_answers_every_1_1_item_it_is_shown(questionnaire, ids_1_1, name):
    answers = _read(questionnaire, name).answers
    asked = [q for q in ids_1_1 if q.type != "computed" and is_applicable(q, answers, questionnaire.questions)]
    assert len(asked) >= 20  # C6, E9, E10, G6-G8, H6, H7, H9, K1-K11 (H10 only for a high-risk H9)
    assert [q.id for q in asked if not is_answered(q, answers.get(q.id))] == []


@pytest.mark.parametrize("name", OLD_VENDORS)
def test_the_older_demo_responses_stay_1_0_files(questionnaire, ids_1_1, name):
    answers = _read(questionnaire, name).answers
    assert not {q.id for q in ids_1_1} & set(answers)


def test_the_exemplary_vendor_earns_nearly_every_point_and_ranks_first(questionnaire):
    results = {name: _score(questionnaire, name) for name in NEW_VENDORS + OLD_VENDORS}
    best = results["stage4-exemplary"]
    assert best.verdict.code == "stage4_unverified"  # verified only once the buyer checks a reference
    assert best.verdict.overlays == ()
    assert [(f.code, f.severity) for f in best.red_flags] == [("R3", "low")]  # h3: track record only
    sections = {s.id: s.score for s in best.sections}
    assert sections["K"] == 100
    assert best.items["H8"].points == 5  # zero retention at the model provider, in writing
    assert all(score is None or score >= 90 for score in sections.values()), sections
    ranked = sorted(results, key=lambda n: results[n].overall, reverse=True)
    assert ranked[0] == "stage4-exemplary"


@pytest.mark.parametrize(
    ("name", "h8", "k_below"),
    [("global-inference", 3, 80), ("model-reseller", 5, 70), ("no-exit", 3, 60)],
)
def test_the_other_new_vendors_reach_stage_4_evidence_with_their_weak_spots_scored(questionnaire, name, h8, k_below):
    result = _score(questionnaire, name)
    assert result.verdict.code == "stage4_unverified"
    assert result.items["H8"].points == h8  # 30 days of abuse monitoring at the model API scores 3
    assert {s.id: s.score for s in result.sections}["K"] < k_below
    assert result.overall < _score(questionnaire, "stage4-exemplary").overall


def test_the_reseller_takes_a_margin_on_model_usage_and_says_so_at_i1(questionnaire):
    answers = _read(questionnaire, "model-reseller").answers
    assert answers["K5"] == commercials.MARGIN
    assert "resale" in answers["I1"]


def test_the_no_exit_vendor_hands_over_no_code_and_gives_no_exit_weeks(questionnaire):
    answers = _read(questionnaire, "no-exit").answers
    assert answers["K10"] == 0 and "code" not in answers["I4"]
    assert answers["K5"] == commercials.INCLUDED


def test_the_demo_commercials_add_up_and_mark_the_cheapest(questionnaire):
    blocks = {name: commercials.commercials(_read(questionnaire, name).answers, DEMO_PROFILE) for name in NEW_VENDORS}
    lines = {n: (b["monthly_run_cost"], b["go_live_plus_12_months"]) for n, b in blocks.items()}
    assert lines == {
        "stage4-exemplary": (9804, 282648),  # 7,500 + 38.4 × 60,000 ÷ 1,000; 165,000 + 12 × 9,804
        "global-inference": (11174, 344088),
        "model-reseller": (9708, 356496),
        "no-exit": (14500, 269000),  # model costs included in K3: no K4 term
    }
    assert all(b["currency"] == "EUR" and b["monthly_tasks"] == 60000 for b in blocks.values())
    marked = commercials.marks(blocks)
    assert marked["monthly_run_cost"] == {"model-reseller"}
    assert marked["go_live_plus_12_months"] == {"no-exit"}  # the cheapest year is the one without an exit
    assert marked["K6"] == {"stage4-exemplary"}


# R19–R26 are raised by the checks of issue 14's flags part: this passes once that part is merged.
@pytest.mark.parametrize(
    ("name", "flags", "overlays"),
    [
        ("stage4-exemplary", set(), ()),
        ("global-inference", {"R19"}, ("data_residency",)),
        ("model-reseller", {"R25"}, ()),
        ("no-exit", {"R26"}, ("lock_in",)),
    ],
)
def test_each_new_demo_vendor_raises_its_own_1_1_flags_and_overlays(questionnaire, name, flags, overlays):
    result = _score(questionnaire, name)
    assert {f.code for f in result.red_flags} & NEW_FLAGS == flags
    assert tuple(code for code, _label in result.verdict.overlays) == overlays


def test_the_global_endpoint_conflicts_with_an_eu_only_buyer_and_points_at_its_row(questionnaire):
    result = _score(questionnaire, "global-inference", profile={"data_regions": ["eu_eea"]})
    [r19] = [f for f in result.red_flags if f.code == "R19"]
    assert r19.severity == "high"
    assert "H6[0].regions" in r19.answers  # the Azure OpenAI Global Standard deployment


def test_flask_demo_loads_every_demo_vendor_with_the_1_1_buyer_profile(runner, db):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    [evaluation] = store.list_evaluations(db)
    assert store.get_evaluation(db, evaluation["id"])["buyer_profile"] == DEMO_PROFILE
    assert DEMO_PROFILE["ai_act_class"] == "transparency_only"
    vendors = {v["name"]: v for v in store.list_vendors(db, evaluation["id"])}
    assert len(vendors) == len(DEMO_VENDORS) == 7
    for name, submitted, _sections in DEMO_VENDORS:
        data = json.loads((DEMO_FOLDER / "responses" / f"{name}.json").read_text(encoding="utf-8"))
        vendor = vendors[data["vendor"]]
        assert vendor["status"] == ("submitted" if submitted else "in_progress"), name
        assert f"vendor {data['vendor']} (" in result.output
        if name in NEW_VENDORS:
            assert store.load_answers(db, vendor["response_id"]) == data["answers"], name
