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


# --- the boundary, through the app -------------------------------------------------------------


def snapshot(db) -> dict[str, list]:
    """Every row of every table, to prove a request wrote nothing."""
    return {table: sorted(map(repr, db[table].rows)) for table in db.table_names()}


@pytest.fixture
def evaluation_1(db, make_user, make_vendor, stage4_answers):
    """An evaluation of the test team, its owner, and a submitted vendor response."""
    owner = make_user("owner", "owner@example.com")
    vendor = make_vendor("Alpha Corp", answers=stage4_answers, submit=True)
    return {"owner": owner, **vendor}


def _attempts(e: dict) -> list[tuple[str, str, dict]]:
    """What the attacker of issue 11 tried: read, reopen, reissue, revoke, score, export, change."""
    base = f"/evaluations/{e['evaluation_id']}"
    vendor = f"{base}/vendors/{e['vendor_id']}"
    return [
        ("GET", base, {}),
        ("GET", vendor, {}),
        ("POST", f"{vendor}/reopen", {}),
        ("POST", f"{vendor}/reissue", {}),
        ("POST", f"{vendor}/revoke", {}),
        ("POST", f"{vendor}/scores", {"question_id": "C4", "score": "5", "comment": "mine"}),
        ("POST", f"{vendor}/verifications", {"deployment_id": "d1", "reference_checked": "y"}),
        ("GET", f"{base}/compare", {}),
        ("POST", f"{vendor}/clarifications", {"question_id": "C4", "body": "Who?"}),
        ("GET", f"{base}/export.json", {}),
        ("GET", f"{base}/export.csv", {}),
        ("GET", f"{base}/report.pdf", {"size": "none"}),
        ("GET", f"{base}/report/status", {}),
        ("GET", f"{vendor}/response.pdf", {"size": "none"}),
        ("GET", f"{base}/audit", {}),
        ("GET", f"{base}/audit.csv", {}),
        ("POST", f"{base}/edit", {"title": "Taken over", "weight_A": "1"}),
        ("POST", f"{base}/vendors", {"name": "Mallory Ltd"}),
    ]


@pytest.mark.parametrize("stranger", ["owner of another team", "evaluator not named", "site admin"])
def test_a_stranger_to_evaluation_1_can_neither_read_nor_change_it(
    app, client, db, login, make_user, make_team, evaluation_1, stranger
):
    if stranger == "owner of another team":
        user_id = make_user("owner", team_id=make_team("Mergers and acquisitions"))
    elif stranger == "evaluator not named":
        user_id = make_user("evaluator")
        store.set_evaluation_access(db, evaluation_1["evaluation_id"], True, [], "test")
    else:
        user_id = make_user(None, is_admin=True)
    before = snapshot(db)
    login(user_id)
    for method, url, data in _attempts(evaluation_1):
        if method == "GET":
            response = client.get(url, query_string=data)
        else:
            response = client.post(url, data=data)
        assert response.status_code == 404, f"{method} {url}: {response.status_code}"
        assert "Alpha Corp" not in response.get_data(as_text=True)
    after = snapshot(db)
    # The logins are logged; nothing else changed, and the vendor's link still opens their response.
    assert {t: r for t, r in after.items() if t != "audit_log"} == {t: r for t, r in before.items() if t != "audit_log"}
    new = [e["action"] for e in store.audit_entries(db) if e["id"] > len(before["audit_log"])]
    assert set(new) <= {"login_succeeded"}
    assert app.test_client().get(f"/v/{evaluation_1['token']}").status_code == 200
    assert "Alpha Corp" not in client.get("/").get_data(as_text=True)


def test_the_dashboard_shows_only_the_evaluations_the_user_may_see(
    client, db, login, make_user, make_team, make_evaluation
):
    other = make_team("Mergers and acquisitions")
    mine = make_evaluation(title="Claims automation partner")
    make_evaluation(title="Confidential acquisition", team_id=other)
    secret = make_evaluation(title="Sole-source award")
    store.set_evaluation_access(db, secret, True, [], "test")
    login(make_user("owner"))
    page = client.get("/").get_data(as_text=True)
    assert "Claims automation partner" in page
    assert "Confidential acquisition" not in page and "Sole-source award" not in page
    assert client.get(f"/evaluations/{mine}").status_code == 200


