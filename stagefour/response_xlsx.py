"""A vendor's answers as a workbook and back (issue 16, item 2: vendors offline).

`to_xlsx` writes what the vendor has saved: one sheet per section (a row per question, the answer
in column D, drop-down lists for options), one sheet per repeating group (a column per field, a
row per saved row), and a very hidden `_meta` sheet with the questionnaire's hash, the response
id and each answer's version and fingerprint, signed with the app's secret. `from_xlsx` reads a
filled workbook back through the seam (stagefour/xlsx.py, which refuses formulas, macros,
external links and oversized sheets) and returns every answer it read, the versions the file
was made from (the "seen" versions of a browser page) and every cell problem with its sheet and
cell. An answer with a problem is not read at all: its stored answer stays.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.styles import Font
from openpyxl.styles import PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from stagefour import xlsx
from stagefour.messages import N_
from stagefour.messages import Message
from stagefour.questionnaire import SPECIFY_MAX_LENGTH
from stagefour.questionnaire import Block
from stagefour.questionnaire import Question
from stagefour.questionnaire import Questionnaire
from stagefour.questionnaire import localize
from stagefour.questionnaire import specify_key
from stagefour.response import check_value
from stagefour.response import digest
from stagefour.response import is_answered

FORMAT = "stagefour-offline-1"
META = "_meta"
LISTS = "_lists"
NUMBER, QUESTION, HELP, ANSWER, NOTES, KEY = 1, 2, 3, 4, 5, 7  # section sheet columns (KEY hidden)
HEADER_ROW = 2  # both kinds of sheet: the column headings; answers start below
ROW_INDEX_FIELD = "_row"  # a group sheet's last, hidden column: which saved row a sheet row was
SHEET_CHARS = re.compile(r"[\[\]:*?/\\']")
# What a yes/no cell may say, in any of the app's languages (a vendor may switch language).
YES = {"yes", "ja", "oui", "sí", "si", "y", "true", "1"}
NO = {"no", "nein", "non", "n", "false", "0"}
EDITABLE = PatternFill("solid", fgColor="FFF8E1")
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")

Say = Callable[[Message], str]


@dataclass
class OfflineAnswers:
    """What a filled workbook says: answers by key, the versions it was made from, and its problems."""

    answers: dict[str, Any] = field(default_factory=dict)  # every key read without a problem (None: blank)
    seen: dict[str, tuple[int, str]] = field(default_factory=dict)  # key -> (version, digest) at download
    problems: list[xlsx.SheetProblem] = field(default_factory=list)

    def changes(self) -> dict[str, Any]:
        """The answers the file changes: those whose value differs from what was downloaded."""
        return {k: v for k, v in self.answers.items() if k not in self.seen or self.seen[k][1] != digest(v)}


def answer_keys(questionnaire: Questionnaire) -> list[str]:
    """Every key a workbook carries an answer for: answerable questions and their specify texts."""
    keys = []
    for q in questionnaire.questions.values():
        if q.type in ("computed", "file"):
            continue
        keys.append(q.id)
        keys += [specify_key(q.id, o.value) for o in q.specify_options]
    return keys


def _sheet_title(number: str, text: str, taken: set[str]) -> str:
    base = SHEET_CHARS.sub(" ", f"{number} {text}").strip()[:31].strip() or number[:31]
    title, n = base, 2
    while title.lower() in taken or title.lower() in (META.lower(), LISTS.lower()):
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(title.lower())
    return title


def _sign(secret: str, rows: list[list]) -> str:
    payload = json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), b"offline-xlsx\0" + payload, hashlib.sha256).hexdigest()


def _fields(group: Question) -> list[Question]:
    """A group's columns: its fields a spreadsheet can hold (files stay in the browser)."""
    return [f for f in group.fields if f.type != "file"]


def _yes_no(say: Say) -> tuple[str, str]:
    return say(N_("Yes")), say(N_("No"))


