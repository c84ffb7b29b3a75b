"""Red flags R19–R26 and the overlays of questionnaire 1.1 (QUESTIONNAIRE.md, "Version 1.1 additions")."""

from __future__ import annotations

import copy

import pytest

from stagefour import report
from stagefour.profiles.ai_deployment_partner import PROFILE as AI
from stagefour.profiles.ai_deployment_partner import checks
from stagefour.profiles.ai_deployment_partner.metrics import TrackRecord
from stagefour.scoring import score_response

from .conftest import AS_OF
from .conftest import load_response_json


@pytest.fixture
def stage4_answers():
    """The real stage-4 deployer's 1.0 answers, none of the 1.1 items (conftest's fixture adds them)."""
    return copy.deepcopy(load_response_json("stage4-deployer")["answers"])


NEW = ("R19", "R20", "R21", "R22", "R23", "R24", "R25", "R26")
EVERY_PROFILE_FIELD = {
    "data_regions": ["eu_eea"],
    "ai_act_class": "high_risk",
    "currency": "EUR",
    "monthly_tasks": 60000,
}


def raised(answers: dict, **profile) -> dict:
    """The flags R19–R26 a response raises, by code, for a buyer with `profile`."""
    flags = checks.red_flags(TrackRecord(answers, AS_OF, profile))
    return {f.code: f for f in flags if f.code in NEW}


def say(message, lang: str) -> str:
    return message.render(report.translations(lang), lang)


# The contract's "Flag examples (raises · must not raise)", each with the profile it names.
EU = {"data_regions": ["eu_eea"]}
HIGH_RISK = {"ai_act_class": "high_risk"}
RAISES = [
    (
        "R19",
        {
            "H6": [
                {
                    "id": "s1",
                    "service": "model_api",
                    "data": ["prompts_outputs"],
                    "regions": ["eu_eea", "global"],
                    "retention_days": 30,
                }
            ]
        },
        EU,
    ),
    (
        "R20",
        {
            "H6": [{"id": "s1", "service": "cloud_hosting", "data": ["traces_logs"], "regions": ["eu_eea"]}],
            "K5": "passthrough_at_cost",
        },
        {},
    ),
    ("R21", {"H9": "transparency_only"}, HIGH_RISK),
    ("R22", {"E9": ["input_screening", "output_dlp", "retrieval_permissions"]}, {}),
    ("R23", {"G6": "floating_or_ungated", "H3": True}, {}),
    ("R24", {"C6": ["mfa", "managed_devices", "our_identities", "background_checks", "offboarding_24h"]}, {}),
    ("R25", {"K7": ["rate_limits", "spend_alerts", "cost_attribution"]}, {}),
    ("R26", {"I4": ["prompts", "evals", "runbooks"], "K10": 0}, {}),
]
SILENT = [
    (
        "R19",
        {
            "H6": [
                {
                    "id": "s1",
                    "service": "model_api",
                    "data": ["prompts_outputs"],
                    "regions": ["eu_eea"],
                    "retention_days": 0,
                },
                {"id": "s2", "service": "observability_evals", "data": ["metadata_only"], "regions": ["us"]},
            ]
        },
        EU,
    ),
    (
        "R20",
        {
            "H6": [
                {
                    "id": "s1",
                    "service": "cloud_hosting",
                    "data": ["traces_logs"],
                    "regions": ["eu_eea"],
                    "retention_days": 30,
                }
            ],
            "K5": "buyer_account",
        },
        {},
    ),
    ("R21", {"H9": "high_risk_buyer_provider"}, HIGH_RISK),
    ("R22", {"E9": ["egress_allowlist", "input_screening"]}, {}),
    ("R23", {"G6": "pinned_reviewed", "H3": True}, {}),
    ("R24", {"C6": ["mfa", "managed_devices", "no_outside_ai_tools"]}, {}),
    ("R25", {"K7": ["per_task_limits"]}, {}),
    ("R26", {"I4": ["prompts", "evals", "runbooks"], "K10": 6}, {}),
    ("R26", {"I4": ["code"], "K10": 0}, {}),
]
FIRST_NAMED = {"R19": "H6", "R20": "H6", "R21": "H9", "R22": "E9", "R23": "G6", "R24": "C6", "R25": "K7", "R26": "K10"}


