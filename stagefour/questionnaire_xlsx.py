"""Questionnaires as spreadsheets (issue 16): the layout of questionnaires/README.md, both ways.

`to_xlsx` writes a questionnaire's raw form (`Questionnaire.source`) as six sheets; `from_xlsx`
reads them back into the same raw form, which then goes through `parse_questionnaire`, so every
rule of the YAML loader applies to a spreadsheet too. The round trip is exact: the content hash
(canonical JSON of the raw form) of the questionnaire read back equals the original's. That is
why a few cells are stricter than a person might expect: a plain English text and a language
mapping with English alone are different raw forms (the `prompt:en` column), and `3.0` is not `3`
(an integral decimal is written as text).

Every .xlsx goes through stagefour/xlsx.py (macros, formulas, zip bombs, oversized sheets are
refused there). Every problem names its sheet and cell (`Questions!F12`); loader errors, which
name a path (`sections[2].questions[5].options`), are mapped back to the row and column the value
came from. Nothing is half imported: the caller gets a whole questionnaire or every problem.
"""

from __future__ import annotations

import json
import re
from datetime import date
from datetime import datetime
from datetime import time
from typing import Any

import yaml
from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from stagefour import xlsx
from stagefour.messages import N_
from stagefour.questionnaire import BLOCK_TYPES
from stagefour.questionnaire import FIELD_TYPES
from stagefour.questionnaire import QUESTION_TYPES
from stagefour.questionnaire import SEVERITIES
from stagefour.questionnaire import Questionnaire
from stagefour.questionnaire import QuestionnaireError
from stagefour.questionnaire import parse_questionnaire
from stagefour.questionnaire import parse_yaml
from stagefour.xlsx import SheetError
from stagefour.xlsx import SheetProblem

QUESTIONNAIRE, SECTIONS, QUESTIONS, OPTIONS, FIELDS, WARNINGS = (
    "Questionnaire", "Sections", "Questions", "Options", "Fields", "Warnings",
)  # fmt: skip
REQUIRED_SHEETS = (QUESTIONNAIRE, SECTIONS, QUESTIONS)

# What a cell holds, by the key its column names; any other key is a YAML flow value.
TEXT_KEYS = frozenset(
    {"title", "description", "help", "vendor_help", "prompt", "unit", "row_label", "label", "message"}
)
BOOL_KEYS = frozenset({"required", "integer", "money", "not_applicable", "specify"})
NUMBER_KEYS = frozenset({"weight", "min", "max", "max_length", "min_rows", "max_rows", "max_files"})
STRING_KEYS = frozenset(
    {"id", "number", "type", "value", "severity", "refers_to", "choices_from", "choice_label", "checks",
     "section", "question", "group", "key"}
)  # fmt: skip
YES, NO = "yes", "no"
EMPTY_TEXT = '""'  # a cell holding two double quotes is an empty text (an empty cell is no text at all)

# The columns of each sheet, in order; a key that an item has beyond these gets a column of its own.
SECTION_COLUMNS = ("id", "number", "title", "weight", "help", "vendor_help")
QUESTION_COLUMNS = (
    "section", "id", "number", "type", "prompt", "help", "required", "visible_if", "scoring", "weight",
    "min", "max", "integer", "money", "unit", "max_length", "min_rows", "max_rows", "max_files", "row_label",
)  # fmt: skip
OPTION_COLUMNS = ("question", "value", "label", "not_applicable", "specify")
FIELD_COLUMNS = (
    "group", "id", "type", "prompt", "help", "required", "min", "max", "integer", "money", "unit",
    "max_length", "max_files", "refers_to", "choices_from", "choice_label",
)  # fmt: skip
WARNING_COLUMNS = ("question", "when", "severity", "message")
TOP_KEYS = ("id", "version", "title", "description", "languages", "checks", "verdict")
ANCHOR_SCORES = range(6)
# Keys whose values are rows of another sheet, not cells.
NESTED = {"sections", "questions", "options", "fields", "warnings", "anchors"}
HEADER = re.compile(r"^(?P<key>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<lang>[A-Za-z]{2}(?:_[A-Z]{2})?))?$")

