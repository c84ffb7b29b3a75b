"""Reports: the comparison PDF a committee reads, and a vendor's receipt, made with WeasyPrint.

No Flask here: the views, the CLI (`flask report`) and bench/pdf.py call the same functions.

Safety. Every template is rendered by a Jinja environment with autoescape on, so a vendor's
`<img src=…>` is printed as text and never becomes an element. WeasyPrint fetches every URL
in the HTML it is given (../shared/STYLE.md), so it gets `url_fetcher()`: it serves files
under static/ and refuses every other URL (http, https, data:, file: outside static/).

Cache. A PDF is stored under the SHA-256 of what it is made from: the evaluation's raw
inputs (its settings, vendors, answers, evaluator scores, verifications, clarifications),
the as-of date, the language, the page size and the version of the code and templates that
turn those into pages. The key is computed from the raw rows and not from `compare()`'s
output because the weight sensitivity alone takes ~50 ms for 20 vendors, and a cached PDF
must download in under 50 ms. "Generated at/by" on the cover is not part of the key: it
says when and for whom that file was made.

Words. The PDF's interface words are in the app's Babel catalogues (translations/, made by
`flask --app app translate update|compile`), read here with Babel itself: the report is rendered
outside a request (jobs, CLI) in a language chosen per document, and the core imports no Flask.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import mimetypes
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from urllib.parse import urlsplit

from babel import Locale
from babel.dates import format_date
from babel.dates import format_datetime
from babel.support import NullTranslations
from babel.support import Translations
from babel.units import format_unit
from jinja2 import Environment
from jinja2 import FileSystemLoader
from jinja2 import StrictUndefined
from jinja2 import pass_context
from markupsafe import Markup
from sqlite_utils import Database

from stagefour import commercials
from stagefour import messages
from stagefour import richtext
from stagefour import store
from stagefour.evaluations import Comparison
from stagefour.evaluations import compare
from stagefour.numbers import PLAIN_LIMIT
from stagefour.numbers import readable_money
from stagefour.numbers import readable_number
from stagefour.numbers import readable_percent
from stagefour.profiles import PROFILES
from stagefour.profiles import profile_for
from stagefour.questionnaire import Band
from stagefour.questionnaire import Condition
from stagefour.questionnaire import Question
from stagefour.questionnaire import Questionnaire
from stagefour.questionnaire import Section
from stagefour.questionnaire import answer_reference
from stagefour.questionnaire import localize
from stagefour.questionnaire import specify_key
from stagefour.scoring import GENERIC_VERDICTS
from stagefour.scoring import reason

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
STATIC = ROOT / "static"
TRANSLATIONS = ROOT / "translations"
STYLESHEET = "report.css"
LANGUAGES = messages.catalogue_languages(TRANSLATIONS)
PAGE_SIZES = {"a4": "A4", "letter": "letter"}
# Where US Letter is the paper in use (the brief's and CLDR's main ones); A4 everywhere else.
LETTER_TERRITORIES = frozenset({"US", "CA"})
# Vendors side by side per row of an answer table: four columns of ~45 mm on A4 and Letter.
COLUMNS = 4
# Vendors in a ranking with red-flag messages; more and it shows the codes only.
COMPACT_AFTER = 6
# Rows of a repeating group per table (rows become columns; fields are the table's rows).
GROUP_COLUMNS = 4
# A section's item points, one column per item: the width left beside the vendor and score
# columns (mm on A4 and Letter), and what one character of a display number takes at 7.5 pt.
# More items than fit are split into several tables; when fewer than ITEMS_AT_LEAST fit (long
# ids), the table is turned: items as rows, vendors as columns (issue 15: 100 items made 100
# unreadable columns).
ITEM_WIDTH = 100.0
ITEM_CHAR = 1.75
ITEM_PADDING = 3.0
ITEMS_AT_LEAST = 5
# Past this many questions a section's answers are one table, a row per question: a block per
# question made a 1,000-question comparison 233 pages, 139 s and 765 MB (issue 15, scale).
COMPACT_QUESTIONS = 20
# What the key covers besides the data: the code and templates that turn data into pages.
VERSIONED = (
    "stagefour/report.py",
    "stagefour/scoring.py",
    "stagefour/profiles/__init__.py",
    *(path for profile in PROFILES.values() for path in profile.sources),
    "stagefour/dates.py",
    "stagefour/flags.py",
    "stagefour/comparison.py",
    "stagefour/evaluations.py",
    "templates/report/_layout.html",
    "templates/report/_macros.html",
    "templates/report/comparison.html",
    "templates/report/receipt.html",
    "templates/_commercials.html",
    "stagefour/commercials.py",
    "stagefour/processors.py",
    "stagefour/numbers.py",
    "static/report.css",
    "stagefour/messages.py",
    *(f"translations/{lang}/LC_MESSAGES/messages.mo" for lang in LANGUAGES if lang != "en"),
)

# --- words -------------------------------------------------------------------------------------


def N_(text: str) -> str:
    """Mark a text for `pybabel extract`: it is translated where it is shown (Formats.gettext)."""
    return text


# Codes shown in words. N_ only marks the English for the catalogues; Formats translates it when shown.
STATUS_WORDS = {
    "invited": N_("Invited"),
    "in_progress": N_("In progress"),
    "submitted": N_("Submitted"),
    "reopened": N_("Reopened"),
}
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
# The committee's outcomes (issue 12; store.OUTCOMES).
OUTCOME_WORDS = {"award": N_("Award"), "shortlist": N_("Shortlist"), "reject": N_("Reject")}
# Number units the locale writes itself, singular and plural (CLDR through Babel): "1 month", "2 Monate".
CLDR_UNITS = {"hours": "duration-hour", "days": "duration-day", "weeks": "duration-week", "months": "duration-month"}


def _profiles_words(attribute: str) -> dict:
    # A verdict, overlay or metric code comes only from the profile that defines it, so one lookup serves all.
    return {code: words for profile in PROFILES.values() for code, words in getattr(profile, attribute).items()}


GATES = _profiles_words("gates")
OVERLAY_WORDS = _profiles_words("overlay_words")
METRIC_WORDS = _profiles_words("metric_words")


@functools.cache
def translations(lang: str) -> NullTranslations:
    """The app's Babel catalogue of `lang` (translations/); English has none and keeps the source text."""
    return Translations.load(str(TRANSLATIONS), [lang], domain="messages")


