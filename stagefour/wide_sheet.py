"""The buyer's wide sheet (issue 16): an evaluation as an .xlsx workbook, one column per vendor.

The CSV export (stagefour/export.py) is long: one row per vendor and question, for pivoting. A
committee reads the other way round: the vendors side by side, in the comparison's rank order,
each question on one row, so a glance along a row compares the answers. Sheets:

- the comparison: a summary block (rank, status, verdict, overall and section scores,
  completeness, red flags, commercials), then every section with its score, every question and,
  for a repeating group, one row per row field;
- the points each item earned, in the same shape;
- every red flag per vendor, every manual score, and what the file is (evaluation, questionnaire,
  buyer profile).

Numbers are number cells with a number format (scores with one decimal, money in the
evaluation's currency, completeness as a percentage) and dates are date cells, so the office
program shows them in its own locale. Every text goes through `xlsx.write_cell`: a vendor's
`=HYPERLINK(...)` arrives as text and is never run. People's words (headers, verdicts, flag
messages, prompts) are in the export's language, as the CSV's.
"""

from __future__ import annotations

import copy
import math
import re
import weakref
from collections.abc import Iterable
from datetime import UTC
from datetime import date
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.styles import Font
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from stagefour import commercials
from stagefour import export
from stagefour import report
from stagefour import xlsx
from stagefour.messages import N_
from stagefour.messages import Message
from stagefour.questionnaire import DEFAULT_LANGUAGE
from stagefour.questionnaire import Question
from stagefour.questionnaire import answer_reference
from stagefour.questionnaire import localize

EXTENSION = "xlsx"
MIMETYPE = xlsx.XLSX_MIMETYPE

# Built-in formats 14 and 22: Excel and LibreOffice show them in the reader's own date style.
DATE_FORMAT = "mm-dd-yy"
DATETIME_FORMAT = "m/d/yy h:mm"
SCORE_FORMAT = "0.0"
PERCENT_FORMAT = "0.0%"
COUNT_FORMAT = "0"
# Items without a heading or note text have no answer; they have no row (questionnaire format 1.2).
NO_ANSWER_TYPES = ("heading", "note")
LABEL_COLUMNS = 3  # section, question id, prompt; the vendors start in the next column
WIDTHS = (11, 12, 60, 32)  # in characters: section, id, question, then each vendor
LINE_HEIGHT = 15  # points, for the default 11-point font
MAX_LINES = 12  # a longer answer is read in the cell itself, not in a row taller than a screen
FREEZE = f"{get_column_letter(LABEL_COLUMNS + 1)}2"  # the header row and the label columns stay in view

_BOLD = Font(bold=True)
_SECTION_FILL = PatternFill("solid", fgColor="DDE4EE")
_SUMMARY_FILL = PatternFill("solid", fgColor="F2F2F2")
_TOP = Alignment(vertical="top", wrap_text=True)

WORDS = {
    "comparison": N_("Comparison"),
    "points": N_("Points"),
    "flags": N_("Red flags"),
    "manual": N_("Manual scores"),
    "about": N_("About"),
    "section": N_("Section"),
    "id": N_("ID"),
    "question": N_("Question"),
    "summary": N_("Summary"),
    "rank": N_("Rank"),
    "status": N_("Status"),
    "verdict": N_("Verdict"),
    "overall": N_("Overall score"),
    "provisional": N_("Provisional"),
    "completeness": N_("Completeness"),
    "flag_count": N_("Number of red flags"),
    "submitted": N_("Submitted"),
    "currency": N_("Currency"),
    "monthly_tasks": N_("Monthly tasks (buyer profile)"),
    "monthly_run_cost": N_("Monthly run cost"),
    "go_live_plus_12_months": N_("Go-live + 12 months"),
    "vendor": N_("Vendor"),
    "code": N_("Code"),
    "severity": N_("Severity"),
    "message": N_("Message"),
    "where": N_("Answers"),
    "evaluator": N_("Evaluator"),
    "score": N_("Score"),
    "comment": N_("Comment"),
    "updated": N_("Updated"),
    "evaluation": N_("Evaluation"),
    "as_of": N_("Scores as of"),
    "deadline": N_("Deadline"),
    "questionnaire": N_("Questionnaire"),
    "version": N_("Version"),
    "language": N_("Language"),
    "time_zone": N_("Time zone"),
    "buyer_profile": N_("Buyer profile"),
    "high": N_("High"),
    "medium": N_("Medium"),
    "low": N_("Low"),
    "yes": N_("yes"),
    "no": N_("no"),
}