def test_a_new_evaluation_offers_only_the_teams_the_user_owns(client, db, login, make_user, make_team, team):
    owned = make_team("Alpha purchasing")
    viewed = make_team("Zeta sourcing")
    user_id = make_user("owner")
    store.set_membership(db, owned, user_id, "owner", "test")
    store.set_membership(db, viewed, user_id, "viewer", "test")
    login(user_id)
    page = client.get("/evaluations/new").get_data(as_text=True)
    assert "Alpha purchasing" in page and "Test team" in page and "Zeta sourcing" not in page
    created = client.post(
        "/evaluations/new",
        data={"title": "Fleet telematics", "questionnaire": "ai-deployment-partner", "team": str(owned)},
    )
    assert created.status_code == 302
    [evaluation] = store.list_evaluations(db)
    assert evaluation["team_id"] == owned and evaluation["created_by"] == user_id


@pytest.mark.parametrize("team_value", ["viewed", "elsewhere", "999999", "", "1 OR 1=1", "-1"])
def test_a_new_evaluation_in_a_team_the_user_does_not_own_is_refused(
    client, db, login, make_user, make_team, team_value
):
    viewed = make_team("Zeta sourcing")
    elsewhere = make_team("Mergers and acquisitions")
    user_id = make_user("owner")
    store.set_membership(db, viewed, user_id, "viewer", "test")
    login(user_id)
    value = {"viewed": str(viewed), "elsewhere": str(elsewhere)}.get(team_value, team_value)
    response = client.post(
        "/evaluations/new", data={"title": "Fleet telematics", "questionnaire": "ai-deployment-partner", "team": value}
    )
    assert response.status_code == 422
    assert store.list_evaluations(db) == []


def test_a_buyer_who_owns_no_team_cannot_start_an_evaluation(client, db, login, make_user):
    login(make_user("evaluator"))
    assert client.get("/evaluations/new").status_code == 403
    data = {"title": "Fleet telematics", "questionnaire": "ai-deployment-partner", "team": "1"}
    assert client.post("/evaluations/new", data=data).status_code == 403
    assert store.list_evaluations(db) == []


def _settings(evaluation_id: int, db, **extra) -> dict:
    evaluation = store.get_evaluation(db, evaluation_id)
    data = {"title": evaluation["title"]} | {f"weight_{k}": str(v) for k, v in evaluation["weights"].items()}
    return data | extra


def test_an_owner_restricts_an_evaluation_to_named_members_on_its_settings_page(
    client, db, login, make_user, make_evaluation
):
    owner, named, outsider = make_user("owner"), make_user("evaluator"), make_user("evaluator")
    evaluation_id = make_evaluation(user_id=owner)
    login(owner)
    page = client.get(f"/evaluations/{evaluation_id}/edit").get_data(as_text=True)
    assert store.get_user(db, outsider)["email"] in page  # every member of the team can be named
    response = client.post(
        f"/evaluations/{evaluation_id}/edit", data=_settings(evaluation_id, db, restricted="y", members=[str(named)])
    )
    assert response.status_code == 302
    assert store.get_evaluation(db, evaluation_id)["restricted"] == 1
    assert store.evaluation_members(db, evaluation_id) == sorted([owner, named])
    client.post("/logout")
    login(outsider)
    assert client.get(f"/evaluations/{evaluation_id}").status_code == 404
    client.post("/logout")
    login(named)
    assert client.get(f"/evaluations/{evaluation_id}").status_code == 200


def test_naming_someone_outside_the_team_is_refused(client, db, login, make_user, make_team, make_evaluation):
    owner = make_user("owner")
    stranger = make_user("owner", team_id=make_team("Mergers and acquisitions"))
    evaluation_id = make_evaluation(user_id=owner)
    login(owner)
    data = _settings(evaluation_id, db, restricted="y", members=[str(stranger)])
    assert client.post(f"/evaluations/{evaluation_id}/edit", data=data).status_code == 422
    assert store.get_evaluation(db, evaluation_id)["restricted"] == 0
    assert store.evaluation_members(db, evaluation_id) == []