def check_language(lang: str) -> str:
    """A supported language code, or ValueError."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r} (known: {', '.join(LANGUAGES)})")
    return lang


def paper_for(territory: str | None) -> str:
    """The page size a territory (ISO 3166 code) uses: "letter" in the US and Canada, else "a4"."""
    return "letter" if territory in LETTER_TERRITORIES else "a4"


def check_size(size: str) -> str:
    """A supported page size, or ValueError."""
    if size not in PAGE_SIZES:
        raise ValueError(f"unknown page size {size!r} (known: {', '.join(PAGE_SIZES)})")
    return size


class Formats:
    """Numbers, dates and answers written for one reader's locale (Babel)."""

    def __init__(self, lang: str, currency: str | None = None):
        self.lang = lang
        # The evaluation's, the unit of every money answer; None writes amounts as plain numbers
        # (the audit log: an entry may predate the currency the buyer has now).
        self.currency = currency
        self.locale = Locale.parse(lang)
        self.translations = translations(lang)
        # The locale's own percent pattern (its spacing before %), with one optional decimal.
        self.percent_pattern = self.locale.percent_formats[None].pattern.replace("#,##0", "#,##0.#", 1)

    def gettext(self, text: str, **values: Any) -> str:
        """`text` in the reader's language, always %-formatted (as Jinja's `_()`: a literal % is %%)."""
        return self.translations.gettext(text) % values

    def ngettext(self, singular: str, plural: str, num: int, **values: Any) -> str:
        """The singular or plural of `num` in the reader's language, %-formatted with `num` and `values`."""
        return self.translations.ngettext(singular, plural, num) % ({"num": num} | values)

    def number(self, value: float | None, pattern: str = "#,##0.#") -> str:
        """A number with at most one decimal, or a dash."""
        return readable_number(value, self.locale, pattern)

    def points(self, value: float | None) -> str:
        """Item points (up to two decimals: means of evaluator scores)."""
        return self.number(value, "#,##0.##")

    def percent(self, value: float | None) -> str:
        """A share given on 0–100."""
        return readable_percent(value, self.locale, self.percent_pattern)

    def day(self, value: str | date | None) -> str:
        """A date, long form."""
        if not value:
            return ""
        try:
            day = value if isinstance(value, date) else date.fromisoformat(value)
        except ValueError:
            return str(value)
        return format_date(day, "long", locale=self.locale)

    def short_day(self, value: str | None) -> str:
        """A date, medium form (inside tables)."""
        if not value:
            return ""
        try:
            return format_date(date.fromisoformat(value), "medium", locale=self.locale)
        except ValueError:
            return str(value)

    def datetime(self, value: str | datetime | None) -> str:
        """A moment in UTC."""
        if not value:
            return ""
        try:
            moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
        except ValueError:
            return str(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return format_datetime(moment, "medium", tzinfo=UTC, locale=self.locale) + " UTC"

    def value(self, q: Question, value: Any, specified: dict | None = None) -> str:
        """An answer (or a sub-field of a group row) as text; '' when unanswered.

        `specified` (the response's answers) adds an option's "please specify" text after its label.
        """
        if value is None or value == "":
            return ""
        kind = q.type

        def option(v: Any) -> str:
            text = (specified or {}).get(specify_key(q.id, v)) if isinstance(v, str) else None
            return q.option_label(v, self.lang) + (f": “{text}”" if isinstance(text, str) and text else "")

        if kind == "yes_no":
            return self.gettext("Yes") if value is True else self.gettext("No") if value is False else str(value)
        if kind == "single":
            return option(value)
        if kind == "multi":
            if not isinstance(value, list):
                return str(value)
            return "; ".join(option(v) for v in value) or self.gettext("None of these")
        if kind == "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                return self.number(value)  # old data of the wrong type: short text, never a raise
            if q.money and self.currency:
                return readable_money(value, self.currency, self.locale)
            cldr = CLDR_UNITS.get(q.unit.get("en", ""))
            if cldr and math.isfinite(value) and abs(value) < PLAIN_LIMIT:
                return format_unit(value, cldr, length="long", format="#,##0.##", locale=self.locale)
            unit = localize(q.unit, self.lang)
            return self.number(value, "#,##0.##") + (f" {unit}" if unit else "")
        if kind == "date":
            return self.short_day(value)
        if kind == "file":
            files = value if isinstance(value, list) else [value]
            return "; ".join(str(f.get("name", "")) if isinstance(f, dict) else str(f) for f in files)
        if kind == "id_list":
            return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        if kind == "group" and isinstance(value, list):
            return self.translations.ngettext("%(num)s row", "%(num)s rows", len(value)) % {"num": len(value)}
        return str(value)

    def status(self, status: str) -> str:
        """A response status in words."""
        return self.gettext(STATUS_WORDS[status]) if status in STATUS_WORDS else status

    def outcome(self, outcome: str) -> str:
        """The committee's outcome for a vendor in words."""
        return self.gettext(OUTCOME_WORDS[outcome]) if outcome in OUTCOME_WORDS else outcome

    def message(self, text: Any) -> str:
        """A core message (flag, reason, verdict) in the reader's language; any other value as it is."""
        return messages.render(text, self.translations, self.locale)

    def verdict(self, verdict: dict | None) -> str:
        """A verdict's label in the reader's language (it names what is missing), or the gate's words."""
        if not verdict:
            return "—"
        label = verdict.get("label")
        if isinstance(label, messages.Message) or verdict["code"] not in GATES:
            return self.message(label)
        return self.gettext(GATES[verdict["code"]])

    def money(self, value: Any, currency: str) -> str:
        """An amount in the evaluation's currency (Babel's currency format), or a dash."""
        return readable_money(value, currency, self.locale)

    def overlay(self, code: str, label: str) -> str:
        """An overlay beside a verdict."""
        return self.gettext(OVERLAY_WORDS[code]) if code in OVERLAY_WORDS else self.message(label)


# --- the URL fetcher ---------------------------------------------------------------------------


class ForbiddenURL(ValueError):
    """A URL the PDF renderer may not fetch: anything but a file under static/."""


def static_path(url: str, root: Path = STATIC) -> Path:
    """The file under `root` a `file:` URL names, or ForbiddenURL."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "file":
        raise ForbiddenURL(f"refused {parts.scheme or 'relative'} URL: {url[:200]}")
    if parts.netloc not in ("", "localhost"):
        raise ForbiddenURL(f"refused file URL on another host: {url[:200]}")
    root = root.resolve()
    # resolve() follows symlinks and removes "..", so nothing outside static/ gets through.
    path = Path(unquote(parts.path)).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise ForbiddenURL(f"refused file outside {root}: {url[:200]}")
    return path


@functools.cache
def _fetcher_class():
    # WeasyPrint takes ~0.5 s to import: only when a PDF is made, not whenever the app starts.
    from weasyprint.urls import URLFetcher
    from weasyprint.urls import URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        """Serves files under static/; refuses every other URL."""

        def __init__(self, root: Path = STATIC):
            super().__init__(timeout=1, allowed_protocols=("file",), allow_redirects=False, fail_on_errors=False)
            self.root = root
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            try:
                path = static_path(url, self.root)
            except ForbiddenURL:
                self.refused.append(url)
                raise
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(path.as_uri(), body=path.read_bytes(), headers={"Content-Type": kind})

    return StaticOnlyFetcher


def url_fetcher(root: Path = STATIC):
    """A WeasyPrint URL fetcher that only serves files under `root` (static/)."""
    return _fetcher_class()(root)


# --- inputs and keys ---------------------------------------------------------------------------

_version_cache: dict[tuple, str] = {}


def code_version() -> str:
    """SHA-256 over the report's templates, stylesheet and the code that scores and ranks."""
    stamps = tuple((name, (ROOT / name).stat().st_mtime_ns) for name in VERSIONED if (ROOT / name).exists())
    version = _version_cache.get(stamps)
    if version is None:
        digest = hashlib.sha256()
        for name, _ in stamps:
            digest.update(name.encode() + b"\0" + (ROOT / name).read_bytes() + b"\0")
        version = _version_cache[stamps] = digest.hexdigest()
    return version


def _canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


def comparison_inputs(db: Database, evaluation: dict) -> dict:
    """Everything `compare()` reads for an evaluation, as raw rows (what the key is made of)."""
    vendors = store.list_vendors(db, evaluation["id"])
    response_ids = [v["response_id"] for v in vendors]
    return {
        "evaluation": {
            k: evaluation[k] for k in ("id", "title", "snapshot_id", "deadline", "weights", "buyer_profile")
        },
        "vendors": [
            {k: v[k] for k in ("id", "name", "response_id", "status", "version", "submitted_at")} for v in vendors
        ],
        "answers": store.answers_by_response(db, response_ids),
        "manual": store.manual_scores(db, response_ids),
        "verifications": store.verifications(db, response_ids),
        "threads": store.clarifications(db, response_ids),
        # A decision recorded or reopened changes the PDF's summary, so its key (issue 12).
        "decisions": {str(k): v for k, v in store.current_decisions(db, evaluation["id"]).items()},
    }


def comparison_key(inputs: dict, questionnaire: Questionnaire, as_of: date, lang: str, size: str) -> str:
    """The cache key of a comparison PDF."""
    head = _canonical(["comparison", questionnaire.hash, as_of.isoformat(), lang, size, code_version()])
    return hashlib.sha256(head + b"\n" + _canonical(inputs)).hexdigest()


def answers_fingerprint(answers: dict) -> str:
    """SHA-256 of a response's answers in canonical JSON: what the vendor can check their receipt by."""
    return hashlib.sha256(_canonical(answers)).hexdigest()


def receipt_key(vendor: dict, evaluation: dict, answers: dict, questionnaire: Questionnaire, lang: str, size: str):
    """The cache key of a vendor's receipt."""
    facts = {k: vendor.get(k) for k in ("id", "name", "status", "version", "submitted_at", "language")}
    money = commercials.currency(evaluation.get("buyer_profile") or {})  # the unit of its money answers
    head = _canonical(["receipt", questionnaire.hash, evaluation["title"], money, facts, lang, size, code_version()])
    return hashlib.sha256(head + b"\n" + _canonical(answers)).hexdigest()


# --- the comparison as plain data --------------------------------------------------------------


def comparison_model(comparison: Comparison, evaluation: dict, questionnaire: Questionnaire) -> dict:
    """What the comparison PDF shows, as plain data: the evaluation, then vendors best first."""
    vendors = []
    for rank, review in enumerate(comparison.reviews, 1):
        result = review.result.to_dict()
        flags = sorted(result["red_flags"], key=lambda f: (SEVERITY_ORDER.get(f["severity"], 9), _code_order(f)))
        name = review.vendor["name"]
        vendors.append(
            {
                "rank": rank,
                "id": review.vendor["id"],
                "name": name,
                "status": review.vendor["status"],
                "submitted_at": review.vendor["submitted_at"],
                "answers": review.answers,
                "result": result,
                "top_flags": flags[:3],
                "flag_codes": [{"code": f["code"], "severity": f["severity"]} for f in flags],
                "more_flags": max(len(flags) - 3, 0),
                "manual": [
                    {k: m[k] for k in ("question_id", "evaluator", "score", "comment", "updated_at")}
                    for m in review.manual
                ],
                "third_opinions": [qid for qid, i in result["items"].items() if i.get("needs_third_opinion")],
                "verifications": review.verifications,
                "changed_since_verified": review.changed_since_verified,
                "location": comparison.locations.get(review.vendor["id"]) if comparison.locations else None,
                "threads": [
                    {
                        "question_id": t["question_id"],
                        "status": t["status"],
                        "created_at": t["created_at"],
                        "messages": [
                            {
                                "by_vendor": str(m["author"]).startswith("vendor:"),
                                "body": m["body"],
                                "created_at": m["created_at"],
                            }
                            for m in t["messages"]
                        ],
                    }
                    for t in review.threads
                ],
            }
        )
    return {
        "evaluation": {k: evaluation.get(k) for k in ("id", "title", "deadline", "buyer_profile")},
        "questionnaire": {"id": questionnaire.id, "version": questionnaire.version, "hash": questionnaire.hash},
        "checks": questionnaire.checks is not None,
        # a verdict column and a red-flags part for the checks, or a questionnaire's own verdict and warnings (issue 15)
        "verdict": questionnaire.checks is not None or bool(questionnaire.verdict),
        "flags": questionnaire.checks is not None or any(q.warnings for q in questionnaire.questions.values()),
        "as_of": comparison.as_of.isoformat(),
        "weights": comparison.weights,
        "stable": comparison.stable,
        "sensitivities": [asdict(s) for s in comparison.sensitivities],
        "vendors": vendors,
        # the committee's decision (issue 12): vendor id (as JSON keys are strings) -> the decision in force
        "decisions": {str(vendor_id): d for vendor_id, d in comparison.decisions.items()},
        # questionnaire 1.1: beside the verdicts, never in the score (None on a 1.0 snapshot)
        "commercials": comparison.commercials,
    }


def _code_order(flag: dict) -> int:
    code = flag.get("code", "")
    return int(code[1:]) if code[1:].isdigit() else 999


# --- words for rules, bands, conditions --------------------------------------------------------


def _band_words(band: Band, fmt: Formats) -> str:
    n = fmt.points
    if band.within_months is not None:
        return fmt.ngettext("within %(num)s month", "within %(num)s months", band.within_months)
    if band.min is not None and band.max is not None:
        return f"{n(band.min)}–{n(band.max)}"
    parts = []
    for bound, sign in ((band.min, "≥"), (band.above, ">"), (band.max, "≤"), (band.below, "<")):
        if bound is not None:
            parts.append(f"{sign} {n(bound)}")
    return (" " + fmt.gettext("and") + " ").join(parts) or fmt.gettext("any")


def _bands_words(bands, fmt: Formats) -> str:
    return "; ".join(f"{_band_words(b, fmt)} → {fmt.points(b.points)}" for b in bands)


def _compound_words(cond: Condition, questionnaire: Questionnaire, fmt: Formats) -> str:
    """A `visible_if` in words, all / any / not included: "H1 is one of … and not (S1 is yes)"."""
    if cond.op is None:
        return f"{cond.question} {_condition_words(cond, questionnaire, fmt)}"
    if cond.op == "not":
        return fmt.gettext("not (%(condition)s)", condition=_compound_words(cond.parts[0], questionnaire, fmt))
    joiner = " " + (fmt.gettext("and") if cond.op == "all" else fmt.gettext("or")) + " "
    words = [_compound_words(part, questionnaire, fmt) for part in cond.parts]
    return joiner.join(f"({w})" if part.op in ("all", "any") else w for w, part in zip(words, cond.parts, strict=True))


def _condition_words(cond: Condition, questionnaire: Questionnaire, fmt: Formats) -> str:
    target = questionnaire.questions.get(cond.question)
    shown = (lambda v: fmt.value(target, v)) if target else str
    if cond.one_of is not None:
        return fmt.gettext("is one of %(values)s", values=", ".join(shown(v) for v in cond.one_of))
    if cond.band is not None:
        return fmt.gettext("is %(range)s", range=_band_words(cond.band, fmt))
    return fmt.gettext("is %(value)s", value=shown(cond.equals))


def rule_words(q: Question, questionnaire: Questionnaire, fmt: Formats) -> str:
    """A question's scoring rule in words."""
    _, rule, p = fmt.gettext, q.scoring, fmt.points
    kind = rule.kind
    if kind == "none":
        text = _("Shown, not scored.")
    elif kind == "manual":
        text = _("Scored 0–5 by evaluators against the rubric; the mean of their scores counts.")
    elif kind == "points":
        if q.type == "yes_no":
            pairs = [(_("Yes"), rule.points.get("yes", 0.0)), (_("No"), rule.points.get("no", 0.0))]
        else:
            pairs = [(q.option_label(v, fmt.lang), pts) for v, pts in rule.points.items()]
        text = _("Points by answer: %(list)s; any other answer 0.", list="; ".join(f"{a} {p(b)}" for a, b in pairs))
        na = [q.option_label(o.value, fmt.lang) for o in q.options if o.not_applicable]
        if na:  # issue 15: such an answer leaves the section's denominator
            text += " " + _("“%(answer)s” makes the question not applicable.", answer="”, “".join(na))
    elif kind == "per_option":
        listed = "; ".join(f"{q.option_label(v, fmt.lang)} {p(pts)}" for v, pts in rule.points.items() if pts)
        text = _("Each option chosen adds its points, at most %(max)s: %(list)s.", max=p(rule.max), list=listed)
        if rule.evidence:
            text += " " + _(
                "An option counts only while a file in %(question)s backs it (one file per option).",
                question=rule.evidence,
            )
    elif kind == "share":
        text = _(
            "The share of the %(count)s options chosen × %(points)s.", count=len(q.options), points=p(rule.points["*"])
        )
    elif kind == "bands":
        text = _(
            "By the number given: %(list)s; otherwise %(otherwise)s.",
            list=_bands_words(rule.bands, fmt),
            otherwise=p(rule.otherwise),
        )
    elif kind == "age":
        text = _(
            "By the date given: %(list)s; otherwise %(otherwise)s; a date in the future earns 0.",
            list=_bands_words(rule.bands, fmt),
            otherwise=p(rule.otherwise),
        )
    else:  # metric
        metric = fmt.gettext(METRIC_WORDS[rule.metric]) if rule.metric in METRIC_WORDS else rule.metric
        text = _("Worked out from other answers: %(metric)s.", metric=metric)
        if rule.scale is not None:
            text += " " + _("Points: the value × %(scale)s.", scale=p(rule.scale))
        else:
            text += " " + _(
                "By the value: %(list)s; otherwise %(otherwise)s.",
                list=_bands_words(rule.bands, fmt),
                otherwise=p(rule.otherwise),
            )
    for bonus in rule.bonus:
        text += " " + _(
            "+%(points)s when %(question)s %(condition)s.",
            points=p(bonus.points),
            question=bonus.condition.question,
            condition=_condition_words(bonus.condition, questionnaire, fmt),
        )
    if rule.scored and q.weight != 1:
        text += " " + _("Counts %(weight)s× within its section.", weight=p(q.weight))
    if q.visible_if is not None and q.visible_if.op is not None:
        text += " " + _("Shown only when %(condition)s.", condition=_compound_words(q.visible_if, questionnaire, fmt))
    elif q.visible_if is not None:
        text += " " + _(
            "Shown only when %(question)s %(condition)s.",
            question=q.visible_if.question,
            condition=_condition_words(q.visible_if, questionnaire, fmt),
        )
    return text


# --- the chart -------------------------------------------------------------------------------

CHART_WIDTH = 180.0  # SVG user units (≈ mm at full width on A4)
CHART_LABEL = 46.0
CHART_ROW = 7.0
CHART_HEAD = 9.0
CHART_HEAD_SIZE = 3.0  # font size of a column heading, and the smallest it shrinks to
CHART_HEAD_MIN = 1.9
CHART_CHAR = 0.75  # width of a bold capital, in font sizes


def chart(model: dict, questionnaire: Questionnaire, fmt: Formats) -> dict:
    """Geometry of the section-score chart: a row per vendor, a bar per section, then the overall."""
    columns = [(s.id, s.shown_number) for s in questionnaire.sections] + [("overall", "Σ")]
    width = (CHART_WIDTH - CHART_LABEL) / len(columns)
    bar = width - 1.6
    rows = []
    for i, v in enumerate(model["vendors"]):
        y = CHART_HEAD + i * CHART_ROW
        cells = []
        for j, (sid, _) in enumerate(columns):
            if sid == "overall":
                res = v["result"]
                score, low, high = res["overall"], res["range"]["low"], res["range"]["high"]
                provisional = res["provisional"]
            else:
                detail = v["result"]["section_details"][sid]
                score, low, high = detail["score"], detail["range"]["low"], detail["range"]["high"]
                provisional = detail["provisional"]
            x = CHART_LABEL + j * width + 0.8
            cell = {"x": round(x, 2), "width": round(bar, 2), "score": score, "text": fmt.number(score)}
            cell["bar"] = round(bar * (score or 0) / 100, 2) if score is not None else None
            if provisional and low is not None and high is not None:
                cell["low"] = round(x + bar * low / 100, 2)
                cell["range"] = round(bar * (high - low) / 100, 2)
            else:
                cell["low"] = None
            if score is None and low is None:
                cell["text"] = fmt.gettext("n/a")
            cells.append(cell)
        rows.append({"y": y, "label": _shorten(f"{v['rank']}. {v['name']}", 30), "cells": cells})
    # Twenty sections or long ids (issue 15, scale): the headings shrink to their column, down to a
    # readable size, then are cut with an ellipsis (the legend below names every section in full).
    longest = max(len(text) for _, text in columns)
    size = max(CHART_HEAD_MIN, min(CHART_HEAD_SIZE, round(0.9 * width / (CHART_CHAR * longest), 2)))
    fits = max(2, int(0.9 * width / (CHART_CHAR * size)))
    heads = [
        {
            "x": round(CHART_LABEL + j * width + width / 2, 2),
            "text": _shorten(text, fits),
            "overall": sid == "overall",
            "size": size,
        }
        for j, (sid, text) in enumerate(columns)
    ]
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEAD + len(rows) * CHART_ROW + 1,
        "label": CHART_LABEL,
        "row": CHART_ROW,
        "heads": heads,
        "rows": rows,
        "divider": round(CHART_LABEL + (len(columns) - 1) * width, 2),
    }


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- HTML ------------------------------------------------------------------------------------