def _show(question: Question, value: Any, language: str, say: Say) -> Any:
    """A stored value as its cell shows it: labels for options, a date for a date, numbers as numbers."""
    if value is None:
        return None
    t = question.type
    if t == "yes_no" and isinstance(value, bool):
        return _yes_no(say)[0 if value else 1]
    if t == "single" and isinstance(value, str):
        return question.option_label(value, language)
    if t == "multi" and isinstance(value, list):
        return ", ".join(question.option_label(v, language) for v in value if isinstance(v, str))
    if t == "id_list" and isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if t == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def _notes(question: Question, language: str, say: Say) -> str:
    """What a cell accepts, in the vendor's words (the fifth column, or a group's second row)."""
    t = question.type
    if t == "yes_no":
        return " / ".join(_yes_no(say))
    if t == "single":
        return say(N_("One of the list."))
    if t == "multi":
        labels = "; ".join(localize(o.label, language) for o in question.options)
        return say(N_("One or more, separated by commas: %(values)s", values=labels))
    if t == "date":
        return say(N_("A date (YYYY-MM-DD)."))
    if t == "number":
        parts = [say(N_("A whole number.") if question.integer else N_("A number."))]
        if question.min is not None and question.max is not None:
            parts.append(say(N_("From %(min)s to %(max)s.", min=_num(question.min), max=_num(question.max))))
        unit = localize(question.unit, language)
        if unit:
            parts.append(unit)
        return " ".join(parts)
    if t == "id_list":
        return say(N_("Ids separated by commas, from %(group)s.", group=question.refers_to or ""))
    if t == "url":
        return say(N_("A web address starting with https://."))
    if t == "email":
        return say(N_("An e-mail address."))
    return ""


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def to_xlsx(
    questionnaire: Questionnaire,
    answers: dict,
    versions: dict[str, int],
    language: str,
    response_id: int,
    secret: str,
    say: Say = str,
) -> bytes:
    """The response's answers as a workbook to fill offline, with its hidden, signed `_meta` sheet."""
    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    lists = book.create_sheet(LISTS)
    lists.sheet_state = "hidden"
    list_column = 0
    group_sheets: dict[str, str] = {}
    sections: dict[str, str] = {}
    for s in questionnaire.sections:
        sections[s.id] = _sheet_title(s.shown_number, localize(s.title, language), taken)
        for q in s.questions:
            if q.type == "group":
                group_sheets[q.id] = _sheet_title(q.shown_number, localize(q.prompt, language), taken)

    def choices(values: list[str]) -> str:
        """A drop-down's source: a column of the hidden list sheet (labels may hold commas)."""
        nonlocal list_column
        list_column += 1
        for i, v in enumerate(values, start=1):
            xlsx.write_cell(lists.cell(row=i, column=list_column), v)
        letter = xlsx.cell_name(1, list_column)[:-1]
        return f"{LISTS}!${letter}$1:${letter}${max(len(values), 1)}"

    def drop_down(ws, question: Question, where: str) -> None:
        if question.type == "yes_no":
            source = choices(list(_yes_no(say)))
        elif question.type == "single":
            source = choices([localize(o.label, language) for o in question.options])
        elif question.choices_from and question.type == "text":
            group, _dot, _key = question.choices_from.partition(".")
            if group not in group_sheets:
                return
            last = HEADER_ROW + questionnaire.question(group).max_rows
            source = f"'{group_sheets[group]}'!$A${HEADER_ROW + 1}:$A${last}"
        else:
            return
        rule = DataValidation(type="list", formula1=source, allow_blank=True)
        rule.error = say(N_("Choose a value from the list."))
        rule.showErrorMessage = True
        rule.add(where)
        ws.add_data_validation(rule)

    def put(cell, question: Question, value: Any) -> None:
        xlsx.write_cell(cell, _show(question, value, language, say))
        if question.type == "date":
            cell.number_format = "yyyy-mm-dd"
        elif question.money:
            cell.number_format = "#,##0.00"
        cell.fill = EDITABLE
        cell.alignment = WRAP

    for s in questionnaire.sections:
        ws = book.create_sheet(sections[s.id])
        xlsx.write_cell(ws.cell(row=1, column=1), f"{s.shown_number} {localize(s.title, language)}").font = Font(
            bold=True, size=14
        )
        headings = (N_("Number"), N_("Question"), N_("Help"), N_("Answer"), N_("Allowed values and notes"))
        for column, heading in enumerate(headings, start=1):
            xlsx.write_cell(ws.cell(row=HEADER_ROW, column=column), say(heading)).font = BOLD
        for letter, width in zip("ABCDE", (10, 60, 40, 40, 40), strict=True):
            ws.column_dimensions[letter].width = width
        ws.column_dimensions["G"].hidden = True
        ws.freeze_panes = "A3"
        row = HEADER_ROW
        for item in s.items or s.questions:
            row += 1
            if isinstance(item, Block):
                xlsx.write_cell(ws.cell(row=row, column=QUESTION), localize(item.text, language)).font = (
                    BOLD if item.type == "heading" else Font(italic=True)
                )
                continue
            q = item
            xlsx.write_cell(ws.cell(row=row, column=NUMBER), q.shown_number)
            prompt = localize(q.prompt, language) + (" *" if q.required else "")
            xlsx.write_cell(ws.cell(row=row, column=QUESTION), prompt).alignment = WRAP
            xlsx.write_cell(ws.cell(row=row, column=HELP), localize(q.help, language)).alignment = WRAP
            answer = ws.cell(row=row, column=ANSWER)
            if q.type == "group":
                text = say(N_("Answer in the sheet “%(sheet)s”.", sheet=group_sheets[q.id]))
                xlsx.write_cell(answer, text)
            elif q.type == "computed":
                xlsx.write_cell(answer, say(N_("Worked out from your other answers; nothing to fill in here.")))
            elif q.type == "file":
                names = ", ".join(f.get("name", "") for f in answers.get(q.id) or [] if isinstance(f, dict))
                xlsx.write_cell(answer, say(N_("Files are added in the browser: %(files)s", files=names or "—")))
            else:
                put(answer, q, answers.get(q.id))
                xlsx.write_cell(ws.cell(row=row, column=NOTES), _notes(q, language, say)).alignment = WRAP
                xlsx.write_cell(ws.cell(row=row, column=KEY), q.id)
                drop_down(ws, q, answer.coordinate)
                for option in q.specify_options:
                    row += 1
                    label = localize(option.label, language)
                    xlsx.write_cell(
                        ws.cell(row=row, column=QUESTION), say(N_("Please specify “%(option)s”", option=label))
                    )
                    put(
                        ws.cell(row=row, column=ANSWER),
                        Question(id="", type="text", prompt={}, max_length=SPECIFY_MAX_LENGTH),
                        answers.get(specify_key(q.id, option.value)),
                    )
                    xlsx.write_cell(ws.cell(row=row, column=KEY), specify_key(q.id, option.value))
        for q in s.questions:
            if q.type == "group":
                _group_sheet(book.create_sheet(group_sheets[q.id]), q, answers.get(q.id), language, say, put, drop_down)
    meta = [["format", FORMAT], ["questionnaire", questionnaire.id, questionnaire.version, questionnaire.hash],
            ["response", str(response_id)], ["language", language]]  # fmt: skip
    meta += [["section", sid, title] for sid, title in sections.items()]
    meta += [["group", qid, title] for qid, title in group_sheets.items()]
    meta += [["answer", key, str(versions.get(key, 0)), digest(answers.get(key))] for key in answer_keys(questionnaire)]
    ws = book.create_sheet(META)
    ws.sheet_state = "veryHidden"
    for r, values in enumerate([*meta, ["signature", _sign(secret, meta)]], start=1):
        for c, value in enumerate(values, start=1):
            xlsx.write_cell(ws.cell(row=r, column=c), value)
    book.move_sheet(LISTS, offset=len(book.sheetnames))
    book.active = 0
    return xlsx.to_bytes(book)