@pytest.mark.parametrize(("code", "answers", "profile"), RAISES, ids=[c for c, _, _ in RAISES])
def test_each_contract_example_raises_its_flag_and_no_other_new_one(code, answers, profile):
    assert set(raised(answers, **profile)) == {code}


@pytest.mark.parametrize(("code", "answers", "profile"), SILENT, ids=[c for c, _, _ in SILENT])
def test_each_contract_counter_example_raises_no_new_flag(code, answers, profile):
    assert raised(answers, **profile) == {}


@pytest.mark.parametrize(("code", "answers", "profile"), RAISES, ids=[c for c, _, _ in RAISES])
def test_each_flag_is_silent_while_its_first_named_id_is_unanswered(code, answers, profile):
    answers = {k: v for k, v in answers.items() if k != FIRST_NAMED[code]}
    assert code not in raised(answers, **{**EVERY_PROFILE_FIELD, **profile})
    answers[FIRST_NAMED[code]] = None  # stored as null: unanswered too
    assert code not in raised(answers, **{**EVERY_PROFILE_FIELD, **profile})


def test_a_1_0_response_raises_none_of_the_new_flags_even_with_every_profile_field_set(questionnaire, stage4_answers):
    assert not set(NEW) & set(stage4_answers)
    assert raised(stage4_answers, **EVERY_PROFILE_FIELD) == {}
    result = score_response(questionnaire, stage4_answers, AS_OF, buyer_profile=EVERY_PROFILE_FIELD)
    assert not {f.code for f in result.red_flags} & set(NEW)
    assert [code for code, _ in result.verdict.overlays] == []


def test_r19_names_each_content_row_outside_the_buyers_regions_or_without_one():
    h6 = [
        {"id": "s1", "service": "model_api", "data": ["prompts_outputs"], "regions": ["eu_eea"], "retention_days": 0},
        {"id": "s2", "service": "cloud_hosting", "data": ["files_documents"], "regions": ["uk", "us"]},
        {"id": "s3", "service": "vector_store", "data": [], "regions": []},
        {"id": "s4", "service": "observability_evals", "data": ["metadata_only"], "regions": ["global"]},
        {"id": "s5", "service": "human_review", "data": ["personal_data"]},
    ]
    flag = raised({"H6": h6}, data_regions=["eu_eea", "uk"])["R19"]
    assert flag.severity == "high"
    assert flag.answers == ("H6[1].regions", "H6[2].regions", "H6[4].regions")
    assert flag.message == (
        "Data residency conflict: content goes outside the buyer's data regions: "
        "s2 in US; s3 names no region; s5 names no region"
    )


def test_r19_needs_the_buyers_regions_and_global_is_always_outside_them():
    h6 = [{"id": "s1", "service": "model_api", "data": ["prompts_outputs"], "regions": ["global"], "retention_days": 0}]
    assert "R19" not in raised({"H6": h6})
    assert "R19" not in raised({"H6": h6}, data_regions=[])
    every_region = ["eu_eea", "uk", "switzerland", "us", "canada", "asia_pacific", "other"]
    assert "R19" in raised({"H6": h6}, data_regions=every_region)


ROW = {"id": "s1", "service": "model_api", "data": ["prompts_outputs"], "regions": ["eu_eea"], "retention_days": 30}


@pytest.mark.parametrize(
    ("change", "profile", "paths", "words"),
    [
        ({"retention_days": None}, {}, ["H6[0].retention_days"], "no retention figure for s1"),
        ({"regions": []}, {}, ["H6[0].regions"], "no region for s1"),
        ({"service": "cloud_hosting"}, {}, ["H6", "K5"], "no model provider listed"),
    ],
    ids=["a-no-retention", "b-no-region", "c-no-model-row"],
)
def test_r20_raises_on_each_of_its_three_cases_alone(change, profile, paths, words):
    row = {k: v for k, v in {**ROW, **change}.items() if v is not None}
    flag = raised({"H6": [row], "K5": "passthrough_at_cost"}, **profile)["R20"]
    assert flag.severity == "medium"
    assert list(flag.answers) == paths
    assert flag.message.startswith("Data-processor list incomplete: ") and words in flag.message


