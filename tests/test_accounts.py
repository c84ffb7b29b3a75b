"""Accounts in the browser (issue 11, item 2): password rules, invitations, disabling, own password,
forgotten password, the TOTP second factor, and the audit trail of all of it, with hostile values."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pyotp
import pytest
from aiosmtpd.controller import Controller

from stagefour import accounts
from stagefour import passwords
from stagefour import store
from views.auth import hash_password
from views.auth import verify_password

from .conftest import PASSWORD
from .test_mail import Inbox
from .test_mail import free_port

NEW_PASSWORD = "a long walk to the harbour"
OTHER_PASSWORD = "seven quiet owls at dawn"
# Long enough, but among the shipped list of common passwords (12+ characters).
COMMON_12 = sorted(p for p in passwords.common_passwords() if len(p) >= 12)
UNKNOWN = "Zz" * 22


# --- helpers -------------------------------------------------------------------------------------


def log_in(client, email: str, password: str = PASSWORD):
    """POST the login form; the response."""
    return client.post("/login", data={"email": email, "password": password})


def logged_in_as(client) -> int | None:
    """The user id of the client's session."""
    with client.session_transaction() as session:
        return session.get("user_id")


def audit_actions(db) -> list[str]:
    """Every audit action, oldest first."""
    return [e["action"] for e in reversed(store.audit_entries(db, limit=10_000))]


def everything_stored(db) -> str:
    """Every row of every table as text, to prove a secret is nowhere in the database."""
    return "\n".join(repr(row) for table in db.table_names() for row in db[table].rows)


@pytest.fixture
def admin(make_user, client, db):
    """A site administrator (an owner of the test team), logged in on `client`: their user id."""
    user_id = make_user("owner", email="admin@example.com", is_admin=True)
    assert log_in(client, "admin@example.com").status_code == 302
    return user_id


@pytest.fixture
def inbox(app):
    """A real SMTP server on loopback, configured in the app: the received messages."""
    received = Inbox()
    controller = Controller(received, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_SENDER="stagefour@buyer.example")
    yield received.messages
    controller.stop()


def invite(client, email="new.colleague@example.com", team=None, role="evaluator"):
    """POST the invitation form as the logged-in administrator."""
    return client.post("/admin/users/invite", data={"email": email, "team": team, "role": role})


def held_link(client) -> str:
    """The invitation link the invite page shows once (no mail server)."""
    page = client.get("/admin/users/invite").get_data(as_text=True)
    return re.search(r'value="http://localhost(/invitation/[^"]+)"', page).group(1)


def link_in(message) -> str:
    """The path of the one-time link in an e-mail."""
    return re.search(r"http://localhost(/\S+)", message.get_content()).group(1)


# --- password rules -------------------------------------------------------------------------------


def test_the_shipped_list_has_tens_of_thousands_of_common_passwords_read_from_the_package():
    listed = passwords.common_passwords()
    assert len(listed) >= 19_000
    assert {"password", "123456", "qwerty"} <= listed
    assert passwords.COMMON_FILE.is_file() and passwords.COMMON_FILE.parent.name == "data"
    assert len(COMMON_12) >= 100


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("", passwords.TOO_SHORT),
        ("a" * 0 + "Tr0ub4dor&3", passwords.TOO_SHORT),  # 11 characters, "strong" by composition rules
        ("ｆｕｌｌｗｉｄｔｈ", passwords.TOO_SHORT),  # 9 fullwidth letters stay 9 after NFKC
        ("x" * 60 + "y" * 69, passwords.TOO_LONG),  # 129: refused, never cut to 128
        ("é" * 129, passwords.TOO_LONG),
        ("passwordpassword", passwords.COMMON),  # a listed password repeated
        ("abcabcabcabc", passwords.COMMON),  # a short unit repeated
        ("aaaaaaaaaaaaaaaa", passwords.COMMON),
        ("jane.doe is my name", passwords.CONTAINS_EMAIL),
        ("JANEDOE forever and ever", passwords.CONTAINS_EMAIL),  # case and separators do not hide it
        ("my stagefour login!", passwords.CONTAINS_NAME),
    ],
)
def test_passwords_that_break_a_rule_are_refused_with_its_code(password, code):
    assert passwords.problem(password, "Jane.Doe@example.com") == code
    with pytest.raises(passwords.PasswordRefused) as refused:
        passwords.check(password, "Jane.Doe@example.com")
    assert refused.value.code == code