def _group_sheet(ws, group: Question, rows: Any, language: str, say: Say, put, drop_down) -> None:
    fields = _fields(group)
    xlsx.write_cell(ws.cell(row=1, column=1), say(N_(
        "%(group)s: one row each; add rows below. Columns marked * are required.",
        group=f"{group.shown_number} {localize(group.prompt, language)}",
    ))).font = BOLD  # fmt: skip
    for c, f in enumerate(fields, start=1):
        heading = localize(f.prompt, language) + (" *" if f.required else "")
        notes = _notes(f, language, say)
        cell = xlsx.write_cell(ws.cell(row=HEADER_ROW, column=c), f"{heading}\n{notes}" if notes else heading)
        cell.font, cell.alignment = BOLD, WRAP
        ws.column_dimensions[xlsx.cell_name(1, c)[:-1]].width = 18 if f.type not in ("long_text",) else 40
        first, last = HEADER_ROW + 1, HEADER_ROW + group.max_rows
        letter = xlsx.cell_name(1, c)[:-1]
        drop_down(ws, f, f"{letter}{first}:{letter}{last}")
    index_column = len(fields) + 1
    xlsx.write_cell(ws.cell(row=HEADER_ROW, column=index_column), ROW_INDEX_FIELD)
    ws.column_dimensions[xlsx.cell_name(1, index_column)[:-1]].hidden = True
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)
    for i, saved in enumerate(rows if isinstance(rows, list) else [], start=0):
        r = HEADER_ROW + 1 + i
        for c, f in enumerate(fields, start=1):
            put(ws.cell(row=r, column=c), f, saved.get(f.id) if isinstance(saved, dict) else None)
        ws.cell(row=r, column=index_column).value = i + 1