def test_r20_case_b_is_r19s_when_the_buyer_names_regions():
    row = {**ROW, "regions": []}
    assert set(raised({"H6": [row], "K5": "passthrough_at_cost"}, data_regions=["eu_eea"])) == {"R19"}


def test_r20_case_c_counts_an_unanswered_k5_as_not_the_buyers_account_and_reads_every_row():
    metadata = {"id": "s1", "service": "observability_evals", "data": ["metadata_only"], "regions": ["us"]}
    assert raised({"H6": [metadata]})["R20"].answers == ("H6", "K5")
    assert raised({"H6": [metadata], "K5": "buyer_account"}) == {}
    assert raised({"H6": [], "K5": "buyer_account"}) == {}
    # a model row that carries no content still names the model provider
    model_metadata = {**metadata, "service": "model_hosting"}
    assert raised({"H6": [model_metadata], "K5": "resold_with_margin"}) == {}


def test_r20_ignores_rows_without_content_and_reads_undeclared_data_as_content():
    metadata = {"id": "s2", "service": "observability_evals", "data": ["metadata_only"]}
    assert raised({"H6": [ROW, metadata]}) == {}
    undeclared = {"id": "s3", "service": "vector_store", "regions": ["eu_eea"]}
    assert raised({"H6": [ROW, undeclared]})["R20"].answers == ("H6[1].retention_days",)


@pytest.mark.parametrize(
    ("reading", "h9", "raises"),
    [
        ("high_risk", "transparency_only", True),
        ("high_risk", "minimal_risk", True),
        ("high_risk", "not_assessed", True),
        ("high_risk", "high_risk_vendor_provider", False),
        ("high_risk", "high_risk_buyer_provider", False),
        ("transparency_only", "minimal_risk", True),
        ("transparency_only", "not_assessed", True),
        ("transparency_only", "transparency_only", False),
        ("transparency_only", "high_risk_buyer_provider", False),
        ("minimal_risk", "not_assessed", False),
        (None, "not_assessed", False),
    ],
)
def test_r21_compares_the_vendors_ai_act_class_with_the_buyers_reading(reading, h9, raises):
    profile = {"ai_act_class": reading} if reading else {}
    flags = raised({"H9": h9}, **profile)
    assert ("R21" in flags) is raises
    if raises:
        assert flags["R21"].severity == "high" and flags["R21"].answers == ("H9",)


def test_r21_says_both_readings():
    assert raised({"H9": "minimal_risk"}, ai_act_class="high_risk")["R21"].message == (
        "AI Act class understated: the buyer reads the use case as high-risk, the vendor as minimal risk"
    )
    assert raised({"H9": "not_assessed"}, ai_act_class="transparency_only")["R21"].message == (
        "AI Act class understated: the buyer reads the use case as subject to transparency duties, "
        "the vendor as not assessed"
    )


def test_r22_raises_on_an_empty_choice_and_is_silent_with_either_defence():
    assert raised({"E9": []})["R22"].answers == ("E9",)
    assert raised({"E9": ["privilege_separation"]}) == {}
    assert raised({"E9": ["egress_allowlist"]}) == {}


def test_r23_notes_the_contradiction_with_h3_only_when_h3_is_yes():
    with_h3 = raised({"G6": "floating_or_ungated", "H3": True})["R23"]
    assert with_h3.severity == "medium" and with_h3.answers == ("G6", "H3")
    assert "H3" in with_h3.message and "beyond the vendor's control" in with_h3.message
    for h3 in (False, None):
        alone = raised({"G6": "floating_or_ungated", "H3": h3})["R23"]
        assert alone.answers == ("G6",)
        assert "H3" not in alone.message
    assert raised({"G6": "pinned_blocking_gate", "H3": False}) == {}


@pytest.mark.parametrize(
    ("c6", "missing"),
    [
        (["mfa", "managed_devices"], ["a rule against outside AI tools"]),
        (["no_outside_ai_tools"], ["phishing-resistant MFA", "company-managed devices"]),
        ([], ["phishing-resistant MFA", "company-managed devices", "a rule against outside AI tools"]),
    ],
)
def test_r24_names_which_baseline_controls_are_missing(c6, missing):
    flag = raised({"C6": c6})["R24"]
    assert flag.answers == ("C6",)
    assert flag.message == "Engineer access below baseline, missing: " + ", ".join(missing)


