"""`flask score` with the 1.1 buyer profile options and its `commercials` object."""

import json

import pytest

from .conftest import FIXTURES
from .conftest import RESPONSES

EXAMPLE = str(FIXTURES / "responses" / "contract-example-1.1.json")
KEYS = ["currency", "K1", "K2", "K3", "K4", "K5", "K6", "monthly_tasks", "monthly_run_cost", "go_live_plus_12_months"]


def score(runner, *args):
    """The printed JSON of `flask score` with `args`, after checking it succeeded."""
    result = runner.invoke(args=["score", *args, "--as-of", "2026-11-21"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_contracts_example_prints_its_commercials(runner):
    data = score(runner, EXAMPLE, "--buyer-regions", "eu_eea,uk", "--monthly-tasks", "60000")
    assert data["commercials"] == {
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
    assert list(data["commercials"]) == KEYS
    assert "K" in data["sections"]
    assert not [f for f in data["red_flags"] if f["code"] in {f"R{n}" for n in range(19, 27)}]


def test_without_monthly_tasks_the_computed_lines_are_null_and_the_currency_is_the_one_given(runner):
    data = score(runner, EXAMPLE, "--currency", "chf")
    assert data["commercials"]["currency"] == "CHF"
    assert data["commercials"]["K2"] == 180000
    assert data["commercials"]["monthly_tasks"] is None
    assert data["commercials"]["monthly_run_cost"] is None
    assert data["commercials"]["go_live_plus_12_months"] is None


def test_a_1_0_response_scored_against_1_1_gets_every_key_null_but_the_currency(runner):
    data = score(runner, str(RESPONSES / "stage4-deployer.json"), "--monthly-tasks", "60000")
    assert list(data["commercials"]) == KEYS
    assert data["commercials"]["currency"] == "EUR"
    assert data["commercials"]["monthly_tasks"] == 60000
    assert all(data["commercials"][k] is None for k in KEYS if k not in ("currency", "monthly_tasks"))


def test_the_options_reach_scoring_as_the_buyer_profile(runner, monkeypatch):
    import commands

    seen = []
    real = commands.score_response

    def spy(questionnaire, answers, day, buyer_profile):
        seen.append(buyer_profile)
        return real(questionnaire, answers, day, buyer_profile=buyer_profile)

    monkeypatch.setattr(commands, "score_response", spy)
    args = [
        "--buyer-regions",
        "uk,eu_eea",
        "--buyer-ai-act",
        "high_risk",
        "--currency",
        "gbp",
        "--monthly-tasks",
        "2.5",
    ]
    score(runner, EXAMPLE, *args, "--buyer-industry", "insurance")
    assert seen == [
        {
            "data_regions": ["eu_eea", "uk"],
            "ai_act_class": "high_risk",
            "currency": "GBP",
            "monthly_tasks": 2.5,
            "industry": "insurance",
        }
    ]


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--buyer-regions", "eu_eea,global", "allowed: eu_eea, uk, switzerland, us, canada, asia_pacific, other"),
        ("--buyer-regions", "EU", "'EU' is not allowed"),
        ("--buyer-ai-act", "high_risk_buyer_provider", "allowed: high_risk, transparency_only, minimal_risk"),
        ("--currency", "EURO", "ISO 4217 codes Babel knows, such as EUR"),
        ("--currency", "E", "ISO 4217"),
        ("--currency", "€", "ISO 4217"),
        ("--monthly-tasks", "-5", "'-5' is not allowed; expected a number from 0 to 1000000000000"),
        ("--monthly-tasks", "lots", "expected a number from 0"),
        ("--monthly-tasks", "inf", "expected a number from 0"),
    ],
)
def test_a_bad_profile_option_is_a_clear_error_with_what_is_allowed(runner, option, value, expected):
    result = runner.invoke(args=["score", EXAMPLE, option, value])
    assert result.exit_code == 2
    assert f"Invalid value for '{option}'" in result.output
    assert expected in result.output
    assert "Traceback" not in result.output
