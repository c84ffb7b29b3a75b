"""Buyer accounts: log in, log out, and the role checks of every buyer view."""

from __future__ import annotations

import functools
import time
from datetime import timedelta

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash

from forms.buyer import LoginForm
from stagefour import access
from stagefour import passwords
from stagefour import store
from views.db import get_db
from views.i18n import safe_next
from views.limits import LOGIN
from views.limits import limiter

bp = Blueprint("auth", __name__)

ROLE_LABELS = {"viewer": _l("viewer"), "evaluator": _l("evaluator"), "owner": _l("owner")}
# Compared against when the e-mail is unknown, so a login takes as long either way.
_DUMMY_HASH = generate_password_hash("not a password")


# What a login leaves in the session (issue 11): who, the user's session version then, and when
# it began and was last used, in seconds since the epoch.
SESSION_KEYS = ("user_id", "session_version", "login_at", "seen_at")
# seen_at is rewritten at most this often, so a page and its assets do not each re-sign the cookie.
SEEN_EVERY_SECONDS = 60


def clock() -> int:
    """The time the session lifetimes are measured with, in whole seconds (tests move it)."""
    return int(time.time())


def session_for(user: dict, at: int) -> dict:
    """What a session holds for a user who logged in at `at`."""
    return {"user_id": user["id"], "session_version": user["session_version"], "login_at": at, "seen_at": at}


def start_session(user: dict) -> None:
    """Log the user in: a fresh session (nothing of the one before survives), stamped with their version."""
    session.clear()
    session.update(session_for(user, clock()))


def session_ended(user: dict | None, values, now: int, idle_minutes: int, max_hours: int) -> str | None:
    """Why a session may no longer be used ("ended" or "expired"), or None while it is good."""
    if user is None or user["disabled_at"] or values.get("session_version") != user["session_version"]:
        return "ended"
    login_at, seen_at = values.get("login_at"), values.get("seen_at")
    if not isinstance(login_at, int) or not isinstance(seen_at, int):
        return "ended"
    if now - seen_at > idle_minutes * 60 or now - login_at > max_hours * 3600:
        return "expired"
    return None


@bp.record_once
def _session_lifetime(state) -> None:
    # The signed cookie itself is refused past the absolute lifetime too (Flask checks its age).
    config = state.app.config
    config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=config["SESSION_MAX_HOURS"])


@bp.before_app_request
def load_logged_in_user() -> None:
    """g.user: the session's user while the session is good; else the session is cleared, and why is flashed."""
    g.user = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    user = store.get_user(get_db(), user_id) if isinstance(user_id, int) else None
    now = clock()
    config = current_app.config
    why = session_ended(user, session, now, config["SESSION_IDLE_MINUTES"], config["SESSION_MAX_HOURS"])
    if why is not None:
        session.clear()
        if why == "expired":
            flash(_("Your session expired. Please log in again."), "info")
        else:
            flash(_("Your session was ended. Please log in again."), "info")
        return
    g.user = user
    if now - session["seen_at"] >= SEEN_EVERY_SECONDS:
        session["seen_at"] = now


def _to_login():
    # Only a page can be gone back to; after a refused POST, the dashboard is the way in.
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.login", next=target))


def login_required(view=None):
    """Require a logged-in, enabled buyer; what they may do is decided per evaluation (load_evaluation).

    Used bare (`@login_required`) or called (`@login_required()`): both decorate the same way."""
    if view is None:
        return login_required
    if isinstance(view, str):  # the release-1 form, login_required("owner"): roles are per team now
        raise TypeError("login_required takes no role: pass it to load_evaluation(evaluation_id, role)")

    @functools.wraps(view)
    def wrapped(**kwargs):
        if g.user is None:
            return _to_login()
        return view(**kwargs)

    return wrapped


def admin_required(view=None):
    """Require a logged-in site administrator (bare or called, like login_required)."""
    if view is None:
        return admin_required

    @functools.wraps(view)
    def wrapped(**kwargs):
        if g.user is None:
            return _to_login()
        if not g.user["is_admin"]:
            abort(403)
        return view(**kwargs)

    return wrapped


def can(role: str) -> bool:
    """Whether the current buyer has at least `role`: on the evaluation of the page when there is
    one (load_evaluation keeps it on g), else in any of their teams (for templates)."""
    if g.get("user") is None:
        return False
    if "evaluation_role" in g:
        return access.at_least(g.evaluation_role, role)
    return bool(access.teams_where(get_db(), g.user, role))


@bp.app_context_processor
def inject_roles() -> dict:
    return {"can": can, "role_label": lambda role: str(ROLE_LABELS.get(role, role))}


def hash_password(password: str) -> str:
    """A salted hash (werkzeug's scrypt) of the password normalised as stagefour/passwords.py says."""
    return generate_password_hash(passwords.normalise(password))


def verify_password(password_hash: str, password: str) -> bool:
    """Whether the password matches the hash, typed in any Unicode normal form.

    Hashes made before passwords were normalised (release 1) hold the password as typed.
    """
    normal = passwords.normalise(password)
    if check_password_hash(password_hash, normal):
        return True
    return normal != password and check_password_hash(password_hash, password)


# Between the password and the second factor: who is logging in, since when, where to go then.
PENDING_LOGIN = "pending_login"


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN, methods=["POST"])
def login():
    """The buyer's login form."""
    form = LoginForm()
    if form.validate_on_submit():
        db = get_db()
        user = store.get_user_by_email(db, form.email.data)
        ok = verify_password(user["password_hash"] if user else _DUMMY_HASH, form.password.data)
        if user and ok and not user["disabled_at"]:
            if user["totp_enabled_at"]:
                # The password alone never logs in when a second factor is on: views/accounts.py asks for it.
                session.clear()
                session[PENDING_LOGIN] = {"user_id": user["id"], "at": int(time.time()),
                                          "next": safe_next(request.args.get("next"), "")}  # fmt: skip
                return redirect(url_for("accounts.login_code"))
            start_session(user)
            store.audit(db, f"user:{user['id']}", "login_succeeded")
            return redirect(safe_next(request.args.get("next"), url_for("buyer.dashboard")))
        store.audit(db, "anonymous", "login_failed", email=form.email.data[:200])
        flash(_("Wrong e-mail or password."), "error")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    """End the buyer's sessions: this one, a copy of its cookie, and those in their other browsers."""
    if g.user is not None:
        db = get_db()
        with db.atomic():
            store.end_sessions(db, g.user["id"])
            store.audit(db, f"user:{g.user['id']}", "logout")
    session.clear()
    return redirect(url_for("auth.login"))
