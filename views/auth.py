"""Buyer accounts: log in, log out, and the role checks of every buyer view."""

from __future__ import annotations

import functools
import time

from flask import Blueprint
from flask import abort
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
from stagefour import passwords
from stagefour import store
from views.db import get_db
from views.i18n import safe_next
from views.limits import LOGIN
from views.limits import limiter

bp = Blueprint("auth", __name__)

# Roles in increasing power: a role may do what every role before it may do.
ROLE_ORDER = ("viewer", "evaluator", "owner")
ROLE_LABELS = {"viewer": _l("viewer"), "evaluator": _l("evaluator"), "owner": _l("owner")}
# Compared against when the e-mail is unknown, so a login takes as long either way.
_DUMMY_HASH = generate_password_hash("not a password")


@bp.before_app_request
def load_logged_in_user() -> None:
    user_id = session.get("user_id")
    user = store.get_user(get_db(), user_id) if user_id is not None else None
    if user is not None and user["disabled_at"]:
        # A disabled account's cookie opens nothing from its next request on (issue 11).
        session.clear()
        user = None
    g.user = user


def login_required(role: str = "viewer"):
    """Require a logged-in buyer with at least `role`."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(**kwargs):
            if g.user is None:
                # Only a page can be gone back to; after a refused POST, the dashboard is the way in.
                target = request.full_path.rstrip("?") if request.method == "GET" else None
                return redirect(url_for("auth.login", next=target))
            if ROLE_ORDER.index(g.user["role"]) < ROLE_ORDER.index(role):
                abort(403)
            return view(**kwargs)

        return wrapped

    return decorator


def can(role: str) -> bool:
    """Whether the current buyer has at least `role` (for templates)."""
    return g.get("user") is not None and ROLE_ORDER.index(g.user["role"]) >= ROLE_ORDER.index(role)


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


def start_session(user: dict) -> None:
    """Log the user in on this browser: a fresh session with their id (both login steps end here)."""
    session.clear()
    session["user_id"] = user["id"]


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
    """End the buyer's session."""
    session.clear()
    return redirect(url_for("auth.login"))