@pytest.mark.parametrize("index", [0, 1, 2, -1])
def test_listed_passwords_of_twelve_characters_or_more_are_refused_in_any_case_or_spacing(index):
    listed = COMMON_12[index]
    for variant in (listed, listed.upper(), listed.title(), f" {listed} ", " ".join(listed)):
        assert passwords.problem(variant) == passwords.COMMON, variant


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",  # lower-case words only: no composition rules
        "a" * 11 + "b",  # exactly 12
        "z" * 64 + "y" * 64,  # exactly 128
        "naïve café au lait",
        "наш пароль очень длинный",
        "パスワードはとても長いです",
        "🐙🐙🐙 octopus garden",
    ],
)
def test_long_uncommon_passwords_of_any_script_are_accepted(password):
    assert passwords.problem(password, "jane.doe@example.com") is None


def test_a_short_email_local_part_does_not_refuse_every_password_containing_it():
    assert passwords.problem("a long walk to the harbour", "al@example.com") is None
    assert passwords.problem("a long walk to the harbour", "harbour@example.com") == passwords.CONTAINS_EMAIL


def test_passwords_are_normalised_nfkc_before_hashing_so_either_form_logs_in():
    typed_one_way = "ﬁnance ｆｏｒ ｔｈｅ ｗｉｎ"  # a ligature and fullwidth letters
    typed_another = "finance for the win"
    assert passwords.normalise(typed_one_way) == typed_another
    stored = hash_password(typed_one_way)
    assert verify_password(stored, typed_another) and verify_password(stored, typed_one_way)
    assert not verify_password(stored, "finance for the loss")


def test_a_hash_made_before_normalisation_still_matches_what_was_typed():
    from werkzeug.security import generate_password_hash

    legacy = generate_password_hash("ﬁnance ｆｏｒ ｔｈｅ ｗｉｎ")  # release 1 hashed the text as typed
    assert verify_password(legacy, "ﬁnance ｆｏｒ ｔｈｅ ｗｉｎ")


@pytest.mark.parametrize(
    ("password", "message"),
    [("short", "at least 12"), ("passwordpassword", "common passwords"), ("ops team ops team", "e-mail")],
)
def test_create_user_refuses_a_password_that_breaks_the_rules(runner, db, password, message):
    result = runner.invoke(args=["create-user", "ops@example.com", "--password", password])
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    assert store.get_user_by_email(db, "ops@example.com") is None


def test_create_user_accepts_a_good_password(runner, db):
    result = runner.invoke(args=["create-user", "ops@example.com", "--admin", "--password", NEW_PASSWORD])
    assert result.exit_code == 0, result.output
    assert verify_password(store.get_user_by_email(db, "ops@example.com")["password_hash"], NEW_PASSWORD)


# --- invitations --------------------------------------------------------------------------------------


def test_an_invitation_link_is_shown_once_and_only_its_hash_is_stored(client, db, admin, team):
    response = invite(client, team=team)
    assert response.status_code == 302
    path = held_link(client)
    token = path.rsplit("/", 1)[1]
    assert len(token) >= 43  # 256 bits, URL-safe
    assert path not in client.get("/admin/users/invite").get_data(as_text=True)  # shown once
    row = store.find_account_token(db, "invite", accounts.hash_token(token))
    assert row["email"] == "new.colleague@example.com" and row["team_id"] == team and row["role"] == "evaluator"
    assert token not in everything_stored(db)
    assert "account_invited" in audit_actions(db)


def test_an_invited_colleague_chooses_a_password_and_lands_in_the_team_with_the_role(app, client, db, admin, team):
    invite(client, team=team, role="viewer")
    path = held_link(client)
    visitor = app.test_client()
    page = visitor.get(path)
    assert page.status_code == 200 and "new.colleague@example.com" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    response = visitor.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    user = store.get_user_by_email(db, "new.colleague@example.com")
    assert store.membership_role(db, team, user["id"]) == "viewer"
    assert log_in(visitor, "new.colleague@example.com", NEW_PASSWORD).status_code == 302
    assert logged_in_as(visitor) == user["id"]
    entry = store.audit_entries(db, limit=5)
    assert "invitation_accepted" in [e["action"] for e in entry]


@pytest.mark.parametrize(
    ("password", "confirm"),
    [
        ("short", "short"),
        ("passwordpassword", "passwordpassword"),
        ("new.colleague rocks", "new.colleague rocks"),
        ("y" * 129, "y" * 129),
        (NEW_PASSWORD, OTHER_PASSWORD),
        ("", ""),
    ],
)
def test_an_invitation_with_a_refused_password_creates_nothing(app, client, db, admin, team, password, confirm):
    invite(client, team=team)
    path = held_link(client)
    response = app.test_client().post(path, data={"password": password, "confirm": confirm})
    assert response.status_code == 422
    assert store.get_user_by_email(db, "new.colleague@example.com") is None
    token = path.rsplit("/", 1)[1]
    assert accounts.link_state(store.find_account_token(db, "invite", accounts.hash_token(token))) == "open"