def test_r25_adds_that_the_bills_come_to_the_buyer_when_k5_is_the_buyers_account():
    plain = raised({"K7": ["spend_alerts"], "K5": "passthrough_at_cost"})["R25"]
    own = raised({"K7": ["spend_alerts"], "K5": "buyer_account"})["R25"]
    assert plain.answers == own.answers == ("K7",)
    assert "straight to the buyer" not in plain.message
    assert own.message.startswith(plain.message) and "straight to the buyer" in own.message
    assert raised({"K7": ["hard_budget_cap"], "K5": "buyer_account"}) == {}


def test_r26_counts_an_unanswered_i4_as_lacking_the_code():
    flag = raised({"K10": 0, "I4": ["runbooks"]})["R26"]
    assert flag.answers == ("K10", "I4")
    assert raised({"K10": 1}) == {}


def test_r1_to_r18_and_r19_to_r26_come_in_code_order(stage4_answers):
    answers = {**stage4_answers, "E5": True, "E9": [], "K10": 0, "I4": ["prompts"], "C6": []}
    codes = [f.code for f in checks.red_flags(TrackRecord(answers, AS_OF, {}))]
    assert codes == sorted(codes, key=lambda c: int(c[1:]))
    assert {"R15", "R22", "R24", "R26"} <= set(codes)


# --- overlays ---


def overlays(answers: dict, **profile) -> list[str]:
    tr = TrackRecord(answers, AS_OF, profile)
    return [code for code, _ in checks.verdict(tr, checks.red_flags(tr)).overlays]


OUTSIDE_ROW = {"id": "s1", "service": "model_api", "data": ["prompts_outputs"], "regions": ["us"], "retention_days": 0}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"E5": True}, ["security_blocker"]),
        ({"E9": ["output_dlp"]}, ["security_blocker"]),
        ({"E5": True, "E9": ["output_dlp"]}, ["security_blocker"]),
        ({"A1": "lab_arm", "I2": 1, "I3": None}, ["lock_in"]),
        ({"K10": 0, "I4": ["runbooks"]}, ["lock_in"]),
        ({"A1": "lab_arm", "I2": 1, "I3": None, "K10": 0, "I4": ["runbooks"]}, ["lock_in"]),
        ({"H6": [OUTSIDE_ROW]}, ["data_residency"]),
        (
            {"H6": [OUTSIDE_ROW], "K10": 0, "I4": ["runbooks"], "E9": []},
            ["security_blocker", "lock_in", "data_residency"],
        ),
        (
            {
                "H6": [OUTSIDE_ROW],
                "E5": True,
                "E9": [],
                "A1": "lab_arm",
                "I2": 1,
                "I3": None,
                "K10": 0,
                "I4": ["runbooks"],
            },
            ["security_blocker", "lock_in", "data_residency"],
        ),
    ],
)
def test_overlays_appear_once_each_in_the_contracts_order_whichever_codes_raise_them(stage4_answers, change, expected):
    answers = {k: v for k, v in {**stage4_answers, **change}.items() if v is not None}
    assert overlays(answers, data_regions=["eu_eea"]) == expected


def test_the_data_residency_overlay_has_its_label_in_every_language():
    tr = TrackRecord({"H6": [OUTSIDE_ROW]}, AS_OF, {"data_regions": ["eu_eea"]})
    (label,) = [label for code, label in checks.verdict(tr, checks.red_flags(tr)).overlays]
    assert label == "Data residency conflict"
    for lang in ("de", "fr", "es"):
        assert say(label, lang) != "Data residency conflict"
    assert AI.overlay_words["data_residency"] == label


def test_every_overlay_has_a_label_wherever_overlays_are_shown(app):
    from views.i18n import OVERLAY_LABELS

    codes = [code for code, _, _ in checks.OVERLAYS]
    assert codes == ["security_blocker", "lock_in", "data_residency"]
    assert set(OVERLAY_LABELS) == set(AI.overlay_words) == set(codes)
    assert set(NEW) <= set(AI.flag_codes)


# --- messages in the reader's language ---


