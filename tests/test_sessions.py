"""Sessions that end (issue 11): logout, a new password, a disabled account and a changed role end
every session of that user at once, and a session ends by itself when idle or too old.

Each test copies the session cookie before the event and replays it afterwards in another
client, as someone who had taken it would: it must open nothing.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from stagefour import store
from views import auth
from views.auth import hash_password

from .conftest import PASSWORD

START = 1_800_000_000  # any fixed instant: the tests move the sessions' clock from here


@pytest.fixture
def clock(monkeypatch):
    """The sessions' clock, frozen at START: clock.move(minutes=..., hours=...) moves it on."""

    class Clock:
        now = START

        def move(self, **delta):
            self.now += int(timedelta(**delta).total_seconds())

    frozen = Clock()
    monkeypatch.setattr(auth, "clock", lambda: frozen.now)
    return frozen


@pytest.fixture
def owner(make_user):
    return make_user("owner")


def cookie_of(client) -> str:
    """The value of the client's session cookie (what someone who copied it would hold)."""
    return client.get_cookie("session").value


def replay(app, cookie: str):
    """A fresh client that holds only a copied session cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def assert_sent_to_login(response) -> None:
    assert response.status_code == 302, response.status_code
    assert urlsplit(response.headers["Location"]).path == "/login"


def flashed(client) -> str:
    return client.get("/login").get_data(as_text=True)


def test_a_login_leaves_who_which_version_and_when_in_the_session(app, client, db, login, owner, clock):
    login(owner)
    with client.session_transaction() as session:
        assert {k: session[k] for k in auth.SESSION_KEYS} == {
            "user_id": owner,
            "session_version": 0,
            "login_at": START,
            "seen_at": START,
        }
    assert client.get("/").status_code == 200


def test_the_signed_cookie_lives_no_longer_than_the_absolute_lifetime(app):
    assert app.permanent_session_lifetime == timedelta(hours=app.config["SESSION_MAX_HOURS"]) == timedelta(hours=12)
    assert app.config["SESSION_IDLE_MINUTES"] == 60


# --- events that end every session of the user -------------------------------------------------


def _log_out(client, db, user_id, team):
    assert_sent_to_login(client.post("/logout"))


def _change_password(client, db, user_id, team):
    store.set_password(db, user_id, hash_password(PASSWORD))  # even the same password: the sessions end


def _disable(client, db, user_id, team):
    db.execute("UPDATE users SET disabled_at = ? WHERE id = ?", [store.now(), user_id])


def _change_role(client, db, user_id, team):
    store.set_membership(db, team, user_id, "viewer", "test")


def _remove_from_team(client, db, user_id, team):
    assert store.remove_membership(db, team, user_id, "test")


ENDINGS = {
    "logout": _log_out,
    "password change": _change_password,
    "disabled": _disable,
    "role change": _change_role,
    "removed from the team": _remove_from_team,
}


@pytest.mark.parametrize("event", ENDINGS, ids=list(ENDINGS))
def test_after_the_event_a_copied_cookie_opens_nothing(app, client, db, login, owner, team, make_evaluation, event):
    evaluation_id = make_evaluation(user_id=owner)
    login(owner)
    assert client.get(f"/evaluations/{evaluation_id}").status_code == 200
    copied = cookie_of(client)
    ENDINGS[event](client, db, owner, team)
    thief = replay(app, copied)
    for path in ("/", f"/evaluations/{evaluation_id}", f"/evaluations/{evaluation_id}/export.json"):
        assert_sent_to_login(thief.get(path))
    before = len(store.list_evaluations(db))
    assert_sent_to_login(replay(app, copied).post("/evaluations/new", data={"title": "Taken over"}))
    assert len(store.list_evaluations(db)) == before
    assert "Your session was ended" in flashed(thief)


@pytest.mark.parametrize("event", ["logout", "password change", "role change"])
def test_after_the_event_a_fresh_login_works(app, client, db, login, owner, team, event):
    login(owner)
    ENDINGS[event](client, db, owner, team)
    fresh = app.test_client()
    assert (
        fresh.post("/login", data={"email": store.get_user(db, owner)["email"], "password": PASSWORD}).status_code
        == 302
    )
    assert fresh.get("/").status_code == 200


def test_a_disabled_account_cannot_log_in_again(app, client, db, login, owner, team):
    login(owner)
    _disable(client, db, owner, team)
    fresh = app.test_client()
    refused = fresh.post("/login", data={"email": store.get_user(db, owner)["email"], "password": PASSWORD})
    assert refused.status_code == 200
    assert_sent_to_login(fresh.get("/"))


def test_logout_ends_the_users_sessions_in_their_other_browsers_too(app, db, owner):
    email = store.get_user(db, owner)["email"]
    laptop, phone = app.test_client(), app.test_client()
    for browser in (laptop, phone):
        assert browser.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    assert_sent_to_login(laptop.post("/logout"))
    assert_sent_to_login(phone.get("/"))
    assert store.get_user(db, owner)["session_version"] == 1
    assert [e["action"] for e in store.audit_entries(db)][:2] == ["logout", "login_succeeded"]


def test_logout_ends_no_other_users_session(app, db, login, client, owner, make_user):
    other = make_user("viewer")
    other_client = app.test_client()
    other_client.post("/login", data={"email": store.get_user(db, other)["email"], "password": PASSWORD})
    login(owner)
    client.post("/logout")
    assert other_client.get("/").status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda db, user, team, other: store.set_membership(db, team, user, "owner", "t"), id="same role"),
        pytest.param(lambda db, user, team, other: store.set_membership(db, other, user, "viewer", "t"), id="new team"),
        pytest.param(lambda db, user, team, other: store.remove_membership(db, other, user, "t"), id="not a member"),
    ],
)
def test_a_membership_change_that_changes_no_role_keeps_the_session(
    app, client, db, login, owner, team, make_team, change
):
    other_team = make_team("Another team")
    login(owner)
    change(db, owner, team, other_team)
    assert client.get("/").status_code == 200
    assert store.get_user(db, owner)["session_version"] == 0


# --- lifetimes ----------------------------------------------------------------------------------


def test_a_session_idle_for_longer_than_the_idle_lifetime_expires(app, client, login, owner, clock):
    login(owner)
    copied = cookie_of(client)
    clock.move(minutes=60)
    assert client.get("/").status_code == 200  # exactly the idle lifetime: still good
    clock.move(minutes=60, seconds=1)
    assert_sent_to_login(client.get("/"))
    assert "Your session expired" in flashed(client)
    assert_sent_to_login(replay(app, copied).get("/"))


def test_each_request_restarts_the_idle_lifetime(app, client, login, owner, clock):
    login(owner)
    for _ in range(5):
        clock.move(minutes=59)
        assert client.get("/").status_code == 200


def test_a_session_in_use_ends_at_the_absolute_lifetime(app, client, login, owner, clock):
    login(owner)
    for _ in range(24):
        clock.move(minutes=30)
        assert client.get("/").status_code == 200
    clock.move(seconds=1)
    assert_sent_to_login(client.get("/"))
    assert "Your session expired" in flashed(client)


def test_the_lifetimes_are_configurable(app, client, login, owner, clock):
    app.config.update(SESSION_IDLE_MINUTES=5, SESSION_MAX_HOURS=1)
    login(owner)
    clock.move(minutes=5, seconds=1)
    assert_sent_to_login(client.get("/"))
    login(owner)
    for _ in range(15):
        clock.move(minutes=4)
        assert client.get("/").status_code == 200
    clock.move(minutes=1)
    assert_sent_to_login(client.get("/"))


@pytest.mark.parametrize(
    "session_values",
    [
        pytest.param({"session_version": None, "login_at": None, "seen_at": None}, id="release 1: the user id only"),
        pytest.param({"session_version": None}, id="no version"),
        pytest.param({"session_version": "0"}, id="version as text"),
        pytest.param({"login_at": None}, id="no login time"),
        pytest.param({"seen_at": "1800000000"}, id="seen time as text"),
        pytest.param({"user_id": "1"}, id="user id as text"),
        pytest.param({"user_id": 999}, id="a user who does not exist"),
    ],
)
def test_a_session_without_a_good_version_or_times_opens_nothing(app, client, db, owner, clock, session_values):
    with client.session_transaction() as session:
        session.update(auth.session_for(store.get_user(db, owner), START) | session_values)
        for key in [k for k, v in session_values.items() if v is None]:
            del session[key]
    assert_sent_to_login(client.get("/"))
    with client.session_transaction() as session:
        assert "user_id" not in session