# The blank template's example: small, but it shows each sheet and the usual kinds of question.
TEMPLATE = {
    "id": "my-questionnaire",
    "version": "0.1.0",
    "languages": ["en", "de"],
    "title": {"en": "Supplier questionnaire", "de": "Lieferantenfragebogen"},
    "description": "Replace these rows with your own. The README of the questionnaire format explains every column.",
    "verdict": {"meets": {"overall": 70, "warnings": {"high": 0}}},
    "sections": [
        {
            "id": "GEN",
            "number": "1",
            "title": {"en": "General", "de": "Allgemeines"},
            "weight": 1,
            "questions": [
                {"type": "heading", "text": {"en": "About you", "de": "Über Sie"}},
                {
                    "id": "GEN_01",
                    "number": "1.1",
                    "type": "text",
                    "required": True,
                    "prompt": {"en": "Company name", "de": "Name des Unternehmens"},
                },
                {
                    "id": "GEN_02",
                    "number": "1.2",
                    "type": "yes_no",
                    "required": True,
                    "prompt": {"en": "Do you hold ISO/IEC 27001?", "de": "Sind Sie nach ISO/IEC 27001 zertifiziert?"},
                    "scoring": {"kind": "points", "points": {"yes": 5, "no": 0}},
                    "warnings": [
                        {
                            "when": {"equals": False},
                            "severity": "medium",
                            "message": {"en": "No ISO/IEC 27001.", "de": "Kein ISO/IEC 27001."},
                        }
                    ],
                },
                {
                    "id": "GEN_03",
                    "number": "1.3",
                    "type": "single",
                    "prompt": {"en": "Where is our data hosted?", "de": "Wo werden unsere Daten gespeichert?"},
                    "visible_if": {"question": "GEN_02", "equals": True},
                    "options": [
                        {"value": "eu", "label": {"en": "In the EU", "de": "In der EU"}},
                        {"value": "elsewhere", "label": {"en": "Elsewhere", "de": "Anderswo"}},
                        {
                            "value": "other",
                            "label": {"en": "Other — please specify", "de": "Andere — bitte angeben"},
                            "specify": True,
                        },  # fmt: skip
                        {
                            "value": "na",
                            "label": {"en": "We keep no data", "de": "Wir speichern keine Daten"},
                            "not_applicable": True,
                        },  # fmt: skip
                    ],
                    "scoring": {"kind": "points", "points": {"eu": 5, "elsewhere": 2, "other": 1}},
                },
            ],
        },
        {
            "id": "OPS",
            "number": "2",
            "title": {"en": "Operations", "de": "Betrieb"},
            "weight": 2,
            "questions": [
                {
                    "type": "note",
                    "text": {"en": "Count the last twelve months.", "de": "Zählen Sie die letzten zwölf Monate."},
                },
                {
                    "id": "OPS_01",
                    "number": "2.1",
                    "type": "number",
                    "integer": True,
                    "min": 0,
                    "unit": {"en": "hours", "de": "Stunden"},
                    "prompt": {"en": "Longest outage", "de": "Längster Ausfall"},
                    "scoring": {"kind": "bands", "bands": [{"max": 4, "points": 5}, {"max": 24, "points": 3}]},
                },
                {
                    "id": "OPS_02",
                    "number": "2.2",
                    "type": "group",
                    "prompt": {"en": "Your subprocessors", "de": "Ihre Unterauftragsverarbeiter"},
                    "row_label": {"en": "subprocessor", "de": "Unterauftragsverarbeiter"},
                    "fields": [
                        {"id": "name", "type": "text", "required": True, "prompt": {"en": "Name", "de": "Name"}},
                        {
                            "id": "country",
                            "type": "single",
                            "prompt": {"en": "Country", "de": "Land"},
                            "options": [
                                {"value": "eu", "label": {"en": "EU", "de": "EU"}},
                                {"value": "other", "label": {"en": "Outside the EU", "de": "Außerhalb der EU"}},
                            ],
                        },
                    ],
                },
            ],
        },
    ],
}


