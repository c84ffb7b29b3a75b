"""Spreadsheets in and out, safely (issue 16): one door for every .xlsx the app reads or writes.

Every upload (a questionnaire into a team library, a vendor's offline answers) is opened by
`open_workbook`, which refuses what a spreadsheet can carry besides values before openpyxl parses
anything big: macros (.xlsm, `vbaProject.bin`), external links, formulas, encrypted or old `.xls`
files, zip bombs and oversized sheets. Each refusal is a `SheetProblem` that names the sheet and
the cell, so the person can find it in their office program.

Every download goes through `write_cell`, which stores text as text: a value that starts with
`=` stays a string cell and is never run as a formula (OWASP "CSV Injection", the XLSX form).
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl import load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.utils import get_column_letter

from stagefour.messages import N_

MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # the file as uploaded
MAX_UNCOMPRESSED_BYTES = 60 * 1024 * 1024  # all its parts, unzipped: a zip bomb stops here
MAX_ROWS = 5000  # per sheet; a questionnaire of 1,000 questions with translations fits easily
MAX_COLUMNS = 200
MAX_SHEETS = 200
MAX_CELL_CHARS = 32767  # Excel's own limit for one cell

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_MACRO_CONTENT_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an old .xls, or an encrypted .xlsx
_SHEET_XML = re.compile(r"^xl/worksheets/sheet\d+\.xml$")


@dataclass(frozen=True)
class SheetProblem:
    """One problem in an uploaded workbook, where a person would look for it."""

    sheet: str | None  # None: the file as a whole
    cell: str | None  # "B7", "C" (a column), "12" (a row) or None (the sheet as a whole)
    message: str  # English; a Message (N_) the view says in the reader's language

    def where(self) -> str:
        if self.sheet is None:
            return ""
        return f"{self.sheet}!{self.cell}" if self.cell else self.sheet

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message


class SheetError(ValueError):
    """The workbook can't be used; `problems` says every reason found, each with its place."""

    def __init__(self, problems: list[SheetProblem] | SheetProblem):
        self.problems = [problems] if isinstance(problems, SheetProblem) else list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


def cell_name(row: int, column: int) -> str:
    """ "B7" for row 7, column 2 (both counted from 1)."""
    return f"{get_column_letter(column)}{row}"


