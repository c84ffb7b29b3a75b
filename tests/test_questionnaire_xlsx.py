"""Questionnaires as spreadsheets (issue 16 item 1): the layout both ways, exact to the content
hash, every problem by sheet and cell, hostile workbooks refused, nothing half imported."""

from __future__ import annotations

import io
import shutil
import subprocess
import tracemalloc
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from stagefour import questionnaire_xlsx as qx
from stagefour import xlsx
from stagefour.questionnaire import load_questionnaire
from stagefour.questionnaire import parse_questionnaire
from stagefour.xlsx import SheetError

from .conftest import FIXTURES

ROOT = Path(__file__).parent.parent
ROUND_TRIP = [
    ROOT / "questionnaires" / "ai-deployment-partner.yaml",
    FIXTURES / "security-baseline.yaml",
    FIXTURES / "every-type.yaml",
    FIXTURES / "conditions.yaml",
    FIXTURES / "sections.yaml",  # section visible_if and skip_rest_if: the YAML columns the layout does not name
]


def book_of(data: bytes):
    """The workbook of some bytes, to edit as a person would in an office program."""
    return load_workbook(io.BytesIO(data))


def saved(book) -> bytes:
    """The bytes of an edited workbook."""
    return xlsx.to_bytes(book)


def column(sheet, name: str) -> int:
    """The column number of a header."""
    return next(c.column for c in sheet[1] if c.value == name)


def row_of(sheet, key: str, value: str) -> int:
    """The first row whose `key` column holds `value`."""
    col = column(sheet, key)
    return next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, col).value == value)


def problems(data: bytes) -> list[str]:
    """Every problem `load_xlsx` reports, as "Sheet!Cell: message"."""
    with pytest.raises(SheetError) as info:
        qx.load_xlsx(data)
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize("path", ROUND_TRIP, ids=lambda p: p.stem)
def test_round_trip_keeps_the_content_hash(path):
    questionnaire = load_questionnaire(path)
    back = qx.load_xlsx(qx.to_xlsx(questionnaire))
    assert back.hash == questionnaire.hash
    assert [q.id for q in back.questions.values()] == [q.id for q in questionnaire.questions.values()]


def test_export_has_one_sheet_per_part_with_translations_as_columns():
    book = book_of(qx.to_xlsx(load_questionnaire(ROUND_TRIP[0])))
    assert book.sheetnames == ["Questionnaire", "Sections", "Questions", "Options", "Fields", "Warnings"]
    heads = [c.value for c in book["Questions"][1]]
    assert heads[:8] == ["section", "id", "number", "type", "prompt", "prompt:de", "prompt:fr", "prompt:es"]
    questions = book["Questions"]
    a1 = row_of(questions, "id", "A1")
    assert questions.cell(a1, column(questions, "prompt:de")).value == "Welcher Anbietertyp trifft auf Sie zu?"
    assert questions.cell(a1, column(questions, "required")).value == "yes"
    options = book["Options"]
    assert options.cell(2, column(options, "question")).value == "A1"
    assert options.cell(2, column(options, "value")).value == "lab_arm"
    # a group's sub-field options are named GROUP.FIELD
    assert any(str(c.value).count(".") == 1 for c in options["A"][1:])


def test_type_and_yes_no_columns_offer_drop_down_lists():
    sheet = book_of(qx.template_xlsx())["Questions"]
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation}
    type_col = sheet.cell(1, column(sheet, "type")).column_letter
    required_col = sheet.cell(1, column(sheet, "required")).column_letter
    assert "heading" in lists[f"{type_col}2"] and "single" in lists[f"{type_col}2"]
    assert lists[f"{required_col}2"] == '"yes,no"'


def test_the_template_is_a_valid_questionnaire_showing_each_sheet():
    questionnaire = qx.load_xlsx(qx.template_xlsx())
    assert questionnaire.id == "my-questionnaire"
    types = {q.type for q in questionnaire.questions.values()}
    assert {"text", "yes_no", "single", "number", "group"} <= types
    assert any(item.type == "heading" for s in questionnaire.sections for item in s.items if not hasattr(item, "id"))
    assert questionnaire.questions["GEN_02"].warnings and questionnaire.verdict


def test_formula_looking_text_is_exported_as_text_and_read_back_as_text():
    raw = dict(qx.TEMPLATE, description='=HYPERLINK("http://evil")')
    data = qx.to_xlsx(raw)
    cell = book_of(data)["Questionnaire"]["B5"]
    assert cell.data_type == "s"
    assert qx.load_xlsx(data).description == {"en": raw["description"]}