# ------------------------------------------------------------------------------------------ writing


def to_xlsx(questionnaire: Questionnaire | dict) -> bytes:
    """The questionnaire (or its raw form) as an .xlsx workbook in the documented layout."""
    raw = questionnaire.source if isinstance(questionnaire, Questionnaire) else questionnaire
    languages = [c for c in raw.get("languages") or [] if isinstance(c, str) and c != "en"]
    book = Workbook()
    book.remove(book.active)

    # Questionnaire: one row per key, its value in B and its translations beside it.
    top = book.create_sheet(QUESTIONNAIRE)
    rows: list[tuple[str, Any]] = [(k, raw.get(k)) for k in TOP_KEYS]
    anchors = raw.get("anchors")
    if isinstance(anchors, dict):
        rows += [(f"anchors.{k}", v) for k, v in anchors.items()]
    rows += [(k, v) for k, v in raw.items() if k not in TOP_KEYS and k not in NESTED]
    text_rows = [v for k, v in rows if _key(k) in TEXT_KEYS or k.startswith("anchors.")]
    head = ["key", "value", *_text_headers("value", text_rows, languages)[1:]]
    _header(top, head)
    for r, (key, value) in enumerate(rows, start=2):
        xlsx.write_cell(top.cell(r, 1), key)
        if key.startswith("anchors.") or key in TEXT_KEYS:
            _write_text(top, r, head, "value", value)
        elif key == "languages" and isinstance(value, list):
            xlsx.write_cell(top.cell(r, 2), ", ".join(str(c) for c in value))
        elif key == "version":
            _write_scalar(top.cell(r, 2), value)
        elif value is not None:
            xlsx.write_cell(top.cell(r, 2), _flow(value) if key not in STRING_KEYS else value)

    for row in top.iter_rows(min_row=2, min_col=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")

    sections = [s for s in raw.get("sections") or [] if isinstance(s, dict)]
    questions, options, fields, warnings = [], [], [], []
    for s in sections:
        for q in s.get("questions") or []:
            if not isinstance(q, dict):
                continue
            questions.append({"section": s.get("id"), **q})
            for o in q.get("options") or []:
                options.append({"question": q.get("id"), **o})
            for f in q.get("fields") or []:
                fields.append({"group": q.get("id"), **f})
                for o in f.get("options") or []:
                    options.append({"question": f"{q.get('id')}.{f.get('id')}", **o})
            for w in q.get("warnings") or []:
                warnings.append({"question": q.get("id"), **w})
    _write_table(book, SECTIONS, SECTION_COLUMNS, sections, languages)
    sheet = _write_table(book, QUESTIONS, QUESTION_COLUMNS, questions, languages)
    _drop_down(sheet, "type", (*QUESTION_TYPES, *BLOCK_TYPES))
    for key in BOOL_KEYS:
        _drop_down(sheet, key, (YES, NO))
    sheet = _write_table(book, OPTIONS, OPTION_COLUMNS, options, languages)
    for key in ("not_applicable", "specify"):
        _drop_down(sheet, key, (YES, NO))
    sheet = _write_table(book, FIELDS, FIELD_COLUMNS, fields, languages)
    _drop_down(sheet, "type", FIELD_TYPES)
    for key in BOOL_KEYS:
        _drop_down(sheet, key, (YES, NO))
    sheet = _write_table(book, WARNINGS, WARNING_COLUMNS, warnings, languages)
    _drop_down(sheet, "severity", SEVERITIES)
    return xlsx.to_bytes(book)


def template_xlsx() -> bytes:
    """The blank template: a small example questionnaire in the layout, to overwrite."""
    return to_xlsx(TEMPLATE)


def _key(header: str) -> str:
    return header.split(":", 1)[0]


def _text_headers(key: str, values: list, languages: list[str]) -> list[str]:
    """`key`, then `key:en` only when a value is a mapping with English alone, then a column per language."""
    heads = [key]
    if any(_needs_en_column(v) for v in values):
        heads.append(f"{key}:en")
    extra = [c for v in values if isinstance(v, dict) for c in v if c != "en" and c not in languages]
    heads += [f"{key}:{c}" for c in dict.fromkeys([*languages, *extra])]
    return heads


def _needs_en_column(value: Any) -> bool:
    # {en: "Title"} and "Title" hash differently: the mapping keeps its English under `title:en`.
    return isinstance(value, dict) and "en" in value and not any(c != "en" for c in value)


def _write_text(sheet, row: int, heads: list[str], key: str, value: Any) -> None:
    if value is None:
        return
    col = {h: i for i, h in enumerate(heads, start=1)}
    if isinstance(value, str):
        xlsx.write_cell(sheet.cell(row, col[key]), value or EMPTY_TEXT)
        return
    if not isinstance(value, dict):
        xlsx.write_cell(sheet.cell(row, col[key]), _flow(value))
        return
    for code, string in value.items():
        head = f"{key}:en" if code == "en" and _needs_en_column(value) else key if code == "en" else f"{key}:{code}"
        if head in col:
            xlsx.write_cell(sheet.cell(row, col[head]), string if string != "" else EMPTY_TEXT)


def _write_scalar(cell, value: Any) -> None:
    """A number as a number, except a whole decimal (3.0), kept as the text "3.0" so it reads back as a decimal."""
    if isinstance(value, bool):
        xlsx.write_cell(cell, YES if value else NO)
    elif isinstance(value, float) and value.is_integer():
        xlsx.write_cell(cell, repr(value))
    elif isinstance(value, int | float | str) or value is None:
        xlsx.write_cell(cell, value)
    else:
        xlsx.write_cell(cell, _flow(value))


class _FlowDumper(yaml.SafeDumper):
    """Safe YAML that repeats a value used twice instead of writing `&id001`: the loader refuses anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _flow(value: Any) -> str:
    """A value as one line of YAML (flow style), as the loader reads it back."""
    text = yaml.dump(
        value, Dumper=_FlowDumper, default_flow_style=True, allow_unicode=True, width=1 << 30, sort_keys=False
    )
    return text.removesuffix("\n...\n").strip()


def _write_table(book: Workbook, title: str, columns: tuple, items: list[dict], languages: list[str]):
    keys = list(columns) + [
        k for k in dict.fromkeys(k for i in items for k in i) if k not in columns and k not in NESTED
    ]
    # A heading's or note's text is shown in the prompt column: it is what the vendor reads there.
    rows = [({**i, "prompt": i["text"]} if i.get("type") in BLOCK_TYPES and "text" in i else i) for i in items]
    keys = [k for k in keys if not (k == "text" and all(i.get("type") in BLOCK_TYPES for i in items if "text" in i))]
    heads: list[str] = []
    for key in keys:
        heads += _text_headers(key, [r.get(key) for r in rows], languages) if key in TEXT_KEYS else [key]
    sheet = book.create_sheet(title)
    _header(sheet, heads)
    col = {h: i for i, h in enumerate(heads, start=1)}
    for r, item in enumerate(rows, start=2):
        for key in keys:
            value = item.get(key)
            if key == "text" and item.get("type") in BLOCK_TYPES:
                continue
            if key in TEXT_KEYS:
                _write_text(sheet, r, heads, key, value)
            elif key not in item:
                continue
            elif key in STRING_KEYS and isinstance(value, str):
                xlsx.write_cell(sheet.cell(r, col[key]), value)
            elif key in BOOL_KEYS or key in NUMBER_KEYS or key in STRING_KEYS:
                _write_scalar(sheet.cell(r, col[key]), value)
            else:
                xlsx.write_cell(sheet.cell(r, col[key]), _flow(value))
    for c, head in enumerate(heads, start=1):
        wide = _key(head) in TEXT_KEYS or _key(head) in ("visible_if", "scoring", "when")
        sheet.column_dimensions[get_column_letter(c)].width = 48 if wide else max(10, len(head) + 2)
        if wide:
            for cell in sheet[get_column_letter(c)][1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    return sheet


def _header(sheet, heads: list[str]) -> None:
    for c, head in enumerate(heads, start=1):
        cell = xlsx.write_cell(sheet.cell(1, c), head)
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    if sheet.title == QUESTIONNAIRE:
        sheet.column_dimensions["A"].width = 14
        for c in range(2, len(heads) + 1):
            sheet.column_dimensions[get_column_letter(c)].width = 48


def _drop_down(sheet, key: str, choices: tuple) -> None:
    """A drop-down list of the allowed words in every row of the column headed `key`."""
    for cell in sheet[1]:
        if cell.value == key:
            letter = get_column_letter(cell.column)
            rule = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True)
            rule.error = "Choose one of: " + ", ".join(choices)
            rule.showErrorMessage = True
            sheet.add_data_validation(rule)
            rule.add(f"{letter}2:{letter}{xlsx.MAX_ROWS}")


# ------------------------------------------------------------------------------------------ reading


class _Where:
    """Where each part of the raw form came from: loader path → (sheet, row, key → cell)."""

    def __init__(self) -> None:
        self.places: dict[str, tuple[str, int | None, dict[str, str]]] = {}

    def add(self, path: str, sheet: str, row: int | None, cells: dict[str, str]) -> None:
        self.places[path] = (sheet, row, cells)

    def problem(self, error: str) -> SheetProblem:
        """A loader error ("sections[2].questions[5].options: …") at the sheet and cell it came from."""
        path, _, message = error.partition(": ")
        if path == "(top)":
            path = ""
        prefix = max(
            (p for p in self.places if path == p or path.startswith((f"{p}.", f"{p}[")) or p == ""),
            key=len,
            default=None,
        )
        if prefix is None:
            return SheetProblem(None, None, error)
        sheet, row, cells = self.places[prefix]
        rest = path[len(prefix) :].lstrip(".")
        parts = re.split(r"(?=[.\[])", rest) if rest else []
        for n in range(len(parts), 0, -1):
            key = "".join(parts[:n]).lstrip(".")
            if key in cells:
                inner = "".join(parts[n:]).lstrip(".")
                return SheetProblem(sheet, cells[key], f"{inner}: {message}" if inner else message)
        if prefix == "" and rest.startswith("sections"):
            sheet = SECTIONS
        return SheetProblem(sheet, str(row) if row else None, f"{rest}: {message}" if rest else message)


def from_xlsx(data: bytes) -> dict:
    """The raw questionnaire (as YAML would give it) from an .xlsx in the layout; SheetError with every problem."""
    return _read(data)[0]


def load_xlsx(data: bytes, source: str = "questionnaire.xlsx") -> Questionnaire:
    """A validated questionnaire from an .xlsx: SheetError with every problem by sheet and cell, loader errors too."""
    raw, where = _read(data)
    try:
        questionnaire = parse_questionnaire(raw, source)
    except QuestionnaireError as exc:
        raise SheetError([where.problem(e) for e in exc.errors]) from None
    try:
        json.dumps(raw, allow_nan=False)  # the snapshot is stored as JSON (see library.read_upload)
    except (TypeError, ValueError):
        raise SheetError(SheetProblem(None, None, N_("The workbook holds a value that cannot be stored."))) from None
    return questionnaire


def _read(data: bytes) -> tuple[dict, _Where]:
    book = xlsx.open_workbook(data)
    problems: list[SheetProblem] = []
    where = _Where()
    names = {ws.title.strip().lower(): ws for ws in book.worksheets}
    for title in REQUIRED_SHEETS:
        if title.lower() not in names:
            problems.append(SheetProblem(title, None, N_("The sheet is missing: every questionnaire workbook has it.")))
    if problems:
        raise SheetError(problems)
    for ws in book.worksheets:
        for merged in ws.merged_cells.ranges:
            problems.append(SheetProblem(ws.title, str(merged), N_("Merged cells: unmerge them, one value per cell.")))
    tables = {
        title: _table(names[title.lower()], problems)
        for title in (QUESTIONNAIRE, SECTIONS, QUESTIONS, OPTIONS, FIELDS, WARNINGS)
        if title.lower() in names
    }
    raw = _top(tables[QUESTIONNAIRE], names[QUESTIONNAIRE.lower()].title, where, problems)
    sections: list[dict] = []
    by_section: dict[str, dict] = {}
    for r, item, cells, title in tables[SECTIONS]:
        path = f"sections[{len(sections)}]"
        where.add(path, title, r, cells)
        item["questions"] = []
        sections.append(item)
        if isinstance(item.get("id"), str):
            by_section.setdefault(item["id"], item)
    if sections:
        raw["sections"] = sections
    questions: dict[str, dict] = {}
    for r, item, cells, title in tables[QUESTIONS]:
        section_id = item.pop("section", None)
        section = by_section.get(section_id) if isinstance(section_id, str) else None
        if section is None:
            cell = cells.get("section")
            problems.append(
                SheetProblem(
                    title, cell or str(r), N_("No section with the id %(id)s on the Sections sheet.", id=section_id)
                )
                if section_id is not None
                else SheetProblem(
                    title, cell or str(r), N_("Name the section of this row (its id on the Sections sheet).")
                )
            )
            continue
        if item.get("type") in BLOCK_TYPES:
            if "prompt" in item:
                item["text"] = item.pop("prompt")
                if "prompt" in cells:
                    cells = {**cells, "text": cells["prompt"]}
                    cells.update({f"text.{k[7:]}": v for k, v in cells.items() if k.startswith("prompt.")})
        i = sections.index(section)
        where.add(f"sections[{i}].questions[{len(section['questions'])}]", title, r, cells)
        section["questions"].append(item)
        if isinstance(item.get("id"), str) and item.get("type") not in BLOCK_TYPES:
            questions.setdefault(item["id"], item)
    for section in sections:
        if not section["questions"]:
            del section["questions"]  # the loader says "required" at the section's row
    paths = _question_paths(raw)
    fields: dict[str, dict] = {}
    for r, item, cells, title in tables.get(FIELDS, []):
        group = item.pop("group", None)
        q = questions.get(group) if isinstance(group, str) else None
        if q is None:
            problems.append(
                SheetProblem(
                    title,
                    cells.get("group") or str(r),
                    N_("No question with the id %(id)s on the Questions sheet.", id=group),
                )
            )
            continue
        q.setdefault("fields", [])
        where.add(f"{paths[id(q)]}.fields[{len(q['fields'])}]", title, r, cells)
        q["fields"].append(item)
        if isinstance(item.get("id"), str):
            fields.setdefault(f"{group}.{item['id']}", item)
            paths[id(item)] = f"{paths[id(q)]}.fields[{len(q['fields']) - 1}]"
    for sheet, child, key in ((OPTIONS, "options", "question"), (WARNINGS, "warnings", "question")):
        for r, item, cells, title in tables.get(sheet, []):
            name = item.pop(key, None)
            owner = (
                (questions.get(name) or (fields.get(name) if child == "options" else None))
                if isinstance(name, str)
                else None
            )
            if owner is None:
                problems.append(
                    SheetProblem(
                        title,
                        cells.get(key) or str(r),
                        N_("No question with the id %(id)s on the Questions sheet.", id=name),
                    )
                )
                continue
            owner.setdefault(child, [])
            where.add(f"{paths[id(owner)]}.{child}[{len(owner[child])}]", title, r, cells)
            owner[child].append(item)
    if problems:
        raise SheetError(problems)
    return raw, where


def _question_paths(raw: dict) -> dict[int, str]:
    return {
        id(q): f"sections[{i}].questions[{j}]"
        for i, s in enumerate(raw.get("sections", []))
        for j, q in enumerate(s.get("questions", []))
    }


def _table(ws, problems: list[SheetProblem]) -> list[tuple[int, dict, dict[str, str], str]]:
    """Each non-blank row of a sheet as (row number, key → value, key → cell name, sheet title)."""
    heads: dict[int, tuple[str, str | None]] = {}
    seen: set[str] = set()
    rows = ws.iter_rows(values_only=False)
    first = next(rows, ())
    for cell in first:
        if cell.value is None or (isinstance(cell.value, str) and not cell.value.strip()):
            continue
        name = str(cell.value).strip()
        match = HEADER.match(name)
        where = xlsx.cell_name(1, cell.column)
        if not match:
            problems.append(SheetProblem(ws.title, where, N_("Not a column name: %(name)s", name=name)))
        elif name in seen:
            problems.append(SheetProblem(ws.title, where, N_("The column %(name)s is there twice.", name=name)))
        else:
            seen.add(name)
            heads[cell.column] = (match["key"], match["lang"])
    english = {key: col for col, (key, lang) in heads.items() if lang is None}
    out = []
    for row in rows:
        values: dict = {}
        cells: dict[str, str] = {}
        texts: dict[str, dict[str | None, Any]] = {}
        for cell in row:
            if cell.value is None or getattr(cell, "column", None) is None:
                continue
            name = xlsx.cell_name(cell.row, cell.column)
            if cell.column not in heads:
                if not (isinstance(cell.value, str) and not cell.value.strip()):
                    problems.append(SheetProblem(ws.title, name, N_("A value in a column without a name in row 1.")))
                continue
            key, lang = heads[cell.column]
            if key in TEXT_KEYS or (ws.title.lower() == QUESTIONNAIRE.lower() and key == "value"):
                text = _text_cell(cell.value, ws.title, name, problems)
                if text is not None:
                    texts.setdefault(key, {})[lang] = text
                    cells[key if lang is None else f"{key}.{lang}"] = name
                continue
            if lang is not None:
                problems.append(SheetProblem(ws.title, name, N_("Only texts have a column per language.")))
                continue
            value = _cell(key, cell.value, ws.title, name, problems)
            if value is not _BLANK:
                values[key] = value
                cells[key] = name
        for key, parts in texts.items():
            if ws.title.lower() == QUESTIONNAIRE.lower() and key == "value":
                values["value"] = parts  # assembled per row in _top, where the key is known
                continue
            text = _assemble(parts, ws.title, cells, key, problems)
            if text is not None:
                values[key] = text
                if key not in cells:  # translations without English: the loader's "required" goes to its blank cell
                    cells[key] = (
                        xlsx.cell_name(row[0].row, english[key])
                        if key in english
                        else next(v for k, v in cells.items() if k.startswith(f"{key}."))
                    )
        if values:
            out.append((row[0].row if row else 0, values, cells, ws.title))
    return out


_BLANK = object()


def _assemble(parts: dict, sheet: str, cells: dict, key: str, problems: list) -> Any:
    """A text from its cells: plain English, or a mapping of language to text (see `_text_headers`)."""
    english, explicit = parts.pop(None, None), parts.pop("en", None)
    if english is not None and explicit is not None:
        problems.append(
            SheetProblem(
                sheet, cells[f"{key}.en"], N_("Two English texts: fill %(key)s or %(key)s:en, not both.", key=key)
            )
        )
        return None
    if explicit is None and not parts:
        return english
    en = english if english is not None else explicit
    out = {"en": en} if en is not None else {}
    out.update(parts)
    if explicit is not None:
        cells[key] = cells[f"{key}.en"]
    return out


def _text_cell(value: Any, sheet: str, name: str, problems: list) -> str | None:
    if isinstance(value, str):
        if value == EMPTY_TEXT:
            return ""
        return value if value.strip() else None  # kept as typed: a trailing line break is part of the text
    if isinstance(value, bool):
        problems.append(SheetProblem(sheet, name, N_("Expected text, got TRUE or FALSE.")))
        return None
    if isinstance(value, datetime | date | time):
        problems.append(SheetProblem(sheet, name, N_("Expected text, got a date: format the cell as text.")))
        return None
    return _number_text(value)


def _number_text(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _cell(key: str, value: Any, sheet: str, name: str, problems: list) -> Any:
    """One cell's value by the kind of its column, or _BLANK; a wrong kind is a problem at the cell."""
    if isinstance(value, str) and not value.strip():
        return _BLANK
    if isinstance(value, datetime | date | time):
        problems.append(
            SheetProblem(sheet, name, N_("Expected %(what)s, got a date: format the cell as text.", what=_what(key)))
        )
        return _BLANK
    if key in BOOL_KEYS:
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in (YES, "true"):
            return True
        if word in (NO, "false"):
            return False
        problems.append(SheetProblem(sheet, name, N_("Expected yes or no, got %(value)s.", value=str(value))))
        return _BLANK
    if isinstance(value, bool):
        problems.append(SheetProblem(sheet, name, N_("Expected %(what)s, got TRUE or FALSE.", what=_what(key))))
        return _BLANK
    if key in STRING_KEYS:
        # A display number or option value typed as 2 or 1.5 is the text "2" or "1.5".
        return value.strip() if isinstance(value, str) else _number_text(value)
    if key in NUMBER_KEYS:
        if isinstance(value, str):
            return _number(value.strip())
        return value
    if key == "version":
        return value.strip() if isinstance(value, str) else value
    if isinstance(value, str):
        try:
            return parse_yaml(value, name)
        except QuestionnaireError as exc:
            detail = exc.errors[0] if exc.errors else ""
            problems.append(SheetProblem(sheet, name, N_("Not a valid value (YAML): %(detail)s", detail=detail)))
            return _BLANK
    return value


def _what(key: str):
    if key in BOOL_KEYS:
        return N_("yes or no")
    if key in NUMBER_KEYS:
        return N_("a number")
    return N_("text")


def _number(text: str) -> Any:
    """A number typed as text ("3.0" stays a decimal); anything else stays text for the loader to refuse."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def _top(table: list, title: str, where: _Where, problems: list) -> dict:
    raw: dict = {}
    cells: dict[str, str] = {}
    anchors: dict = {}
    for r, item, row_cells, _ in table:
        key = item.get("key")
        if key is None:
            problems.append(SheetProblem(title, f"A{r}", N_("Name the key of this row in column A.")))
            continue
        parts = item.get("value")
        if not isinstance(key, str) or not isinstance(parts, dict):
            continue  # a key with no value: left out, as a key missing from the YAML
        key = key.strip()
        value_cells = {k.replace("value", key, 1): v for k, v in row_cells.items() if k.startswith("value")}
        if key.startswith("anchors."):
            score = key.removeprefix("anchors.")
            anchors[int(score) if score.isdigit() else score] = _assemble(
                dict(parts), title, value_cells, key, problems
            )
            cells.update(value_cells)
            continue
        if key in TEXT_KEYS:
            value = _assemble(dict(parts), title, value_cells, key, problems)
        elif set(parts) != {None}:
            problems.append(
                SheetProblem(title, row_cells.get("value.en") or f"C{r}", N_("Only texts have a column per language."))
            )
            continue
        elif key == "languages":
            text = parts[None]
            value = [c.strip() for c in text.split(",") if c.strip()] if isinstance(text, str) else text
        elif key in STRING_KEYS or key == "version":
            value = _cell(key, parts[None], title, value_cells[key], problems)
        else:
            value = _cell(key, parts[None], title, value_cells[key], problems)
        if value is _BLANK or value is None:
            continue
        if key in raw:
            problems.append(SheetProblem(title, f"A{r}", N_("The key %(key)s is there twice.", key=key)))
            continue
        raw[key] = value
        cells.update(value_cells)
    if anchors:
        raw["anchors"] = anchors
    where.add("", title, None, cells)
    return raw