@pytest.mark.parametrize("role", ["viewer", "evaluator"])
def test_only_an_owner_can_restrict_an_evaluation(client, db, login, make_user, make_evaluation, role):
    evaluation_id = make_evaluation()
    login(make_user(role))
    data = _settings(evaluation_id, db, restricted="y")
    assert client.post(f"/evaluations/{evaluation_id}/edit", data=data).status_code == 403
    assert store.get_evaluation(db, evaluation_id)["restricted"] == 0


def test_a_disabled_users_cookie_opens_nothing(client, db, login, make_user, make_evaluation):
    user_id = make_user("owner")
    evaluation_id = make_evaluation()
    login(user_id)
    assert client.get(f"/evaluations/{evaluation_id}").status_code == 200
    db.execute("UPDATE users SET disabled_at = ? WHERE id = ?", [store.now(), user_id])
    response = client.get(f"/evaluations/{evaluation_id}")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert (
        client.post("/login", data={"email": store.get_user(db, user_id)["email"], "password": PASSWORD}).status_code
        == 200
    )


# --- site administration ------------------------------------------------------------------------


@pytest.fixture
def admin(login, make_user):
    """The test client is logged in as a site administrator of no team."""
    return login(make_user(None, "admin@example.com", is_admin=True))


def test_an_admin_creates_a_team_and_adds_a_member_with_a_role(client, db, admin, make_user):
    user_id = make_user(None, "colleague@example.com")
    response = client.post("/admin/teams", data={"name": "Mergers and acquisitions"})
    assert response.status_code == 302
    team = store.get_team_by_name(db, "Mergers and acquisitions")
    assert response.headers["Location"] == f"/admin/teams/{team['id']}"
    added = client.post(f"/admin/teams/{team['id']}/members", data={"email": "Colleague@example.com", "role": "owner"})
    assert added.status_code == 302
    assert store.user_teams(db, user_id) == [{"id": team["id"], "name": "Mergers and acquisitions", "role": "owner"}]
    page = client.get(f"/admin/teams/{team['id']}").get_data(as_text=True)
    assert "colleague@example.com" in page
    assert "colleague@example.com" in client.get("/admin/users").get_data(as_text=True)


def test_an_admin_changes_a_role_and_removes_a_member(client, db, admin, make_user, team):
    user_id = make_user("viewer")
    assert client.post(f"/admin/teams/{team}/members/{user_id}/role", data={"role": "evaluator"}).status_code == 302
    assert store.membership_role(db, team, user_id) == "evaluator"
    assert client.post(f"/admin/teams/{team}/members/{user_id}/remove").status_code == 302
    assert store.membership_role(db, team, user_id) is None
    actions = [e["action"] for e in store.audit_entries(db)[:2]]
    assert actions == ["membership_removed", "membership_set"]


@pytest.mark.parametrize(
    ("path", "data", "status"),
    [
        ("/admin/teams", {"name": ""}, 422),
        ("/admin/teams", {"name": "Test TEAM"}, 422),
        ("/admin/teams", {"name": "Two\nlines"}, 422),
        ("/admin/teams", {"name": "x" * 201}, 422),
        ("/admin/teams/{team}/members", {"email": "nobody@example.com", "role": "viewer"}, 422),
        ("/admin/teams/{team}/members", {"email": "member@example.com", "role": "admin"}, 422),
        ("/admin/teams/{team}/members/{user}/role", {"role": "root"}, 400),
        ("/admin/teams/{team}/members/999999/role", {"role": "owner"}, 404),
        ("/admin/teams/999999/members/{user}/role", {"role": "owner"}, 404),
        ("/admin/teams/{team}/members/999999/remove", {}, 404),
        ("/admin/teams/999999/members", {"email": "member@example.com", "role": "owner"}, 404),
    ],
)
def test_bad_admin_requests_are_refused_and_change_nothing(client, db, admin, make_user, team, path, data, status):
    user_id = make_user("viewer", "member@example.com")
    before = snapshot(db)
    response = client.post(path.format(team=team, user=user_id), data=data)
    assert response.status_code == status
    assert snapshot(db) == before


