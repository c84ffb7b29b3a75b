"""Telling a vendor that their link changed: reissued (the old one stops working) or revoked.

Issue 11: a second owner reissued a vendor's link, used it, and the vendor's own link just
stopped working without a word. Now a vendor with a contact address gets an e-mail saying
what happened, by which organisation, and whom to contact. It never carries the new link:
that goes only in the link's own e-mail (views/buyer.py), to the same address.
"""

from __future__ import annotations

from flask import current_app
from flask import flash
from flask_babel import force_locale
from flask_babel import gettext as _

from stagefour import store
from views.db import get_db

EVENTS = ("reissued", "revoked")


def _organisation() -> str:
    """How the vendor knows the buyer: ORGANISATION_NAME, else the address the e-mail comes from."""
    return current_app.config.get("ORGANISATION_NAME") or current_app.config["MAIL_SENDER"]


def _contact(vendor: dict) -> str:
    """Whom the vendor should ask: the person who first invited them, else the sender's address."""
    inviter = store.original_inviters(get_db(), vendor["evaluation_id"]).get(vendor["id"])
    user = store.get_user(get_db(), inviter) if inviter is not None else None
    return user["email"] if user else current_app.config["MAIL_SENDER"]


def notice_text(evaluation: dict, vendor: dict, event: str, stamp: str) -> tuple[str, str]:
    """The subject and body of the notice, in the vendor's language."""
    values = {
        "vendor": vendor["name"],
        "title": evaluation["title"],
        "organisation": _organisation(),
        "contact": _contact(vendor),
        "when": stamp.replace("T", " ").removesuffix("+00:00"),
    }
    with force_locale(vendor["language"]):
        if event == "reissued":
            subject = _("Your link to “%(title)s” was replaced", **values)
            body = _(
                "Hello %(vendor)s,\n\n"
                "%(organisation)s replaced your private link to the questionnaire “%(title)s” on %(when)s (UTC). "
                "The link you had no longer works; your answers are kept.\n\n"
                "A new link is sent only in a separate e-mail. If you receive none, or did not expect this change, "
                "contact %(contact)s before you answer again.\n",
                **values,
            )
        else:
            subject = _("Your link to “%(title)s” was withdrawn", **values)
            body = _(
                "Hello %(vendor)s,\n\n"
                "%(organisation)s withdrew your private link to the questionnaire “%(title)s” on %(when)s (UTC). "
                "The link no longer works; your answers are kept.\n\n"
                "If you did not expect this, contact %(contact)s.\n",
                **values,
            )
    return subject, body


def tell_vendor(evaluation: dict, vendor: dict, event: str, actor: str) -> None:
    """Queue an e-mail telling the vendor their link was reissued or revoked (mail on, an address known)."""
    if not current_app.config["MAIL_SERVER"] or not vendor["contact_email"]:
        return
    subject, body = notice_text(evaluation, vendor, event, store.now())
    try:
        # A job retries a failed send (stagefour/jobs.py) and audits vendor_notified or vendor_notice_failed.
        current_app.extensions["jobs"].send_email(
            vendor["contact_email"], subject, body, actor, "vendor_notified", "vendor_notice_failed",
            evaluation_id=evaluation["id"], vendor_id=vendor["id"], event=event,
        )  # fmt: skip
    except Exception as exc:  # the queue itself is down: say so, the change stands
        current_app.logger.warning("notice to vendor %s could not be queued: %s", vendor["id"], exc)
        store.audit(
            get_db(), actor, "vendor_notice_failed", evaluation_id=evaluation["id"], vendor_id=vendor["id"],
            to=vendor["contact_email"], event=event, error=str(exc)[:500],
        )  # fmt: skip
        flash(_("%(name)s could not be told by e-mail: tell them yourself.", name=vendor["name"]), "error")