# --- reading -----------------------------------------------------------------------------------


def from_xlsx(questionnaire: Questionnaire, data: bytes, response_id: int, secret: str, stored: dict) -> OfflineAnswers:
    """Read a filled workbook for this response: its answers, the versions it was made from, its problems.

    The whole file is refused (no answers, one problem) when the seam refuses it, when its hidden
    `_meta` sheet is missing or altered, or when it was made for another response or questionnaire.
    `stored` is what the response holds now: a group row keeps its files (which stay in the browser).
    """
    out = OfflineAnswers()
    try:
        book = xlsx.open_workbook(data)
    except xlsx.SheetError as exc:
        out.problems = exc.problems
        return out
    meta = _read_meta(book, secret)
    if isinstance(meta, Message):
        out.problems = [xlsx.SheetProblem(None, None, meta)]
        return out
    if meta["questionnaire"][0] != questionnaire.id or meta["questionnaire"][2] != questionnaire.hash:
        out.problems = [xlsx.SheetProblem(None, None, N_(
            "This file was made for another questionnaire or another version of it: download the file again."
        ))]  # fmt: skip
        return out
    if meta["response"] != str(response_id):
        out.problems = [xlsx.SheetProblem(None, None, N_(
            "This file was downloaded from another link: download your own file from this page and fill that one."
        ))]  # fmt: skip
        return out
    language = meta["language"]
    out.seen = meta["answers"]
    for s in questionnaire.sections:
        title = meta["sections"].get(s.id)
        if title not in book.sheetnames:
            out.problems.append(xlsx.SheetProblem(title, None, N_(
                "This sheet is missing from the file: its answers were left as they are."
            )))  # fmt: skip
            continue
        _read_section(book[title], questionnaire, s, language, out)
        for q in s.questions:
            if q.type != "group":
                continue
            title = meta["groups"].get(q.id)
            if title not in book.sheetnames:
                out.problems.append(xlsx.SheetProblem(title, None, N_(
                    "This sheet is missing from the file: its answers were left as they are."
                )))  # fmt: skip
                continue
            _read_group(book[title], q, language, stored.get(q.id), out)
    _check_specified(questionnaire, out)
    return out


def _read_meta(book: Workbook, secret: str) -> dict | Message:
    refused = N_("This is not a file downloaded from this page, or its hidden part was changed: download it again.")
    if META not in book.sheetnames:
        return refused
    rows = []
    for values in book[META].iter_rows(values_only=True):
        row = [str(v) for v in values if v is not None]
        if row:  # an office program may keep blank rows after the last
            rows.append(row)
    if not rows or rows[-1][:1] != ["signature"] or len(rows[-1]) != 2:
        return refused
    body, signature = rows[:-1], rows[-1][1]
    if not hmac.compare_digest(_sign(secret, body), signature):
        return refused
    meta: dict = {"sections": {}, "groups": {}, "answers": {}}
    for row in body:
        kind, rest = row[0], row[1:]
        if kind == "format" and rest != [FORMAT]:
            return refused
        if kind in ("questionnaire",):
            meta[kind] = rest
        elif kind in ("response", "language"):
            meta[kind] = rest[0]
        elif kind == "section":
            meta["sections"][rest[0]] = rest[1]
        elif kind == "group":
            meta["groups"][rest[0]] = rest[1]
        elif kind == "answer":
            meta["answers"][rest[0]] = (int(rest[1]), rest[2])
    return meta


