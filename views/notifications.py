"""Notifications to buyers (issue 12, item 2): the list, the unread count in the header, the e-mails,
and each user's choices.

Opening a notification is a POST (a button that looks like a link) that marks it read and
redirects to the response or the clarification thread: a GET that writes would be followed by
link prefetchers and crawlers, and this app keeps GETs free of writes (tests/test_access.py).
The e-mail links to the buyer's page of the response and to /notifications, never to a vendor's
link. E-mails are written in the site's default language: accounts have no language of their own
yet, and the request that causes one is often a vendor's, in the vendor's language.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from forms.notifications import NotificationChoicesForm
from stagefour import notifications
from stagefour import store
from views.auth import login_required
from views.db import get_db

bp = Blueprint("notifications", __name__)


def _target(row: dict) -> str:
    """Where a notification leads: the buyer's page of the response, at the thread when there is one."""
    url = url_for("review.response", evaluation_id=row["evaluation_id"], vendor_id=row["vendor_id"])
    return url + (f"#thread-{row['thread_id']}" if row["thread_id"] else "")


@bp.app_template_global()
def unread_notifications() -> int:
    """The logged-in user's unread count for the header, up to 100 (one indexed query, once per request)."""
    if g.get("user") is None:
        return 0
    if "unread_notifications" not in g:
        g.unread_notifications = store.unread_notification_count(get_db(), g.user["id"])
    return g.unread_notifications


@bp.get("/notifications")
@login_required()
def index():
    """The user's notifications, newest first; unread ones marked."""
    rows = store.user_notifications(get_db(), g.user["id"])
    return render_template("notifications/index.html", rows=rows, unread=sum(1 for r in rows if r["read_at"] is None))


@bp.post("/notifications/<int:notification_id>/open")
@login_required()
def open_notification(notification_id: int):
    """Mark a notification read and go to what it is about."""
    row = store.read_notification(get_db(), g.user["id"], notification_id)
    if row is None:
        abort(404)
    return redirect(_target(row))


@bp.post("/notifications/<int:notification_id>/read")
@login_required()
def mark_read(notification_id: int):
    """Mark one notification read, and come back to the list."""
    if store.read_notification(get_db(), g.user["id"], notification_id) is None:
        abort(404)
    return redirect(url_for("notifications.index") + f"#notification-{notification_id}")


@bp.post("/notifications/read")
@login_required()
def mark_all_read():
    """Mark every notification read."""
    store.read_all_notifications(get_db(), g.user["id"])
    flash(_("Every notification is marked as read."), "success")
    return redirect(url_for("notifications.index"))


def choices_form() -> NotificationChoicesForm:
    """The form with the logged-in user's current choices."""
    return NotificationChoicesForm.of(notifications.user_choices(get_db(), g.user["id"]), formdata=None)


# --- e-mail -------------------------------------------------------------------------------------


def _mail(notice: notifications.Notice) -> tuple[str, str]:
    """The subject and body of a notice's e-mail, in the site's default language."""
    names = {"vendor": notice.vendor_name, "evaluation": notice.evaluation_title}
    subject = {
        "submitted": _("%(vendor)s submitted their response to “%(evaluation)s”", **names),
        "replied": _("%(vendor)s replied to a clarification in “%(evaluation)s”", **names),
        "overdue": _("%(vendor)s is past the deadline of “%(evaluation)s”", **names),
    }[notice.kind]
    url = url_for("review.response", evaluation_id=notice.evaluation_id, vendor_id=notice.vendor_id, _external=True)
    if notice.thread_id:
        url += f"#thread-{notice.thread_id}"
    body = _(
        "Hello,\n\n%(what)s.\n\nOpen it in Stagefour:\n%(url)s\n\nYour notifications:\n%(list)s\n\n"
        "You receive this e-mail because of the choices on your account page:\n%(account)s\n",
        what=subject,
        url=url,
        list=url_for("notifications.index", _external=True),
        account=url_for("accounts.account", _external=True) + "#notifications",
    )
    return subject, body


def send(notice: notifications.Notice) -> None:
    """Queue a notice's e-mail (retried, then audited as notification_emailed or notification_email_failed).

    Nothing is sent without a mail server. Outside a request, url_for needs SERVER_NAME."""
    if not current_app.config["MAIL_SERVER"]:
        return
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "en")):
        subject, body = _mail(notice)
    audit = {"evaluation_id": notice.evaluation_id, "vendor_id": notice.vendor_id, "kind": notice.kind,
             "user": notice.user_id}  # fmt: skip
    try:
        current_app.extensions["jobs"].send_email(
            notice.email, subject, body, notice.actor, "notification_emailed", "notification_email_failed", **audit
        )
    except Exception as exc:  # the queue is down: the notice is in the app; the failure is recorded
        current_app.logger.warning("notification e-mail could not be queued: %s", exc)
        store.audit(get_db(), notice.actor, "notification_email_failed", to=notice.email, error=str(exc)[:500],
                    **audit)  # fmt: skip


def tell(kind: str, evaluation_id: int, vendor_id: int, thread_id: int | None = None) -> None:
    """Tell the buyers of an evaluation what a vendor just did; a failure here never fails the vendor's request."""
    try:
        notifications.notify(get_db(), kind, evaluation_id, vendor_id, notifications.ACTOR, send, thread_id=thread_id)
    except Exception:  # the vendor's submission or reply is saved; telling buyers is secondary
        current_app.logger.exception("could not notify buyers of %s for vendor %s", kind, vendor_id)


def tell_overdue(now: datetime) -> int:
    """Tell buyers of every vendor newly overdue (for `flask send-reminders`); how many e-mails were queued."""
    return len(notifications.notify_overdue(get_db(), now, send))
