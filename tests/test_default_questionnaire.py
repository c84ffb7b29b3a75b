"""The AI deployment partner questionnaire: its public contract, its translations, and the
verdicts a procurement expert would give the example vendors."""

import pytest

from stagefour import report
from stagefour.questionnaire import localize
from stagefour.response import read_response
from stagefour.scoring import score_response

from .conftest import AS_OF
from .conftest import RESPONSES

# The public contract of ../shared/QUESTIONNAIRE.md: ids that exports and saved evaluations use.
CONTRACT_QUESTIONS = {
    "A": "A1 A2 A3 A4 A5",
    "B": "B1 B2 B3 B4 B5",
    "C": "C1 C2 C3 C4 C5 C6",
    "D": "D1 D2 D3 D4 D5 D5_detail",
    "E": "E1 E2 E3 E4 E5 E6 E7 E7b E8 E9 E10",
    "F": "F1 F2 F3 F4",
    "G": "G1 G2 G3 G4 G5 G6 G7 G8",
    "H": "H1 H1_evidence H2 H3 H4 H5 H5_detail H6 H7 H8 H9 H10",
    "I": "I1 I2 I3 I4",
    "J": "J1 J2 J3",
    "K": "K1 K2 K3 K4 K5 K6 K7 K8 K9 K10 K11",
}
CONTRACT_FIELDS = {
    "B1": "id customer_type industry size_band go_live stage in_production daily_volume downstream_teams "
    "systems_integrated vendor_role engineer_ids kpi kpi_measured_by security_review_passed "
    "reference_available evidence",
    "C1": "id name role class months_embedded proposed allocation_pct employment",
    "D1": "id deployment_id category what_broke detected_by hours_to_detect fix hours_to_recover automated_recovery "
    "regression_test postmortem",
    "H6": "id name service data regions retention_days transfer_basis evidence",
}
CONTRACT_OPTIONS = {
    "A1": "lab_arm lab_jv consultancy boutique independent",
    "B1.industry": "financial_services insurance healthcare public_sector retail manufacturing energy telecom "
    "technology other",
    "B1.size_band": "under_1k 1k_10k over_10k",
    "B1.vendor_role": "built_operates handed_over advised poc",
    "B1.kpi_measured_by": "customer vendor none",
    "C1.class": "fde sa_se lead_partner",
    "C1.employment": "employee contractor",
    "D1.category": "degraded_upstream auth_token malformed_payload hallucinated_tool_call prompt_injection "
    "data_quality runaway_cost model_change unseen_phrasing data_leakage unauthorised_action other",
    "D1.detected_by": "alert eval user customer_staff audit",
    "E1": "mcp gateway direct",
    "E2": "server_allowlist prompt_only none",
    "E3": "timeouts backoff circuit_breaker cached_fallback graceful_refusal human_escalation",
    "E4": "per_user_short_lived least_privilege_service shared_broad",
    "E7": "identity agent tool arguments_redacted status trace_id timestamp",
    "F3": "schema_rejected_logged blind_retry none",
    "F4": "end_to_end uncorrelated_logs none",
    "G1": "adversarial malformed missing_context real_user_phrasing tool_failure fairness out_of_scope",
    "G3": "monthly_or_more less_often no",
    "H1": "soc2_type2 iso27001 iso42001 csa_star_ai aiuc1",
    "H2": "prohibited_flowed_down opt_out yes_or_unknown",
    "I1": "resale equity referral none",
    "I4": "code prompts evals mcp_servers infrastructure_as_code runbooks ai_bom",
    # 1.1 (QUESTIONNAIRE.md, "Version 1.1 additions")
    "C6": "mfa managed_devices our_identities least_privilege_jit background_checks offboarding_24h "
    "no_outside_ai_tools",
    "E9": "privilege_separation egress_allowlist retrieval_permissions memory_write_controls output_dlp "
    "input_screening injection_tests",
    "E10": "own_only pinned_reviewed pinned unpinned",
    "G6": "pinned_blocking_gate pinned_reviewed floating_or_ungated",
    "H6.service": "vendor_self model_api model_hosting cloud_hosting vector_store observability_evals human_review "
    "other",
    "H6.data": "prompts_outputs files_documents embeddings_memory traces_logs personal_data metadata_only",
    "H6.regions": "eu_eea uk switzerland us canada asia_pacific other global",
    "H6.transfer_basis": "not_needed adequacy dpf sccs none_or_unknown",
    "H9": "high_risk_buyer_provider high_risk_vendor_provider transparency_only minimal_risk not_assessed",
    "H10": "technical_documentation risk_management data_governance event_logs instructions_for_use "
    "oversight_design accuracy_robustness",
    "K1": "fixed_price capped_time_and_materials time_and_materials outcome_based",
    "K5": "buyer_account passthrough_at_cost resold_with_margin included_in_fees",
    "K7": "hard_budget_cap per_task_limits rate_limits spend_alerts cost_attribution",
}
NEW_REQUIRED_IN_1_1 = "C6 E9 E10 G6 G7 G8 H6 H7 H9 H10 K1 K2 K3 K4 K5 K6 K7 K8 K9 K10 K11".split()
# The default weights of 1.1 (sum 100; B + C + D = 50).
WEIGHTS = {"A": 3, "B": 22, "C": 14, "D": 14, "E": 10, "F": 6, "G": 7, "H": 10, "I": 4, "J": 5, "K": 5}


