"""Single sign-on end to end: Chromium, the real app and a real OpenID provider (npm oidc-provider).

The provider (tests/oidc/provider.mjs) runs on loopback with two registered applications,
Stagefour's and an intruder's, and a login form that signs in as any account it knows. The
attacks are made the way an attacker makes them: by changing the request the app sends the
browser to (its client id, its nonce), by visiting the callback a second time, by a
provider that calls itself by another name, and, for the audience, by a token response that
carries an ID token the same provider issued to the intruder's application.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import threading
from urllib.parse import parse_qs
from urllib.parse import urlencode
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

import pytest
import requests
from playwright.sync_api import Page
from playwright.sync_api import expect
from werkzeug.serving import make_server

from stagefour import store
from views.oidc import EXTENSION

from ..oidc.provider import CLIENT_ID
from ..oidc.provider import CLIENT_SECRET
from ..oidc.provider import GROUPS
from ..oidc.provider import INTRUDER_ID
from ..oidc.provider import INTRUDER_SECRET
from ..oidc.provider import free_port
from ..oidc.provider import run_provider
from .conftest import shot

LABEL = "Sign in with Example Corp"
# Everything the pages ask for stays on this machine (the provider's own pages link a web font).
NOT_LOOPBACK = re.compile(r"^(?!https?://(127\.0\.0\.1|localhost)[:/])")


def _db(app):
    return store.open_db(app.config["DATABASE"])


@pytest.fixture
def sso(request, tmp_path):
    """The app with single sign-on on, served on a free port, and the provider: (app base URL, app, provider).

    A test parametrized with `("sso", ["localhost"], indirect=True)` gets a provider that names
    itself http://localhost:PORT while the app expects http://127.0.0.1:PORT; with "userinfo",
    one whose ID tokens hold only the subject (e-mail and groups come from its userinfo)."""
    from app import create_app

    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    app = create_app(
        {
            "SECRET_KEY": "browser-tests",
            "DATABASE": str(tmp_path / "db.sqlite3"),
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "REPORT_FOLDER": str(tmp_path / "reports"),
            "OIDC_ISSUER": issuer,
            "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_LABEL": LABEL,
            "OIDC_SCOPES": "openid email profile groups",  # this provider gives the groups claim for that scope
            "OIDC_GROUPS": GROUPS,
            "OIDC_PROVISION": True,
            "JOBS_URL": f"sqlite:///{tmp_path / 'jobs.sqlite3'}",  # its own queue (see conftest.live)
        }
    )
    database = _db(app)
    store.migrate(database)
    database.close()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    variant = getattr(request, "param", None)
    named = f"http://localhost:{port}" if variant == "localhost" else None
    with run_provider(f"{base}/login/oidc/callback", port, named, userinfo_only=variant == "userinfo") as provider:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield base, app, provider
        server.shutdown()
        app.extensions["jobs"].stop_consumer()


@pytest.fixture
def page(page: Page) -> Page:
    page.context.route(NOT_LOOPBACK, lambda route: route.abort())
    return page


def authorize_url(page: Page, base: str) -> str:
    """Where /login/oidc sends this browser (its session now holds that request's state and nonce)."""
    response = page.context.request.get(f"{base}/login/oidc", max_redirects=0)
    assert response.status == 302
    return response.headers["location"]


def tampered(url: str, **changes) -> str:
    """The URL with some query parameters replaced (or, given None, removed)."""
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | changes
    query = {k: v for k, v in query.items() if v is not None}
    return urlunsplit(parts._replace(query=urlencode(query)))


def sign_in_at_provider(page: Page, login: str) -> None:
    """The provider's own pages: its login form, then its consent page."""
    expect(page.locator("input[name=login]")).to_be_visible()
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "any password")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()


def refused(page: Page, base: str, app, text: str = "Single sign-on failed") -> list[dict]:
    """The browser is back on the login page with the reason, logged in as nobody; the audit's refusals."""
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator(".flash.error")).to_contain_text(text)
    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    database = _db(app)
    try:
        assert [u["email"] for u in store.list_users(database)] == []
        return [e for e in store.audit_entries(database) if e["action"] == "sso_refused"]
    finally:
        database.close()


def test_the_login_page_offers_single_sign_on(sso, page: Page):
    base, _app, _provider = sso
    page.goto(f"{base}/login")
    button = page.get_by_role("link", name=LABEL)
    expect(button).to_be_visible()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    shot(page, "login-with-sso")