@pass_context
def _f_number(ctx, value):
    return ctx["fmt"].number(value)


@pass_context
def _f_points(ctx, value):
    return ctx["fmt"].points(value)


@pass_context
def _f_percent(ctx, value):
    return ctx["fmt"].percent(value)


@pass_context
def _f_day(ctx, value):
    return ctx["fmt"].day(value)


@pass_context
def _f_short_day(ctx, value):
    return ctx["fmt"].short_day(value)


@pass_context
def _f_datetime(ctx, value):
    return ctx["fmt"].datetime(value)


@pass_context
def _f_t(ctx, text):
    return localize(text, ctx["fmt"].lang)


@pass_context
def _f_why(ctx, text) -> str:
    # The scorer's reason starts with the points ("3.5: answered …"), which the page shows already.
    return ctx["fmt"].message(reason(text))


@pass_context
def _f_msg(ctx, text) -> str:
    return ctx["fmt"].message(text)


def _f_shorten(text: str, limit: int = 90) -> str:
    return _shorten(str(text), limit)


def _f_hash(value: str) -> Markup:
    # 64 hex digits in four groups, so a long hash wraps at a group and not mid-group.
    groups = [value[i : i + 16] for i in range(0, len(value), 16)]
    return Markup("<wbr>").join(groups)