EVERY_NEW_FLAG = [
    ({"H6": [OUTSIDE_ROW, {"id": "s2", "data": ["personal_data"]}]}, {"data_regions": ["eu_eea"]}),
    ({"H6": [{"id": "s1", "service": "vector_store", "data": ["embeddings_memory"]}]}, {}),
    ({"H9": "not_assessed"}, {"ai_act_class": "high_risk"}),
    ({"H9": "minimal_risk"}, {"ai_act_class": "transparency_only"}),
    ({"E9": []}, {}),
    ({"G6": "floating_or_ungated", "H3": True}, {}),
    ({"G6": "floating_or_ungated", "H3": False}, {}),
    ({"C6": []}, {}),
    ({"K7": [], "K5": "buyer_account"}, {}),
    ({"K7": [], "K5": "passthrough_at_cost"}, {}),
    ({"K10": 0, "I4": ["runbooks"]}, {}),
]


@pytest.mark.parametrize("lang", ["de", "fr", "es"])
def test_every_new_flag_message_is_translated(lang):
    messages = [f.message for answers, profile in EVERY_NEW_FLAG for f in raised(answers, **profile).values()]
    assert len(messages) == 12  # R19, R20 and the variants of R21, R23 and R25
    for message in messages:
        text = say(message, lang)
        assert text != str(message), message
        # the English of a parameter never shows through the translated sentence
        for english in ("names no region", "no retention figure", "phishing-resistant MFA", "not assessed"):
            assert english not in text


def test_flag_messages_render_in_german_with_their_parameters_in_german_too():
    answers, profile = EVERY_NEW_FLAG[0]
    assert say(raised(answers, **profile)["R19"].message, "de") == (
        "Datenresidenz-Konflikt: Inhalte gelangen außerhalb der Datenregionen des Auftraggebers: "
        "s1: USA; s2 nennt keine Region"
    )
    assert say(raised({"C6": ["mfa"]})["R24"].message, "de") == (
        "Zugriff der Ingenieure unter dem Mindeststandard, es fehlt: vom Unternehmen verwaltete Geräte, "
        "eine Regel gegen externe KI-Werkzeuge"
    )
    unnamed = raised({"H6": [{"service": "vector_store"}], "K5": "buyer_account"})["R20"].message
    assert say(unnamed, "de") == (
        "Liste der Datenverarbeiter unvollständig: keine Aufbewahrungsdauer für Zeile 1; keine Region für Zeile 1"
    )


# --- hostile shapes ---


HOSTILE = [
    {"H6": "s1"},
    {"H6": {"id": "s1"}},
    {"H6": [1, "row", None, ["eu_eea"]]},
    {"H6": [{"regions": "eu_eea", "data": "prompts_outputs", "retention_days": "30", "service": ["model_api"]}]},
    {"H6": [{"regions": [1, None, {"r": "us"}], "data": [None], "retention_days": float("nan"), "id": 5}]},
    {"H6": [{"regions": ["eu_eea"], "retention_days": True, "id": ""}]},
    {"E9": "privilege_separation", "C6": "mfa", "K7": {"hard_budget_cap": True}, "I4": "code"},
    {"E9": [None, 3, ["egress_allowlist"]], "C6": [{}], "K7": [None]},
    {"G6": ["floating_or_ungated"], "H3": "yes", "H9": 5, "K10": "0", "K5": ["buyer_account"]},
    {"H9": "", "K10": -0.0, "I4": [None]},
]


@pytest.mark.parametrize("answers", HOSTILE)
@pytest.mark.parametrize(
    "profile",
    [{}, EVERY_PROFILE_FIELD, {"data_regions": "eu_eea", "ai_act_class": ["high_risk"]}, {"data_regions": [None, 1]}],
)
def test_hostile_shapes_never_raise_an_exception(answers, profile):
    flags = raised(copy.deepcopy(answers), **profile)
    for flag in flags.values():
        for lang in ("en", "de"):
            assert say(flag.message, lang)
    tr = TrackRecord(copy.deepcopy(answers), AS_OF, profile)
    checks.verdict(tr, checks.red_flags(tr))


