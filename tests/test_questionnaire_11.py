"""Questionnaire 1.1 (../shared/QUESTIONNAIRE.md, "Version 1.1 additions"): the `money` limit,
each new scoring rule at its band edges, the computed H8, normalisation, and 1.0 compatibility."""

import copy
import json
import re

import pytest

from stagefour import evaluations
from stagefour import export
from stagefour import store
from stagefour.library import load_by_id
from stagefour.questionnaire import QuestionnaireError
from stagefour.questionnaire import load_questionnaire
from stagefour.questionnaire import parse_questionnaire
from stagefour.response import ResponseError
from stagefour.response import check_value
from stagefour.response import read_response
from stagefour.scoring import score_response

from .conftest import AS_OF
from .conftest import FIXTURES
from .conftest import RESPONSES
from .conftest import load_response_json
from .test_bounds import answers as stored_answers
from .test_bounds import field_error
from .test_bounds import save
from .test_questionnaire import BASE

QUESTIONNAIRE_1_0 = FIXTURES / "questionnaires" / "ai-deployment-partner-1.0.0.yaml"
NEW_IDS = "C6 E9 E10 G6 G7 G8 H6 H7 H8 H9 H10 K1 K2 K3 K4 K5 K6 K7 K8 K9 K10 K11".split()

# The contract's example response of 1.1 ("Response JSON and `flask score` (1.1)").
EXAMPLE = {
    "C6": ["mfa", "managed_devices", "our_identities", "offboarding_24h", "no_outside_ai_tools"],
    "E9": ["privilege_separation", "retrieval_permissions", "output_dlp"],
    "E10": "pinned_reviewed",
    "G6": "pinned_blocking_gate",
    "G7": 420,
    "G8": ["gate-report-2026-10-28.pdf"],
    "H6": [
        {
            "id": "s1",
            "name": "Microsoft Ireland, Azure OpenAI, Sweden Central",
            "service": "model_api",
            "data": ["prompts_outputs", "personal_data"],
            "regions": ["eu_eea"],
            "retention_days": 0,
            "transfer_basis": "not_needed",
        },
        {
            "id": "s2",
            "name": "Example Ltd",
            "service": "vendor_self",
            "data": ["traces_logs"],
            "regions": ["eu_eea", "uk"],
            "retention_days": 30,
            "transfer_basis": "adequacy",
        },
    ],
    "H7": 30,
    "H9": "transparency_only",
    "K1": "fixed_price",
    "K2": 180000,
    "K3": 9000,
    "K4": 42.5,
    "K5": "passthrough_at_cost",
    "K6": 5000000,
    "K7": ["hard_budget_cap", "per_task_limits", "spend_alerts"],
    "K8": 30,
    "K9": 4,
    "K10": 12,
    "K11": 30,
}


def scored(questionnaire, answers, **kwargs):
    return score_response(questionnaire, answers, AS_OF, **kwargs)


def points(questionnaire, qid, value, **others):
    """The points of one item answered `value` (with `others` answered too)."""
    return scored(questionnaire, {qid: value, **others}).items[qid].points


def section(result, sid):
    return next(s for s in result.sections if s.id == sid)


@pytest.fixture
def full_answers(stage4_answers):
    """The stage-4 deployer (a 1.0 file) with the contract's 1.1 example answers: every required item answered."""
    return {**stage4_answers, **copy.deepcopy(EXAMPLE)}


# --- the `money: true` limit ---------------------------------------------------------------------


def money_questionnaire(**limits):
    data = copy.deepcopy(BASE)
    data["sections"][0]["questions"].append({"id": "M", "type": "number", "prompt": "Fee", **limits})
    return data