@pytest.mark.parametrize("sso", [None, "userinfo"], indirect=True, ids=["claims in the ID token", "from userinfo"])
def test_first_sso_login_provisions_the_user_in_the_mapped_team_and_logout_ends_it(sso, page: Page):
    base, app, provider = sso
    page.goto(f"{base}/login")
    page.get_by_role("link", name=LABEL).click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(provider.url)}/interaction/"))
    sign_in_at_provider(page, "ada")
    expect(page.get_by_role("heading", level=1)).to_have_text("Evaluations")
    shot(page, "sso-dashboard")
    database = _db(app)
    user = store.get_user_by_email(database, "ada@example.com")
    assert (user["oidc_issuer"], user["oidc_subject"], user["disabled_at"]) == (provider.issuer, "ada", None)
    assert store.user_teams(database, user["id"]) == [
        {"id": store.get_team_by_name(database, "Claims")["id"], "name": "Claims", "role": "owner"}
    ]
    actions = [(e["actor"], e["action"], e["detail"].get("subject")) for e in store.audit_entries(database)]
    assert ("sso", "user_provisioned", None) in actions
    assert actions[0] == (f"user:{user['id']}", "sso_login_succeeded", "ada")
    # Logging out ends the local session: a copy of its cookie opens nothing afterwards.
    cookie = next(c for c in page.context.cookies() if c["name"] == "session")["value"]
    assert requests.get(f"{base}/", cookies={"session": cookie}, allow_redirects=False, timeout=10).status_code == 200
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    replay = requests.get(f"{base}/", cookies={"session": cookie}, allow_redirects=False, timeout=10)
    assert replay.status_code == 302 and urlsplit(replay.headers["Location"]).path == "/login"
    assert store.get_user(database, user["id"])["session_version"] == user["session_version"] + 1
    database.close()


def test_the_callback_visited_twice_is_refused_the_second_time(sso, page: Page):
    base, app, _provider = sso
    callbacks: list[str] = []
    page.on("request", lambda r: callbacks.append(r.url) if "/login/oidc/callback?" in r.url else None)
    page.goto(f"{base}/login")
    page.get_by_role("link", name=LABEL).click()
    sign_in_at_provider(page, "ben")
    expect(page.get_by_role("heading", level=1)).to_have_text("Evaluations")
    [callback] = callbacks
    page.goto(callback)  # the same state (and code) again, in the same browser
    expect(page.locator(".flash.error")).to_contain_text("Single sign-on failed")
    database = _db(app)
    [refusal] = [e for e in store.audit_entries(database) if e["action"] == "sso_refused"]
    assert refusal["detail"]["error"].startswith("MismatchingStateError: mismatching_state: ")
    database.close()
    # And in a browser that never started that sign-in: its session holds no such state.
    other = page.context.browser.new_context()
    stranger = other.new_page()
    stranger.goto(callback)
    expect(stranger.locator(".flash.error")).to_contain_text("Single sign-on failed")
    stranger.goto(f"{base}/")
    expect(stranger).to_have_url(re.compile(r"/login\?next="))
    other.close()


def test_an_id_token_with_another_nonce_is_refused(sso, page: Page):
    base, app, _provider = sso
    page.goto(f"{base}/login")
    # The request the app made, with the nonce changed: the provider puts that nonce in the ID token.
    page.goto(tampered(authorize_url(page, base), nonce="a-nonce-this-browser-never-got"))
    sign_in_at_provider(page, "ada")
    [refusal] = refused(page, base, app)
    assert refusal["detail"]["error"] == "InvalidClaimError: invalid_claim: Invalid claim: 'nonce'"


def test_a_code_issued_to_another_application_is_refused(sso, page: Page):
    base, app, _provider = sso
    page.goto(f"{base}/login")
    page.goto(tampered(authorize_url(page, base), client_id=INTRUDER_ID))
    sign_in_at_provider(page, "ada")
    [refusal] = refused(page, base, app)
    assert refusal["detail"]["error"].startswith("OAuthError: invalid_grant: ")


def test_an_id_token_for_another_audience_is_refused(sso, page: Page, monkeypatch):
    base, app, provider = sso
    page.goto(f"{base}/login")
    ours = authorize_url(page, base)
    # The intruder's application signs the same person in at the same provider, with the nonce
    # of the app's request (and a PKCE challenge of its own), and gets its code at its own address.
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    page.goto(tampered(ours, client_id=INTRUDER_ID, redirect_uri=f"{base}/intruder", code_challenge=challenge))
    sign_in_at_provider(page, "ada")
    expect(page).to_have_url(re.compile(r"/intruder\?code="))
    code = parse_qs(urlsplit(page.url).query)["code"][0]
    metadata = requests.get(f"{provider.url}/.well-known/openid-configuration", timeout=10).json()
    intruders = requests.post(
        metadata["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": f"{base}/intruder",
            "code_verifier": verifier,
        },  # fmt: skip
        auth=(INTRUDER_ID, INTRUDER_SECRET),
        timeout=10,
    )
    assert intruders.status_code == 200, intruders.text
    # The app's own token request is answered with that ID token, as a confused or compromised
    # token endpoint would answer it; every other check of the token would pass.
    client = app.extensions[EXTENSION]
    monkeypatch.setattr(client, "fetch_access_token", lambda **kwargs: intruders.json())
    state = parse_qs(urlsplit(ours).query)["state"][0]
    page.goto(f"{base}/login/oidc/callback?{urlencode({'code': 'any', 'state': state})}")
    [refusal] = refused(page, base, app)
    assert refusal["detail"]["error"] == "InvalidClaimError: invalid_claim: Invalid claim: 'aud'"


@pytest.mark.parametrize("sso", ["localhost"], indirect=True)
def test_a_provider_that_names_another_issuer_is_refused(sso, page: Page):
    base, app, provider = sso
    assert provider.issuer != app.config["OIDC_ISSUER"]
    page.goto(f"{base}/login")
    page.get_by_role("link", name=LABEL).click()
    sign_in_at_provider(page, "ada")
    [refusal] = refused(page, base, app)
    assert refusal["detail"]["error"] == "InvalidClaimError: invalid_claim: Invalid claim: 'iss'"