@functools.cache
def environment(lang: str) -> Environment:
    """The report's own Jinja environment for one language: autoescape on, undefined names fail, `_()`."""
    # One per language rather than translations installed per render: PDFs of different
    # languages are rendered at the same time (request threads, background builds).
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(lang), newstyle=True)
    env.filters.update(
        number=_f_number,
        points=_f_points,
        percent=_f_percent,
        day=_f_day,
        short_day=_f_short_day,
        datetime=_f_datetime,
        t=_f_t,
        shorten=_f_shorten,
        why=_f_why,
        msg=_f_msg,
        hash=_f_hash,
        markdown=richtext.markdown,
    )
    return env


def group_fields(q: Question, rows: list) -> list[Question]:
    """The sub-fields of a group worth a line in a table of these rows: answered in one of them."""
    return [
        f
        for f in q.fields
        if f.id != "id" and any(isinstance(r, dict) and r.get(f.id) not in (None, "", []) for r in rows)
    ]


def item_layout(scored: list[Question]) -> dict:
    """How a section's item points are laid out: all in one table, split into tables of `per_table`, or turned."""
    if not scored:
        return {"turned": False, "per_table": 1}
    widest = max(len(q.shown_number) for q in scored)
    fit = int(ITEM_WIDTH // (widest * ITEM_CHAR + ITEM_PADDING))
    if len(scored) <= fit:
        return {"turned": False, "per_table": len(scored)}
    return {"turned": fit < ITEMS_AT_LEAST, "per_table": max(fit, 1)}


def answer_runs(section: Section) -> list[tuple[str, Any]]:
    """A big section's items as runs: ("rows", questions) for one answer table, ("group", q), ("block", b)."""
    runs: list[tuple[str, Any]] = []
    for item in section.items or section.questions:
        if item.type in ("heading", "note"):
            runs.append(("block", item))
        elif item.type == "group":
            runs.append(("group", item))
        elif runs and runs[-1][0] == "rows":
            runs[-1][1].append(item)
        else:
            runs.append(("rows", [item]))
    return runs


def _common(lang: str, size: str, buyer_profile: dict | None = None) -> dict:
    check_language(lang)
    check_size(size)
    return {
        "lang": lang,
        "fmt": Formats(lang, commercials.currency(buyer_profile or {})),
        "page_size": PAGE_SIZES[size],
        "stylesheet": STYLESHEET,
        "columns": COLUMNS,  # narrowed to the number of vendors by comparison_html
        "group_columns": GROUP_COLUMNS,
        "group_fields": group_fields,
    }


def comparison_html(
    model: dict,
    questionnaire: Questionnaire,
    lang: str = "en",
    size: str = "a4",
    generated_at: str | None = None,
    generated_by: str = "",
    key: str = "",
) -> str:
    """The comparison as HTML for WeasyPrint."""
    ctx = _common(lang, size, model["evaluation"].get("buyer_profile"))
    fmt: Formats = ctx["fmt"]
    total_weight = sum(model["weights"].values()) or 1
    ctx["columns"] = max(1, min(COLUMNS, len(model["vendors"])))
    # Past a handful of vendors the ranking lists red-flag codes only, so it stays on one page.
    ctx["compact"] = len(model["vendors"]) > COMPACT_AFTER
    # The method lists the flags this questionnaire can raise: 1.0 has none of the ids R19–R26 need;
    # a questionnaire without a profile raises none and has no verdict gates.
    profile = profile_for(questionnaire)
    flag_codes = {
        code: words
        for code, words in (profile.flag_codes.items() if profile else ())
        if profile.answer_needed.get(code) in (None, *questionnaire.questions)
    }
    overlays = ", ".join(
        f"{fmt.overlay(code, label)} ({', '.join(c for c in codes if c in flag_codes)})"
        for code, label, codes in (profile.overlays if profile else ())
        if any(c in flag_codes for c in codes)
    )
    return (
        environment(lang)
        .get_template("report/comparison.html")
        .render(
            **ctx,
            m=model,
            questionnaire=questionnaire,
            rules={q.id: rule_words(q, questionnaire, fmt) for q in questionnaire.questions.values()},
            shares={sid: 100 * w / total_weight for sid, w in model["weights"].items()},
            chart=chart(model, questionnaire, fmt),
            stability=_stability(model, questionnaire, fmt),
            sensitivity={s["section_id"]: s for s in model["sensitivities"]},
            gates=profile.gate_sentences if profile else {},
            verdict_meanings=profile.verdict_meanings if profile else (),
            verdict_levels=verdict_levels(questionnaire, fmt),
            reference=lambda path, answers: answer_reference(questionnaire, path, answers, lang),
            decisions=model.get("decisions") or {},
            item_layout=item_layout,
            answer_runs=answer_runs,
            compact_questions=COMPACT_QUESTIONS,
            flag_codes=flag_codes,
            overlays_in_words=overlays,
            generated_at=generated_at or store.now(),
            generated_by=generated_by,
            key=key,
        )
    )


def verdict_levels(questionnaire: Questionnaire, fmt: Formats) -> list[tuple[str, str]]:
    """A questionnaire's own verdict levels as (label, thresholds) in the reader's language (issue 15)."""
    out = []
    for code, level in questionnaire.verdict:
        parts = []
        if level.overall is not None:
            parts.append(fmt.gettext("overall score at least %(score)s", score=fmt.number(level.overall)))
        for sid, minimum in level.sections.items():
            section = next(s for s in questionnaire.sections if s.id == sid)
            parts.append(
                fmt.gettext(
                    "section %(section)s at least %(score)s", section=section.shown_number, score=fmt.number(minimum)
                )
            )
        for severity, most in level.warnings.items():
            parts.append(
                fmt.ngettext(
                    "at most %(num)s warning of severity %(severity)s",
                    "at most %(num)s warnings of severity %(severity)s",
                    most,
                    severity=fmt.gettext(severity),
                )
            )
        out.append((fmt.message(GENERIC_VERDICTS[code][1]), "; ".join(parts)))
    out.append((fmt.message(GENERIC_VERDICTS["does_not_meet"][1]), fmt.gettext("otherwise")))
    return out


def _stability(model: dict, questionnaire: Questionnaire, fmt: Formats) -> str:
    if len(model["vendors"]) < 2:
        return fmt.gettext("Only one vendor: nothing to rank against.")
    if model["stable"]:
        return fmt.gettext("The winner stays first unless a single section weight moves by more than half.")
    changes = []
    for s in model["sensitivities"]:
        for weight, vendor in ((s["lower"], s["lower_winner"]), (s["higher"], s["higher_winner"])):
            if weight is not None and abs(weight - s["weight"]) <= s["weight"] * 0.5:
                title = localize(_section_title(questionnaire, s["section_id"]), fmt.lang)
                # The display number a reader knows ("ISG"), not a long internal id (issue 15, scale).
                shown = next((x.shown_number for x in questionnaire.sections if x.id == s["section_id"]), "")
                changes.append(
                    fmt.gettext(
                        "%(section)s at %(weight)s puts %(vendor)s first",
                        section=f"{shown or s['section_id']} {title}",
                        weight=fmt.number(weight),
                        vendor=vendor,
                    )
                )
    return fmt.gettext("The ranking is sensitive to the weights: %(changes)s.", changes="; ".join(changes))


def _section_title(questionnaire: Questionnaire, section_id: str) -> dict:
    return next((s.title for s in questionnaire.sections if s.id == section_id), {})


def receipt_html(
    vendor: dict,
    evaluation: dict,
    answers: dict,
    questionnaire: Questionnaire,
    lang: str = "en",
    size: str = "a4",
    generated_at: str | None = None,
) -> str:
    """A vendor's answers by section as HTML for WeasyPrint (no scores: vendors never see them)."""
    ctx = _common(lang, size, evaluation.get("buyer_profile"))
    return (
        environment(lang)
        .get_template("report/receipt.html")
        .render(
            **ctx,
            vendor=vendor,
            evaluation=evaluation,
            answers=answers,
            questionnaire=questionnaire,
            fingerprint=answers_fingerprint(answers),
            generated_at=generated_at or store.now(),
        )
    )


# --- PDF -------------------------------------------------------------------------------------


@dataclass
class Rendered:
    """A PDF with its page count and where WeasyPrint spent its time."""

    pdf: bytes
    pages: int
    layout_seconds: float
    write_seconds: float


def render_pdf(html: str, progress: Callable[[str], None] | None = None) -> Rendered:
    """HTML to PDF with WeasyPrint, fetching nothing but our static files."""
    from weasyprint import HTML

    progress = progress or (lambda stage: None)
    progress("layout")
    start = time.perf_counter()
    document = HTML(string=html, base_url=STATIC.as_uri() + "/", url_fetcher=url_fetcher()).render()
    laid_out = time.perf_counter()
    progress("writing")
    pdf = document.write_pdf()
    return Rendered(pdf, len(document.pages), laid_out - start, time.perf_counter() - laid_out)


def make_comparison(
    db: Database,
    evaluation: dict,
    questionnaire: Questionnaire,
    as_of: date,
    lang: str = "en",
    size: str = "a4",
    generated_by: str = "",
) -> Rendered:
    """The comparison PDF of an evaluation, made now (no cache)."""
    model = comparison_model(compare(db, evaluation, questionnaire, as_of), evaluation, questionnaire)
    return render_pdf(comparison_html(model, questionnaire, lang, size, generated_by=generated_by))


def make_receipt(
    vendor: dict, evaluation: dict, answers: dict, questionnaire: Questionnaire, lang: str = "en", size: str = "a4"
) -> Rendered:
    """A vendor's receipt PDF, made now (no cache)."""
    return render_pdf(receipt_html(vendor, evaluation, answers, questionnaire, lang, size))


# --- bounded rendering ------------------------------------------------------------------------

# Defaults of REPORT_MAX_PAGES and REPORT_MAX_SECONDS: a 20-vendor comparison is ~150 pages and
# ~25 s; a 304-page response PDF took 60 s and was killed by gunicorn's timeout (issue 10).
MAX_PAGES = 300
MAX_SECONDS = 120.0
PAGES_EXIT = 3  # the child's exit status when the PDF would have more pages than allowed


class TooLarge(Exception):
    """A PDF past a cap: `reason` is "pages" or "seconds", `limit` the cap it went past."""

    def __init__(self, reason: str, limit: float, found: int | None = None):
        self.reason = reason
        self.limit = limit
        super().__init__(f"more than {limit:g} {reason}" + (f" ({found})" if found else ""))


def render_bounded(
    html: str,
    max_pages: int = MAX_PAGES,
    max_seconds: float = MAX_SECONDS,
    progress: Callable[[str], None] | None = None,
) -> Rendered:
    """render_pdf in a child process: killed past `max_seconds`, refused past `max_pages` before it is written.

    WeasyPrint cannot be interrupted inside a thread, and a big layout keeps hundreds of MB;
    a child process can be killed at the time cap and gives all its memory back when it ends.
    """
    progress = progress or (lambda stage: None)
    with tempfile.TemporaryDirectory(prefix="stagefour-pdf-") as folder:
        source, target, errors = (Path(folder) / name for name in ("in.html", "out.pdf", "errors.txt"))
        source.write_text(html, encoding="utf-8")
        began = time.perf_counter()
        lines: queue.SimpleQueue[str] = queue.SimpleQueue()
        said: dict[str, str] = {}
        with (
            open(errors, "wb") as stderr,
            subprocess.Popen(
                [sys.executable, "-c", CHILD, str(source), str(target), str(max_pages)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            ) as child,
        ):
            reader = threading.Thread(target=lambda: [lines.put(line) for line in child.stdout], daemon=True)
            reader.start()
            deadline = time.monotonic() + max_seconds
            while True:
                try:
                    child.wait(timeout=0.2)
                except subprocess.TimeoutExpired:
                    if time.monotonic() > deadline:
                        child.kill()
                        child.wait()
                        reader.join(timeout=5)
                        raise TooLarge("seconds", max_seconds) from None
                while not lines.empty():
                    word, _, value = lines.get().strip().partition(" ")
                    said[word] = value
                    if word == "stage":
                        progress(value)
                if child.returncode is not None:
                    break
            reader.join(timeout=5)
        while not lines.empty():
            word, _, value = lines.get().strip().partition(" ")
            said[word] = value
        if child.returncode == PAGES_EXIT:
            raise TooLarge("pages", max_pages, int(said.get("pages", 0)))
        if child.returncode != 0:
            tail = errors.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:]
            raise RuntimeError(f"the PDF renderer failed (exit {child.returncode}): {' '.join(tail)}")
        return Rendered(
            target.read_bytes(),
            int(said["pages"]),
            float(said.get("layout", 0)),
            time.perf_counter() - began - float(said.get("layout", 0)),
        )


CHILD = "import sys; from stagefour import report; sys.exit(report.render_child(sys.argv[1:]))"


def render_child(argv: list[str]) -> int:
    """The child process of render_bounded: HTML file → PDF file, saying its stages on stdout."""
    from weasyprint import HTML

    source, target, max_pages = argv
    html = Path(source).read_text(encoding="utf-8")
    print("stage layout", flush=True)
    start = time.perf_counter()
    document = HTML(string=html, base_url=STATIC.as_uri() + "/", url_fetcher=url_fetcher()).render()
    print(f"pages {len(document.pages)}", flush=True)
    print(f"layout {time.perf_counter() - start:.3f}", flush=True)
    if len(document.pages) > int(max_pages):
        return PAGES_EXIT
    print("stage writing", flush=True)
    document.write_pdf(target)
    return 0


# --- cache -----------------------------------------------------------------------------------

KEEP_FILES = 500  # PDFs kept in the cache folder; the oldest go first
TEMPORARY_AFTER = 600  # seconds after which a temporary file is a crash's leftover


def estimate_seconds(vendors: int) -> float:
    """A guess at how long a comparison of this many vendors takes to make."""
    return 1.5 + 0.9 * max(vendors, 1)


@dataclass
class BuildStatus:
    """Where a PDF is: ready, building (stage, seconds so far, estimate), failed (why), or absent."""

    state: str
    stage: str = ""
    elapsed: float = 0.0
    estimate: float = 0.0
    error: str = ""
    reason: str = ""  # "pages" or "seconds" when a cap stopped it (stagefour/jobs.py)
    limit: float = 0

    @property
    def percent(self) -> int:
        """A progress estimate on 0–100 (never 100 before the file is there)."""
        if self.state == "ready":
            return 100
        if self.state != "building" or not self.estimate:
            return 0
        return max(1, min(95, int(100 * self.elapsed / self.estimate)))

    @property
    def left(self) -> int:
        """Seconds left, roughly."""
        return max(1, round(self.estimate - self.elapsed))

    def to_dict(self) -> dict:
        """The status as JSON-ready data."""
        return {
            "state": self.state,
            "stage": self.stage,
            "elapsed": round(self.elapsed, 1),
            "estimate": round(self.estimate, 1),
            "percent": self.percent,
            "error": self.error,
            "reason": self.reason,
            "limit": self.limit,
        }


class ReportCache:
    """Finished PDFs stored by key in a folder (who builds what, and when, is stagefour/jobs.py's)."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)

    def pdf_path(self, key: str) -> Path:
        """Where the PDF of a key is (or will be)."""
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            raise ValueError("a report key is 64 lower-case hex digits")
        return self.folder / f"{key}.pdf"

    def get(self, key: str) -> Path | None:
        """The finished PDF of a key, if there is one."""
        path = self.pdf_path(key)
        return path if path.is_file() else None

    def store(self, key: str, pdf: bytes) -> Path:
        """Write a key's PDF into place (a temporary file renamed, so a reader never sees half a PDF)."""
        path = self.pdf_path(key)
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_suffix(f".pdf.{os.getpid()}.{threading.get_ident()}.tmp")
        fd = os.open(temporary, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pdf)
        os.replace(temporary, path)
        return path

    def prune(self, keep: int = KEEP_FILES) -> None:
        """Remove the oldest PDFs beyond `keep`, and temporary files left by a crash."""
        try:
            entries = list(self.folder.iterdir())
        except FileNotFoundError:
            return
        now = time.time()
        pdfs = []
        for path in entries:
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            if path.suffix == ".pdf":
                pdfs.append((stat.st_mtime, path))
            elif path.name.endswith(".tmp") and now - stat.st_mtime > TEMPORARY_AFTER:
                path.unlink(missing_ok=True)
        for _, path in sorted(pdfs, reverse=True)[keep:]:
            path.unlink(missing_ok=True)