def test_money_is_a_number_of_at_least_0_on_the_question():
    q = parse_questionnaire(money_questionnaire(money=True)).question("M")
    assert q.money and q.min == 0 and not q.integer
    assert not parse_questionnaire(money_questionnaire()).question("M").money


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda q: q.update(type="text"), "only number questions have money, not text"),
        (lambda q: q.update(money="yes"), "money: expected true or false"),
        (lambda q: q.update(min=-1), "a money amount cannot be negative"),
    ],
)
def test_the_loader_accepts_money_only_as_true_or_false_on_a_number_of_at_least_0(mutate, message):
    data = money_questionnaire(money=True)
    mutate(data["sections"][0]["questions"][-1])
    with pytest.raises(QuestionnaireError) as info:
        parse_questionnaire(data)
    assert any(message in e and "questions[3]" in e for e in info.value.errors), info.value.errors


@pytest.mark.parametrize("value", [0, 1, 42.5, 42.05, 19.99, 0.01, 180000, 1234.5, 10**12])
def test_a_money_answer_with_at_most_2_decimals_is_accepted(questionnaire, value):
    errors = []
    assert check_value(questionnaire.question("K4"), value, "answers.K4", errors) == value
    assert errors == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (42.505, "answers.K4: expected an amount with at most 2 decimals, got 42.505"),
        (0.001, "answers.K4: expected an amount with at most 2 decimals, got 0.001"),
        (-1, "answers.K4: expected an amount from 0 to 1000000000000, got -1"),
        (-0.5, "answers.K4: expected an amount from 0 to 1000000000000, got -0.5"),
        ("12", "answers.K4: expected an amount from 0 to 1000000000000"),
        (True, "answers.K4: expected an amount from 0 to 1000000000000"),
        (1e13, "answers.K4: expected an amount from 0 to 1000000000000"),
    ],
)
def test_a_money_answer_below_0_or_with_more_decimals_is_refused_with_its_path(questionnaire, value, message):
    errors = []
    check_value(questionnaire.question("K4"), value, "answers.K4", errors)
    assert len(errors) == 1 and errors[0].startswith(message), errors


def test_response_json_with_a_bad_amount_lists_every_error(questionnaire):
    text = json.dumps({"questionnaire": "ai-deployment-partner", "answers": {"K2": 100.125, "K3": -5, "K6": 10}})
    with pytest.raises(ResponseError) as info:
        read_response(questionnaire, text)
    assert [e.split(":")[0] for e in info.value.errors] == ["answers.K2", "answers.K3"]


def test_the_vendor_form_refuses_a_third_decimal_beside_the_field_and_keeps_the_answer(client, db, make_vendor):
    v = make_vendor(answers={"K2": 180000, "K4": 42.5})
    response = save(client, v, "K", {"K2": "175000.50", "K4": "42.505"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "K4") == "Enter an amount with at most 2 decimals, such as 1234.50."
    assert field_error(html, "K2") == ""
    assert stored_answers(db, v) == {"K2": 175000.5, "K4": 42.5}  # the good amount is saved, the bad one refused
    assert 'value="42.505"' in html, "what the vendor typed stays in the field"


def test_the_vendor_form_refuses_a_negative_amount_and_saves_a_good_one(client, db, make_vendor):
    v = make_vendor(answers={"K4": 42.5})
    response = save(client, v, "K", {"K4": "42.5", "K6": "-1"})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "K6")
    assert stored_answers(db, v) == {"K4": 42.5}
    response = save(client, v, "K", {"K4": "40.25", "K6": "2000000"})
    assert response.status_code in (302, 303)
    assert stored_answers(db, v) == {"K4": 40.25, "K6": 2000000}


def test_the_vendor_form_says_the_amount_rule_in_german(client, db, make_vendor):
    v = make_vendor()
    client.post(f"/v/{v['token']}/language", data={"language": "de", "next": f"/v/{v['token']}/s/K"})
    response = save(client, v, "K", {"K4": "1,5"})  # a decimal comma is not a number here: refused, not guessed
    assert response.status_code == 422
    response = save(client, v, "K", {"K4": "1.555"})
    assert response.status_code == 422
    assert "2 Nachkommastellen" in field_error(response.get_data(as_text=True), "K4")