class _Words:
    """The export language's catalogue, to say a Message or one of WORDS."""

    def __init__(self, language: str):
        self.language = language
        self.translations = report.translations(language)

    def __call__(self, key: str | Message) -> str:
        message = key if isinstance(key, Message) else WORDS.get(key, key)
        return message.render(self.translations, self.language) if isinstance(message, Message) else str(message)

    def status(self, code: str | None) -> str | None:
        word = report.STATUS_WORDS.get(code or "")
        return self.translations.gettext(word) if word else code


def to_xlsx(data: export.EvaluationExport, language: str = DEFAULT_LANGUAGE) -> bytes:
    """The wide sheet as the bytes of an .xlsx file, its words in `language`."""
    say = _Words(language)
    book = Workbook()
    _comparison_sheet(book.active, data, say)
    _points_sheet(book.create_sheet(), data, say)
    _flags_sheet(book.create_sheet(), data, say)
    _manual_sheet(book.create_sheet(), data, say)
    _about_sheet(book.create_sheet(), data, say)
    return xlsx.to_bytes(book)


def sheet_title(text: str) -> str:
    """A sheet name Excel accepts: none of `[]:*?/\\`, at most 31 characters."""
    return re.sub(r"[\[\]:*?/\\]", " ", text).strip()[:31] or "Sheet"


def money_format(currency: str) -> str:
    """Two decimals and the ISO code, e.g. `#,##0.00 "EUR"`; the office program localises the separators."""
    code = currency if re.fullmatch(r"[A-Z]{3}", currency or "") else None
    return f'#,##0.00 "{code}"' if code else "#,##0.00"


# --- the comparison --------------------------------------------------------------------------


def _comparison_sheet(ws: Worksheet, data: export.EvaluationExport, say: _Words) -> None:
    ws.title = sheet_title(say("comparison"))
    reviews = data.comparison.reviews
    q = data.questionnaire
    language = say.language
    money = money_format(commercials.currency(data.evaluation["buyer_profile"]))
    _header(ws, [say("section"), say("id"), say("question")] + [r.vendor["name"] for r in reviews])
    ws.freeze_panes = FREEZE

    _section_row(ws, None, say("summary"), [None] * len(reviews), fill=_SUMMARY_FILL)
    _row(ws, [None, None, say("rank")], range(1, len(reviews) + 1), COUNT_FORMAT)
    _row(ws, [None, None, say("status")], [say.status(r.vendor["status"]) for r in reviews])
    _row(ws, [None, None, say("verdict")], [_verdict(r.result.verdict, say) for r in reviews])
    _row(ws, [None, None, say("overall")], [r.result.overall for r in reviews], SCORE_FORMAT)
    _row(ws, [None, None, say("provisional")], [say("yes" if r.result.provisional else "no") for r in reviews])
    completeness = [round(r.result.completeness / 100, 4) for r in reviews]  # 16.7 % is 0.167, not 0.16699…
    _row(ws, [None, None, say("completeness")], completeness, PERCENT_FORMAT)
    for section in q.sections:
        scores = [_section_score(r, section.id) for r in reviews]
        _row(ws, [section.id, None, localize(section.title, language)], scores, SCORE_FORMAT)
    _row(ws, [None, None, say("flag_count")], [len(r.result.red_flags) for r in reviews], COUNT_FORMAT)
    flags = ["\n".join(f"{f.code} {say(f.message)}" for f in r.result.red_flags) or None for r in reviews]
    _row(ws, [None, None, say("flags")], flags)
    _row(ws, [None, None, say("submitted")], [_datetime(r.vendor["submitted_at"]) for r in reviews], DATETIME_FORMAT)
    if export.has_commercials(q):
        lines = [commercials.commercials(r.answers, data.evaluation["buyer_profile"]) for r in reviews]
        _row(ws, [None, None, say("currency")], [line["currency"] for line in lines])
        _row(ws, [None, None, say("monthly_tasks")], [line["monthly_tasks"] for line in lines], "#,##0")
        for key in ("monthly_run_cost", "go_live_plus_12_months"):
            _row(ws, [None, None, say(key)], [line[key] for line in lines], money)

    for section in q.sections:
        scores = [_section_score(r, section.id) for r in reviews]
        _section_row(ws, section.id, localize(section.title, language), scores, SCORE_FORMAT)
        for question in _answered_items(section.questions):
            values = [r.answers.get(question.id) for r in reviews]
            cells = [_answer_cell(question, v, language, money) for v in values]
            _row(ws, [section.id, question.id, _prompt(question, language)], [c[0] for c in cells], formats=cells)
            if question.type == "group":
                _group_rows(ws, section.id, question, values, language, money)
    _widths(ws, len(reviews))