# ------------------------------------------------------------------------ problems by sheet and cell


def test_loader_errors_point_at_the_cell_the_value_came_from():
    book = book_of(qx.template_xlsx())
    options = book["Options"]
    r = row_of(options, "value", "elsewhere")
    options.cell(r, column(options, "value")).value = "Else Where"
    questions = book["Questions"]
    q = row_of(questions, "id", "GEN_02")
    questions.cell(q, column(questions, "scoring")).value = "{kind: points, points: {maybe: 5}}"
    blank = questions.cell(row_of(questions, "id", "GEN_01"), column(questions, "prompt"))
    blank.value = None
    letter = options.cell(r, column(options, "value")).column_letter
    scoring = questions.cell(q, column(questions, "scoring")).column_letter
    found = problems(saved(book))
    assert f"Options!{letter}{r}: expected a slug of lower-case letters, digits, - and _" in found
    assert any(p.startswith(f"Questions!{scoring}{q}: points.maybe:") for p in found)
    assert f"Questions!{blank.coordinate}: en: required (the English text)" in found


def test_a_missing_translation_points_at_its_column():
    book = book_of(qx.template_xlsx())
    sections = book["Sections"]
    sections.cell(2, column(sections, "title")).value = None  # title:de alone: the English is required
    letter = sections.cell(2, column(sections, "title")).column_letter
    assert problems(saved(book)) == [f"Sections!{letter}2: en: required (the English text)"]


@pytest.mark.parametrize(
    ("column_name", "value", "expected"),
    [
        ("id", 12, "expected an id of letters, digits and _"),  # a number where text is expected
        ("id", datetime(2026, 1, 2), "Expected text, got a date: format the cell as text."),
        ("required", "maybe", "Expected yes or no, got maybe."),
        ("weight", "heavy", "expected a number, got a string"),
        ("type", "essay", 'unknown type "essay"'),
        ("visible_if", "{question: [", "Not a valid value (YAML)"),
    ],
)
def test_wrong_types_are_reported_at_their_cell(column_name, value, expected):
    book = book_of(qx.template_xlsx())
    questions = book["Questions"]
    r = row_of(questions, "id", "GEN_01")
    cell = questions.cell(r, column(questions, column_name))
    cell.value = value
    found = problems(saved(book))
    assert any(p.startswith(f"Questions!{cell.coordinate}") and expected in p for p in found), found


def test_a_row_naming_an_unknown_section_or_question_is_reported():
    book = book_of(qx.template_xlsx())
    book["Questions"]["A3"] = "NOPE"
    book["Options"]["A2"] = "GHOST"
    found = problems(saved(book))
    assert "Questions!A3: No section with the id NOPE on the Sections sheet." in found
    assert "Options!A2: No question with the id GHOST on the Questions sheet." in found


@pytest.mark.parametrize("sheet", ["Questionnaire", "Sections", "Questions"])
def test_a_missing_sheet_is_named(sheet):
    book = book_of(qx.template_xlsx())
    del book[sheet]
    assert f"{sheet}: The sheet is missing: every questionnaire workbook has it." in problems(saved(book))


def test_merged_cells_are_refused():
    book = book_of(qx.template_xlsx())
    book["Questions"].merge_cells("E2:F3")
    assert "Questions!E2:F3: Merged cells: unmerge them, one value per cell." in problems(saved(book))


def test_formula_cells_are_refused_with_their_cell():
    book = book_of(qx.template_xlsx())
    book["Sections"]["D2"] = "=1+1"
    assert (
        "Sections!D2: This cell is a formula. Type the value itself, or start it with ' to keep it as text."
        in problems(saved(book))
    )


def test_empty_file_and_not_a_workbook_and_macros_are_refused():
    assert problems(b"") == ["The file is empty."]
    assert problems(b"id: x\n") == ["This is not an Excel workbook (.xlsx)."]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(qx.template_xlsx())) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr("xl/vbaProject.bin", b"\x00" * 16)
    assert problems(out.getvalue()) == [
        "The workbook contains macros (.xlsm): save it as an Excel workbook (.xlsx) without macros."
    ]