# --- each new scoring rule at its band edges -----------------------------------------------------


@pytest.mark.parametrize(
    ("qid", "value", "expected"),
    [
        # C6: 1 each, max 5
        ("C6", [], 0),
        ("C6", ["mfa"], 1),
        ("C6", ["mfa", "managed_devices", "our_identities", "least_privilege_jit"], 4),
        ("C6", ["mfa", "managed_devices", "our_identities", "least_privilege_jit", "background_checks"], 5),
        ("C6", ["mfa", "managed_devices", "our_identities", "least_privilege_jit", "background_checks",
                "offboarding_24h", "no_outside_ai_tools"], 5),
        # E9: privilege_separation 2, egress_allowlist 2, the others 1 each, max 5
        ("E9", ["privilege_separation"], 2),
        ("E9", ["egress_allowlist"], 2),
        ("E9", ["input_screening"], 1),
        ("E9", ["privilege_separation", "egress_allowlist"], 4),
        ("E9", ["privilege_separation", "egress_allowlist", "output_dlp"], 5),
        ("E9", ["privilege_separation", "egress_allowlist", "output_dlp", "injection_tests"], 5),
        ("E9", ["input_screening", "output_dlp", "retrieval_permissions"], 3),  # R22's example scores 3
        ("E9", [], 0),
        # E10: 5/5/2/0
        ("E10", "own_only", 5),
        ("E10", "pinned_reviewed", 5),
        ("E10", "pinned", 2),
        ("E10", "unpinned", 0),
        # G1 gains fairness and out_of_scope; still 1 each, max 5
        ("G1", ["fairness", "out_of_scope"], 2),
        ("G1", ["adversarial", "malformed", "missing_context", "real_user_phrasing", "tool_failure", "fairness"], 5),
        # G6: 5/2/0
        ("G6", "pinned_blocking_gate", 5),
        ("G6", "pinned_reviewed", 2),
        ("G6", "floating_or_ungated", 0),
        # G7: ≥200 → 5; ≥50 → 3; ≥1 → 1; 0 → 0
        ("G7", 1000000, 5),
        ("G7", 200, 5),
        ("G7", 199, 3),
        ("G7", 50, 3),
        ("G7", 49, 1),
        ("G7", 1, 1),
        ("G7", 0, 0),
        # H7: ≥30 → 5; ≥14 → 3; ≥1 → 1; 0 → 0
        ("H7", 365, 5),
        ("H7", 30, 5),
        ("H7", 29, 3),
        ("H7", 14, 3),
        ("H7", 13, 1),
        ("H7", 1, 1),
        ("H7", 0, 0),
        # H9: 5/5/5/5/0, the class itself is not scored
        ("H9", "high_risk_buyer_provider", 5),
        ("H9", "high_risk_vendor_provider", 5),
        ("H9", "transparency_only", 5),
        ("H9", "minimal_risk", 5),
        ("H9", "not_assessed", 0),
        # K7: hard_budget_cap 2, per_task_limits 2, the others 1 each, max 5
        ("K7", [], 0),
        ("K7", ["hard_budget_cap"], 2),
        ("K7", ["per_task_limits"], 2),
        ("K7", ["rate_limits", "spend_alerts", "cost_attribution"], 3),  # R25's example
        ("K7", ["hard_budget_cap", "per_task_limits", "spend_alerts"], 5),
        ("K7", ["hard_budget_cap", "per_task_limits", "rate_limits", "spend_alerts", "cost_attribution"], 5),
        # K8: ≤30 → 5; ≤240 → 3; else 1 (minutes)
        ("K8", 0, 5),
        ("K8", 30, 5),
        ("K8", 31, 3),
        ("K8", 240, 3),
        ("K8", 241, 1),
        ("K8", 3780, 1),  # Friday 18:00 to Monday 09:00
        # K9: ≤4 → 5; ≤24 → 3; else 1 (hours, decimals allowed)
        ("K9", 4, 5),
        ("K9", 4.5, 3),
        ("K9", 24, 3),
        ("K9", 24.5, 1),
        ("K9", 8760, 1),
        # K10: ≥12 → 5; ≥4 → 3; ≥1 → 1; 0 → 0 (weeks)
        ("K10", 104, 5),
        ("K10", 12, 5),
        ("K10", 11, 3),
        ("K10", 4, 3),
        ("K10", 3, 1),
        ("K10", 1, 1),
        ("K10", 0, 0),
        # K11: ≤30 → 5; ≤90 → 3; else 1 (days)
        ("K11", 0, 5),
        ("K11", 30, 5),
        ("K11", 31, 3),
        ("K11", 90, 3),
        ("K11", 91, 1),
        ("K11", 3650, 1),
    ],
)  # fmt: skip
def test_each_new_rule_scores_its_band_edges(questionnaire, qid, value, expected):
    assert points(questionnaire, qid, value) == expected


