"""Accounts in the browser (issue 11, item 2): invitations, passwords, the optional second factor.

- A site administrator invites a colleague into a team with a role (/admin/users/invite),
  disables or enables an account (/admin/users/<id>).
- A user changes their password and switches TOTP on or off (/account); a forgotten password
  is reset through a one-time link sent by e-mail (/password/forgot).
- Login's second step (/login/code) when TOTP is on: views/auth.py's login() sends the user here
  after the password and never logs them in by the password alone.

Links carry a token of 256 bits (only its hash is stored), expire after ACCOUNT_LINK_HOURS and
work once. Every event is audited, never with a token, a password, a secret or a code.
"""

from __future__ import annotations

import time
from datetime import UTC
from datetime import datetime
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
from wtforms.fields.choices import SelectChoice

from forms.accounts import PASSWORD_HELP
from forms.accounts import ChangePasswordForm
from forms.accounts import CodeForm
from forms.accounts import ForgotPasswordForm
from forms.accounts import InviteForm
from forms.accounts import NewPasswordForm
from forms.notifications import KIND_LABELS
from forms.notifications import NotificationChoicesForm
from stagefour import accounts
from stagefour import store
from stagefour.notifications import CHANNELS
from stagefour.notifications import KINDS as NOTIFICATION_KINDS
from views.auth import PENDING_LOGIN
from views.auth import admin_required
from views.auth import hash_password
from views.auth import login_required
from views.auth import start_session
from views.auth import verify_password
from views.db import get_db
from views.i18n import safe_next
from views.limits import LOGIN
from views.limits import limiter
from views.notifications import choices_form as notification_choices_form

bp = Blueprint("accounts", __name__)

# The password step is good for this long: a second step left open longer starts over.
PENDING_SECONDS = 300
# Wrong codes allowed per account, whichever address they come from (a 6-digit code with a window
# of 3 steps: 5 tries in 5 minutes give an attacker who has the password 1 chance in ~70,000 a day).
CODE_ATTEMPTS = "5 per 5 minutes"
# Reset e-mails one address may ask for: the same answer is given whatever happens, but mailboxes
# must not be flooded.
FORGOT_REQUESTS = "5 per hour"
# An invitation link made without a mail server is held for its administrator's next page this long.
HELD_LINK_KEPT_FOR = timedelta(minutes=15)


def _actor() -> str:
    return f"user:{g.user['id']}"


def _link_hours() -> float:
    return float(current_app.config["ACCOUNT_LINK_HOURS"])


def _send(to: str, subject: str, body: str, actor: str, what: str) -> bool:
    """Queue an account link's e-mail (retried, then audited: stagefour/jobs.py); False when no mail
    server is configured or the queue is down (then audited and logged here)."""
    if not current_app.config["MAIL_SERVER"]:
        return False
    try:
        current_app.extensions["jobs"].send_email(
            to, subject, body, actor, "account_emailed", "account_email_failed", what=what
        )
    except Exception as exc:  # the queue itself is down: the caller shows the link instead
        current_app.logger.warning("%s e-mail could not be queued: %s", what, exc)
        store.audit(get_db(), actor, "account_email_failed", what=what, to=to, error=str(exc)[:500])
        return False
    return True


def _when(expires_at: str) -> str:
    return expires_at.replace("T", " ").removesuffix("+00:00")


# --- invitations (site administrators) ---------------------------------------------------------


def _invite_form() -> InviteForm:
    form = InviteForm()
    form.team.choices = [SelectChoice(t["id"], t["name"]) for t in store.list_teams(get_db())]
    return form


def _render_invite(form: InviteForm, status: int = 200):
    since = (datetime.now(UTC) - HELD_LINK_KEPT_FOR).isoformat(timespec="seconds")
    db = get_db()
    held = [
        dict(h, url=url_for("accounts.accept_invitation", account_token=h["token"], _external=True))
        for h in store.take_account_links(db, g.user["id"], since)
    ]
    page = render_template(
        "account/invite.html",
        form=form,
        held=held,
        invitations=store.open_invitations(db),
        mail_enabled=bool(current_app.config["MAIL_SERVER"]),
    )
    return page, status


