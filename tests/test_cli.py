"""`flask score` and `flask check-questionnaire`: JSON out, clear errors, never a traceback."""

import json

import pytest

from stagefour import store

from .conftest import FIXTURES
from .conftest import RESPONSES
from .conftest import load_response_json


def test_score_prints_the_result_as_json(runner):
    result = runner.invoke(args=["score", str(RESPONSES / "stage4-deployer.json"), "--as-of", "2026-11-21"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["vendor"] == "Northwind Applied AI"
    assert 0 <= data["overall"] <= 100
    assert set(data["sections"]) == set("ABCDEFGHIJK")
    assert data["completeness"] == 61.1  # a 1.0 file: the 21 required items 1.1 adds are unanswered
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
    assert "OK" in result.output and "11 sections" in result.output
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
    store.create_user(source, "kept@example.com", "not-a-hash")
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
    store.create_user(live, "live@example.com", "not-a-hash")
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


# --- import-response (issue 11, item 5): the vendor by id, --replace, an audit entry with counts ---


@pytest.fixture
def importing(db, make_evaluation, make_vendor, tmp_path):
    """An evaluation with vendor Northwind (no answers yet), and a response file for it."""
    evaluation_id = make_evaluation()
    vendor = make_vendor("Northwind Applied AI", evaluation_id)
    path = tmp_path / "northwind.json"
    path.write_text(json.dumps(load_response_json("stage4-deployer"), ensure_ascii=False), encoding="utf-8")
    return {"evaluation_id": evaluation_id, "vendor": vendor, "path": path}


def _import(runner, imp, *extra):
    args = [
        "import-response",
        str(imp["evaluation_id"]),
        str(imp["path"]),
        "--vendor-id",
        str(imp["vendor"]["vendor_id"]),
    ]
    return runner.invoke(args=[*args, *extra])


def _imported(db, evaluation_id):
    return [e for e in store.audit_entries(db, evaluation_id) if e["action"] == "response_imported"]


def test_import_response_writes_the_answers_and_an_audit_entry_with_counts(runner, db, importing, monkeypatch):
    monkeypatch.setattr("getpass.getuser", lambda: "ops-alice")
    result = _import(runner, importing, "--submit")
    assert result.exit_code == 0, result.output
    v = importing["vendor"]
    answers = store.load_answers(db, v["response_id"])
    assert answers["A2"] == json.loads(importing["path"].read_text())["answers"]["A2"]
    assert store.get_vendor(db, v["vendor_id"])["status"] == "submitted"
    (entry,) = _imported(db, importing["evaluation_id"])
    assert entry["actor"] == "cli:ops-alice"
    detail = entry["detail"]
    assert detail["answers"] == len(answers) == detail["changed"] and detail["cleared"] == 0
    assert (detail["replaced"], detail["reopened"], detail["submitted"]) == (False, False, True)
    assert detail["file"] == "northwind.json" and len(detail["sha256"]) == 64
    assert "Northwind" not in json.dumps(detail)  # counts, never the answers themselves
    saved = [e for e in store.audit_entries(db, importing["evaluation_id"]) if e["action"] == "answer_saved"]
    assert {e["actor"] for e in saved} == {"cli:ops-alice"}
    assert f"imported {len(answers)} answers for Northwind Applied AI" in result.output


def test_import_response_refuses_to_replace_a_submitted_response_without_replace(runner, db, importing):
    assert _import(runner, importing, "--submit").exit_code == 0
    data = json.loads(importing["path"].read_text())
    data["answers"]["A2"] = 1
    data["answers"].pop("A3")
    importing["path"].write_text(json.dumps(data), encoding="utf-8")
    v = importing["vendor"]
    before = store.load_answers(db, v["response_id"])
    result = _import(runner, importing)
    assert result.exit_code == 1
    assert "is submitted: add --replace" in result.output and "Traceback" not in result.output
    assert store.load_answers(db, v["response_id"]) == before
    assert store.get_vendor(db, v["vendor_id"])["status"] == "submitted"
    assert len(_imported(db, importing["evaluation_id"])) == 1
    result = _import(runner, importing, "--replace")
    assert result.exit_code == 0, result.output
    assert store.load_answers(db, v["response_id"])["A2"] == 1
    assert "A3" not in store.load_answers(db, v["response_id"])
    latest = _imported(db, importing["evaluation_id"])[0]["detail"]
    assert (latest["changed"], latest["cleared"], latest["replaced"], latest["reopened"]) == (1, 1, True, True)
    assert store.get_vendor(db, v["vendor_id"])["status"] == "reopened"


def test_import_response_refuses_to_replace_answers_in_progress_without_replace(runner, db, importing):
    assert _import(runner, importing).exit_code == 0
    result = _import(runner, importing)
    assert result.exit_code == 1
    assert "is already answered in part: add --replace" in result.output
    assert len(_imported(db, importing["evaluation_id"])) == 1
    assert _import(runner, importing, "--replace").exit_code == 0
    latest = _imported(db, importing["evaluation_id"])[0]["detail"]
    assert (latest["changed"], latest["cleared"], latest["replaced"]) == (0, 0, True)


def test_import_response_names_an_owner_given_as_actor(runner, db, importing, make_user):
    owner = make_user("owner", "olga@buyer.example")
    result = _import(runner, importing, "--actor", "OLGA@buyer.example")
    assert result.exit_code == 0, result.output
    (entry,) = _imported(db, importing["evaluation_id"])
    assert entry["actor"] == f"user:{owner}"
    assert entry["detail"]["via"] == "import-response" and entry["detail"]["os_user"]


@pytest.mark.parametrize(
    ("who", "role"),
    [
        pytest.param("nobody@buyer.example", None, id="no such account"),
        pytest.param("eve@buyer.example", "evaluator", id="an evaluator, not an owner"),
        pytest.param("otto@other.example", "other team", id="an owner of another team"),
    ],
)
def test_import_response_refuses_an_actor_who_is_not_an_owner_of_the_evaluation(
    runner, db, importing, make_user, make_team, who, role
):
    if role == "other team":
        make_user("owner", who, team_id=make_team("Other team"))
    elif role:
        make_user(role, who)
    result = _import(runner, importing, "--actor", who)
    assert result.exit_code == 1
    assert f"--actor {who}: not an owner of evaluation" in result.output
    assert store.load_answers(db, importing["vendor"]["response_id"]) == {}
    assert _imported(db, importing["evaluation_id"]) == []


@pytest.mark.parametrize(
    ("case", "message"),
    [
        pytest.param("unknown vendor", "no vendor 999999", id="unknown vendor id"),
        pytest.param("other evaluation", "is not in evaluation", id="vendor of another evaluation"),
        pytest.param("unknown evaluation", "no evaluation 999999", id="unknown evaluation"),
        pytest.param("bad json", "not valid JSON", id="bad JSON"),
        pytest.param("bad answer", "answers.B1[0].stage", id="an answer the questionnaire refuses"),
        pytest.param("no file", "cannot read", id="missing file"),
    ],
)
def test_import_response_refuses_wrong_input_clearly(
    runner, db, importing, make_vendor, make_evaluation, case, message
):
    args = ["import-response", str(importing["evaluation_id"]), str(importing["path"])]
    vendor_id = str(importing["vendor"]["vendor_id"])
    if case == "unknown vendor":
        vendor_id = "999999"
    elif case == "other evaluation":
        vendor_id = str(make_vendor("Elsewhere Ltd", make_evaluation(title="Another"))["vendor_id"])
    elif case == "unknown evaluation":
        args[1] = "999999"
    elif case == "bad json":
        importing["path"].write_text("{nope", encoding="utf-8")
    elif case == "bad answer":
        importing["path"].write_text(
            json.dumps({"questionnaire": "ai-deployment-partner", "vendor": "N", "answers": {"B1": [{"stage": 7}]}})
        )
    elif case == "no file":
        args[2] = str(importing["path"].with_name("absent.json"))
    result = runner.invoke(args=[*args, "--vendor-id", vendor_id])
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert store.load_answers(db, importing["vendor"]["response_id"]) == {}
    assert _imported(db, importing["evaluation_id"]) == []


def test_import_response_needs_the_vendor_id_and_never_looks_up_a_name(runner, db, importing):
    result = runner.invoke(args=["import-response", str(importing["evaluation_id"]), str(importing["path"])])
    assert result.exit_code == 2
    assert "Missing option '--vendor-id'" in result.output
    assert store.load_answers(db, importing["vendor"]["response_id"]) == {}
    assert len(store.list_vendors(db, importing["evaluation_id"])) == 1  # no vendor made from the file's name