def test_h1_gains_aiuc1_scored_with_evidence_like_the_others(questionnaire):
    assert points(questionnaire, "H1", ["aiuc1"], H1_evidence=["aiuc1.pdf"]) == 1
    assert points(questionnaire, "H1", ["aiuc1"]) == 0
    five = ["soc2_type2", "iso27001", "iso42001", "csa_star_ai", "aiuc1"]
    assert points(questionnaire, "H1", five, H1_evidence=[f"{v}.pdf" for v in five]) == 5


def test_i4_gains_ai_bom_and_stays_capped_at_5(questionnaire):
    assert points(questionnaire, "I4", ["ai_bom"]) == 1
    every = ["code", "prompts", "evals", "mcp_servers", "infrastructure_as_code", "runbooks", "ai_bom"]
    assert points(questionnaire, "I4", every) == 5


def test_d1_gains_two_categories_and_no_score_moves(questionnaire, stage4_answers):
    before = scored(questionnaire, stage4_answers)
    stage4_answers["D1"][0]["category"] = "data_leakage"
    stage4_answers["D1"][1]["category"] = "unauthorised_action"
    after = scored(questionnaire, stage4_answers)
    assert after.overall == before.overall
    assert [s.score for s in after.sections] == [s.score for s in before.sections]


# --- H8, the computed retention at model providers (clarification 7) -----------------------------


def model_row(**cells):
    return {"id": "m", "service": "model_api", "data": ["prompts_outputs"], "regions": ["eu_eea"], **cells}


def h8(questionnaire, **answers):
    return scored(questionnaire, answers).items["H8"]


@pytest.mark.parametrize(("days", "expected"), [(0, 5), (0.5, 3), (1, 3), (30, 3), (30.5, 1), (31, 1), (36500, 1)])
def test_h8_bands_the_longest_retention_over_content_model_rows(questionnaire, days, expected):
    assert h8(questionnaire, H6=[model_row(retention_days=days)]).points == expected


def test_h8_takes_the_longest_of_several_content_model_rows(questionnaire):
    rows = [model_row(id="a", retention_days=0), model_row(id="b", service="model_hosting", retention_days=45)]
    item = h8(questionnaire, H6=rows)
    assert item.points == 1
    assert "b keeps our content for 45 days at most" in str(item.why)


def test_h8_is_0_when_h6_is_unanswered_even_with_k5_buyer_account(questionnaire):
    item = h8(questionnaire, K5="buyer_account")
    assert item.status == "scored" and item.points == 0
    assert "H6 is unanswered" in str(item.why)


def test_h8_is_0_when_a_content_model_row_has_no_retention_even_if_another_has_0_days(questionnaire):
    rows = [model_row(id="a", retention_days=0), model_row(id="b")]
    item = h8(questionnaire, H6=rows, K5="buyer_account")
    assert item.points == 0
    assert "b" in str(item.why)