def test_sections_questions_and_weights_match_the_contract(questionnaire):
    assert {s.id: s.weight for s in questionnaire.sections} == WEIGHTS
    assert {s.id: " ".join(q.id for q in s.questions) for s in questionnaire.sections} == CONTRACT_QUESTIONS


def test_group_fields_and_options_match_the_contract(questionnaire):
    for group, fields in CONTRACT_FIELDS.items():
        assert " ".join(f.id for f in questionnaire.question(group).fields) == fields
    for key, options in CONTRACT_OPTIONS.items():
        qid, _, field = key.partition(".")
        q = questionnaire.question(qid)
        q = q.field_by_id(field) if field else q
        assert " ".join(q.option_values) == options, key


def test_the_money_items_are_k2_k3_k4_and_k6(questionnaire):
    assert sorted(q.id for q in questionnaire.questions.values() if q.money) == ["K2", "K3", "K4", "K6"]
    assert all(questionnaire.question(qid).min == 0 for qid in ("K2", "K3", "K4", "K6"))


def test_engineer_ids_refer_to_the_roster(questionnaire):
    assert questionnaire.question("B1").field_by_id("engineer_ids").refers_to == "C1"


def _texts(questionnaire):
    yield "title", questionnaire.title
    for n, anchor in questionnaire.anchors.items():
        yield f"anchors.{n}", anchor
    for s in questionnaire.sections:
        yield f"{s.id}.title", s.title
        yield f"{s.id}.help", s.help
        for q in s.questions:
            for sub in (q, *q.fields):
                yield f"{q.id}.{sub.id}.prompt", sub.prompt
                yield f"{q.id}.{sub.id}.help", sub.help
                for o in sub.options:
                    yield f"{q.id}.{sub.id}.{o.value}", o.label


def test_every_text_is_in_every_language_of_the_interface(questionnaire):
    assert set(questionnaire.languages) == set(report.LANGUAGES), "the interface and the questionnaire speak alike"
    missing = [
        f"{where}.{lang}"
        for where, text in _texts(questionnaire)
        if text
        for lang in questionnaire.languages
        if not text.get(lang)
    ]
    assert missing == []
    assert localize(questionnaire.question("A1").prompt, "de") != localize(questionnaire.question("A1").prompt, "en")


def test_required_items_and_help_are_where_vendors_need_them(questionnaire):
    required = {q.id for q in questionnaire.questions.values() if q.required}
    for qid in ("A1", "A2", "B1", "B3", "C1", "C3", "C5", "D1", "D4", "D5", "E7b", "F1", "F2", "J2"):
        assert qid in required
    assert set(NEW_REQUIRED_IN_1_1) <= required
    assert not questionnaire.question("H8").required, "computed: never answered"
    for qid in ("B2", "A5", "C4", "I3"):
        assert qid not in required
    assert all(q.help for q in questionnaire.questions.values()), "every question has help text"


def score(questionnaire, name, **kwargs):
    response = read_response(questionnaire, (RESPONSES / f"{name}.json").read_text())
    return score_response(questionnaire, response.answers, AS_OF, **kwargs)


