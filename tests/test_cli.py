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


# --- restore refuses a schema this version does not make ---------------------------------------------


def _backup_with(app, tmp_path, change: str | None) -> str:
    """A backup of a fresh database, then `change` (SQL) run on the copy."""
    import sqlite3

    from stagefour import store

    source = store.open_db(str(tmp_path / "source.sqlite3"))
    store.migrate(source)
    store.create_user(source, "kept@example.com", "not-a-hash", "owner")
    copy = str(tmp_path / "backup.sqlite3")
    store.backup_to(source, copy)
    source.close()
    if change:
        conn = sqlite3.connect(copy)
        conn.executescript(change)
        conn.close()
    return copy


def _live_state(app) -> tuple[list, list]:
    import sqlite3

    conn = sqlite3.connect(app.config["DATABASE"])
    try:
        schema = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
        users = conn.execute("SELECT email FROM users ORDER BY id").fetchall()
    finally:
        conn.close()
    return schema, users


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            "CREATE TRIGGER steal AFTER INSERT ON answers BEGIN DELETE FROM users; END;",
            "unexpected trigger 'steal'",
        ),
        ("CREATE TRIGGER users_touch AFTER UPDATE ON users BEGIN SELECT 1; END;", "unexpected trigger 'users_touch'"),
        ("CREATE VIEW peek AS SELECT * FROM users;", "unexpected view 'peek'"),
        ("DROP INDEX idx_invitations_token_hash;", "missing index 'idx_invitations_token_hash'"),
        ("DROP TRIGGER audit_log_no_delete;", "missing trigger 'audit_log_no_delete'"),
        ("CREATE TABLE extra (x);", "unexpected table 'extra'"),
        (
            "DROP TRIGGER audit_log_no_delete;"
            "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT 1; END;",
            "trigger 'audit_log_no_delete' differs",
        ),
        ("ALTER TABLE users ADD COLUMN note TEXT;", "table 'users' differs"),
    ],
    ids=["trigger", "trigger-on-users", "view", "no-index", "no-trigger", "table", "changed-trigger", "column"],
)
def test_restore_refuses_a_backup_whose_schema_this_version_does_not_make(app, runner, tmp_path, change, message):
    import backup_command
    from stagefour import store

    live = store.open_db(app.config["DATABASE"])
    store.create_user(live, "live@example.com", "not-a-hash", "owner")
    live.close()
    before = _live_state(app)
    backup = _backup_with(app, tmp_path, change)
    result = runner.invoke(backup_command.restore, [backup, "--yes"])
    assert result.exit_code == 1
    assert message in result.output
    assert "not one this version of Stagefour knows" in result.output
    assert "Traceback" not in result.output
    assert _live_state(app) == before


def test_restore_accepts_a_backup_with_exactly_this_versions_schema(app, runner, tmp_path):
    import backup_command

    backup = _backup_with(app, tmp_path, None)
    result = runner.invoke(backup_command.restore, [backup, "--yes"])
    assert result.exit_code == 0, result.output
    assert _live_state(app)[1] == [("kept@example.com",)]
