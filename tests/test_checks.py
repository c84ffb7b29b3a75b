"""Red flags R1–R18 (raised when they should be, silent when not) and the verdict gates."""

import pytest

from stagefour.profiles.ai_deployment_partner.metrics import deployment_fingerprint
from stagefour.scoring import score_response

from .conftest import AS_OF


def flags(questionnaire, answers, **kwargs):
    return {f.code: f for f in score_response(questionnaire, answers, AS_OF, **kwargs).red_flags}


def verdict(questionnaire, answers, **kwargs):
    return score_response(questionnaire, answers, AS_OF, **kwargs).verdict


def test_the_stage4_deployer_raises_only_the_track_record_note(questionnaire, stage4_answers):
    raised = flags(questionnaire, stage4_answers)
    assert set(raised) == {"R3"}
    assert raised["R3"].severity == "low"
    assert raised["R3"].answers == ("B1[2].go_live",)


def d(answers, i):
    return answers["B1"][i]


# Each case: (flag, a change to the stage-4 deployer that must raise it, the paths it must point at)
RAISE_CASES = [
    ("R1", lambda a: d(a, 0).update(stage=3), ["B1[0].stage"]),
    ("R2", lambda a: d(a, 1).update(in_production=False), ["B1[1].in_production"]),
    ("R3", lambda a: d(a, 0).update(go_live="2026-05-20"), ["B1[0].go_live", "B1[2].go_live"]),
    ("R4", lambda a: d(a, 0).update(go_live="2026-11-22"), ["B1[0].go_live"]),
    ("R5", lambda a: d(a, 0).pop("downstream_teams"), ["B1[0].downstream_teams"]),
    ("R5", lambda a: d(a, 1).update(daily_volume=0), ["B1[1].daily_volume"]),
    ("R6", lambda a: a.update(D1=[f for f in a["D1"] if f["deployment_id"] != "d2"]), ["B1[1]"]),
    ("R7", lambda a: d(a, 0).update(engineer_ids=["e1", "ghost"]), ["B1[0].engineer_ids[1]"]),
    ("R7", lambda a: a["D1"][0].update(deployment_id="d9"), ["D1[0].deployment_id"]),
    ("R8", lambda a: a["C1"][3].update(months_embedded=0), ["C1[3]"]),
    ("R8", lambda a: a["C1"].append({"id": "e9", "name": "New Hire", "proposed": True, "class": "fde"}), ["C1[4]"]),
    ("R9", lambda a: a.update(D1=[]), ["D1"]),
    ("R10", lambda a: [r.update(in_production=False) for r in a["B1"]], ["B3", "B1"]),
    (
        "R11",
        lambda a: [f.update(detected_by="customer_staff") for f in a["D1"]],
        ["D1[0].detected_by", "D1[1].detected_by", "D1[2].detected_by", "D1[3].detected_by"],
    ),
    ("R12", lambda a: [e.update(**{"class": "sa_se"}) for e in a["C1"]], ["C1"]),
    ("R12", lambda a: [e.update(proposed=False) for e in a["C1"] if e["class"] == "fde"], ["C1"]),
    (
        "R13",
        lambda a: [r.update(reference_available=False) for r in a["B1"]],
        ["B1[0].reference_available", "B1[1].reference_available", "B1[2].reference_available"],
    ),
    ("R14", lambda a: d(a, 2).update(id="d1"), ["B1[0].id", "B1[2].id"]),
    ("R14", lambda a: a["C1"][2].update(id="e1"), ["C1[0].id", "C1[2].id"]),
    ("R15", lambda a: a.update(E5=True), ["E5"]),
    ("R15", lambda a: a.update(E4="shared_broad"), ["E4"]),
    ("R15", lambda a: a.update(H2="yes_or_unknown"), ["H2"]),
    ("R16", lambda a: a.update(E7b=179), ["E7b"]),
    ("R17", lambda a: (a.update(A1="lab_arm", I2=1), a.pop("I3")), ["A1", "I2", "I3"]),
    (
        "R18",
        lambda a: a["C1"].append({"id": "e5", "name": "dana ruiz", "allocation_pct": 30}),
        ["C1[0].allocation_pct", "C1[4].allocation_pct"],
    ),
]


