"""Languages: Flask-Babel's locale selection and the language switch."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint
from flask import Flask
from flask import current_app
from flask import g
from flask import redirect
from flask import request
from flask import session
from flask_babel import Babel
from flask_babel import format_date
from flask_babel import format_datetime
from flask_babel import get_locale
from flask_babel import get_timezone
from flask_babel import get_translations
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from stagefour import commercials
from stagefour import richtext
from stagefour.evidence import BINARY_TYPES
from stagefour.evidence import TEXT_TYPES
from stagefour.messages import language_name
from stagefour.messages import render
from stagefour.numbers import readable_money
from stagefour.numbers import readable_number
from stagefour.questionnaire import localize
from stagefour.scoring import reason

ACCEPTED_UPLOADS = ",".join(f".{ext}" for ext in [*BINARY_TYPES, *TEXT_TYPES])
ACCEPTED_NAMES = ", ".join(ext.upper() for ext in [*BINARY_TYPES, *TEXT_TYPES])  # what a vendor reads

babel = Babel()
bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    """The vendor's chosen language on a vendor page, else the session's, else the browser's."""
    languages = current_app.config["LANGUAGES"]
    chosen = g.get("vendor_language") or session.get("language")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or "en"


def _request_translations():
    translations = g.get("_translations")
    if translations is None:
        translations = g._translations = get_translations()
    return translations


@pass_context
def _template_gettext(context: Context, string: str, **variables) -> str:
    """Jinja's newstyle gettext (jinja2.ext._make_new_gettext) without its indirections."""
    translated = _request_translations().ugettext(string)
    if context.eval_ctx.autoescape:
        translated = Markup(translated)
    return translated % variables


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go back to; anything pointing at another site becomes the default."""
    if not target:
        return default
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(ch) < 32 or ord(ch) == 127 for ch in target)  # CR/LF would break the header
    ):
        return default
    return target


@bp.post("/language")
def switch_language():
    """Remember a language for this browser session and go back."""
    language = request.form.get("language", "")
    if language in current_app.config["LANGUAGES"]:
        session["language"] = language
    return redirect(safe_next(request.form.get("next")))


def _datetime(value: str | None) -> str:
    if not value:
        return ""
    try:
        return _datetime_in(value, str(get_locale()), str(get_timezone()))
    except (TypeError, ValueError, OverflowError):
        return str(value)[:60]  # whatever old data holds is shown, never a 500


@lru_cache(maxsize=4096)
def _datetime_in(value: str, locale: str, timezone: str) -> str:
    """Babel's formatting (~20 µs) kept by the request's locale and time zone, which it reads."""
    return format_datetime(datetime.fromisoformat(value), "medium")


def _day(value: str | None) -> str:
    if not value:
        return ""
    try:
        return format_date(date.fromisoformat(value), "long")
    except (TypeError, ValueError, OverflowError):
        return str(value)[:60]


def message(text: Any) -> str:
    """A core message (flag, reason, verdict) in the reader's language; any other value as it is."""
    return render(text, _request_translations(), get_locale())


def _number(value: Any) -> str:
    return readable_number(value, get_locale())


def money(value: Any, currency: str) -> str:
    """An amount with the evaluation's currency, as the reader's locale writes it; never converted."""
    return readable_money(value, currency, get_locale())


def filesize(size: Any) -> str:
    """A size in bytes, kB or MB for the reader's locale; anything else shown as it is."""
    if isinstance(size, bool) or not isinstance(size, int | float):
        return readable_number(size, get_locale())  # old data of the wrong type, shown, never a 500
    if size < 1000:
        return _("%(n)s bytes", n=readable_number(size, get_locale()))
    if size < 1_000_000:
        return _("%(n)s kB", n=readable_number(size / 1000, get_locale()))
    return _("%(n)s MB", n=readable_number(size / 1_000_000, get_locale()))


def upload_limit(max_bytes: int) -> str:
    """The largest file accepted, in the reader's locale, rounded down: never more than is kept."""
    if max_bytes >= 1_000_000:
        return _("%(n)s MB", n=readable_number(max_bytes // 1_000_000, get_locale()))
    return filesize(max_bytes)


VERDICT_LABELS = {
    "stage4_verified": _l("Stage 4, verified"),
    "stage4_unverified": _l("Stage 4 evidence, unverified"),
    "stage3_no_failures": _l("Stage 3: no failure modes on recent deployments"),
    "stage3_no_engineers": _l("Stage 3: no named engineers on recent deployments"),
    "stage3_no_deployments": _l("Stage 3: no recent production deployments"),
    "incomplete": _l("Incomplete"),
    # a questionnaire's own `verdict:` thresholds (issue 15)
    "meets": _l("Meets the requirements"),
    "meets_with_conditions": _l("Meets the requirements with conditions"),
    "does_not_meet": _l("Does not meet the requirements"),
}
OVERLAY_LABELS = {
    "security_blocker": _l("Security blocker"),
    "lock_in": _l("Lock-in risk"),
    "data_residency": _l("Data residency conflict"),
}
SEVERITY_LABELS = {"high": _l("high"), "medium": _l("medium"), "low": _l("low")}

STATUS_LABELS = {
    "invited": _l("Invited"),
    "in_progress": _l("In progress"),
    "submitted": _l("Submitted"),
    "reopened": _l("Reopened"),
}


def init_app(app: Flask) -> None:
    """Install Babel, the language switch, and the filters that format for the reader's locale."""
    babel.init_app(app, locale_selector=select_locale, default_translation_directories="translations")
    # Flask-Babel's template gettext looks the catalogue up again on every call (~40 µs); a
    # vendor page has dozens of strings, so the catalogue is looked up once per request.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _request_translations().ugettext(s),
        ngettext=lambda s, p, n: _request_translations().ungettext(s, p, n),
        newstyle=True,
    )
    # Jinja's `_` is an alias that looks `gettext` up and calls through two more layers on every
    # call; `_template_gettext` does the same newstyle work (escape, then always format) in one.
    app.jinja_env.globals["_"] = app.jinja_env.globals["gettext"] = _template_gettext
    app.register_blueprint(bp)
    app.add_template_filter(localize, "t")
    app.add_template_filter(_datetime, "datetime")
    app.add_template_filter(_day, "day")
    app.add_template_filter(_number, "number")
    app.add_template_filter(message, "msg")
    app.add_template_filter(lambda why: message(reason(why)), "why")
    app.add_template_filter(filesize, "filesize")
    app.add_template_filter(money, "money")
    app.add_template_filter(commercials.currency, "currency")  # a buyer profile's currency, EUR when unset
    app.add_template_filter(richtext.markdown, "markdown")
    app.add_template_global(ACCEPTED_UPLOADS, "accepted_files")
    app.add_template_global(lambda status: str(STATUS_LABELS.get(status, status)), "status_label")
    app.add_template_global(zip, "zip")
    app.add_template_global(lambda code: str(VERDICT_LABELS.get(code, code)), "verdict_label")
    app.add_template_global(lambda code: str(OVERLAY_LABELS.get(code, code)), "overlay_label")
    app.add_template_global(lambda code: str(SEVERITY_LABELS.get(code, code)), "severity_label")

    @app.context_processor
    def languages() -> dict:
        names = {code: language_name(code) for code in current_app.config["LANGUAGES"]}
        return {"language_names": names, "current_language": str(get_locale())}