def _merged(ws) -> set[str]:
    """Every cell of the sheet's merged ranges but their top-left one (which alone holds a value)."""
    cells = set()
    for merged in ws.merged_cells.ranges:
        for row in ws.iter_rows(min_row=merged.min_row, max_row=merged.max_row,
                                min_col=merged.min_col, max_col=merged.max_col):  # fmt: skip
            cells.update(c.coordinate for c in row)
    return cells


def _read_section(ws, questionnaire: Questionnaire, section, language: str, out: OfflineAnswers) -> None:
    mine = {q.id: q for q in section.questions if q.type not in ("computed", "file", "group")}
    specify = {specify_key(q.id, o.value): q for q in mine.values() for o in q.specify_options}
    merged = _merged(ws)
    found: set[str] = set()
    for row in ws.iter_rows(min_row=HEADER_ROW + 1):
        key_cell = row[KEY - 1] if len(row) >= KEY else None
        key = key_cell.value if key_cell is not None else None
        if not isinstance(key, str) or (key not in mine and key not in specify):
            continue
        cell = row[ANSWER - 1]
        where = cell.coordinate
        if key in found:
            out.problems.append(
                xlsx.SheetProblem(
                    ws.title, where, N_("This question is in the sheet twice: only its first row was read.")
                )
            )
            continue
        found.add(key)
        if where in merged or any(ws.cell(row=cell.row, column=c).coordinate in merged for c in (KEY,)):
            out.problems.append(
                xlsx.SheetProblem(ws.title, where, N_("Merged cells: unmerge them and type the answer in this cell."))
            )
            continue
        question = mine.get(key) or Question(id=key, type="text", prompt={}, max_length=SPECIFY_MAX_LENGTH)
        value, problem = read_cell(question, cell.value, language)
        if problem is not None:
            out.problems.append(xlsx.SheetProblem(ws.title, where, problem))
            continue
        out.answers[key] = value


def _read_group(ws, group: Question, language: str, stored: Any, out: OfflineAnswers) -> None:
    fields = _fields(group)
    files = [f for f in group.fields if f.type == "file"]
    stored_rows = stored if isinstance(stored, list) else []
    merged = _merged(ws)
    rows: list[dict] = []
    bad = False
    for sheet_row in ws.iter_rows(min_row=HEADER_ROW + 1, max_col=len(fields) + 1):
        cells = list(sheet_row) + [None] * (len(fields) + 1 - len(sheet_row))
        if all(c is None or xlsx.read_value(c.value) is None for c in cells[: len(fields)]):
            continue  # a blank row: rows are read wherever they are
        row: dict = {}
        for f, cell in zip(fields, cells, strict=False):
            if cell is None:
                continue
            if cell.coordinate in merged:
                out.problems.append(
                    xlsx.SheetProblem(
                        ws.title, cell.coordinate, N_("Merged cells: unmerge them and type the answer in this cell.")
                    )
                )
                bad = True
                continue
            value, problem = read_cell(f, cell.value, language)
            if problem is not None:
                out.problems.append(xlsx.SheetProblem(ws.title, cell.coordinate, problem))
                bad = True
            elif value is not None:
                row[f.id] = value
        index = cells[len(fields)].value if cells[len(fields)] is not None else None
        if (
            files
            and isinstance(index, int)
            and 1 <= index <= len(stored_rows)
            and isinstance(stored_rows[index - 1], dict)
        ):
            # the row's files stay as saved in the browser
            row.update({f.id: stored_rows[index - 1][f.id] for f in files if f.id in stored_rows[index - 1]})
        rows.append(row)
    if len(rows) > group.max_rows:
        out.problems.append(xlsx.SheetProblem(ws.title, None, N_("Too many rows: at most %(n)s.", n=group.max_rows)))
        return
    if bad:
        return  # a group is one answer: with a cell wrong, all its rows stay as saved
    if not rows:
        # a blank sheet is "none" where the download said none, else the rows were cleared
        out.answers[group.id] = [] if out.seen.get(group.id, (0, ""))[1] == digest([]) else None
        return
    out.answers[group.id] = rows


