"""The commercials block and the data chain of questionnaire 1.1 (stagefour/commercials.py, processors.py)."""

import pytest

from stagefour.commercials import KEYS
from stagefour.commercials import commercials
from stagefour.commercials import marks
from stagefour.processors import content_rows
from stagefour.processors import data_locations
from stagefour.processors import is_content_row

EXAMPLE = {"K1": "fixed_price", "K2": 180000, "K3": 9000, "K4": 42.5, "K5": "passthrough_at_cost", "K6": 5000000}


def test_the_contracts_worked_example_gives_its_two_figures():
    block = commercials(EXAMPLE, {"monthly_tasks": 60000})
    assert block == {
        "currency": "EUR",
        **EXAMPLE,
        "monthly_tasks": 60000,
        "monthly_run_cost": 11550,
        "go_live_plus_12_months": 318600,
    }
    assert isinstance(block["monthly_run_cost"], int)  # printed as 11550, not 11550.0


def test_every_key_is_there_and_null_when_nothing_is_answered_or_set():
    block = commercials({}, {})
    assert tuple(block) == KEYS
    assert block == dict.fromkeys(KEYS) | {"currency": "EUR"}


@pytest.mark.parametrize("missing", ["K3", "K4", "K5"])
def test_a_missing_input_leaves_both_lines_null(missing):
    answers = {k: v for k, v in EXAMPLE.items() if k != missing}
    block = commercials(answers, {"monthly_tasks": 60000})
    assert block["monthly_run_cost"] is None and block["go_live_plus_12_months"] is None


def test_without_monthly_tasks_nothing_is_computed_and_without_k2_only_the_first_year_is_missing():
    assert commercials(EXAMPLE, {})["monthly_run_cost"] is None
    block = commercials({k: v for k, v in EXAMPLE.items() if k != "K2"}, {"monthly_tasks": 60000})
    assert block["monthly_run_cost"] == 11550 and block["go_live_plus_12_months"] is None


def test_model_costs_included_in_the_fees_drop_the_k4_term_but_k4_stays_the_raw_answer():
    block = commercials({**EXAMPLE, "K5": "included_in_fees", "K4": None}, {"monthly_tasks": 60000})
    assert block["monthly_run_cost"] == 9000 and block["go_live_plus_12_months"] == 288000
    assert commercials({**EXAMPLE, "K5": "included_in_fees"}, {"monthly_tasks": 1})["K4"] == 42.5


def test_amounts_are_rounded_to_cents_and_wrong_types_are_not_given():
    block = commercials({**EXAMPLE, "K4": 0.333}, {"monthly_tasks": 1, "currency": "CHF"})
    assert block["monthly_run_cost"] == 9000  # 9000.000333 rounded to cents
    assert block["currency"] == "CHF"
    hostile = commercials({"K2": True, "K3": "9000", "K4": float("nan"), "K5": ["x"]}, {"monthly_tasks": "many"})
    assert all(hostile[k] is None for k in ("K2", "K3", "K4", "K5", "monthly_tasks", "monthly_run_cost"))


def test_the_lowest_cost_and_the_highest_cover_are_marked_and_not_given_never_competes():
    blocks = {
        "a": commercials(EXAMPLE, {"monthly_tasks": 60000}),
        "b": commercials({**EXAMPLE, "K2": 150000, "K6": 1000000}, {"monthly_tasks": 60000}),
        "c": commercials({"K3": 0, "K5": "included_in_fees", "K4": 1}, {"monthly_tasks": 60000}),
    }
    marked = marks(blocks)
    assert marked["K2"] == {"b"}
    assert marked["K3"] == {"c"}  # 0 is a given amount, and the lowest
    assert marked["K4"] == {"a", "b"}  # c's K4 is included in its K3: not compared
    assert marked["K6"] == {"a"}  # more cover is better
    assert marked["monthly_run_cost"] == {"c"}
    assert marks({"a": blocks["a"]})["K2"] == set()  # one amount is not the lowest of anything


def test_a_content_row_is_one_that_declares_anything_but_metadata_or_nothing_at_all():
    assert is_content_row({"data": ["prompts_outputs"]})
    assert is_content_row({"data": ["metadata_only", "traces_logs"]})
    assert is_content_row({}) and is_content_row({"data": []})
    assert not is_content_row({"data": ["metadata_only"]})


def test_data_locations_join_the_content_rows_and_mark_what_lies_outside():
    answers = {
        "H6": [
            {"id": "s1", "data": ["prompts_outputs"], "regions": ["global", "eu_eea"]},
            {"id": "s2", "data": ["metadata_only"], "regions": ["us"]},
            {"id": "s3", "data": ["files_documents"]},
        ]
    }
    where = data_locations(answers, {"data_regions": ["eu_eea"]})
    assert where.regions == (("eu_eea", False), ("global", True)) and where.unstated and where.any_outside
    assert not data_locations(answers, {}).any_outside  # no buyer regions: nothing is outside
    assert data_locations({}, {}) is None and data_locations({"H6": []}, {}) is None


def test_content_rows_keep_their_index_in_h6_when_a_stored_row_is_not_a_row():
    answers = {"H6": ["junk", {"id": "s1", "data": ["metadata_only"]}, {"id": "s2", "data": ["prompts_outputs"]}]}
    assert [(i, row["id"]) for i, row in content_rows(answers)] == [(2, "s2")]


def test_amounts_past_a_floats_range_make_no_line_rather_than_an_error_or_infinity():
    huge = {"K2": 10**400, "K3": 1e300, "K4": 10**400, "K5": "passthrough_at_cost"}
    block = commercials(huge, {"monthly_tasks": 60000})
    assert block["monthly_run_cost"] is None and block["go_live_plus_12_months"] is None
    block = commercials({"K2": 1e308, "K3": 1e308, "K5": "included_in_fees"}, {"monthly_tasks": 1})
    assert block["monthly_run_cost"] == 1e308 and block["go_live_plus_12_months"] is None