@pytest.mark.parametrize(
    ("code", "change", "paths"), RAISE_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(RAISE_CASES)]
)
def test_red_flag_is_raised_and_points_at_the_answers(questionnaire, stage4_answers, code, change, paths):
    assert code not in flags(questionnaire, stage4_answers) or code == "R3"
    change(stage4_answers)
    raised = flags(questionnaire, stage4_answers)
    assert code in raised, sorted(raised)
    assert list(raised[code].answers) == paths
    assert raised[code].message
    assert raised[code].severity in ("high", "medium", "low")


SILENT_CASES = [
    ("R1", lambda a: d(a, 0).update(stage=3, in_production=False)),  # a stage-3 pilot is honest
    ("R2", lambda a: d(a, 0).update(stage=3, in_production=False)),
    ("R3", lambda a: d(a, 2).update(go_live="2026-05-21")),  # exactly six months: still qualifying
    ("R4", lambda a: d(a, 0).update(go_live="2026-11-21")),  # today is not the future
    ("R5", lambda a: d(a, 0).update(stage=3, in_production=False, downstream_teams=0)),
    ("R6", lambda a: d(a, 2).update(go_live="2025-01-01")),  # unlinked d3 is not qualifying
    ("R7", lambda a: a["D1"][0].pop("deployment_id")),
    ("R8", lambda a: a["C1"][2].update(months_embedded=0)),  # e3 is not proposed
    ("R9", lambda a: a.pop("D1")),  # unanswered is "incomplete", not "none reported"
    ("R10", lambda a: a.update(B3=0)),
    ("R11", lambda a: [f.update(detected_by="user") for f in a["D1"][1:]]),  # one by alert
    ("R12", lambda a: [e.update(proposed=False) for e in a["C1"] if e["id"] != "e2"]),
    ("R13", lambda a: [r.update(reference_available=False) for r in a["B1"][1:]]),
    ("R14", lambda a: a["D1"][1].update(id="f1")),  # failure ids are not in R14's scope
    ("R15", lambda a: a.update(E4="least_privilege_service", H2="opt_out")),
    ("R16", lambda a: a.update(E7b=180)),
    ("R17", lambda a: a.update(A1="lab_arm", I2=1)),  # has an I3 example
    ("R17", lambda a: (a.update(A1="independent", I2=1), a.pop("I3"))),
    ("R18", lambda a: a["C1"][0].update(allocation_pct=100)),
]


@pytest.mark.parametrize(("code", "change"), SILENT_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(SILENT_CASES)])
def test_red_flag_stays_silent_when_it_should(questionnaire, stage4_answers, code, change):
    change(stage4_answers)
    assert code not in flags(questionnaire, stage4_answers)


def test_r17_counts_a_boilerplate_counter_example_as_none(questionnaire, stage4_answers):
    stage4_answers.update(A1="lab_jv", I2=1)
    assert "R17" not in flags(questionnaire, stage4_answers, manual_scores={"I3": [3]})
    assert "R17" in flags(questionnaire, stage4_answers, manual_scores={"I3": [1]})


def test_r18_counts_commitments_on_other_proposals(questionnaire, stage4_answers):
    assert "R18" not in flags(questionnaire, stage4_answers)
    raised = flags(questionnaire, stage4_answers, commitments={"Dana Ruiz": 40})
    assert "R18" in raised
    assert "Dana Ruiz (120 %)" in raised["R18"].message


def test_every_flag_code_is_reachable():
    assert {c[0] for c in RAISE_CASES} == {f"R{n}" for n in range(1, 19)}


# --- verdict gates, in order ---------------------------------------------------------


@pytest.mark.parametrize("missing", ["B1", "C1", "D1"])
def test_verdict_incomplete_names_the_missing_group(questionnaire, stage4_answers, missing):
    stage4_answers.pop(missing)
    v = verdict(questionnaire, stage4_answers)
    assert v.code == "incomplete"
    assert missing in v.label


