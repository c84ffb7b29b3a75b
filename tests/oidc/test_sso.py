"""Which account verified OpenID Connect claims sign in as (stagefour/sso.py), and SSO switched off.

The protocol checks (state, nonce, issuer, audience, signature) are tested end to end against
the real provider in tests/browser/test_oidc.py; here the claims are given as Authlib hands
them over after those checks.
"""

from __future__ import annotations

import pytest

from stagefour import sso
from stagefour import store

from ..conftest import PASSWORD

ISSUER = "https://id.example.com"
GROUPS = {"claims-owners": ("Claims", "owner"), "claims-readers": ("Claims", "viewer"), "audit": ("Audit", "evaluator")}


def claims(sub="s-1", email="ada@example.com", verified=True, groups=("claims-owners",)) -> dict:
    return {"iss": ISSUER, "sub": sub, "email": email, "email_verified": verified, "groups": list(groups)}


def sign_in(db, given: dict, provision=True):
    return sso.sign_in(db, ISSUER, given, claim="groups", groups=GROUPS, provision=provision)


def teams_of(db, user_id) -> dict[str, str]:
    return {t["name"]: t["role"] for t in store.user_teams(db, user_id)}


def test_a_first_sign_in_provisions_the_account_in_the_mapped_teams(db):
    result = sign_in(db, claims(groups=["claims-readers", "claims-owners", "audit", "unmapped"]))
    assert result.provisioned and result.refused is None
    user = store.get_user_by_email(db, "ada@example.com")
    assert result.user["id"] == user["id"]
    assert (user["oidc_issuer"], user["oidc_subject"]) == (ISSUER, "s-1")
    assert teams_of(db, user["id"]) == {"Claims": "owner", "Audit": "evaluator"}  # the strongest role per team
    actions = [e["action"] for e in store.audit_entries(db)]
    assert {"user_provisioned", "sso_linked", "team_created", "membership_set"} <= set(actions)


def test_an_account_made_by_sso_has_no_password_that_logs_in(app, db, client):
    sign_in(db, claims())
    for password in ("", "!", PASSWORD):
        assert client.post("/login", data={"email": "ada@example.com", "password": password}).status_code == 200
    assert client.get("/").status_code == 302


def test_the_next_sign_in_finds_the_account_by_subject_even_with_a_new_email(db):
    first = sign_in(db, claims()).user
    again = sign_in(db, claims(email="ada.lovelace@example.com"))
    assert again.user["id"] == first["id"] and not again.provisioned
    assert len(store.list_users(db)) == 1


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        pytest.param(claims(verified=False), "no_email", id="e-mail not verified"),
        pytest.param(claims(verified="true"), "no_email", id="verified as text"),
        pytest.param(claims(email=None), "no_email", id="no e-mail"),
        pytest.param(claims(email="  "), "no_email", id="blank e-mail"),
        pytest.param(claims(email=["ada@example.com"]), "no_email", id="e-mail not a string"),
    ],
)
def test_an_identity_without_a_verified_email_is_refused(db, given, reason):
    assert sign_in(db, given).refused == reason
    assert store.list_users(db) == []


def test_an_unknown_person_is_refused_when_provisioning_is_off(db):
    assert sign_in(db, claims(), provision=False).refused == "unknown"
    assert store.list_users(db) == []


def test_a_local_account_with_the_same_verified_email_is_linked_once(db, make_user):
    local = make_user("evaluator", email="ada@example.com")
    result = sign_in(db, claims(groups=[]), provision=False)
    assert result.user["id"] == local and not result.provisioned
    assert store.get_user(db, local)["oidc_subject"] == "s-1"
    # Another identity with the same address (a reassigned mailbox, another provider account) is refused.
    assert sign_in(db, claims(sub="s-2", groups=[])).refused == "linked_elsewhere"
    assert store.get_user(db, local)["oidc_subject"] == "s-1"


def test_a_disabled_account_is_refused(db):
    user_id = sign_in(db, claims()).user["id"]
    db.execute("UPDATE users SET disabled_at = ? WHERE id = ?", [store.now(), user_id])
    assert sign_in(db, claims()).refused == "disabled"


def test_the_provider_manages_the_mapped_teams_and_only_those(db, make_team):
    user_id = sign_in(db, claims(groups=["claims-owners", "audit"])).user["id"]
    other = make_team("Local team")
    store.set_membership(db, other, user_id, "viewer", "admin")
    version = store.get_user(db, user_id)["session_version"]
    result = sign_in(db, claims(groups=["claims-readers"]))
    assert teams_of(db, user_id) == {"Claims": "viewer", "Local team": "viewer"}
    # The role changed and the account left a team: its other sessions ended; this sign-in's starts after.
    assert result.user["session_version"] > version


@pytest.mark.parametrize(
    "groups",
    [
        {"g": ("Claims", "admin")},
        {"g": ("Claims",)},
        {"g": "Claims"},
        {"g": ("Claims", "owner", "extra")},
    ],
    ids=["unknown role", "no role", "a string", "three parts"],
)
def test_a_bad_group_mapping_is_refused_at_start(groups):
    with pytest.raises(ValueError, match="OIDC_GROUPS"):
        sso.check_groups(groups)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["claims-owners", "claims-readers"], {"Claims": "owner", "Audit": None}),
        ("claims-readers", {"Claims": "viewer", "Audit": None}),
        (None, {"Claims": None, "Audit": None}),
        ([1, {"x": 1}, "audit"], {"Claims": None, "Audit": "evaluator"}),
    ],
    ids=["strongest wins", "a single string", "no claim", "junk values ignored"],
)
def test_roles_from_claims(value, expected):
    assert sso.roles_from_claims({"groups": value}, "groups", GROUPS) == expected


def test_without_an_issuer_nothing_of_sso_shows(app, client):
    assert app.config["OIDC_ISSUER"] is None
    page = client.get("/login").get_data(as_text=True)
    assert "/login/oidc" not in page and "single sign-on" not in page.lower()
    assert client.get("/login/oidc").status_code == 404
    assert client.get("/login/oidc/callback?code=x&state=y").status_code == 404