@pytest.mark.parametrize("role", ["viewer", "evaluator", "owner"])
def test_team_members_are_not_site_admins(client, db, login, make_user, team, role):
    login(make_user(role))
    before = snapshot(db)
    for url in ("/admin/users", "/admin/teams", f"/admin/teams/{team}"):
        assert client.get(url).status_code == 403
    assert client.post("/admin/teams", data={"name": "Mine"}).status_code == 403
    assert (
        client.post(f"/admin/teams/{team}/members", data={"email": "x@example.com", "role": "owner"}).status_code == 403
    )
    assert snapshot(db) == before


def test_an_admin_page_never_shows_an_evaluation(client, admin, make_vendor, stage4_answers):
    make_vendor("Alpha Corp", answers=stage4_answers)
    for url in ("/admin/users", "/admin/teams", "/admin/teams/1", "/"):
        page = client.get(url).get_data(as_text=True)
        assert "Alpha Corp" not in page and "Claims automation partner" not in page


# --- the command line ---------------------------------------------------------------------------


def test_cli_creates_a_team_and_a_user_in_it(runner, db):
    assert runner.invoke(args=["create-team", "Procurement"]).exit_code == 0
    result = runner.invoke(
        args=["create-user", "Ann@Example.com", "--team", "procurement", "--role", "evaluator", "--password", PASSWORD]
    )
    assert result.exit_code == 0, result.output
    user = store.get_user_by_email(db, "ann@example.com")
    assert [(t["name"], t["role"]) for t in store.user_teams(db, user["id"])] == [("Procurement", "evaluator")]
    assert user["is_admin"] == 0


def test_cli_creates_a_site_admin_without_a_team(runner, db):
    result = runner.invoke(args=["create-user", "root@example.com", "--admin", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    user = store.get_user_by_email(db, "root@example.com")
    assert user["is_admin"] == 1 and store.user_teams(db, user["id"]) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create-user", "ann@example.com"], "--team"),
        (["create-user", "ann@example.com", "--team", "Nowhere"], "no team named Nowhere"),
        (["create-user", "ann@example.com", "--team", "Procurement", "--role", "admin"], "Invalid value"),
        (["create-team", ""], "one line"),
        (["create-team", "Procurement"], "exists"),
    ],
)
def test_cli_refusals_are_clear_and_create_nothing(runner, db, args, message):
    runner.invoke(args=["create-team", "Procurement"])
    teams_before = store.list_teams(db)
    result = runner.invoke(args=[*args, "--password", PASSWORD] if args[0] == "create-user" else args)
    assert result.exit_code != 0
    assert message in result.output and "Traceback" not in result.output
    assert store.list_users(db) == [] and store.list_teams(db) == teams_before


def test_cli_lists_each_evaluation_with_its_team(runner, make_evaluation, make_team, db):
    make_evaluation(title="Claims automation partner")
    secret = make_evaluation(title="Confidential acquisition", team_id=make_team("Mergers and acquisitions"))
    store.set_evaluation_access(db, secret, True, [], "test")
    lines = runner.invoke(args=["evaluations"]).output.splitlines()
    assert "Confidential acquisition\tteam Mergers and acquisitions (restricted)\t" in lines[0]
    assert "Claims automation partner\tteam Test team\t" in lines[1]


def test_the_demo_puts_its_data_in_the_procurement_team(runner, db):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    buyer = store.get_user_by_email(db, "buyer@example.com")
    [team] = store.list_teams(db)
    assert team["name"] == "Procurement"
    assert store.user_teams(db, buyer["id"]) == [{"id": team["id"], "name": "Procurement", "role": "owner"}]
    assert buyer["is_admin"] == 1
    assert [e["team_id"] for e in store.list_evaluations(db)] == [team["id"]]


def test_an_owner_of_one_team_is_not_asked_and_an_owner_of_several_must_choose(client, db, login, make_user, make_team):
    user_id = make_user("owner")
    login(user_id)
    data = {"title": "Fleet telematics", "questionnaire": "ai-deployment-partner"}
    assert 'name="team"' not in client.get("/evaluations/new").get_data(as_text=True)
    assert client.post("/evaluations/new", data=data).status_code == 302
    store.set_membership(db, make_team("Alpha purchasing"), user_id, "owner", "test")
    assert 'name="team"' in client.get("/evaluations/new").get_data(as_text=True)
    assert client.post("/evaluations/new", data=data).status_code == 422
    assert len(store.list_evaluations(db)) == 1