def _check_specified(questionnaire: Questionnaire, out: OfflineAnswers) -> None:
    for q in questionnaire.questions.values():
        for option in q.specify_options:
            key = specify_key(q.id, option.value)
            if key not in out.answers or q.id not in out.answers:
                continue
            picked = out.answers[q.id] == option.value or (
                isinstance(out.answers[q.id], list) and option.value in out.answers[q.id]
            )
            if not picked:
                out.answers[key] = None  # the text goes with the option
            elif out.answers[key] is None:
                out.problems.append(xlsx.SheetProblem(None, None, N_(
                    "%(question)s: say what “%(option)s” is, in the row below it.",
                    question=q.shown_number, option=option.value,
                )))  # fmt: skip
                del out.answers[q.id]
                del out.answers[key]


def read_cell(question: Question, raw: Any, language: str) -> tuple[Any, Message | None]:
    """One cell's value as an answer to `question`, or a problem saying what the cell should hold."""
    value = xlsx.read_value(raw)
    if value is None:
        return None, None
    t = question.type
    if t in ("text", "long_text", "url", "email"):
        value = _as_text(value)
    elif t == "yes_no":
        if not isinstance(value, bool):
            word = str(value).strip().lower()
            if word in YES:
                value = True
            elif word in NO:
                value = False
            else:
                return None, N_("Expected Yes or No.")
    elif t == "single":
        value = _option(question, _as_text(value), language)
        if value is None:
            return None, N_("Not one of the options: choose one from the list.")
    elif t == "multi":
        value = _options(question, _as_text(value), language)
        if value is None:
            return None, N_("Not one of the options: list them separated by commas, as the notes show.")
    elif t == "number":
        value = _as_number(value)
        if value is None:
            return None, N_("Expected a number.")
    elif t == "date":
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return None, N_("Expected a date (YYYY-MM-DD).")
    elif t == "id_list":
        value = [v for v in re.split(r"[,;\s]+", _as_text(value)) if v]
    errors: list[str] = []
    value = check_value(question, value, question.id, errors)
    if errors:
        return None, _why(question)
    return (value if is_answered(question, value) else None), None


def _why(question: Question) -> Message:
    """What a value that failed the questionnaire's own check should have been."""
    t = question.type
    if t == "number":
        lo, hi = question.min, question.max
        if question.money:
            return N_("Expected an amount with at most 2 decimals, in range.")
        if lo is not None and hi is not None:
            return N_("Expected a number from %(min)s to %(max)s.", min=_num(lo), max=_num(hi))
        if lo is not None:
            return N_("Expected a number of at least %(min)s.", min=_num(lo))
        if hi is not None:
            return N_("Expected a number of at most %(max)s.", max=_num(hi))
        return N_("Expected a number.")
    if t == "url":
        return N_("Expected a web address starting with http:// or https://.")
    if t == "email":
        return N_("Expected an e-mail address.")
    if t == "date":
        return N_("Not a real date.")
    if t == "id_list":
        return N_("Expected ids separated by commas, at most 100.")
    if t in ("text", "long_text"):
        return N_("Too long: at most %(n)s characters.", n=question.max_length)
    return N_("This value does not fit the question.")


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _as_number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value) if isinstance(value, float) and value.is_integer() and abs(value) < 2**53 else value
    text = str(value).replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("'", "")
    if "," in text and "." not in text:
        text = text.replace(",", ".")  # a decimal comma, as German and French write
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite() or len(text) > 40:
        return None
    return int(number) if number == number.to_integral_value() else float(text)


def _option(question: Question, text: str, language: str) -> str | None:
    wanted = text.strip().casefold()
    for option in question.options:
        names = {option.value, localize(option.label, language), localize(option.label)}
        if wanted in {n.casefold() for n in names}:
            return option.value
    return None


def _options(question: Question, text: str, language: str) -> list[str] | None:
    """A multi's cell: labels or values separated by commas (a label holding a comma is matched whole)."""
    pieces = re.split(r"([,;\n])", text)  # the pieces and, between them, the separators as typed
    parts, seps = pieces[::2], pieces[1::2]
    chosen: list[str] = []
    i = 0
    while i < len(parts):
        if not parts[i].strip():
            i += 1
            continue
        for j in range(len(parts), i, -1):  # the longest run of pieces that names an option
            run = "".join(p + (seps[k] if k < j - 1 else "") for k, p in enumerate(parts[i:j], start=i))
            value = _option(question, run, language)
            if value is not None:
                if value not in chosen:
                    chosen.append(value)
                i = j
                break
        else:
            return None
    return chosen
