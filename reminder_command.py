"""`flask --app app send-reminders`: e-mail each vendor the reminder due now (cron or deploy/systemd's timer).

The core (stagefour/reminders.py) decides what is due and records it once; this writes each
reminder in the vendor's language with its one-click link and hands it to the job queue's
e-mail task (stagefour/jobs.py), which retries it and audits `reminder_emailed` or
`reminder_email_failed`. Links are absolute URLs under BASE_URL (the address vendors open).
"""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from functools import lru_cache

import click
from flask import current_app
from flask import url_for
from flask.cli import with_appcontext
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import ngettext

from stagefour import reminders
from stagefour import store
from stagefour.evaluations import deadline_end
from stagefour.jobs import EMAIL_BATCH
from views.notifications import tell_overdue


def _stamp(value: str) -> str:
    return value.replace("T", " ").removesuffix("+00:00")


# Stand-ins for what differs between the vendors of one evaluation, so each language's text of a
# reminder is translated once per run (~1 ms each, most of a 10,000-vendor run otherwise).
_VENDOR, _URL = "\x00vendor\x00", "\x00url\x00"


def reminder_text(reminder: reminders.Reminder, url: str) -> tuple[str, str]:
    """The subject and body of a reminder, in the vendor's language."""
    vendor = reminder.vendor
    subject, body = _text(vendor["language"], reminder.kind, reminder.days_left, vendor["title"], reminder.deadline)
    # The name goes in last, so nothing in it is read as a stand-in.
    return subject, body.replace(_URL, url).replace(_VENDOR, vendor["name"])


@lru_cache(maxsize=1024)
def _text(language: str, kind: str, left: int, title: str, deadline: date) -> tuple[str, str]:
    values = {
        "vendor": _VENDOR,
        "title": title,
        "url": _URL,
        "deadline": _stamp(deadline_end(deadline.isoformat()).isoformat()),
    }
    with force_locale(language):
        if kind == reminders.OVERDUE:
            subject = _("Overdue: “%(title)s”", **values)
            lead = _(
                "The deadline of the questionnaire “%(title)s” was %(deadline)s (UTC) and your response was not "
                "submitted. The form is closed to changes; your saved answers are kept and the buyer can see them. "
                "If you need more time, ask the buyer to extend your deadline.",
                **values,
            )
        else:
            if left == 0:
                subject = _("Due today: “%(title)s”", **values)
            else:
                subject = ngettext("%(num)d day left: “%(title)s”", "%(num)d days left: “%(title)s”", left, **values)
            lead = _(
                "Your response to the questionnaire “%(title)s” is not submitted yet. You can answer until "
                "%(deadline)s (UTC); after that the form closes to changes, your saved answers are kept, and "
                "a response that was not submitted stays “not submitted”.",
                **values,
            )
        body = _(
            "Hello %(vendor)s,\n\n%(lead)s\n\nOpen your response with this private link:\n%(url)s\n\n"
            "Keep it private: anyone with it can read and change your answers. "
            "Your earlier link keeps working too.\n",
            lead=lead,
            **values,
        )
    return subject, body


def deliver(items: list[reminders.Reminder]) -> None:
    """Queue the e-mails of the reminders in batches; a queue that is down is audited, never retried by a run."""
    messages = []
    with current_app.test_request_context("/", base_url=current_app.config["BASE_URL"]):
        for reminder in items:
            vendor = reminder.vendor
            subject, body = reminder_text(reminder, url_for("vendor.overview", token=reminder.token, _external=True))
            audit = {
                "evaluation_id": vendor["evaluation_id"],
                "vendor_id": vendor["vendor_id"],
                "reminder": reminder.kind,
                "deadline": reminder.deadline.isoformat(),
            }
            messages.append({"to": vendor["contact_email"], "subject": subject, "body": body, "audit": audit})
    jobs = current_app.extensions["jobs"]
    for start in range(0, len(messages), EMAIL_BATCH):
        batch = messages[start : start + EMAIL_BATCH]
        try:
            jobs.send_emails(batch, reminders.ACTOR, "reminder_emailed", "reminder_email_failed")
        except Exception as exc:  # the reminders are recorded: not sent twice, and the log says why
            current_app.logger.warning("%s reminder(s) could not be queued: %s", len(batch), exc)
            _audit_unqueued(batch, exc)


def _audit_unqueued(batch: list[dict], exc: Exception) -> None:
    db = store.open_db(current_app.config["DATABASE"])
    try:
        with db.atomic():
            for m in batch:
                store.audit(db, reminders.ACTOR, "reminder_email_failed", to=m["to"], error=str(exc)[:500],
                            **m["audit"])  # fmt: skip
    finally:
        db.close()


@click.command("send-reminders")
@click.option("--now", "at", type=click.DateTime(), hidden=True, help="Pretend it is this UTC time (tests).")
@with_appcontext
def send_reminders(at: datetime | None) -> None:
    """Send every reminder due now to vendors (idempotent: safe to run every minute, or twice at once)."""
    if not current_app.config.get("BASE_URL"):
        raise click.ClickException(
            "set BASE_URL in instance/config.py to the address vendors open (e.g. https://stagefour.example.com): "
            "reminders carry links"
        )
    if not current_app.config.get("MAIL_SERVER"):
        raise click.ClickException("set MAIL_SERVER in instance/config.py: reminders are sent by e-mail")
    now = at.replace(tzinfo=UTC) if at else datetime.now(UTC)
    db = store.open_db(current_app.config["DATABASE"])
    try:
        sent = reminders.send_due(db, now, deliver)
        # The buyers hear of each vendor gone overdue once, on the same schedule (stagefour/notifications.py).
        with current_app.test_request_context("/", base_url=current_app.config["BASE_URL"]):
            told = tell_overdue(now)
    finally:
        db.close()
    click.echo(f"{len(sent)} reminder(s) queued; {told} overdue notice(s) e-mailed to buyers")
