"""Teams (issue 11, item 1): the store's teams and memberships, who sees which evaluation, and
the migration of a release-1 database into one default team."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from stagefour import access
from stagefour import store

from .conftest import FIXTURES
from .conftest import PASSWORD

RELEASE_1 = FIXTURES / "release-1.sqlite3"


# --- access: the role a user has on an evaluation ---------------------------------------------


@pytest.fixture
def other_team(make_team):
    return make_team("Mergers and acquisitions")


@pytest.mark.parametrize("role", ["viewer", "evaluator", "owner"])
def test_a_member_has_their_team_role_on_its_evaluations(db, make_user, make_evaluation, role):
    user = store.get_user(db, make_user(role))
    assert access.evaluation_role(db, user, store.get_evaluation(db, make_evaluation())) == role


@pytest.mark.parametrize("role", ["viewer", "evaluator", "owner"])
def test_a_member_of_another_team_has_no_role_on_its_evaluations(db, make_user, make_evaluation, other_team, role):
    user = store.get_user(db, make_user(role, team_id=other_team))
    assert access.evaluation_role(db, user, store.get_evaluation(db, make_evaluation())) is None


def test_a_site_admin_outside_the_team_has_no_role(db, make_user, make_evaluation):
    admin = store.get_user(db, make_user(None, is_admin=True))
    assert access.evaluation_role(db, admin, store.get_evaluation(db, make_evaluation())) is None
    assert access.evaluation_role(db, None, store.get_evaluation(db, make_evaluation())) is None


def test_a_disabled_member_has_no_role(db, make_user, make_evaluation):
    user_id = make_user("owner")
    evaluation = store.get_evaluation(db, make_evaluation())
    db.execute("UPDATE users SET disabled_at = ? WHERE id = ?", [store.now(), user_id])
    assert access.evaluation_role(db, store.get_user(db, user_id), evaluation) is None
    assert access.teams_where(db, store.get_user(db, user_id), "viewer") == []
    assert store.list_evaluations(db, visible_to=user_id) == []


@pytest.mark.parametrize("role", ["viewer", "evaluator", "owner"])
def test_a_restricted_evaluation_is_seen_only_by_its_named_members(db, make_user, make_evaluation, role):
    creator, named, outsider = make_user("owner"), make_user(role), make_user(role)
    evaluation_id = make_evaluation(user_id=creator)
    kept = store.set_evaluation_access(db, evaluation_id, True, [named], f"user:{creator}")
    assert kept == sorted([creator, named])
    evaluation = store.get_evaluation(db, evaluation_id)
    assert access.evaluation_role(db, store.get_user(db, named), evaluation) == role
    assert access.evaluation_role(db, store.get_user(db, creator), evaluation) == "owner"
    assert access.evaluation_role(db, store.get_user(db, outsider), evaluation) is None
    assert [e["id"] for e in store.list_evaluations(db, visible_to=outsider)] == []
    assert [e["id"] for e in store.list_evaluations(db, visible_to=named)] == [evaluation_id]


def test_only_members_of_the_team_can_be_named_on_an_evaluation(db, make_user, make_evaluation, other_team):
    creator = make_user("owner")
    stranger = make_user("owner", team_id=other_team)
    evaluation_id = make_evaluation(user_id=creator)
    assert store.set_evaluation_access(db, evaluation_id, True, [stranger, 999_999], "test") == [creator]
    assert store.evaluation_members(db, evaluation_id) == [creator]


def test_leaving_a_team_takes_the_user_off_its_restricted_evaluations(db, make_user, make_evaluation, team):
    creator, named = make_user("owner"), make_user("evaluator")
    evaluation_id = make_evaluation(user_id=creator)
    store.set_evaluation_access(db, evaluation_id, True, [named], "test")
    assert store.remove_membership(db, team, named, "test") is True
    assert store.evaluation_members(db, evaluation_id) == [creator]
    # Back in the team, they still are not named: being named again is the owner's decision.
    store.set_membership(db, team, named, "evaluator", "test")
    assert access.evaluation_role(db, store.get_user(db, named), store.get_evaluation(db, evaluation_id)) is None


def test_opening_a_restricted_evaluation_again_shows_it_to_the_whole_team(db, make_user, make_evaluation):
    creator, member = make_user("owner"), make_user("viewer")
    evaluation_id = make_evaluation(user_id=creator)
    store.set_evaluation_access(db, evaluation_id, True, [], "test")
    store.set_evaluation_access(db, evaluation_id, False, [], "test")
    assert access.evaluation_role(db, store.get_user(db, member), store.get_evaluation(db, evaluation_id)) == "viewer"


def test_teams_where_lists_the_teams_with_at_least_the_role(db, make_user, make_team, team):
    user_id = make_user("evaluator")
    second = make_team("Alpha purchasing")
    third = make_team("Zeta sourcing")
    store.set_membership(db, second, user_id, "owner", "test")
    store.set_membership(db, third, user_id, "viewer", "test")
    user = store.get_user(db, user_id)
    assert [t["id"] for t in access.teams_where(db, user, "owner")] == [second]
    assert [t["id"] for t in access.teams_where(db, user, "evaluator")] == [second, team]
    assert [t["id"] for t in access.teams_where(db, user, "viewer")] == [second, team, third]


@pytest.mark.parametrize("name", ["Test team", "test TEAM", " Test team "])
def test_a_team_name_is_taken_whatever_its_case(db, team, name):
    with pytest.raises(store.StoreError):
        store.create_team(db, name, "test")
    assert len(store.list_teams(db)) == 1


@pytest.mark.parametrize("role", ["admin", "", "Owner", "root"])
def test_an_unknown_role_is_refused(db, make_user, team, role):
    user_id = make_user(None)
    with pytest.raises((store.StoreError, sqlite3.IntegrityError)):
        store.set_membership(db, team, user_id, role, "test")
    assert store.user_teams(db, user_id) == []


def test_a_role_change_replaces_the_role(db, make_user, team):
    user_id = make_user("viewer")
    store.set_membership(db, team, user_id, "owner", "test")
    assert store.user_teams(db, user_id) == [{"id": team, "name": "Test team", "role": "owner"}]


def test_an_evaluation_cannot_be_made_without_a_team(db, questionnaire):
    from stagefour import evaluations

    with pytest.raises(TypeError):
        evaluations.start_evaluation(db, questionnaire, "No team")  # team_id is a required keyword
    snapshot_id = store.save_snapshot(db, questionnaire.id, questionnaire.version, questionnaire.hash, {})
    with pytest.raises(sqlite3.IntegrityError):
        store.create_evaluation(db, "No team", snapshot_id, None, {}, {}, None, team_id=None)
    with pytest.raises(sqlite3.IntegrityError):
        store.create_evaluation(db, "No such team", snapshot_id, None, {}, {}, None, team_id=999_999)
    assert store.list_evaluations(db) == []


# --- the migration of a database made by release 1 ---------------------------------------------


@pytest.fixture
def release_1(tmp_path):
    """A copy of the release-1 database (its demo data and three users), migrated."""
    path = tmp_path / "release-1.sqlite3"
    shutil.copy(RELEASE_1, path)
    before = sqlite3.connect(path)
    counts = {
        table: before.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 (fixed names)
        for table in ("answers", "audit_log", "vendors", "responses", "invitations", "attachments", "users")
    }
    answers = before.execute("SELECT * FROM answers ORDER BY response_id, question_id").fetchall()
    before.close()
    db = store.open_db(str(path))
    applied = store.migrate(db)
    yield path, db, applied, counts, answers
    db.close()


def test_a_release_1_database_migrates_into_one_default_team(release_1):
    _path, db, applied, _counts, _answers = release_1
    assert "m010_teams" in applied
    [team] = store.list_teams(db)
    assert team["name"] == store.DEFAULT_TEAM
    roles = {m["email"]: m["role"] for m in store.team_members(db, team["id"])}
    assert roles == {"buyer@example.com": "owner", "viewer@example.com": "viewer", "evaluator@example.com": "evaluator"}
    admins = {u["email"] for u in store.list_users(db) if u["is_admin"]}
    assert admins == {"buyer@example.com"}
    [evaluation] = store.list_evaluations(db)
    assert evaluation["team_id"] == team["id"] and evaluation["restricted"] == 0
    assert evaluation["team_name"] == store.DEFAULT_TEAM
    assert all(u["disabled_at"] is None for u in store.list_users(db))
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert store.migrate(db) == []  # applied once


def test_the_migration_keeps_every_answer_and_audit_entry(release_1):
    _path, db, _applied, counts, answers = release_1
    for table, count in counts.items():
        assert db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] >= count, table  # noqa: S608
    assert db.execute("SELECT * FROM answers ORDER BY response_id, question_id").fetchall() == answers
    logged = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    assert logged == counts["audit_log"]


def test_the_app_serves_the_migrated_evaluation_to_its_buyer(release_1, tmp_path):
    from app import create_app
    from views.auth import hash_password

    path, db, _applied, _counts, _answers = release_1
    user = store.get_user_by_email(db, "buyer@example.com")
    store.set_password(db, user["id"], hash_password(PASSWORD))  # release 1's demo password is random
    [evaluation] = store.list_evaluations(db)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "DATABASE": str(path),
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "REPORT_FOLDER": str(tmp_path / "reports"),
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    client = app.test_client()
    assert client.post("/login", data={"email": "buyer@example.com", "password": PASSWORD}).status_code == 302
    page = client.get(f"/evaluations/{evaluation['id']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert evaluation["title"] in html
    for vendor in store.list_vendors(db, evaluation["id"]):
        assert vendor["name"] in html
    assert client.get("/").status_code == 200