def open_workbook(data: bytes) -> Workbook:
    """The uploaded bytes as an openpyxl workbook of values, or SheetError with every refusal.

    Refused: not an .xlsx file, an old .xls or encrypted file, macros, external links, more than
    MAX_UPLOAD_BYTES or MAX_UNCOMPRESSED_BYTES, more than MAX_SHEETS sheets, MAX_ROWS rows or
    MAX_COLUMNS columns in a sheet, and any formula cell (each one named). Text that only looks like
    a formula (typed as `'=1+1`) is a string and is kept as text.
    """
    if not data:
        raise SheetError(SheetProblem(None, None, N_("The file is empty.")))
    if len(data) > MAX_UPLOAD_BYTES:
        raise SheetError(
            SheetProblem(None, None, N_("The file is larger than %(mb)s MB.", mb=MAX_UPLOAD_BYTES // (1024 * 1024)))
        )
    if data.startswith(_OLE_MAGIC):
        raise SheetError(
            SheetProblem(
                None,
                None,
                N_(
                    "This is an old .xls file or a password-protected workbook: save it as an "
                    "unprotected Excel workbook (.xlsx)."
                ),
            )
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise SheetError(SheetProblem(None, None, N_("This is not an Excel workbook (.xlsx)."))) from None
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise SheetError(SheetProblem(None, None, N_("This is not an Excel workbook (.xlsx).")))
    if sum(i.file_size for i in infos) > MAX_UNCOMPRESSED_BYTES:
        raise SheetError(SheetProblem(None, None, N_("The workbook is too large once unpacked.")))
    try:
        content_types = archive.read("[Content_Types].xml").decode("utf-8", "replace")
    except (zipfile.BadZipFile, OSError, RuntimeError):
        raise SheetError(SheetProblem(None, None, N_("This is not an Excel workbook (.xlsx)."))) from None
    if _MACRO_CONTENT_TYPE in content_types or any(n.lower().endswith("vbaproject.bin") for n in names):
        raise SheetError(
            SheetProblem(
                None,
                None,
                N_("The workbook contains macros (.xlsm): save it as an Excel workbook (.xlsx) without macros."),
            )
        )
    if any(n.startswith("xl/externalLinks/") for n in names):
        raise SheetError(
            SheetProblem(
                None, None, N_("The workbook links to other files (external links): remove them and upload it again.")
            )
        )
    if sum(1 for n in names if _SHEET_XML.match(n)) > MAX_SHEETS:
        raise SheetError(SheetProblem(None, None, N_("The workbook has more than %(n)s sheets.", n=MAX_SHEETS)))
    # openpyxl sizes a sheet without a <dimension> by parsing all of it (a million rows: ~15 s):
    # count the rows of each sheet's XML first, as a stream, and refuse before it does.
    crowded = [n for n in names if _SHEET_XML.match(n) and _too_many_rows(archive, n)]
    if crowded:
        titles = _sheet_titles(archive)
        raise SheetError(
            [
                SheetProblem(titles.get(n, n), None, N_("The sheet has more than %(n)s rows.", n=MAX_ROWS))
                for n in crowded
            ]
        )
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception:  # openpyxl raises many kinds on a damaged file; all mean the same to a person
        raise SheetError(SheetProblem(None, None, N_("The workbook could not be read: it may be damaged."))) from None
    problems: list[SheetProblem] = []
    try:
        for ws in book.worksheets:
            problems.extend(_sheet_problems(ws))
    finally:
        book.close()
    if problems:
        raise SheetError(problems)
    # Checked: now the full (not read-only) workbook, for merged cells, validations and hidden cells.
    try:
        return load_workbook(io.BytesIO(data), data_only=False, keep_links=False)
    except Exception:
        raise SheetError(SheetProblem(None, None, N_("The workbook could not be read: it may be damaged."))) from None


_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")


def _too_many_rows(archive: zipfile.ZipFile, name: str) -> bool:
    """Whether a sheet's XML holds more than MAX_ROWS row elements (read in chunks, never whole)."""
    count, tail = 0, b""
    with archive.open(name) as stream:
        while chunk := stream.read(1 << 20):
            data = tail + chunk
            count += len(_ROW_TAG.findall(data))
            if count > MAX_ROWS:
                return True
            tail = data[-32:]
            count -= len(_ROW_TAG.findall(tail))  # counted again with the next chunk
    return False


def _sheet_titles(archive: zipfile.ZipFile) -> dict[str, str]:
    """The sheet XML part of each sheet title (xl/worksheets/sheet3.xml -> "Security"), for messages."""
    try:
        book = archive.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    except (KeyError, zipfile.BadZipFile, OSError):
        return {}
    targets = {}
    for element in re.findall(r"<(?:\w+:)?Relationship\b[^>]*>", rels):
        rid, target = re.search(r'\bId="([^"]*)"', element), re.search(r'\bTarget="([^"]*)"', element)
        if rid and target:
            targets[rid[1]] = "xl/" + target[1].removeprefix("/xl/").removeprefix("/")
    titles = {}
    for element in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", book):
        name, rid = re.search(r'\bname="([^"]*)"', element), re.search(r'\br:id="([^"]*)"', element)
        if name and rid and rid[1] in targets:
            titles[targets[rid[1]]] = html.unescape(name[1])
    return titles


def _sheet_problems(ws) -> list[SheetProblem]:
    problems: list[SheetProblem] = []
    formulas = 0
    for r, row in enumerate(ws.iter_rows(), start=1):
        if r > MAX_ROWS:
            return [SheetProblem(ws.title, None, N_("The sheet has more than %(n)s rows.", n=MAX_ROWS))]
        for c, cell in enumerate(row, start=1):
            if c > MAX_COLUMNS:
                return [SheetProblem(ws.title, None, N_("The sheet has more than %(n)s columns.", n=MAX_COLUMNS))]
            if getattr(cell, "data_type", None) == "f":
                formulas += 1
                if formulas <= 20:
                    problems.append(
                        SheetProblem(
                            ws.title,
                            cell_name(r, c),
                            N_("This cell is a formula. Type the value itself, or start it with ' to keep it as text."),
                        )
                    )
    if formulas > 20:
        problems.append(SheetProblem(ws.title, None, N_("%(n)s more formula cells.", n=formulas - 20)))
    return problems


def read_value(value: Any) -> Any:
    """A cell's value as the app stores answers: text stripped (None when blank), numbers as they are,
    dates as ISO `YYYY-MM-DD`, booleans as they are."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def write_cell(cell: Cell, value: Any) -> Cell:
    """Put a value in a cell to download: text always as a text cell (never a formula), over-long text
    cut to Excel's limit; numbers, dates and booleans as themselves; None leaves the cell blank."""
    if value is None:
        cell.value = None
    elif isinstance(value, str):
        cell.value = value[:MAX_CELL_CHARS]
        cell.data_type = "s"  # openpyxl makes "=..." a formula; a text cell is never run
    else:
        cell.value = value
    return cell


def to_bytes(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
