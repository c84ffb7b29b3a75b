"""`flask score` and `flask check-questionnaire`: JSON out, clear errors, never a traceback."""

import json

import pytest

from .conftest import FIXTURES
from .conftest import RESPONSES


def test_score_prints_the_result_as_json(runner):
    result = runner.invoke(args=["score", str(RESPONSES / "stage4-deployer.json"), "--as-of", "2026-11-21"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["vendor"] == "Northwind Applied AI"
    assert 0 <= data["overall"] <= 100
    assert set(data["sections"]) == set("ABCDEFGHIJ")
    assert data["completeness"] == 100
    assert data["verdict"]["code"] == "stage4_unverified"
    assert data["verdict"]["label"]
    assert data["verdict"]["overlays"] == []
    assert data["red_flags"] == [
        {
            "code": "R3",
            "severity": "low",
            "message": data["red_flags"][0]["message"],
            "answers": ["B1[2].go_live"],
        }
    ]
    assert data["questionnaire"]["hash"]
    assert data["as_of"] == "2026-11-21"


def test_score_is_byte_for_byte_repeatable(runner):
    args = ["score", str(RESPONSES / "pilots-only.json"), "--as-of", "2026-11-21"]
    assert runner.invoke(args=args).output == runner.invoke(args=args).output


def test_as_of_moves_the_six_month_window(runner):
    path = str(RESPONSES / "stage4-deployer.json")
    later = json.loads(runner.invoke(args=["score", path, "--as-of", "2027-06-01"]).output)
    assert later["verdict"]["code"] == "stage3_no_deployments"


def test_buyer_profile_options(runner):
    path = str(RESPONSES / "stage4-deployer.json")
    out = runner.invoke(args=["score", path, "--as-of", "2026-11-21", "--buyer-industry", "insurance"]).output
    assert "matches your industry" in json.loads(out)["items"]["B2"]["why"]


def test_score_lists_every_error_and_exits_non_zero(runner, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"questionnaire": "ai-deployment-partner", "answers": {"B1": [{"stage": 7}], "A1": "x"}}))
    result = runner.invoke(args=["score", str(bad)])
    assert result.exit_code != 0
    assert "answers.B1[0].stage: expected an integer from 1 to 4, got 7" in result.output
    assert "answers.A1: expected one of" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{nope", "not valid JSON"),
        ('{"answers": {}}', "questionnaire: expected the id of a questionnaire"),
        ('{"questionnaire": "../../etc/passwd", "answers": {}}', "questionnaire: expected the id of a questionnaire"),
        ('{"questionnaire": "unknown-one", "answers": {}}', 'no questionnaire "unknown-one"'),
    ],
)
def test_score_refuses_bad_files_clearly(runner, tmp_path, content, message):
    path = tmp_path / "r.json"
    path.write_text(content)
    result = runner.invoke(args=["score", str(path)])
    assert result.exit_code != 0
    assert message in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_score_missing_file_and_bad_date(runner, tmp_path):
    result = runner.invoke(args=["score", str(tmp_path / "absent.json")])
    assert result.exit_code != 0 and "cannot read" in result.output
    result = runner.invoke(args=["score", str(RESPONSES / "pilots-only.json"), "--as-of", "21/11/2026"])
    assert result.exit_code != 0 and "does not match the format '%Y-%m-%d'" in result.output


def test_check_questionnaire_accepts_the_library(runner):
    result = runner.invoke(args=["check-questionnaire", "questionnaires/ai-deployment-partner.yaml"])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output and "10 sections" in result.output
    result = runner.invoke(args=["check-questionnaire", str(FIXTURES / "every-type.yaml")])
    assert result.exit_code == 0


def test_check_questionnaire_reports_every_error_with_its_path(runner, tmp_path):
    path = tmp_path / "q.yaml"
    path.write_text(
        "id: q\nversion: '1'\ntitle: Q\nlanguages: [en]\nsections:\n"
        "  - id: A\n    title: A\n    weight: 0\n    questions:\n"
        "      - {id: A1, type: slider, prompt: x}\n"
        "      - {id: A1, type: yes_no, prompt: y, scoring: maybe}\n"
    )
    result = runner.invoke(args=["check-questionnaire", str(path)])
    assert result.exit_code != 0
    for part in (
        "4 error(s)",
        "sections[0].weight: must be positive",
        'sections[0].questions[0].type: unknown type "slider"',
        'sections[0].questions[1].id: duplicate question id "A1"',
        'sections[0].questions[1].scoring: unknown option "maybe"',
    ):
        assert part in result.output
    assert "Traceback" not in result.output


def test_check_questionnaire_bad_yaml_names_the_line(runner, tmp_path):
    path = tmp_path / "q.yaml"
    path.write_text("id: q\nsections: [\n")
    result = runner.invoke(args=["check-questionnaire", str(path)])
    assert result.exit_code != 0
    assert "line 3" in result.output