def million_rows(rows: int = 1_000_000, dimension: str = "") -> bytes:
    """A workbook whose Questions sheet has a million rows, built as XML (openpyxl would take minutes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(qx.template_xlsx())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        names = load_workbook(io.BytesIO(qx.template_xlsx()), read_only=True).sheetnames
        target = f"xl/worksheets/sheet{names.index('Questions') + 1}.xml"
        for item in src.infolist():
            if item.filename != target:
                dst.writestr(item, src.read(item.filename))
        with dst.open(target, "w") as sheet:
            sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            sheet.write(f"{dimension}<sheetData>".encode())
            for first in range(1, rows + 1, 1000):
                sheet.write(
                    "".join(f'<row r="{r}"><c r="A{r}"><v>1</v></c></row>' for r in range(first, first + 1000)).encode()
                )
            sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


def test_a_million_rows_are_refused_in_bounded_memory():
    data = million_rows()
    assert len(data) < xlsx.MAX_UPLOAD_BYTES
    tracemalloc.start()
    try:
        found = problems(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert found == [f"Questions: The sheet has more than {xlsx.MAX_ROWS} rows."]
    assert peak < 20 * 1024 * 1024  # the sheet unpacked is ~40 MB: it is streamed, never held


def test_a_sheet_whose_dimension_understates_its_rows_is_still_refused():
    data = million_rows(6000, '<dimension ref="A1:A1"/>')
    assert problems(data) == [f"Questions: The sheet has more than {xlsx.MAX_ROWS} rows."]


def test_other_sheets_such_as_notes_are_ignored():
    book = book_of(qx.template_xlsx())
    book.create_sheet("My notes")["A1"] = "anything"
    assert qx.load_xlsx(saved(book)).hash == qx.load_xlsx(qx.template_xlsx()).hash


def test_a_plain_text_and_an_english_only_mapping_stay_apart():
    raw = {
        "id": "t",
        "version": "1",
        "title": {"en": "Only English"},
        "languages": ["en", "de"],
        "sections": [
            {
                "id": "S",
                "title": "Plain",
                "weight": 2.0,
                "questions": [
                    {"id": "Q", "type": "number", "prompt": {"en": "P", "de": ""}, "min": 1.0, "help": "x\n"}
                ],
            }
        ],
    }
    data = qx.to_xlsx(raw)
    assert [c.value for c in book_of(data)["Questionnaire"][1]] == ["key", "value", "value:en", "value:de"]
    assert qx.load_xlsx(data).hash == parse_questionnaire(raw).hash


# ------------------------------------------------------------------------------- property test

words = st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")), min_size=1, max_size=12).filter(
    lambda s: s.strip() and s != qx.EMPTY_TEXT
)
slugs = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True)


@st.composite
def texts(draw, languages):
    """A text as the format allows it: plain English, or a mapping with English and some translations."""
    if draw(st.booleans()):
        return draw(words)
    out = {"en": draw(words)}
    for code in languages[1:]:
        if draw(st.booleans()):
            out[code] = draw(words | st.just(""))
    return out


@st.composite
def questionnaires(draw):
    """A small valid raw questionnaire: types, options, limits, conditions, warnings and translations."""
    languages = ["en", *draw(st.lists(st.sampled_from(["de", "fr", "es"]), unique=True, max_size=2))]
    numbers = st.integers(-1000, 1000) | st.floats(-1000, 1000, allow_nan=False).map(lambda f: round(f, 2))
    earlier: list[dict] = []
    sections = []
    for s in range(draw(st.integers(1, 3))):
        items = []
        for n in range(draw(st.integers(1, 4))):
            if draw(st.integers(0, 5)) == 0:
                items.append({"type": draw(st.sampled_from(["heading", "note"])), "text": draw(texts(languages))})
            qtype = draw(st.sampled_from(["text", "long_text", "yes_no", "single", "multi", "number", "date", "group"]))
            q: dict = {"id": f"Q{s}_{n}", "type": qtype, "prompt": draw(texts(languages))}
            for key in ("help",):
                if draw(st.booleans()):
                    q[key] = draw(texts(languages))
            if draw(st.booleans()):
                q["required"] = draw(st.booleans())
            if draw(st.booleans()):
                q["number"] = f"{s + 1}.{n + 1}"
            if qtype in ("single", "multi"):
                values = draw(st.lists(slugs, min_size=1, max_size=4, unique=True))
                q["options"] = [{"value": v, "label": draw(texts(languages))} for v in values]
                if qtype == "single" and len(values) > 1 and draw(st.booleans()):
                    q["options"][-1]["not_applicable"] = True
                if draw(st.booleans()):
                    q["options"][0]["specify"] = True
                if qtype == "single":
                    q["scoring"] = {"kind": "points", "points": {values[0]: draw(st.integers(0, 5))}}
                    if draw(st.booleans()):
                        q["warnings"] = [
                            {"when": {"equals": values[0]}, "severity": "high", "message": draw(texts(languages))}
                        ]
            if qtype == "yes_no" and draw(st.booleans()):
                q["scoring"] = {"kind": "points", "points": {"yes": 5, "no": draw(st.sampled_from([0, 1.5, 2.0]))}}
            if qtype == "number":
                low, high = sorted([draw(numbers), draw(numbers)])
                q.update({"min": low, "max": high})
                if draw(st.booleans()):
                    q["unit"] = draw(texts(languages))
                if draw(st.booleans()):
                    q["scoring"] = {"kind": "bands", "bands": [{"max": high, "points": 5}], "otherwise": 1.0}
            if qtype == "group":
                q["fields"] = [{"id": "name", "type": "text", "prompt": draw(texts(languages))}]
                if draw(st.booleans()):
                    q["fields"].append(
                        {"id": "kind", "type": "single", "prompt": draw(texts(languages)),
                         "options": [{"value": "a", "label": draw(texts(languages))}]}
                    )  # fmt: skip
            if qtype in ("text", "long_text") and draw(st.booleans()):
                q["max_length"] = draw(st.integers(1, 9999))
            targets = [t for t in earlier if t["type"] in ("yes_no", "single")]
            if targets and draw(st.booleans()):
                target = draw(st.sampled_from(targets))
                test = {"question": target["id"]}
                test |= (
                    {"equals": draw(st.booleans())}
                    if target["type"] == "yes_no"
                    else {"in": [target["options"][0]["value"]]}
                )
                q["visible_if"] = draw(st.sampled_from([test, {"not": test}, {"any": [test, test]}]))
            if draw(st.booleans()):
                q["weight"] = draw(st.sampled_from([1, 2, 0.5, 3.0]))
            items.append(q)
            earlier.append(q)
        section = {
            "id": f"S{s}",
            "title": draw(texts(languages)),
            "weight": draw(st.sampled_from([1, 2.5, 4.0])),
            "questions": items,
        }
        if draw(st.booleans()):
            section["help"] = draw(texts(languages))
        sections.append(section)
    version = draw(st.sampled_from(["1", "1.0.0", "2026.1"]))
    raw = {"id": "generated", "version": version, "title": draw(texts(languages)), "languages": languages}
    raw["sections"] = sections
    if draw(st.booleans()):
        raw["description"] = draw(texts(languages))
    return raw


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(questionnaires())
def test_any_generated_questionnaire_round_trips_with_the_same_hash(raw):
    questionnaire = parse_questionnaire(raw)
    assert qx.load_xlsx(qx.to_xlsx(questionnaire)).hash == questionnaire.hash


# ------------------------------------------------------------------------------ LibreOffice


def test_the_template_as_saved_by_libreoffice_reads_back_with_the_same_hash():
    # tests/fixtures/template-saved-by-libreoffice.xlsx: the template opened and saved again by LibreOffice
    # 7.4 headless (Debian 12), kept so that this runs where LibreOffice is not installed too.
    saved_by_libreoffice = (FIXTURES / "template-saved-by-libreoffice.xlsx").read_bytes()
    assert saved_by_libreoffice != qx.template_xlsx()
    assert qx.load_xlsx(saved_by_libreoffice).hash == qx.load_xlsx(qx.template_xlsx()).hash
    questions = book_of(saved_by_libreoffice)["Questions"]
    assert any("heading" in (v.formula1 or "") for v in questions.data_validations.dataValidation)


@pytest.mark.skipif(
    shutil.which("soffice") is None,
    reason="LibreOffice is not installed (apt-get install --no-install-recommends libreoffice-calc-nogui)",
)
@pytest.mark.parametrize("path", ROUND_TRIP[:2], ids=lambda p: p.stem)
def test_a_workbook_saved_by_libreoffice_reads_back_with_the_same_hash(path, tmp_path):
    questionnaire = load_questionnaire(path)
    source = tmp_path / "in" / f"{path.stem}.xlsx"
    source.parent.mkdir()
    source.write_bytes(qx.to_xlsx(questionnaire))
    profile = tmp_path / "profile"  # LibreOffice's own settings, away from $HOME
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "xlsx",
         "--outdir", str(tmp_path / "out"), str(source)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    converted = (tmp_path / "out" / source.name).read_bytes()
    assert converted != source.read_bytes()  # really saved by another program
    assert qx.load_xlsx(converted).hash == questionnaire.hash
