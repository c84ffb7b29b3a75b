"""Exports with questionnaire 1.1: the buyer profile's fields, the raw K answers and the commercials lines."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC
from datetime import datetime

from stagefour import evaluations
from stagefour import export
from stagefour.questionnaire import load_questionnaire

from .conftest import AS_OF
from .conftest import FIXTURES
from .conftest import load_response_json

GENERATED_AT = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
EXAMPLE = json.loads((FIXTURES / "responses" / "contract-example-1.1.json").read_text(encoding="utf-8"))
PROFILE = {
    "industry": "insurance",
    "data_regions": ["eu_eea", "uk"],
    "ai_act_class": "high_risk",
    "monthly_tasks": 60000,
}
COMMERCIALS = {
    "currency": "EUR",
    "K1": "fixed_price",
    "K2": 180000,
    "K3": 9000,
    "K4": 42.5,
    "K5": "passthrough_at_cost",
    "K6": 5000000,
    "monthly_tasks": 60000,
    "monthly_run_cost": 11550,
    "go_live_plus_12_months": 318600,
}


def rows_of(db, evaluation_id) -> list[dict]:
    body = export.to_csv(export.gather(db, evaluation_id, AS_OF))
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def json_of(db, evaluation_id) -> dict:
    return json.loads(export.to_json(export.gather(db, evaluation_id, AS_OF), GENERATED_AT))


def test_json_carries_the_profile_the_raw_k_answers_and_the_commercials(db, make_evaluation, make_vendor):
    evaluation_id = make_evaluation(buyer_profile=PROFILE)
    make_vendor("Example Ltd", evaluation_id, EXAMPLE["answers"], submit=True)
    old = load_response_json("stage4-deployer")
    make_vendor(old["vendor"], evaluation_id, old["answers"], submit=True)
    data = json_of(db, evaluation_id)
    assert data["evaluation"]["buyer_profile"] == dict(sorted(PROFILE.items()))
    vendors = {v["name"]: v for v in data["vendors"]}
    example = vendors["Example Ltd"]
    assert example["commercials"] == COMMERCIALS
    assert {k: example["response"]["answers"][k] for k in ("K1", "K2", "K3", "K4", "K5", "K6")} == {
        k: EXAMPLE["answers"][k] for k in ("K1", "K2", "K3", "K4", "K5", "K6")
    }
    # A 1.0 response: every key is there, null where unanswered, never 0.
    assert vendors[old["vendor"]]["commercials"] == dict.fromkeys(COMMERCIALS) | {
        "currency": "EUR",
        "monthly_tasks": 60000,
    }


def test_csv_repeats_the_profile_and_the_computed_lines_on_each_row_of_the_vendor(db, make_evaluation, make_vendor):
    evaluation_id = make_evaluation(buyer_profile=PROFILE | {"currency": "CHF"})
    make_vendor("Example Ltd", evaluation_id, EXAMPLE["answers"], submit=True)
    rows = rows_of(db, evaluation_id)
    assert list(rows[0])[-6:] == [
        "currency",
        "monthly_tasks",
        "monthly_run_cost",
        "go_live_plus_12_months",
        "buyer_data_regions",
        "buyer_ai_act_class",
    ]
    assert {(r["currency"], r["monthly_tasks"], r["monthly_run_cost"], r["go_live_plus_12_months"]) for r in rows} == {
        ("CHF", "60000", "11550", "318600")
    }
    assert {(r["buyer_data_regions"], r["buyer_ai_act_class"]) for r in rows} == {("eu_eea; uk", "high_risk")}
    answers = {r["question_id"]: r["answer"] for r in rows if not r["row"]}
    assert (answers["K2"], answers["K4"], answers["K6"]) == ("180000", "42.5", "5000000")  # raw, never converted
    assert answers["K1"] == "Fixed price"  # the option's label, as for every single choice


def test_csv_lines_stay_empty_without_monthly_tasks_or_answers(db, make_evaluation, make_vendor):
    evaluation_id = make_evaluation(buyer_profile={})
    old = load_response_json("stage4-deployer")
    make_vendor(old["vendor"], evaluation_id, old["answers"], submit=True)
    rows = rows_of(db, evaluation_id)
    assert {(r["currency"], r["monthly_tasks"], r["monthly_run_cost"], r["go_live_plus_12_months"]) for r in rows} == {
        ("EUR", "", "", "")
    }
    assert {(r["buyer_data_regions"], r["buyer_ai_act_class"]) for r in rows} == {("", "")}


def test_hostile_profile_values_in_old_data_are_neutralised_in_the_csv(db, make_evaluation, make_vendor):
    hostile = {"data_regions": ['=HYPERLINK("http://evil","x")', "+cmd"], "ai_act_class": "@SUM(1)"}
    evaluation_id = make_evaluation(buyer_profile=hostile)
    make_vendor("Example Ltd", evaluation_id, EXAMPLE["answers"], submit=True)
    for row in rows_of(db, evaluation_id):
        assert row["buyer_data_regions"].startswith("'=HYPERLINK")
        assert row["buyer_ai_act_class"] == "'@SUM(1)"


def test_a_1_0_evaluation_exports_no_commercials(db, make_vendor, team):
    old_questionnaire = load_questionnaire(FIXTURES / "questionnaires" / "ai-deployment-partner-1.0.0.yaml")
    evaluation_id = evaluations.start_evaluation(
        db, old_questionnaire, "Old", deadline=None, buyer_profile={}, team_id=team
    )
    old = load_response_json("stage4-deployer")
    make_vendor(old["vendor"], evaluation_id, old["answers"], submit=True)
    (vendor,) = json_of(db, evaluation_id)["vendors"]
    assert "commercials" not in vendor
    assert {(r["currency"], r["monthly_run_cost"]) for r in rows_of(db, evaluation_id)} == {("", "")}