def test_h8_counts_a_row_without_data_as_content(questionnaire):
    # clarification 6: what is not declared is assumed to be content
    assert h8(questionnaire, H6=[model_row(data=[])], K5="buyer_account").points == 0
    assert h8(questionnaire, H6=[{"id": "m", "service": "model_api", "retention_days": 90}]).points == 1


@pytest.mark.parametrize(
    ("h6", "k5", "expected"),
    [
        ([], "buyer_account", 5),  # zero rows: everything runs in our accounts
        ([], "passthrough_at_cost", 0),
        ([], None, 0),  # an unanswered K5 is not buyer_account
        ([model_row(data=["metadata_only"])], "buyer_account", 5),  # a model row without content
        ([model_row(data=["metadata_only"])], "resold_with_margin", 0),
        ([{"id": "v", "service": "vendor_self", "data": ["traces_logs"], "retention_days": 900}], "buyer_account", 5),
        ([{"id": "v", "service": "vendor_self", "data": ["traces_logs"], "retention_days": 900}], "included_in_fees",
         0),
    ],
)  # fmt: skip
def test_h8_without_a_content_model_row_follows_k5(questionnaire, h6, k5, expected):
    answers = {"H6": h6} if k5 is None else {"H6": h6, "K5": k5}
    assert h8(questionnaire, **answers).points == expected


def test_h8_is_always_applicable_and_always_in_the_denominator(questionnaire):
    item = scored(questionnaire, {}).items["H8"]
    assert item.status == "scored" and item.points == 0


def test_the_contract_example_scores_h8_at_5_and_every_new_item_as_its_rules_say(questionnaire):
    result = scored(questionnaire, EXAMPLE)
    items = result.items
    assert items["H8"].points == 5
    assert {qid: items[qid].points for qid in ("C6", "E9", "E10", "G6", "G7", "H7", "H9")} == {
        "C6": 5, "E9": 4, "E10": 5, "G6": 5, "G7": 5, "H7": 5, "H9": 5,
    }  # fmt: skip
    assert items["H10"].status == "not_applicable"  # transparency_only
    assert items["G8"].status == "pending"
    assert {qid: items[qid].points for qid in ("K7", "K8", "K9", "K10", "K11")} == dict.fromkeys(
        ("K7", "K8", "K9", "K10", "K11"), 5
    )
    assert section(result, "K").score == 100
    assert not set(NEW_IDS) & set(result.missing_required)