def test_verdict_no_qualifying_deployment(questionnaire, stage4_answers):
    for row in stage4_answers["B1"]:
        row["vendor_role"] = "advised"
    assert verdict(questionnaire, stage4_answers).code == "stage3_no_deployments"


@pytest.mark.parametrize(
    "change",
    [
        lambda r: r.update(in_production=False),
        lambda r: r.update(stage=3),
        lambda r: r.update(go_live="2026-05-20"),
        lambda r: r.update(go_live="2026-11-22"),
        lambda r: r.pop("go_live"),
        lambda r: r.update(vendor_role="poc"),
    ],
)
def test_each_qualifying_condition_is_needed(questionnaire, stage4_answers, change):
    for row in stage4_answers["B1"]:
        row["go_live"] = "2026-09-01"
        change(row)
    assert verdict(questionnaire, stage4_answers).code == "stage3_no_deployments"


def test_go_live_exactly_six_months_ago_qualifies(questionnaire, stage4_answers):
    stage4_answers["B1"] = [dict(stage4_answers["B1"][0], go_live="2026-05-21")]
    assert verdict(questionnaire, stage4_answers).code == "stage4_unverified"
    stage4_answers["B1"][0]["go_live"] = "2026-05-20"
    assert verdict(questionnaire, stage4_answers).code == "stage3_no_deployments"


def test_six_months_from_the_end_of_a_month_is_clamped(questionnaire, stage4_answers):
    from datetime import date

    stage4_answers["B1"] = [dict(stage4_answers["B1"][0], go_live="2026-02-28")]
    result = score_response(questionnaire, stage4_answers, date(2026, 8, 31))
    assert result.verdict.code == "stage4_unverified"
    stage4_answers["B1"][0]["go_live"] = "2026-02-27"
    assert score_response(questionnaire, stage4_answers, date(2026, 8, 31)).verdict.code == "stage3_no_deployments"


def test_verdict_no_engineers_on_qualifying_deployments(questionnaire, stage4_answers):
    for row in stage4_answers["B1"]:
        row["engineer_ids"] = ["someone-else"]
    assert verdict(questionnaire, stage4_answers).code == "stage3_no_engineers"


def test_verdict_no_failures_on_qualifying_deployments(questionnaire, stage4_answers):
    for row in stage4_answers["D1"]:
        row["deployment_id"] = "d3"  # d3 is older than six months
    assert verdict(questionnaire, stage4_answers).code == "stage3_no_failures"


def test_verdict_stage4_needs_the_buyers_verification(questionnaire, stage4_answers):
    assert verdict(questionnaire, stage4_answers).code == "stage4_unverified"
    half = {"d1": {"reference_checked": True, "evidence_reviewed": False}}
    assert verdict(questionnaire, stage4_answers, verifications=half).code == "stage4_unverified"
    other = {"d3": {"reference_checked": True, "evidence_reviewed": True}}  # d3 does not qualify
    assert verdict(questionnaire, stage4_answers, verifications=other).code == "stage4_unverified"
    fingerprint = deployment_fingerprint(stage4_answers, "d1")  # the row as the buyer checked it
    done = {"d1": {"reference_checked": True, "evidence_reviewed": True, "fingerprint": fingerprint}}
    result = score_response(questionnaire, stage4_answers, AS_OF, verifications=done)
    assert result.verdict.code == "stage4_verified"
    assert result.verified_share == 50.0


def test_overlays_sit_beside_the_verdict(questionnaire, stage4_answers):
    stage4_answers.update(E5=True, A1="lab_arm", I2=1)
    stage4_answers.pop("I3")
    v = verdict(questionnaire, stage4_answers)
    assert v.code == "stage4_unverified"  # no score overrides it, and no overlay does
    assert [c for c, _ in v.overlays] == ["security_blocker", "lock_in"]


def test_verdict_tiers_rank_stage4_above_any_stage3(questionnaire, stage4_answers):
    strong = verdict(questionnaire, stage4_answers)
    stage4_answers["D1"] = []
    weak = verdict(questionnaire, stage4_answers)
    assert strong.tier > weak.tier