def _group_rows(ws, section_id: str, question: Question, values: list, language: str, money: str) -> None:
    """One row per row number and field: `C1 · engineer 2 · Name`, each vendor's cell or blank."""
    row_lists = [v if isinstance(v, list) else [] for v in values]
    label = localize(question.row_label, language) or question.id
    for index in range(max((len(rows) for rows in row_lists), default=0)):
        for field in question.fields:
            cells = [
                _answer_cell(field, rows[index].get(field.id), language, money)
                if index < len(rows) and isinstance(rows[index], dict)
                else (None, None)
                for rows in row_lists
            ]
            where = f"{question.id} · {label} {index + 1} · {localize(field.prompt, language)}"
            _row(ws, [section_id, f"{question.id}[{index + 1}]", where], [c[0] for c in cells], formats=cells)


def _answer_cell(question: Question, value: Any, language: str, money: str) -> tuple[Any, str | None]:
    """A cell's value and number format: dates as dates, numbers as numbers (money with the currency)."""
    shown = export.describe(question, value, language)
    if question.type == "date" and isinstance(shown, str):
        try:
            return date.fromisoformat(shown), DATE_FORMAT
        except ValueError:
            return shown, None
    if isinstance(shown, int | float) and not isinstance(shown, bool):
        return shown, money if question.money else None
    return shown, None


def _prompt(question: Question, language: str) -> str:
    prompt = localize(question.prompt, language)
    number = getattr(question, "number", None)  # a display number (format 1.2), when it differs from the id
    return f"{number} {prompt}" if number and number != question.id else prompt


def _answered_items(questions: Iterable[Question]) -> list[Question]:
    return [q for q in questions if q.type not in NO_ANSWER_TYPES]


def _section_score(review, section_id: str) -> float | None:
    return next((s.score for s in review.result.sections if s.id == section_id), None)


def _verdict(verdict, say: _Words) -> str | None:
    if verdict is None:
        return None
    overlays = ", ".join(say(label) for _, label in verdict.overlays)
    return f"{say(verdict.label)} ({overlays})" if overlays else say(verdict.label)