@bp.route("/admin/users/invite", methods=["GET", "POST"])
@admin_required
def invite():
    """Invite a colleague by e-mail into a team with a role; they choose their password through the link."""
    form = _invite_form()
    if request.method == "GET" or not form.validate_on_submit():
        return _render_invite(form, 200 if request.method == "GET" else 422)
    db = get_db()
    token = accounts.new_token()
    expires_at = accounts.expiry(_link_hours())
    email, team_id, role = form.email.data.lower(), form.team.data, form.role.data
    try:
        token_id = store.create_invitation(
            db, email, team_id, role, accounts.hash_token(token), expires_at, g.user["id"]
        )
    except store.StoreError:
        form.email.errors.append(
            _("An account with this e-mail address exists: add it to the team on the team's page.")
        )
        return _render_invite(form, 422)
    team = store.get_team(db, team_id)
    url = url_for("accounts.accept_invitation", account_token=token, _external=True)
    subject = _("Your Stagefour account")
    body = _(
        "Hello,\n\n%(inviter)s invites you to the team “%(team)s” on Stagefour, as %(role)s.\n\n"
        "Choose your password with this link (it works once, until %(expires)s UTC):\n%(url)s\n\n"
        "If you did not expect this e-mail, ignore it.\n",
        inviter=g.user["email"],
        team=team["name"],
        role=role,
        expires=_when(expires_at),
        url=url,
    )
    if _send(email, subject, body, _actor(), "invitation"):
        # Not shown to the administrator as well: whoever holds the link chooses the account's password.
        flash(_("The invitation is on its way to %(email)s.", email=email), "success")
    else:
        if current_app.config["MAIL_SERVER"]:
            flash(_("The e-mail to %(email)s could not be sent: copy the link below and send it yourself.",
                    email=email), "error")  # fmt: skip
        store.hold_account_link(db, token_id, g.user["id"], token)
        flash(_("%(email)s is invited.", email=email), "success")
    return redirect(url_for("accounts.invite"))


def _closed_link(state: str, purpose: str):
    """The page of a link that opens nothing: 404 when it never existed, 410 when it did."""
    page = render_template("account/link_closed.html", state=state, purpose=purpose)
    return page, 404 if state == "missing" else 410


def _token_row(purpose: str, token: str) -> dict | None:
    # A token is 43 URL-safe characters; anything much longer is not one (and is not hashed).
    if len(token) > 100:
        return None
    return store.find_account_token(get_db(), purpose, accounts.hash_token(token))


@bp.route("/invitation/<account_token>", methods=["GET", "POST"])
@limiter.limit(LOGIN, methods=["POST"])
def accept_invitation(account_token: str):
    """Where an invited colleague chooses their password; the link works once."""
    done = _("Your account is ready. Log in with your e-mail address and your new password.")
    return _password_by_link("invite", account_token, "email", store.accept_invitation, done)


def _password_by_link(purpose: str, account_token: str, email_field: str, use, done: str):
    """The page behind a one-time link (an invitation or a reset): choose a password, once, then log in."""
    row = _token_row(purpose, account_token)
    state = accounts.link_state(row)
    if state != "open":
        return _closed_link(state, purpose)
    form = NewPasswordForm(email=row[email_field])
    if form.validate_on_submit():
        try:
            use(get_db(), row["id"], hash_password(form.password.data))
        except store.StoreError:
            return _closed_link("used", purpose)
        session.clear()
        flash(done, "success")
        return redirect(url_for("auth.login"))
    page = render_template("account/set_password.html", form=form, row=row, purpose=purpose, help=PASSWORD_HELP)
    return page, 422 if request.method == "POST" else 200


# --- disable and enable (site administrators) ------------------------------------------------------


