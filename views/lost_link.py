"""A vendor who lost their link asks for a new one with the contact address the buyer entered (issue 12).

The page answers the same (status, body, headers) whether the address is known or not, and
does the same work for both: it queues one job with the address. The job (in the consumer)
finds the vendors with that contact address, an open response and a live link, adds a link
to each (stagefour/reminders.issue_lost_links; the others keep working) and e-mails it.
Rate-limited per client address and per e-mail address.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

from flask import Blueprint
from flask import Flask
from flask import current_app
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from forms.accounts import LostLinkForm
from stagefour import deadlines
from stagefour import reminders
from stagefour import store
from stagefour.evaluations import deadline_end
from views.limits import LOST_LINK
from views.limits import limiter

bp = Blueprint("lost_link", __name__)

PATH = LOST_LINK  # under /v/ like every vendor page; a token is 32 characters or more, so never "lost"
PER_CLIENT = "10 per hour"
PER_ADDRESS = "3 per hour"


def _address_key() -> str:
    return "lost-link:" + (request.form.get("email") or "").strip().lower()[:320]


def _when(stamp: str | None) -> str:
    return stamp.replace("T", " ").removesuffix("+00:00") if stamp else ""


def send_links(app: Flask, email: str, base_url: str, client: str) -> int:
    """Issue and e-mail a new link to each open response of `email`; how many (the job's body)."""
    with app.app_context(), app.test_request_context("/", base_url=base_url):
        actor = store.Actor("public:lost-link", client=client)
        db = store.open_db(app.config["DATABASE"])
        try:
            links = reminders.issue_lost_links(db, email, datetime.now(UTC), actor)
        finally:
            db.close()
        for link in links:
            vendor = link.vendor
            deadline = deadlines.effective_deadline(vendor["evaluation_deadline"], vendor["vendor_deadline"])
            with force_locale(vendor["language"]):
                subject = _("Your link to “%(title)s”", title=vendor["title"])
                body = _(
                    "Hello %(vendor)s,\n\n"
                    "someone (we hope you) asked for a new link to the questionnaire “%(title)s”. Open your "
                    "response with this private link:\n%(url)s\n\n"
                    "Keep it private: anyone with it can read and change your answers. Your earlier link keeps "
                    "working too. %(until)s\n\nIf you did not ask for it, you can ignore this e-mail.\n",
                    vendor=vendor["name"],
                    title=vendor["title"],
                    url=url_for("vendor.overview", token=link.token, _external=True),
                    until=_(
                        "You can answer until %(when)s (UTC).",
                        when=_when(deadline_end(deadline.isoformat()).isoformat()),
                    )
                    if deadline
                    else "",
                )
            app.extensions["jobs"].send_email(
                vendor["contact_email"], subject, body, actor, "lost_link_emailed", "lost_link_email_failed",
                evaluation_id=vendor["evaluation_id"], vendor_id=vendor["vendor_id"],
            )  # fmt: skip
        return len(links)


@bp.record_once
def _register_task(state) -> None:
    """The job that does the work, on this app's queue (the consumer builds the same app, so knows it)."""
    app = state.app
    task = app.extensions["jobs"].huey.task(name="lost_link")(
        lambda email, base_url, client: send_links(app, email, base_url, client)
    )
    app.extensions["lost_link_task"] = task


@bp.route(PATH, methods=["GET", "POST"])
@limiter.limit(PER_CLIENT, methods=["POST"])
@limiter.limit(PER_ADDRESS, methods=["POST"], key_func=_address_key)
def request_link():
    """Ask for a new link with the contact address; the answer is the same whether it is known or not."""
    form = LostLinkForm()
    mail_enabled = bool(current_app.config["MAIL_SERVER"])
    if form.validate_on_submit():
        if mail_enabled:
            current_app.extensions["lost_link_task"](form.email.data, request.url_root, get_remote_address())
        return redirect(url_for("lost_link.request_link", sent=1), 303)
    sent = request.method == "GET" and request.args.get("sent") == "1"
    page = render_template("vendor/lost.html", form=form, mail_enabled=mail_enabled, sent=sent)
    return page, 422 if request.method == "POST" else 200