def test_an_invitation_works_once_and_a_replay_says_it_was_used(app, client, db, admin, team):
    invite(client, team=team)
    path = held_link(client)
    visitor = app.test_client()
    assert visitor.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    user_before = store.get_user_by_email(db, "new.colleague@example.com")
    for method in ("GET", "POST"):
        replay = app.test_client().open(
            path, method=method, data={"password": OTHER_PASSWORD, "confirm": OTHER_PASSWORD}
        )
        assert replay.status_code == 410 and "used already" in replay.get_data(as_text=True)
    assert store.get_user_by_email(db, "new.colleague@example.com") == user_before  # password unchanged


def test_an_expired_invitation_says_so_and_creates_nothing(app, client, db, admin, team):
    token = accounts.new_token()
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat(timespec="seconds")
    store.create_invitation(db, "late@example.com", team, "viewer", accounts.hash_token(token), past, admin)
    for method in ("GET", "POST"):
        response = app.test_client().open(
            f"/invitation/{token}", method=method, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        )
        assert response.status_code == 410 and "expired" in response.get_data(as_text=True)
    assert store.get_user_by_email(db, "late@example.com") is None


def test_a_new_invitation_replaces_the_earlier_one_for_that_address(app, client, db, admin, team):
    invite(client, team=team, role="owner")
    first = held_link(client)
    invite(client, team=team, role="viewer")
    second = held_link(client)
    response = app.test_client().post(first, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 410 and "newer link" in response.get_data(as_text=True)
    assert app.test_client().post(second, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    user = store.get_user_by_email(db, "new.colleague@example.com")
    assert store.membership_role(db, team, user["id"]) == "viewer"


@pytest.mark.parametrize(
    "token",
    [
        UNKNOWN,  # well formed, never issued
        "a",
        "x" * 500,  # too long to be a token: not even hashed
        "' OR 1=1 --",
        "%00",
        "..%2F..%2Fetc%2Fpasswd",
    ],
)
def test_an_unknown_or_hostile_token_gets_404_and_changes_nothing(app, db, token):
    from .test_access import snapshot

    before = snapshot(db)
    client = app.test_client()
    for path in (f"/invitation/{token}", f"/password/reset/{token}"):
        for method in ("GET", "POST"):
            response = client.open(path, method=method, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
            assert response.status_code == 404, (path, method)
    assert snapshot(db) == before


def test_the_stored_hash_itself_opens_nothing(app, client, db, admin, team):
    invite(client, team=team)
    token = held_link(client).rsplit("/", 1)[1]
    assert app.test_client().get(f"/invitation/{accounts.hash_token(token)}").status_code == 404


def test_a_reset_token_is_no_invitation_and_the_other_way_round(app, client, db, admin, team, make_user):
    invite(client, team=team)
    invitation = held_link(client).rsplit("/", 1)[1]
    user_id = make_user("viewer", email="viewer@example.com")
    reset = accounts.new_token()
    store.create_reset(db, user_id, accounts.hash_token(reset), accounts.expiry(1))
    assert app.test_client().get(f"/password/reset/{invitation}").status_code == 404
    assert app.test_client().get(f"/invitation/{reset}").status_code == 404


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not an address"),
        ("email", "a@example.com\r\nBcc: victim@example.com"),
        ("email", "x" * 320 + "@example.com"),
        ("role", "admin"),
        ("role", ""),
        ("team", "999999"),
        ("team", "one"),
    ],
)
def test_an_invitation_form_with_a_bad_value_is_refused(client, db, admin, team, field, value):
    data = {"email": "new.colleague@example.com", "team": team, "role": "evaluator"} | {field: value}
    response = client.post("/admin/users/invite", data=data)
    assert response.status_code == 422
    assert store.open_invitations(db) == []


def test_inviting_an_existing_account_is_refused(client, db, admin, team, make_user):
    make_user("viewer", email="viewer@example.com")
    response = invite(client, email="Viewer@Example.com", team=team)
    assert response.status_code == 422 and "exists" in response.get_data(as_text=True)
    assert store.open_invitations(db) == []


def test_with_a_mail_server_the_invitation_is_emailed_not_shown(app, client, db, admin, team, inbox):
    assert invite(client, team=team).status_code == 302
    page = client.get("/admin/users/invite").get_data(as_text=True)
    assert "/invitation/" not in page and "new.colleague@example.com" in page  # in the open invitations
    ((recipients, message),) = inbox
    assert recipients == ["new.colleague@example.com"]
    path = link_in(message)
    assert path.startswith("/invitation/") and "Test team" in message.get_content()
    assert app.test_client().post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    assert "account_emailed" in audit_actions(db)


def test_when_the_job_queue_is_down_the_invitation_link_is_shown_to_copy(app, client, db, admin, team, monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionError("the job queue is down")

    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    monkeypatch.setattr(app.extensions["jobs"], "send_email", refuse)
    assert invite(client, team=team).status_code == 302
    assert held_link(client).startswith("/invitation/")
    assert "account_email_failed" in audit_actions(db)


def test_an_invitation_email_the_server_refuses_is_audited_as_failed(app, db, admin, team):
    from app import create_app

    # The job's retries are stagefour/jobs.py's (tests/test_mail.py); here it runs once, and fails.
    config = {k: app.config[k] for k in ("TESTING", "SECRET_KEY", "DATABASE", "UPLOAD_FOLDER", "REPORT_FOLDER")}
    failing = create_app(config | {"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "MAIL_RETRIES": 0,
                                   "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": free_port()})  # fmt: skip
    client = failing.test_client()
    log_in(client, "admin@example.com")
    assert invite(client, team=team).status_code == 302
    failed = [e for e in store.audit_entries(db) if e["action"] == "account_email_failed"]
    assert len(failed) == 1 and failed[0]["detail"]["to"] == "new.colleague@example.com"
    assert failed[0]["detail"]["what"] == "invitation" and "/invitation/" not in json.dumps(failed[0])
    assert len(store.open_invitations(db)) == 1  # still open: the administrator can invite again


# --- disable and enable ---------------------------------------------------------------------------


def test_a_disabled_account_cannot_log_in_and_its_session_ends(app, client, db, admin, make_user):
    user_id = make_user("owner", email="leaver@example.com")
    theirs = app.test_client()
    assert log_in(theirs, "leaver@example.com").status_code == 302
    assert theirs.get("/").status_code == 200
    version = store.get_user(db, user_id)["session_version"]
    assert client.post(f"/admin/users/{user_id}/disable").status_code == 302
    user = store.get_user(db, user_id)
    assert user["disabled_at"] and user["session_version"] == version + 1
    gone = theirs.get("/")
    assert gone.status_code == 302 and "/login" in gone.headers["Location"]
    assert logged_in_as(theirs) is None
    assert log_in(app.test_client(), "leaver@example.com").status_code == 200  # the form again: refused
    assert "account_disabled" in audit_actions(db)
    assert "disabled" in client.get(f"/admin/users/{user_id}").get_data(as_text=True)


def test_an_enabled_account_can_log_in_again(app, client, db, admin, make_user):
    user_id = make_user("owner", email="back@example.com")
    client.post(f"/admin/users/{user_id}/disable")
    assert client.post(f"/admin/users/{user_id}/enable").status_code == 302
    assert store.get_user(db, user_id)["disabled_at"] is None
    assert log_in(app.test_client(), "back@example.com").status_code == 302
    assert audit_actions(db)[-2:] == ["account_enabled", "login_succeeded"]


def test_an_administrator_cannot_disable_their_own_account(client, db, admin):
    assert client.post(f"/admin/users/{admin}/disable").status_code == 302
    assert store.get_user(db, admin)["disabled_at"] is None
    assert "account_disabled" not in audit_actions(db)


def test_disable_of_an_unknown_account_is_404(client, admin):
    for path in ("/admin/users/999999", "/admin/users/999999/disable", "/admin/users/999999/enable"):
        response = client.get(path) if path.endswith("999") else client.post(path)
        assert response.status_code == 404, path


def test_a_disabled_account_gets_no_reset_link_and_a_reset_link_stops_working(app, db, make_user, inbox):
    user_id = make_user("viewer", email="gone@example.com")
    token = accounts.new_token()
    store.create_reset(db, user_id, accounts.hash_token(token), accounts.expiry(1))
    store.set_disabled(db, user_id, True, "test")
    assert app.test_client().get(f"/password/reset/{token}").status_code == 410
    app.test_client().post("/password/forgot", data={"email": "gone@example.com"})
    assert inbox == []


# --- one's own password ----------------------------------------------------------------------------


def test_changing_ones_password_needs_the_current_one(client, db, make_user, login):
    user_id = make_user("viewer")
    login(user_id)
    before = store.get_user(db, user_id)
    data = {"current": "not my password", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    response = client.post("/account/password", data=data)
    assert response.status_code == 422 and "not your current password" in response.get_data(as_text=True)
    assert store.get_user(db, user_id) == before
    assert "password_change_failed" in audit_actions(db)


@pytest.mark.parametrize("new", ["short one", "passwordpassword", "viewer1 is me", "q" * 129, COMMON_12[0]])
def test_a_new_password_that_breaks_the_rules_changes_nothing(client, db, make_user, login, new):
    user_id = make_user("viewer")
    login(user_id)
    before = store.get_user(db, user_id)
    response = client.post("/account/password", data={"current": PASSWORD, "password": new, "confirm": new})
    assert response.status_code == 422
    assert store.get_user(db, user_id) == before


def test_a_password_change_ends_other_sessions_and_keeps_this_one(app, client, db, make_user, login):
    user_id = make_user("viewer")
    user = login(user_id)
    reset = accounts.new_token()
    store.create_reset(db, user_id, accounts.hash_token(reset), accounts.expiry(1))
    data = {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    response = client.post("/account/password", data=data)
    assert response.status_code == 302
    after = store.get_user(db, user_id)
    assert after["session_version"] == user["session_version"] + 1
    with client.session_transaction() as session:
        assert session["user_id"] == user_id and session["session_version"] == after["session_version"]
    assert client.get("/account").status_code == 200
    assert log_in(app.test_client(), user["email"], PASSWORD).status_code == 200  # the old one: refused
    assert log_in(app.test_client(), user["email"], NEW_PASSWORD).status_code == 302
    assert app.test_client().get(f"/password/reset/{reset}").status_code == 410  # an open reset link closes
    assert "password_changed" in audit_actions(db)


# --- forgotten password ---------------------------------------------------------------------------


def _forgot(app, email):
    response = app.test_client().post("/password/forgot", data={"email": email}, follow_redirects=True)
    page = re.sub(r'name="csrf_token" value="[^"]+"', "", response.get_data(as_text=True))  # one per session
    return response.status_code, page.replace(email, "EMAIL")


def test_the_forgotten_password_form_answers_the_same_whoever_asks(app, db, make_user, inbox):
    make_user("viewer", email="known@example.com")
    disabled = make_user("viewer", email="disabled@example.com")
    store.set_disabled(db, disabled, True, "test")
    answers = {
        email: _forgot(app, email) for email in ("known@example.com", "nobody@example.com", "disabled@example.com")
    }
    assert len(set(answers.values())) == 1, answers
    assert answers["known@example.com"][0] == 200 and "If an account exists" in answers["known@example.com"][1]
    assert [r for r, _ in inbox] == [["known@example.com"]]


def test_a_reset_link_sets_a_new_password_once_and_ends_every_session(app, db, make_user, inbox):
    user_id = make_user("viewer", email="forgetful@example.com")
    theirs = app.test_client()
    log_in(theirs, "forgetful@example.com")
    version = store.get_user(db, user_id)["session_version"]
    app.test_client().post("/password/forgot", data={"email": "forgetful@example.com"})
    ((_, message),) = inbox
    path = link_in(message)
    token = path.rsplit("/", 1)[1]
    assert token not in everything_stored(db)
    visitor = app.test_client()
    assert visitor.get(path).status_code == 200
    assert visitor.post(path, data={"password": "forgetful rocks", "confirm": "forgetful rocks"}).status_code == 422
    assert visitor.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    user = store.get_user(db, user_id)
    assert verify_password(user["password_hash"], NEW_PASSWORD)
    assert user["session_version"] == version + 1
    replay = app.test_client().post(path, data={"password": OTHER_PASSWORD, "confirm": OTHER_PASSWORD})
    assert replay.status_code == 410
    assert verify_password(store.get_user(db, user_id)["password_hash"], NEW_PASSWORD)
    assert audit_actions(db)[-2:] == [
        "password_reset_requested",
        "password_reset",
    ] or "password_reset" in audit_actions(db)


def test_an_expired_reset_link_says_so(app, db, make_user):
    user_id = make_user("viewer")
    token = accounts.new_token()
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat(timespec="seconds")
    store.create_reset(db, user_id, accounts.hash_token(token), past)
    response = app.test_client().post(
        f"/password/reset/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 410 and "expired" in response.get_data(as_text=True)


def test_a_newer_reset_link_replaces_the_older(app, db, make_user, inbox):
    make_user("viewer", email="twice@example.com")
    for _ in range(2):
        app.test_client().post("/password/forgot", data={"email": "twice@example.com"})
    first, second = (link_in(m) for _, m in inbox)
    assert app.test_client().get(first).status_code == 410
    assert app.test_client().get(second).status_code == 200


def test_link_lifetime_comes_from_account_link_hours(app, db, make_user, inbox):
    app.config["ACCOUNT_LINK_HOURS"] = 2
    user_id = make_user("viewer", email="hours@example.com")
    app.test_client().post("/password/forgot", data={"email": "hours@example.com"})
    token = link_in(inbox[0][1]).rsplit("/", 1)[1]
    row = store.find_account_token(db, "reset", accounts.hash_token(token))
    lifetime = datetime.fromisoformat(row["expires_at"]) - datetime.fromisoformat(row["created_at"])
    assert row["user_id"] == user_id and lifetime == timedelta(hours=2)


# --- TOTP -------------------------------------------------------------------------------------------


def enrol(client, db, user_id) -> tuple[str, list[str]]:
    """Switch TOTP on for the logged-in user: (secret, recovery codes)."""
    assert client.post("/account/two-factor/start").status_code == 302
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert secret == store.get_user(db, user_id)["totp_secret"]
    response = client.post("/account/two-factor/confirm", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200
    codes = re.findall(
        r"<code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code>", response.get_data(as_text=True)
    )
    return secret, codes


def next_code(secret: str) -> str:
    """The code of the next time step: accepted (valid_window), and never the one enrolment used."""
    return pyotp.TOTP(secret).at(time.time(), counter_offset=1)


def wrong_code(secret: str) -> str:
    """A well-formed 6-digit code that is valid in no window near now."""
    totp = pyotp.TOTP(secret)
    near = {totp.at(time.time(), counter_offset=offset) for offset in range(-3, 4)}
    return next(c for c in (f"{n:06d}" for n in range(0, 1_000_000, 7919)) if c not in near)


@pytest.fixture
def enrolled(client, db, make_user, login):
    """A user with TOTP on, logged out: dict(user_id, email, secret, codes)."""
    user_id = make_user("viewer", email="careful@example.com")
    login(user_id)
    secret, codes = enrol(client, db, user_id)
    client.post("/logout")
    return {"user_id": user_id, "email": "careful@example.com", "secret": secret, "codes": codes}


def test_enrolment_shows_a_qr_code_made_here_and_the_secret_then_asks_for_a_first_code(client, db, make_user, login):
    user_id = make_user("viewer")
    login(user_id)
    client.post("/account/two-factor/start")
    page = client.get("/account/two-factor")
    html = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert "<svg" in html and "<img" not in html and "http" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]
    user = store.get_user(db, user_id)
    assert user["totp_secret"] and user["totp_enabled_at"] is None
    # Not on yet: the password alone still logs in.
    assert log_in(client.application.test_client(), user["email"]).status_code == 302
    bad = client.post("/account/two-factor/confirm", data={"code": wrong_code(user["totp_secret"])})
    assert bad.status_code == 422 and store.get_user(db, user_id)["totp_enabled_at"] is None


def test_confirming_shows_ten_recovery_codes_once_and_keeps_only_their_hashes(client, db, make_user, login):
    user_id = make_user("viewer")
    login(user_id)
    secret, codes = enrol(client, db, user_id)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = everything_stored(db)
    assert not [c for c in codes if c in stored or c.replace("-", "") in stored]
    assert store.recovery_codes_left(db, user_id) == 10
    assert store.get_user(db, user_id)["totp_enabled_at"]
    assert "totp_enrolled" in audit_actions(db)
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert not [c for c in codes if c in page] and secret not in page.replace(" ", "")


def test_the_password_alone_never_logs_in_when_totp_is_on(app, enrolled):
    client = app.test_client()
    response = log_in(client, enrolled["email"])
    assert response.status_code == 302 and response.headers["Location"].endswith("/login/code")
    assert logged_in_as(client) is None
    for path in ("/", "/account", "/account/two-factor"):
        assert client.get(path).status_code == 302, path
    assert client.get("/login/code").status_code == 200


def test_the_code_completes_the_login_and_cannot_be_replayed(app, db, enrolled):
    client = app.test_client()
    log_in(client, enrolled["email"])
    code = next_code(enrolled["secret"])
    response = client.post("/login/code", data={"code": code})
    assert response.status_code == 302 and logged_in_as(client) == enrolled["user_id"]
    assert client.get("/").status_code == 200
    entry = store.audit_entries(db, limit=1)[0]
    assert entry["action"] == "login_succeeded" and entry["detail"] == {"second_factor": "totp"}
    # The same code in another login (someone who watched it typed): refused.
    other = app.test_client()
    log_in(other, enrolled["email"])
    replay = other.post("/login/code", data={"code": code})
    assert replay.status_code == 422 and logged_in_as(other) is None


@pytest.mark.parametrize(
    "code",
    [
        "",
        " ",
        "12345",
        "1234567",
        "abcdef",
        "١٢٣٤٥٦",  # Arabic-Indic digits: digits to \d, not to a TOTP
        "1" * 5000,
        "<script>alert(1)</script>",
        "WRONG",  # replaced below by a well-formed but wrong code
    ],
)
def test_a_wrong_code_does_not_log_in(app, db, enrolled, code):
    code = wrong_code(enrolled["secret"]) if code == "WRONG" else code
    client = app.test_client()
    log_in(client, enrolled["email"])
    response = client.post("/login/code", data={"code": code})
    assert response.status_code in (422, 400)
    assert logged_in_as(client) is None
    assert client.get("/").status_code == 302


def test_codes_are_accepted_one_step_either_side_of_now_as_pyotp_valid_window_allows():
    secret = accounts.new_secret()
    totp = pyotp.TOTP(secret)
    now = datetime(2026, 11, 30, 12, 0, 10, tzinfo=UTC)
    step = totp.timecode(now)
    for offset in range(-3, 4):
        code = totp.at(now, counter_offset=offset)
        expected = totp.verify(code, for_time=now, valid_window=accounts.VALID_WINDOW)
        got = accounts.code_step(secret, code, now)
        assert (got is not None) == expected, offset
        assert got == (step + offset if abs(offset) <= accounts.VALID_WINDOW else None), offset


def test_a_code_of_an_earlier_step_is_refused_after_a_later_one_was_used(db, make_user):
    user_id = make_user("viewer")
    store.start_totp(db, user_id, accounts.new_secret())
    assert store.take_totp_step(db, user_id, 1000)
    assert not store.take_totp_step(db, user_id, 1000)
    assert not store.take_totp_step(db, user_id, 999)
    assert store.take_totp_step(db, user_id, 1001)


def test_a_recovery_code_logs_in_once(app, db, enrolled):
    code = enrolled["codes"][3]
    client = app.test_client()
    log_in(client, enrolled["email"])
    response = client.post("/login/code", data={"code": code.upper().replace("-", " ")})
    assert response.status_code == 302 and logged_in_as(client) == enrolled["user_id"]
    assert store.recovery_codes_left(db, enrolled["user_id"]) == 9
    assert "recovery_code_used" in audit_actions(db)
    again = app.test_client()
    log_in(again, enrolled["email"])
    assert again.post("/login/code", data={"code": code}).status_code == 422
    assert logged_in_as(again) is None


def test_another_users_recovery_code_opens_nothing(app, db, client, make_user, login, enrolled):
    other = make_user("viewer", email="other@example.com")
    login(other)
    _, other_codes = enrol(client, db, other)
    fresh = app.test_client()
    log_in(fresh, enrolled["email"])
    assert fresh.post("/login/code", data={"code": other_codes[0]}).status_code == 422
    assert store.recovery_codes_left(db, other) == 10


def test_a_second_step_left_open_too_long_starts_over(app, enrolled):
    client = app.test_client()
    log_in(client, enrolled["email"])
    with client.session_transaction() as session:
        session["pending_login"] = dict(session["pending_login"], at=session["pending_login"]["at"] - 301)
    response = client.post("/login/code", data={"code": next_code(enrolled["secret"])})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert logged_in_as(client) is None


def test_an_account_disabled_between_the_two_steps_is_not_logged_in(app, db, enrolled):
    client = app.test_client()
    log_in(client, enrolled["email"])
    store.set_disabled(db, enrolled["user_id"], True, "test")
    client.post("/login/code", data={"code": next_code(enrolled["secret"])})
    assert logged_in_as(client) is None


def test_a_forged_pending_login_for_another_user_needs_that_users_code(app, db, enrolled, make_user):
    victim = make_user("owner", email="victim@example.com")
    store.start_totp(db, victim, accounts.new_secret())
    store.confirm_totp(db, victim, 1, [])
    client = app.test_client()
    log_in(client, enrolled["email"])
    with client.session_transaction() as session:
        # Only possible with the SECRET_KEY; even then, the victim's code is needed.
        session["pending_login"] = dict(session["pending_login"], user_id=victim)
    client.post("/login/code", data={"code": next_code(enrolled["secret"])})
    assert logged_in_as(client) is None


def test_switching_totp_off_needs_a_code(client, db, make_user, login):
    user_id = make_user("viewer")
    login(user_id)
    secret, codes = enrol(client, db, user_id)
    refused = client.post("/account/two-factor/disable", data={"code": wrong_code(secret)})
    assert refused.status_code == 422 and store.get_user(db, user_id)["totp_enabled_at"]
    assert client.post("/account/two-factor/disable", data={"code": ""}).status_code == 422
    assert client.post("/account/two-factor/disable", data={"code": codes[0]}).status_code == 302
    user = store.get_user(db, user_id)
    assert user["totp_secret"] is None and user["totp_enabled_at"] is None
    assert store.recovery_codes_left(db, user_id) == 0
    assert "totp_disabled" in audit_actions(db)
    client.post("/logout")
    assert log_in(client, user["email"]).headers["Location"].endswith("/")


def test_a_started_enrolment_cannot_replace_a_confirmed_secret(client, db, make_user, login):
    user_id = make_user("viewer")
    login(user_id)
    secret, _ = enrol(client, db, user_id)
    client.post("/account/two-factor/start")
    assert store.get_user(db, user_id)["totp_secret"] == secret


# --- rate limits and CSRF ---------------------------------------------------------------------------


@pytest.fixture
def limited(app):
    """Another app on the same database, with the rate limits on (the other tests switch them off)."""
    from app import create_app
    from views.limits import limiter

    config = {k: app.config[k] for k in ("TESTING", "SECRET_KEY", "DATABASE", "UPLOAD_FOLDER", "REPORT_FOLDER")}
    limited_app = create_app(config | {"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True})
    limiter.reset()
    yield limited_app
    limiter.reset()


def test_wrong_codes_are_rate_limited_per_account(enrolled, limited):
    statuses = []
    for i in range(6):
        # A new address each time: the limit follows the account, not the client.
        client = limited.test_client()
        env = {"REMOTE_ADDR": f"127.0.0.{i + 10}"}
        log_in_response = client.post(
            "/login", data={"email": enrolled["email"], "password": PASSWORD}, environ_overrides=env
        )
        assert log_in_response.status_code == 302
        statuses.append(
            client.post("/login/code", data={"code": wrong_code(enrolled["secret"])}, environ_overrides=env).status_code
        )
    assert statuses[:5] == [422] * 5 and statuses[5] == 429


def test_forgotten_password_requests_are_rate_limited_per_address(limited, make_user):
    make_user("viewer", email="flooded@example.com")
    statuses = [
        limited.test_client()
        .post(
            "/password/forgot", data={"email": "flooded@example.com"}, environ_overrides={"REMOTE_ADDR": f"10.0.0.{i}"}
        )
        .status_code
        for i in range(7)
    ]
    assert statuses[:5] == [302] * 5 and set(statuses[5:]) == {429}


def test_with_csrf_on_an_invitation_cannot_be_accepted_without_the_pages_token(app, client, db, admin, team):
    invite(client, team=team)
    path = held_link(client)
    app.config["WTF_CSRF_ENABLED"] = True
    visitor = app.test_client()
    refused = visitor.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert refused.status_code == 400
    assert store.get_user_by_email(db, "new.colleague@example.com") is None
    page = visitor.get(path).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    accepted = visitor.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "csrf_token": csrf})
    assert accepted.status_code == 302


# --- the audit trail ----------------------------------------------------------------------------


def test_the_audit_log_names_every_account_event_and_holds_no_secret(app, client, db, admin, team, inbox):
    invite(client, team=team)
    invitation = link_in(inbox[-1][1])
    visitor = app.test_client()
    visitor.post(invitation, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    user_id = store.get_user_by_email(db, "new.colleague@example.com")["id"]
    log_in(visitor, "new.colleague@example.com", NEW_PASSWORD)
    data = {"current": NEW_PASSWORD, "password": OTHER_PASSWORD, "confirm": OTHER_PASSWORD}
    visitor.post("/account/password", data=data)
    secret, codes = enrol(visitor, db, user_id)
    visitor.post("/logout")
    log_in(visitor, "new.colleague@example.com", OTHER_PASSWORD)
    visitor.post("/login/code", data={"code": codes[0]})
    visitor.post("/account/two-factor/disable", data={"code": codes[1]})
    app.test_client().post("/password/forgot", data={"email": "new.colleague@example.com"})
    reset = link_in(inbox[-1][1])
    app.test_client().post(reset, data={"password": "the final password here", "confirm": "the final password here"})
    client.post(f"/admin/users/{user_id}/disable")
    client.post(f"/admin/users/{user_id}/enable")
    actions = audit_actions(db)
    for action in (
        "account_invited",
        "invitation_accepted",
        "password_changed",
        "totp_enrolled",
        "recovery_code_used",
        "totp_disabled",
        "password_reset_requested",
        "password_reset",
        "account_disabled",
        "account_enabled",
    ):
        assert action in actions, action
    log = json.dumps(store.audit_entries(db, limit=10_000))
    tokens = [p.rsplit("/", 1)[1] for p in (invitation, reset)]
    for secret_text in (*tokens, secret, *codes, NEW_PASSWORD, OTHER_PASSWORD, "the final password here"):
        assert secret_text not in log and secret_text.replace("-", "") not in log
    # Each reads as a sentence on the audit pages, not as its action code.
    from views.audit import describe

    with app.test_request_context():
        for entry in store.audit_entries(db, limit=10_000):
            if entry["action"].startswith(("account_", "invitation_", "password_", "totp_", "recovery_")):
                assert describe(entry, {}) != entry["action"], entry["action"]


# --- logs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (f'"GET /invitation/{"k" * 43} HTTP/1.1" 200', '"GET /invitation/[token] HTTP/1.1" 200'),
        (f"Exception on /password/reset/{'k' * 43} [POST]", "Exception on /password/reset/[token] [POST]"),
        (
            f'referer="https://stagefour.example/invitation/{"k" * 43}"',
            'referer="https://stagefour.example/invitation/[token]"',
        ),
        (f"/login?next=%2Fpassword%2Freset%2F{'k' * 43}", "/login?next=%2Fpassword%2Freset%2F[token]"),
        ("POST /password/forgot HTTP/1.1", "POST /password/forgot HTTP/1.1"),
        ("GET /admin/users/invite HTTP/1.1", "GET /admin/users/invite HTTP/1.1"),
    ],
)
def test_account_link_tokens_are_redacted_from_log_lines(line, expected):
    from stagefour import redact

    assert redact.redact(line) == expected