def _datetime(value: str | None) -> datetime | None:
    """A stored UTC timestamp as a datetime cell (spreadsheets have no time zones: UTC, said in About)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


# --- points, flags, manual scores, about ---------------------------------------------------------


def _points_sheet(ws: Worksheet, data: export.EvaluationExport, say: _Words) -> None:
    ws.title = sheet_title(say("points"))
    reviews = data.comparison.reviews
    language = say.language
    _header(ws, [say("section"), say("id"), say("question")] + [r.vendor["name"] for r in reviews])
    ws.freeze_panes = FREEZE
    _row(ws, [None, None, say("overall")], [r.result.overall for r in reviews], SCORE_FORMAT, bold=True)
    items = [r.result.items for r in reviews]  # a property that builds its dict on every read
    for section in data.questionnaire.sections:
        scores = [_section_score(r, section.id) for r in reviews]
        _section_row(ws, section.id, localize(section.title, language), scores, SCORE_FORMAT)
        for question in _answered_items(section.questions):
            points = [i[question.id].points if question.id in i else None for i in items]
            _row(ws, [section.id, question.id, _prompt(question, language)], points, SCORE_FORMAT)
    _widths(ws, len(reviews))


def _flags_sheet(ws: Worksheet, data: export.EvaluationExport, say: _Words) -> None:
    ws.title = sheet_title(say("flags"))
    _header(ws, [say("rank"), say("vendor"), say("code"), say("severity"), say("message"), say("where")])
    ws.freeze_panes = "C2"
    for rank, review in enumerate(data.comparison.reviews, 1):
        for flag in review.result.red_flags:
            where = "\n".join(
                answer_reference(data.questionnaire, ref, review.answers, say.language) for ref in flag.answers
            )
            severity = say(flag.severity) if flag.severity in WORDS else flag.severity
            _line(ws, [rank, review.vendor["name"], flag.code, severity, say(flag.message), where or None])
    _fixed_widths(ws, (8, 28, 8, 12, 70, 40))


def _manual_sheet(ws: Worksheet, data: export.EvaluationExport, say: _Words) -> None:
    ws.title = sheet_title(say("manual"))
    header = [say("rank"), say("vendor"), say("id"), say("question"), say("evaluator"), say("score"), say("comment")]
    _header(ws, header + [say("updated")])
    ws.freeze_panes = "C2"
    questions = data.questionnaire.questions
    for rank, review in enumerate(data.comparison.reviews, 1):
        for m in review.manual:
            question = questions.get(m["question_id"])
            prompt = localize(question.prompt, say.language) if question else None
            row = [rank, review.vendor["name"], m["question_id"], prompt, m["evaluator"], m["score"], m["comment"]]
            cells = _line(ws, row + [_datetime(m["updated_at"])])
            cells[5].number_format = SCORE_FORMAT
            cells[7].number_format = DATETIME_FORMAT
    _fixed_widths(ws, (8, 28, 8, 50, 28, 8, 60, 18))


def _about_sheet(ws: Worksheet, data: export.EvaluationExport, say: _Words) -> None:
    ws.title = sheet_title(say("about"))
    evaluation, snapshot = data.evaluation, data.snapshot
    deadline = None
    if evaluation["deadline"]:
        try:
            deadline = date.fromisoformat(evaluation["deadline"])
        except ValueError:
            deadline = evaluation["deadline"]
    rows = [
        (say("evaluation"), evaluation["title"], None),
        (say("id"), evaluation["id"], COUNT_FORMAT),
        (say("as_of"), data.comparison.as_of, DATE_FORMAT),
        (say("deadline"), deadline, DATE_FORMAT),
        (say("questionnaire"), snapshot["questionnaire_id"], None),
        (say("version"), snapshot["version"], None),
        ("SHA-256", snapshot["hash"], None),
        (say("language"), say.language, None),
        (say("currency"), commercials.currency(evaluation["buyer_profile"]), None),
        (say("time_zone"), "UTC", None),  # of every date and time in the file (a cell has no zone)
    ]
    for label, value, number_format in rows:
        cells = _line(ws, [label, value])
        cells[0].font = _BOLD
        if number_format:
            cells[1].number_format = number_format
    _line(ws, [])
    _line(ws, [say("buyer_profile")])[0].font = _BOLD
    for key, value in sorted(evaluation["buyer_profile"].items()):
        shown = "; ".join(map(str, value)) if isinstance(value, list) else value
        if isinstance(shown, bool):
            shown = say("yes" if shown else "no")
        _line(ws, [key, shown if isinstance(shown, int | float | str) or shown is None else str(shown)])
    _fixed_widths(ws, (30, 70))


# --- cells ---------------------------------------------------------------------------------------


def _header(ws: Worksheet, labels: list[str]) -> None:
    for cell in _line(ws, labels):
        _style(cell, bold=True)


def _line(ws: Worksheet, values: list) -> list:
    """Append one row through write_cell (text stays text) and return its cells."""
    # openpyxl's own row counter (what ws.append uses): ws.max_row scans every cell, once a row.
    row = ws._current_row + 1
    ws._current_row = row
    return [xlsx.write_cell(ws.cell(row=row, column=c), v) for c, v in enumerate(values, 1)]


def _row(
    ws: Worksheet,
    labels: list,
    values: Iterable,
    number_format: str | None = None,
    formats: list[tuple[Any, str | None]] | None = None,
    bold: bool = False,
    fill: PatternFill | None = None,
) -> list:
    """A label row and one cell per vendor; a number or date gets `number_format` (or its own in `formats`)."""
    cells = _line(ws, labels + list(values))
    for i, cell in enumerate(cells):
        own = None
        if i >= LABEL_COLUMNS and cell.value is not None and not isinstance(cell.value, str):
            own = (formats[i - LABEL_COLUMNS][1] if formats else None) or number_format
        _style(cell, own, bold, fill)
    lines = max((_lines(c.value, WIDTHS[min(i, LABEL_COLUMNS)]) for i, c in enumerate(cells)), default=1)
    if lines > 1:  # office programs do not grow a row to its wrapped text by themselves
        ws.row_dimensions[cells[0].row].height = min(lines, MAX_LINES) * LINE_HEIGHT
    return cells


def _lines(value: Any, width: int) -> int:
    """About how many lines a text takes, wrapped in a column `width` characters wide."""
    if not isinstance(value, str):
        return 1
    return sum(max(1, math.ceil(len(part) / width)) for part in value.split("\n"))


_STYLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # workbook -> {combination: its style indexes}


def _style(cell, number_format: str | None = None, bold: bool = False, fill: PatternFill | None = None) -> None:
    """Top-aligned, wrapped, and the format, font and fill given.

    Setting a style object on a cell hashes it against the workbook's list (more than half the
    time of the whole export, cell by cell), so each combination is set once and its indexes,
    which point into this workbook's own lists, are copied after that.
    """
    styles = _STYLES.setdefault(cell.parent.parent, {})
    key = (number_format, bold, fill is not None and fill.fgColor.rgb)
    known = styles.get(key)
    if known is not None:
        cell._style = copy.copy(known)
        return
    cell.alignment = _TOP
    if number_format:
        cell.number_format = number_format
    if bold:
        cell.font = _BOLD
    if fill is not None:
        cell.fill = fill
    styles[key] = copy.copy(cell._style)


def _section_row(ws, section_id: str | None, title: str, scores: list, number_format: str | None = None, fill=None):
    _row(ws, [section_id, None, title], scores, number_format, bold=True, fill=fill or _SECTION_FILL)


def _widths(ws: Worksheet, vendors: int) -> None:
    """Column widths, and for print: landscape, the header row and the label columns on every page."""
    _fixed_widths(ws, WIDTHS[:LABEL_COLUMNS] + (WIDTHS[LABEL_COLUMNS],) * vendors)
    ws.page_setup.orientation = "landscape"
    ws.print_title_rows = "1:1"
    ws.print_title_cols = f"A:{get_column_letter(LABEL_COLUMNS)}"


def _fixed_widths(ws: Worksheet, widths: Iterable[int]) -> None:
    for column, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(column)].width = width