def test_flask_score_prints_k_and_h8_for_the_contract_example(tmp_path, runner):
    path = tmp_path / "example.json"
    path.write_text(json.dumps({"questionnaire": "ai-deployment-partner", "vendor": "Example Ltd",
                                "answers": EXAMPLE}), encoding="utf-8")  # fmt: skip
    result = runner.invoke(args=["score", str(path), "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["sections"]["K"] == 100
    assert data["items"]["H8"]["points"] == 5


# --- normalisation (1.1) -------------------------------------------------------------------------


def test_two_responses_differing_only_in_k2_k3_k4_score_the_same(questionnaire, full_answers):
    cheap = scored(questionnaire, full_answers)
    dear = scored(questionnaire, {**full_answers, "K2": 950000.99, "K3": 0, "K4": 0.01})
    unpriced = scored(questionnaire, {k: v for k, v in full_answers.items() if k not in ("K2", "K3", "K4")})
    assert cheap.overall == dear.overall == unpriced.overall
    assert [s.score for s in cheap.sections] == [s.score for s in dear.sections] == [s.score for s in unpriced.sections]
    assert unpriced.completeness < cheap.completeness  # K2–K4 count for completeness only


def test_k1_k6_never_earn_points_and_k5_moves_only_h8(questionnaire, full_answers):
    full_answers["H6"] = []  # so H8 reads K5
    base = scored(questionnaire, full_answers)
    for qid in ("K1", "K2", "K3", "K4", "K5", "K6"):
        assert base.items[qid].status == "unscored"
    other = scored(questionnaire, {**full_answers, "K1": "outcome_based", "K6": 0, "K5": "buyer_account"})
    assert section(other, "K").score == section(base, "K").score == 100
    assert (base.items["H8"].points, other.items["H8"].points) == (0, 5)
    changed = [s.id for s, t in zip(base.sections, other.sections, strict=True) if s.score != t.score]
    assert changed == ["H"]


def test_h6_and_k1_k6_count_for_completeness_only(questionnaire, full_answers):
    without = {k: v for k, v in full_answers.items() if k not in ("K1", "K5", "K6", "H6")}
    without["K5"] = "passthrough_at_cost"  # H8's input stays the same
    full_answers["H6"] = [model_row(retention_days=0)]
    without_h6 = {**without, "H6": None}
    with_h6 = {**without, "H6": [model_row(retention_days=0)]}
    a, b = scored(questionnaire, {**with_h6, "K1": "fixed_price", "K6": 10}), scored(questionnaire, with_h6)
    assert a.overall == b.overall and a.completeness > b.completeness
    assert {"K1", "K6"} <= set(b.missing_required)
    # H6 unanswered moves H only through H8 (0 instead of 5): the section's denominator is the same
    c = scored(questionnaire, without_h6)
    h_b, h_c = section(b, "H"), section(c, "H")
    counted = [i for i in h_b.items if i.status in ("scored", "unanswered", "pending")]
    assert len(counted) == len([i for i in h_c.items if i.status in ("scored", "unanswered", "pending")])
    assert "H6" in c.missing_required and "H6" not in b.missing_required
    assert b.items["H6"].status == c.items["H6"].status == "unscored"


def test_h10_applies_only_when_h9_is_high_risk(questionnaire):
    deliverables = ["technical_documentation", "risk_management", "event_logs"]
    for h9 in ("high_risk_buyer_provider", "high_risk_vendor_provider"):
        result = scored(questionnaire, {"H9": h9, "H10": deliverables})
        assert result.items["H10"].points == 3
        assert "H10" not in result.missing_required
        assert "H10" in scored(questionnaire, {"H9": h9}).missing_required
    for h9 in ("transparency_only", "minimal_risk", "not_assessed"):
        result = scored(questionnaire, {"H9": h9, "H10": deliverables})
        assert result.items["H10"].status == "not_applicable"
        assert "H10" not in result.missing_required
    unknown = scored(questionnaire, {"H10": deliverables})  # H9 unanswered: H10 counts as unanswered
    assert unknown.items["H10"].points == 0
    assert {"H9", "H10"} <= set(unknown.missing_required)


def test_h10_not_applicable_leaves_the_denominator(questionnaire, full_answers):
    minimal = scored(questionnaire, {**full_answers, "H9": "minimal_risk"})
    high = scored(questionnaire, {**full_answers, "H9": "high_risk_buyer_provider", "H10": []})
    assert section(minimal, "H").score > section(high, "H").score
    counted = [i for i in section(minimal, "H").items if i.status in ("scored", "unanswered", "pending")]
    assert "H10" not in {i.question_id for i in counted}
    assert section(minimal, "H").score == pytest.approx(
        100 * sum(i.points for i in counted) / (5 * len(counted)), abs=0.05
    )
    assert len(counted) + 1 == len([i for i in section(high, "H").items if i.status in ("scored", "unanswered")])


def test_g8_keeps_the_score_provisional_until_an_evaluator_scores_it(questionnaire, full_answers):
    others = {"B5": [4], "C4": [4], "C5": [4], "E8": [4], "F2": [4], "G2": [4], "I3": [4], "J2": [4]}
    pending = scored(questionnaire, full_answers, manual_scores=others)
    assert pending.items["G8"].status == "pending"
    assert pending.provisional and pending.low < pending.high
    done = scored(questionnaire, full_answers, manual_scores={**others, "G8": [4]})
    assert not done.provisional and done.items["G8"].points == 4


def test_g8_unanswered_scores_0_and_is_not_provisional(questionnaire, full_answers):
    del full_answers["G8"]
    others = {"B5": [4], "C4": [4], "C5": [4], "E8": [4], "F2": [4], "G2": [4], "I3": [4], "J2": [4]}
    result = scored(questionnaire, full_answers, manual_scores=others)
    assert result.items["G8"].points == 0 and result.items["G8"].status == "unanswered"
    assert not result.provisional
    assert "G8" in result.missing_required


def test_k_is_never_wholly_not_applicable(questionnaire):
    result = scored(questionnaire, {})
    assert section(result, "K").score == 0
    assert section(result, "K").weight == 5


def test_the_new_weights_sum_to_100_with_a_core_of_50(questionnaire):
    weights = {s.id: s.weight for s in questionnaire.sections}
    assert sum(weights.values()) == 100
    assert weights["B"] + weights["C"] + weights["D"] == 50


# --- 1.0 compatibility ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def questionnaire_1_0():
    return load_questionnaire(QUESTIONNAIRE_1_0)


def test_the_1_0_fixture_is_the_previous_questionnaire(questionnaire_1_0, questionnaire):
    assert questionnaire_1_0.version == "1.0.0" and questionnaire.version == "1.1.0"
    assert not set(NEW_IDS) & set(questionnaire_1_0.questions)
    assert set(questionnaire_1_0.questions) < set(questionnaire.questions)


def test_every_1_0_id_option_and_field_is_still_in_1_1(questionnaire_1_0, questionnaire):
    for qid, old in questionnaire_1_0.questions.items():
        new = questionnaire.question(qid)
        assert new.type == old.type, qid
        assert set(old.option_values) <= set(new.option_values), qid
        for f in old.fields:
            assert new.field_by_id(f.id).type == f.type, (qid, f.id)
            assert set(f.option_values) <= set(new.field_by_id(f.id).option_values), (qid, f.id)
        assert (new.min, new.max, new.integer) == (old.min, old.max, old.integer), qid
        assert new.scoring.kind == old.scoring.kind, qid


def one_point_0_files():
    return sorted(
        p.name for p in RESPONSES.glob("*.json") if not set(json.loads(p.read_text())["answers"]) & set(NEW_IDS)
    )


@pytest.mark.parametrize("name", one_point_0_files())
def test_every_1_0_response_file_is_a_valid_1_1_response(questionnaire, questionnaire_1_0, name):
    text = (RESPONSES / name).read_text(encoding="utf-8")
    old, new = read_response(questionnaire_1_0, text), read_response(questionnaire, text)
    assert new.answers == old.answers
    result = scored(questionnaire, new.answers)
    assert set(NEW_IDS) - {"H8"} <= set(result.missing_required)  # unanswered: 0, lower completeness
    assert result.completeness < scored(questionnaire_1_0, old.answers).completeness
    assert result.verdict.code == scored(questionnaire_1_0, old.answers).verdict.code  # no new gate


def test_the_1_0_response_files_are_there_to_test():
    assert len(one_point_0_files()) >= 4


@pytest.mark.parametrize("name", one_point_0_files())
def test_a_1_0_response_scores_the_same_on_1_0_whatever_1_1_says(questionnaire_1_0, name):
    # the score a 1.0 evaluation showed before 1.1 existed, computed from the 1.0 file alone
    answers = json.loads((RESPONSES / name).read_text(encoding="utf-8"))["answers"]
    result = scored(questionnaire_1_0, answers)
    assert [s.id for s in result.sections] == list("ABCDEFGHIJ")
    assert "K" not in {s.id for s in result.sections}


def test_an_evaluation_made_on_1_0_keeps_its_snapshot_and_scores_after_the_library_becomes_1_1(
    app, client, db, questionnaire_1_0, questionnaire, team, make_user, login
):
    # Made while the library's file was 1.0.0: the snapshot holds that file's definition.
    evaluation_id = evaluations.start_evaluation(db, questionnaire_1_0, "Made on 1.0", team_id=team)
    expected = {}
    for name in ("stage4-deployer", "pilots-only", "no-engineers"):
        data = load_response_json(name)
        vendor_id, _ = evaluations.invite(db, evaluation_id, data["vendor"], None, "test")
        evaluations.import_response(db, vendor_id, read_response(questionnaire_1_0, json.dumps(data)), "test",
                                    submit=True)  # fmt: skip
        expected[data["vendor"]] = scored(questionnaire_1_0, data["answers"])
    assert load_by_id("ai-deployment-partner").version == "1.1.0"  # the library has moved on

    evaluation = store.get_evaluation(db, evaluation_id)
    snapshot = store.get_snapshot(db, evaluation["snapshot_id"])
    assert (snapshot["version"], snapshot["hash"]) == ("1.0.0", questionnaire_1_0.hash)
    assert evaluation["weights"] == {"A": 5, "B": 22, "C": 14, "D": 14, "E": 10, "F": 8, "G": 7, "H": 8, "I": 6, "J": 6}

    data = export.gather(db, evaluation_id, AS_OF)  # the snapshot, as every page and export reads it
    assert data.questionnaire.version == "1.0.0"
    for review in data.comparison.reviews:
        before = expected[review.vendor["name"]]
        assert review.result.overall == before.overall
        assert review.result.completeness == before.completeness == pytest.approx(review.result.completeness)
        assert [(s.id, s.score) for s in review.result.sections] == [(s.id, s.score) for s in before.sections]
        assert review.result.verdict.code == before.verdict.code
        assert review.result.overall != scored(questionnaire, load_vendor_answers(review.vendor["name"])).overall

    # and a buyer sees the same through the app: the JSON export names 1.0.0 and the 1.0 scores
    login(make_user("owner"))
    body = client.get(f"/evaluations/{evaluation_id}/export.json").get_json()
    assert body["questionnaire"]["version"] == "1.0.0"
    assert list(body["evaluation"]["weights"]) == list("ABCDEFGHIJ")
    assert {v["name"]: v["overall"] for v in body["vendors"]} == {n: r.overall for n, r in expected.items()}


def load_vendor_answers(vendor_name: str) -> dict:
    for path in RESPONSES.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["vendor"] == vendor_name:
            return data["answers"]
    raise LookupError(vendor_name)


def test_the_1_0_fixture_file_keeps_the_hash_1_0_shipped_with():
    # The fixture must not drift: saved evaluations were made from a snapshot with this hash.
    text = QUESTIONNAIRE_1_0.read_text(encoding="utf-8")
    assert re.search(r'^version: "1\.0\.0"$', text, re.M)
    assert (
        load_questionnaire(QUESTIONNAIRE_1_0).hash == "db1713545dd88c43319bd1f596add20e23cd826ad6cb6eb1bbebf335c5c802b7"
    )


NEW_FLAGS = {f"R{n}" for n in range(19, 27)}
EVERY_NEW_PROFILE_FIELD = {
    "data_regions": ["eu_eea"],
    "ai_act_class": "high_risk",
    "currency": "EUR",
    "monthly_tasks": 1,
}


@pytest.mark.parametrize("name", one_point_0_files())
def test_a_1_0_response_raises_none_of_r19_to_r26_whatever_the_buyer_profile(questionnaire, name):
    # R19–R26 each need a 1.1 id answered (the flags part adds them; this holds before and after its merge)
    answers = read_response(questionnaire, (RESPONSES / name).read_text(encoding="utf-8")).answers
    for profile in ({}, EVERY_NEW_PROFILE_FIELD):
        result = scored(questionnaire, answers, buyer_profile=profile)
        assert not NEW_FLAGS & {f.code for f in result.red_flags}
        assert "data_residency" not in [code for code, _ in result.verdict.overlays]