EXPERT_VIEW = {
    # vendor: (verdict, overlays, flags that must be raised, flags that must not)
    "stage4-deployer": ("stage4_unverified", [], {"R3"}, {"R1", "R6", "R9", "R10", "R12", "R15"}),
    "pilots-only": ("stage3_no_deployments", ["lock_in"], {"R9", "R10", "R12", "R13", "R16", "R17"}, {"R1", "R15"}),
    "stage-inflation": ("stage3_no_deployments", ["security_blocker"], {"R1", "R2", "R4", "R5", "R11", "R15", "R18"},
                        {"R10"}),
    "no-engineers": ("stage3_no_engineers", [], {"R7", "R12"}, {"R9", "R10", "R15"}),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(EXPERT_VIEW))
def test_example_vendors_get_the_verdict_an_expert_would_give(questionnaire, name):
    code, overlays, raised, silent = EXPERT_VIEW[name]
    result = score(questionnaire, name)
    assert result.verdict.code == code
    assert [c for c, _ in result.verdict.overlays] == overlays
    codes = {f.code for f in result.red_flags}
    assert raised <= codes, codes
    assert not silent & codes, codes


def test_example_vendors_rank_as_an_expert_would(questionnaire):
    results = {name: score(questionnaire, name) for name in EXPERT_VIEW}
    ranked = sorted(results, key=lambda n: (-results[n].verdict.tier, -results[n].overall))
    assert ranked[0] == "stage4-deployer"
    assert ranked[1] == "no-engineers"
    # 1.0 files: the items 1.1 adds are unanswered and score 0 (QUESTIONNAIRE.md, "Version 1.1 additions")
    assert results["stage4-deployer"].overall > 70
    assert results["pilots-only"].overall < 25
    assert results["stage-inflation"].overall < 35


def test_the_stage4_deployer_scores_as_expected(questionnaire):
    result = score(questionnaire, "stage4-deployer")
    items = result.items
    assert items["B2"].points == 3  # d1 and d2 qualify; d3 is older than six months
    assert "d1, d2" in items["B2"].why
    assert items["B3"].points == 5  # 3 in production, 2 pilots: 60 %
    assert items["B4"].points == 5  # d3 live since 2025-11-03: 12 months
    assert items["C2"].points == 3  # Dana and Tomasz of three proposed
    assert items["D2"].points == 5
    assert items["D3"].points == pytest.approx(5 * (3 / 4 + 3 / 4) / 2)
    assert items["E7"].points == 5
    assert items["H1"].points == 2
    assert items["H4"].points == 5
    assert items["J1"].points == 5
    assert items["J3"].points == 5
    # a 1.0 file: complete but for the items 1.1 adds, which it cannot have answered
    assert set(result.missing_required) == set(NEW_REQUIRED_IN_1_1)
    assert result.provisional  # manual items answered, not yet scored
    assert result.low <= result.overall <= result.high


def test_buyer_profile_makes_matching_deployments_count_more(questionnaire):
    plain = score(questionnaire, "stage4-deployer").items["B2"]
    matched = score(questionnaire, "stage4-deployer", buyer_profile={"industry": "insurance", "size_band": "1k_10k"})
    assert plain.points == 3
    assert matched.items["B2"].points == 4  # d1 counts 2: 3 in all
    assert "matches your industry and size" in matched.items["B2"].why


def test_sub_agents_not_used_takes_section_f_out_of_the_denominator(questionnaire, stage4_answers):
    stage4_answers.update(F1=False)
    result = score_response(questionnaire, stage4_answers, AS_OF)
    f = next(s for s in result.sections if s.id == "F")
    assert f.score is None
    assert all(i.status in ("not_applicable", "unscored") for i in f.items)
    weighted = [(s.weight, s.score) for s in result.sections if s.score is not None]
    assert result.overall == pytest.approx(sum(w * v for w, v in weighted) / sum(w for w, _ in weighted), abs=0.05)
    assert "F2" not in result.missing_required


def test_sub_agents_unanswered_keeps_section_f_at_zero(questionnaire, stage4_answers):
    stage4_answers.pop("F1")
    result = score_response(questionnaire, stage4_answers, AS_OF)
    f = next(s for s in result.sections if s.id == "F")
    assert f.score == 0
    assert {"F1", "F2"} <= set(result.missing_required)