def _load_user(user_id: int) -> dict:
    user = store.get_user(get_db(), user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/admin/users/<int:user_id>")
@admin_required
def user(user_id: int):
    """One account: its status, teams and second factor; disable or enable it."""
    account = _load_user(user_id)
    teams = store.user_teams(get_db(), user_id)
    return render_template("account/user.html", account=account, teams=teams)


@bp.post("/admin/users/<int:user_id>/disable")
@admin_required
def disable(user_id: int):
    """Disable an account: it can no longer log in and its sessions end."""
    account = _load_user(user_id)
    if account["id"] == g.user["id"]:
        # The last administrator locking themselves out would leave only the command line.
        flash(_("You cannot disable your own account."), "error")
    elif store.set_disabled(get_db(), user_id, True, _actor()):
        flash(_("%(email)s is disabled: they can no longer log in.", email=account["email"]), "success")
    return redirect(url_for("accounts.user", user_id=user_id))


@bp.post("/admin/users/<int:user_id>/enable")
@admin_required
def enable(user_id: int):
    """Enable a disabled account again."""
    account = _load_user(user_id)
    if store.set_disabled(get_db(), user_id, False, _actor()):
        flash(_("%(email)s can log in again.", email=account["email"]), "success")
    return redirect(url_for("accounts.user", user_id=user_id))


# --- the user's own account ----------------------------------------------------------------------


def _render_account(form: NotificationChoicesForm, status: int = 200):
    db = get_db()
    page = render_template(
        "account/account.html",
        teams=store.user_teams(db, g.user["id"]),
        codes_left=store.recovery_codes_left(db, g.user["id"]),
        notification_form=form,
        kinds=NOTIFICATION_KINDS,
        kind_labels=KIND_LABELS,
        channels=CHANNELS,
    )
    return page, status


@bp.get("/account")
@login_required()
def account():
    """The user's account: teams, password, second factor, notification choices."""
    return _render_account(notification_choices_form())


@bp.post("/account/notifications")
@login_required()
def notification_choices():
    """Save the user's choice per event kind: by e-mail, in the app (audited)."""
    form = NotificationChoicesForm()
    if not form.validate_on_submit():
        return _render_account(form, 422)
    store.set_notification_choices(get_db(), g.user["id"], form.chosen())
    flash(_("Your notification choices are saved."), "success")
    return redirect(url_for("accounts.account") + "#notifications")


@bp.route("/account/password", methods=["GET", "POST"])
@login_required()
@limiter.limit(LOGIN, methods=["POST"])
def change_password():
    """Change one's password (the current one is asked for); every other session of the account ends."""
    form = ChangePasswordForm(email=g.user["email"])
    if form.validate_on_submit():
        if not verify_password(g.user["password_hash"], form.current.data):
            store.audit(get_db(), _actor(), "password_change_failed", user=g.user["id"])
            form.current.errors.append(_("This is not your current password."))
        else:
            version = store.change_password(get_db(), g.user["id"], hash_password(form.password.data))
            # This browser stays logged in with the new version; every other session ends (issue 11 item 3).
            session["session_version"] = version
            flash(_("Your password was changed. You were logged out everywhere else."), "success")
            return redirect(url_for("accounts.account"))
    page = render_template("account/password.html", form=form, help=PASSWORD_HELP)
    return page, 422 if request.method == "POST" else 200


# --- forgotten password ----------------------------------------------------------------------------


def _forgot_key() -> str:
    return "forgot:" + (request.form.get("email") or "").strip().lower()[:320]


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(LOGIN, methods=["POST"])
@limiter.limit(FORGOT_REQUESTS, methods=["POST"], key_func=_forgot_key)
def forgot_password():
    """Ask for a reset link; the answer is the same whether the account exists or not."""
    mail_enabled = bool(current_app.config["MAIL_SERVER"])
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        db = get_db()
        user = store.get_user_by_email(db, form.email.data)
        if user is not None and not user["disabled_at"] and mail_enabled:
            token = accounts.new_token()
            expires_at = accounts.expiry(_link_hours())
            store.create_reset(db, user["id"], accounts.hash_token(token), expires_at)
            body = _(
                "Hello,\n\nsomeone (we hope you) asked to reset the password of your Stagefour account.\n\n"
                "Choose a new password with this link (it works once, until %(expires)s UTC):\n%(url)s\n\n"
                "If you did not ask for it, ignore this e-mail: your password stays as it is.\n",
                expires=_when(expires_at),
                url=url_for("accounts.reset_password", account_token=token, _external=True),
            )
            _send(user["email"], _("Reset your Stagefour password"), body, "anonymous", "password reset")
        flash(
            _("If an account exists for %(email)s, a link to choose a new password is on its way. It works once.",
              email=form.email.data),
            "success",
        )  # fmt: skip
        return redirect(url_for("auth.login"))
    page = render_template("account/forgot.html", form=form, mail_enabled=mail_enabled)
    return page, 422 if request.method == "POST" else 200


@bp.route("/password/reset/<account_token>", methods=["GET", "POST"])
@limiter.limit(LOGIN, methods=["POST"])
def reset_password(account_token: str):
    """Choose a new password through a reset link; every session of the account ends."""
    done = _("Your password was changed and every session of your account ended. Log in.")
    return _password_by_link("reset", account_token, "user_email", store.reset_password, done)


# --- the second factor --------------------------------------------------------------------------------


def _render_totp(form: CodeForm, status: int = 200):
    user = g.user
    pending = user["totp_secret"] and not user["totp_enabled_at"]
    qr = secret = None
    if pending:
        qr = accounts.qr_svg(accounts.provisioning_uri(user["totp_secret"], user["email"]))
        secret = accounts.grouped(user["totp_secret"])
    page = render_template(
        "account/totp.html",
        form=form,
        pending=pending,
        qr=qr,
        secret=secret,
        codes_left=store.recovery_codes_left(get_db(), user["id"]),
    )
    return page, status


@bp.get("/account/two-factor")
@login_required()
def totp():
    """The second factor: switch it on (QR code and secret, then a first code) or off."""
    return _render_totp(CodeForm())


@bp.post("/account/two-factor/start")
@login_required()
def start_totp():
    """Make a new secret to enrol (replacing one not yet confirmed)."""
    if not g.user["totp_enabled_at"]:
        store.start_totp(get_db(), g.user["id"], accounts.new_secret())
    return redirect(url_for("accounts.totp"))


@bp.post("/account/two-factor/confirm")
@login_required()
@limiter.limit(LOGIN)
def confirm_totp():
    """Switch the second factor on with a first code; the recovery codes are shown this once."""
    user = g.user
    if not user["totp_secret"] or user["totp_enabled_at"]:
        return redirect(url_for("accounts.totp"))
    form = CodeForm()
    if form.validate_on_submit():
        step = accounts.code_step(user["totp_secret"], form.code.data)
        codes = accounts.new_recovery_codes()
        hashes = [accounts.hash_recovery_code(c) for c in codes]
        if step is not None and store.confirm_totp(get_db(), user["id"], step, hashes):
            # Shown in this response and never again (only their hashes are kept): no redirect here.
            return render_template("account/recovery_codes.html", codes=codes)
        form.code.errors.append(_("This code is not right. Enter the code your app shows now."))
    return _render_totp(form, 422)


@bp.post("/account/two-factor/disable")
@login_required()
@limiter.limit(LOGIN)
def disable_totp():
    """Switch the second factor off; a current code or a recovery code is required."""
    user = g.user
    if not user["totp_enabled_at"]:
        return redirect(url_for("accounts.totp"))
    form = CodeForm()
    if form.validate_on_submit() and _second_factor_ok(user, form.code.data):
        store.disable_totp(get_db(), user["id"])
        flash(_("Two-step login is off."), "success")
        return redirect(url_for("accounts.account"))
    if not form.code.errors:
        form.code.errors.append(_("This code is not right."))
    return _render_totp(form, 422)


def _second_factor_ok(user: dict, code: str) -> str | None:
    """Check a TOTP code (never the same step twice) or spend a recovery code; which one worked."""
    db = get_db()
    if accounts.looks_like_recovery_code(code):
        return "recovery_code" if store.use_recovery_code(db, user["id"], accounts.hash_recovery_code(code)) else None
    step = accounts.code_step(user["totp_secret"], code)
    return "totp" if step is not None and store.take_totp_step(db, user["id"], step) else None


def _pending_user() -> dict | None:
    """The account that passed the password step in this browser, if still within PENDING_SECONDS."""
    pending = session.get(PENDING_LOGIN)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user = store.get_user(get_db(), pending.get("user_id"))
    if user is None or user["disabled_at"] or not user["totp_enabled_at"]:
        return None
    return user


def _code_key() -> str:
    pending = session.get(PENDING_LOGIN)
    return f"login-code:{pending.get('user_id') if isinstance(pending, dict) else request.remote_addr}"


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(LOGIN, methods=["POST"])
@limiter.limit(CODE_ATTEMPTS, methods=["POST"], key_func=_code_key, deduct_when=lambda r: r.status_code != 302)
def login_code():
    """Login's second step: a code from the authenticator app, or a recovery code."""
    user = _pending_user()
    if user is None:
        session.pop(PENDING_LOGIN, None)
        if request.method == "POST":
            flash(_("The login took too long or was ended. Log in again, please."), "error")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        how = _second_factor_ok(user, form.code.data)
        if how:
            target = safe_next(session[PENDING_LOGIN].get("next"), url_for("buyer.dashboard"))
            start_session(user)
            store.audit(get_db(), f"user:{user['id']}", "login_succeeded", second_factor=how)
            if how == "recovery_code":
                left = store.recovery_codes_left(get_db(), user["id"])
                flash(_("You used a recovery code; %(left)d are left.", left=left), "success")
            return redirect(target)
        store.audit(get_db(), "anonymous", "login_code_failed", user=user["id"])
        form.code.errors.append(_("This code is not right."))
    return render_template("account/login_code.html", form=form), 422 if request.method == "POST" else 200