def test_a_retention_figure_that_is_not_a_number_counts_as_missing():
    row = {**ROW, "retention_days": "30"}
    assert raised({"H6": [row]})["R20"].answers == ("H6[0].retention_days",)
    row = {**ROW, "regions": "eu_eea"}
    assert raised({"H6": [row]}, data_regions=["eu_eea"])["R19"].answers == ("H6[0].regions",)


# --- end to end: the 1.1 questionnaire, the 1.0 snapshot, the pages ---


def scored_flags(questionnaire, answers, profile) -> dict:
    result = score_response(questionnaire, answers, AS_OF, buyer_profile=profile)
    return {f.code: f for f in result.red_flags}


def test_the_contracts_example_response_raises_no_new_flag_and_no_new_overlay(questionnaire, stage4_answers):
    from .test_questionnaire_11 import EXAMPLE

    profile = {"data_regions": ["eu_eea", "uk"], "monthly_tasks": 60000, "currency": "EUR"}
    result = score_response(questionnaire, {**stage4_answers, **EXAMPLE}, AS_OF, buyer_profile=profile)
    assert questionnaire.version == "1.1.0"
    assert not {f.code for f in result.red_flags} & set(NEW)
    assert [code for code, _ in result.verdict.overlays] == []


@pytest.mark.parametrize(("code", "answers", "profile"), RAISES, ids=[c for c, _, _ in RAISES])
def test_each_contract_example_raises_its_flag_when_scored_on_the_1_1_questionnaire(
    questionnaire, stage4_answers, code, answers, profile
):
    flags = scored_flags(questionnaire, {**stage4_answers, **copy.deepcopy(answers)}, profile)
    assert code in flags
    assert flags[code].answers == raised(answers, **profile)[code].answers


@pytest.mark.parametrize(("code", "answers", "profile"), SILENT, ids=[c for c, _, _ in SILENT])
def test_each_contract_counter_example_stays_silent_when_scored_on_the_1_1_questionnaire(
    questionnaire, stage4_answers, code, answers, profile
):
    assert code not in scored_flags(questionnaire, {**stage4_answers, **copy.deepcopy(answers)}, profile)


def test_an_evaluation_on_the_1_0_snapshot_raises_none_of_them_even_with_1_1_answers_stored(stage4_answers):
    from stagefour.questionnaire import load_questionnaire

    from .test_questionnaire_11 import QUESTIONNAIRE_1_0

    questionnaire_1_0 = load_questionnaire(QUESTIONNAIRE_1_0)
    every_example = {k: v for _, answers, _ in RAISES for k, v in answers.items()}
    every_example["H6"] = [{"id": "s1", "service": "cloud_hosting", "data": ["prompts_outputs"], "regions": ["us"]}]
    profile = {**EVERY_PROFILE_FIELD, **EU, **HIGH_RISK}
    assert set(raised(every_example, **profile)) == set(NEW)  # the same answers raise all eight on 1.1 ids
    flags = scored_flags(questionnaire_1_0, {**stage4_answers, **copy.deepcopy(every_example)}, profile)
    assert not set(flags) & set(NEW)


def test_the_response_page_shows_the_new_flags_and_overlays_in_german(
    client, make_user, login, make_evaluation, make_vendor, stage4_answers
):
    evaluation_id = make_evaluation(buyer_profile={"data_regions": ["eu_eea"]})
    answers = {**stage4_answers, "H6": [OUTSIDE_ROW], "E9": ["output_dlp"], "C6": ["mfa", "managed_devices"]}
    vendor = make_vendor("Vendor A", evaluation_id, answers=answers, submit=True)
    login(make_user("viewer"))
    client.post("/language", data={"language": "de", "next": "/"})
    response = client.get(f"/evaluations/{evaluation_id}/vendors/{vendor['vendor_id']}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Datenresidenz-Konflikt: Inhalte gelangen außerhalb der Datenregionen des Auftraggebers" in html
    assert "Injection-Risiko: weder Privilegientrennung" in html
    assert "es fehlt: eine Regel gegen externe KI-Werkzeuge" in html
    assert '<span class="overlay">Blockierendes Sicherheitsrisiko</span>' in html
    assert '<span class="overlay">Datenresidenz-Konflikt</span>' in html
    assert "Data residency" not in html and "Injection exposure" not in html
