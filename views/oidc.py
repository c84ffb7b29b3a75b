"""Single sign-on with OpenID Connect (issue 11): /login/oidc → the provider → /login/oidc/callback.

Authlib's Flask client does the protocol: discovery from OIDC_ISSUER, the authorization code
flow with PKCE, `state` bound to this browser's session and used once, a `nonce` in the ID
token, and the token's signature (the provider's published keys), issuer, audience and
expiry. stagefour/sso.py decides which account the verified claims sign in as. Without
OIDC_ISSUER the routes answer 404 and the login page shows no button.
"""

from __future__ import annotations

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext as _
from joserfc.errors import JoseError

from stagefour import sso
from stagefour import store
from views.auth import start_session
from views.db import get_db
from views.i18n import safe_next
from views.limits import LOGIN
from views.limits import limiter

bp = Blueprint("oidc", __name__)

EXTENSION = "stagefour.oidc"
NEXT = "oidc_next"  # where to go after signing in, kept in the session across the provider's pages
# Why a sign-in was refused, as the person reads it; the audit log keeps the precise reason.
REFUSED = {
    "no_email": lambda: _("Your organisation's account has no verified e-mail address, so it cannot be used here."),
    "unknown": lambda: _("There is no account here for you yet. Ask an administrator to invite you."),
    "linked_elsewhere": lambda: _("This e-mail address belongs to an account that signs in differently."),
    "disabled": lambda: _("Your account is disabled."),
}


@bp.record_once
def _register(state) -> None:
    """One Authlib client per app (each test's app has its own provider), when OIDC_ISSUER is set."""
    app = state.app
    issuer = app.config["OIDC_ISSUER"]
    if not issuer:
        return
    sso.check_groups(app.config["OIDC_GROUPS"])
    oauth = OAuth(app)
    app.extensions[EXTENSION] = oauth.register(
        "provider",  # not "oidc": Authlib would read OIDC_* settings of its own from the config
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={
            "scope": app.config["OIDC_SCOPES"],
            "code_challenge_method": "S256",
            "default_timeout": 10,  # a provider that hangs must not hold a request thread forever
        },
    )


def enabled() -> bool:
    """Whether single sign-on is configured (for the login page)."""
    return EXTENSION in current_app.extensions


def _client():
    client = current_app.extensions.get(EXTENSION)
    if client is None:
        abort(404)
    return client


@bp.app_context_processor
def inject_sso() -> dict:
    return {"sso_enabled": enabled}


@bp.get("/login/oidc")
@limiter.limit(LOGIN)
def login():
    """Send the browser to the provider, with a fresh state and nonce kept in its session."""
    client = _client()
    session[NEXT] = safe_next(request.args.get("next"), url_for("buyer.dashboard"))
    try:
        return client.authorize_redirect(url_for("oidc.callback", _external=True))
    except (requests.RequestException, ValueError) as error:  # discovery failed, or returned no JSON
        return _refuse("provider_unreachable", error, _("The sign-on service cannot be reached. Try again later."))


@bp.get("/login/oidc/callback")
@limiter.limit(LOGIN)
def callback():
    """The provider's answer: check it, find or make the account, log it in."""
    client = _client()
    config = current_app.config
    issuer = config["OIDC_ISSUER"]
    options = {
        "iss": {"essential": True, "values": [issuer]},
        "aud": {"essential": True, "values": [config["OIDC_CLIENT_ID"]]},
        "sub": {"essential": True},
    }
    try:
        token = client.authorize_access_token(claims_options=options)
        if "userinfo" not in token:  # no ID token, or a state without a nonce: nothing proves who this is
            raise JoseError("no ID token")
        claims = _with_userinfo(client, token, dict(token["userinfo"]), config["OIDC_GROUPS_CLAIM"])
    except (AuthlibBaseError, JoseError, requests.RequestException, ValueError) as error:
        return _refuse("token_refused", error, _("Single sign-on failed. Try again, or log in with your password."))
    db = get_db()
    result = sso.sign_in(
        db, issuer, claims, claim=config["OIDC_GROUPS_CLAIM"], groups=config["OIDC_GROUPS"],
        provision=config["OIDC_PROVISION"],
    )  # fmt: skip
    if result.user is None:
        detail = {"issuer": issuer, "subject": str(token["userinfo"]["sub"])[:200]}
        return _refuse(result.refused, None, REFUSED[result.refused](), **detail)
    target = session.get(NEXT) or url_for("buyer.dashboard")
    start_session(result.user)
    user = result.user
    store.audit(db, f"user:{user['id']}", "sso_login_succeeded", issuer=issuer, subject=user["oidc_subject"])
    return redirect(target)


def _with_userinfo(client, token: dict, claims: dict, groups_claim: str) -> dict:
    """The ID token's claims, completed from the userinfo endpoint when they lack the e-mail or groups.

    Many providers keep those out of the ID token by default. The ID token's own claims win, and
    userinfo counts only for the same subject (OpenID Connect Core 5.3.2)."""
    wanted = ("email", "email_verified", groups_claim)
    if all(k in claims for k in wanted) or not client.load_server_metadata().get("userinfo_endpoint"):
        return claims
    info = client.userinfo(token=token)
    if info.get("sub") != claims["sub"]:
        raise JoseError("the userinfo is about another subject")
    return {k: info[k] for k in wanted if k in info} | claims


def _refuse(reason: str, error: Exception | None, message: str, **detail):
    """Audit why, tell the person, and send them back to the login page."""
    if error is not None:
        detail["error"] = f"{type(error).__name__}: {error}"[:300]
    store.audit(get_db(), "anonymous", "sso_refused", reason=reason, **detail)
    session.pop(NEXT, None)
    flash(message, "error")
    return redirect(url_for("auth.login"))
