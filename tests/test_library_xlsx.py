"""The team library in Excel (issue 16 item 1): the template and any questionnaire download as
.xlsx, an .xlsx uploads beside YAML with the same versions and audit, every problem by sheet and
cell in the reader's language, and nothing half imported."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from stagefour import questionnaire_xlsx as qx
from stagefour import store
from stagefour import xlsx
from stagefour.library import load_by_id

from .test_library import counts
from .test_library import upload

SHIPPED = Path(__file__).parent.parent / "questionnaires"


@pytest.fixture
def owner(make_user, login):
    user_id = make_user("owner")
    login(user_id)
    return user_id


def edited(data: bytes, edit) -> bytes:
    """The workbook after `edit(book)`, as a person saving it in an office program."""
    book = load_workbook(io.BytesIO(data))
    edit(book)
    return xlsx.to_bytes(book)


def test_a_member_downloads_the_template_as_a_workbook(client, team, make_user, login):
    login(make_user("viewer"))
    response = client.get(f"/teams/{team}/library/template.xlsx")
    assert response.status_code == 200
    assert response.mimetype == xlsx.XLSX_MIMETYPE
    assert response.headers["Content-Disposition"] == 'attachment; filename="questionnaire-template.xlsx"'
    assert qx.load_xlsx(response.data).id == "my-questionnaire"


def test_the_shipped_questionnaire_downloads_with_its_hash(client, team, owner):
    response = client.get(f"/teams/{team}/library/questionnaires/ai-deployment-partner.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="ai-deployment-partner-1.1.0.xlsx"'
    assert qx.load_xlsx(response.data).hash == load_by_id("ai-deployment-partner", SHIPPED).hash


def test_an_owner_uploads_a_workbook_and_downloads_that_version_again(client, db, team, owner):
    before = counts(db)
    response = upload(client, team, qx.template_xlsx(), "questionnaire-template.xlsx")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "my-questionnaire version 0.1.0 was added to the library." in page
    assert "/library/questionnaires/my-questionnaire.xlsx?version=0.1.0" in page
    entry = store.team_library(db, team)[0]
    assert (entry["questionnaire_id"], entry["version"], entry["file_name"]) == (
        "my-questionnaire", "0.1.0", "questionnaire-template.xlsx"
    )  # fmt: skip
    assert counts(db) == {k: v + 1 for k, v in before.items()}  # one entry, one snapshot, one audit row
    assert [e["action"] for e in store.audit_entries(db)].count("questionnaire_uploaded") == 1
    back = client.get(f"/teams/{team}/library/questionnaires/my-questionnaire.xlsx?version=0.1.0")
    assert qx.load_xlsx(back.data).hash == qx.load_xlsx(qx.template_xlsx()).hash == entry["hash"]
    # the same workbook again changes nothing
    again = upload(client, team, qx.template_xlsx(), "questionnaire-template.xlsx")
    assert "already in the library with this content: nothing changed" in client.get(
        again.headers["Location"]
    ).get_data(as_text=True)
    assert counts(db) == {k: v + 1 for k, v in before.items()}


def test_a_changed_workbook_under_the_same_version_is_refused(client, db, team, owner):
    upload(client, team, qx.template_xlsx(), "t.xlsx")
    before = counts(db)
    changed = edited(qx.template_xlsx(), lambda book: book["Sections"].cell(2, 4, 5))
    response = upload(client, team, changed, "t.xlsx")
    assert response.status_code == 422
    assert "change `version` in the file" in response.get_data(as_text=True)
    assert counts(db) == before


def test_an_unknown_version_or_questionnaire_is_not_found(client, team, owner):
    assert client.get(f"/teams/{team}/library/questionnaires/ai-deployment-partner.xlsx?version=0.9").status_code == 404
    assert client.get(f"/teams/{team}/library/questionnaires/nothing-here.xlsx").status_code == 404


def _formula(book):
    book["Questions"]["E3"] = "=1+1"


def _macro(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr("xl/vbaProject.bin", b"\x00" * 16)
    return out.getvalue()


@pytest.mark.parametrize(
    ("raw", "name", "expected"),
    [
        (edited(qx.template_xlsx(), _formula), "q.xlsx", "Questions!E3: This cell is a formula."),
        (_macro(qx.template_xlsx()), "q.xlsm", "The workbook contains macros (.xlsm)"),
        (
            edited(qx.template_xlsx(), lambda book: book["Options"].cell(3, 2, "Else Where")),
            "q.xlsx",
            "Options!B3: expected a slug of lower-case letters, digits, - and _",
        ),  # fmt: skip
        (
            edited(qx.template_xlsx(), lambda book: book.remove(book["Questions"])),
            "q.xlsx",
            "Questions: The sheet is missing",
        ),
        (
            edited(qx.template_xlsx(), lambda book: book["Questions"].merge_cells("E2:F2")),
            "q.xlsx",
            "Questions!E2:F2: Merged",
        ),
        (b"PK\x03\x04 not really", "q.xlsx", "This is not an Excel workbook (.xlsx)."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls", "This is an old .xls file"),
        (b"<script>alert(1)</script>", "<script>.xlsx", "This is not an Excel workbook (.xlsx)."),
    ],
    ids=[
        "formula",
        "xlsm",
        "loader error at its cell",
        "missing sheet",
        "merged cells",
        "broken zip",
        "xls",
        "hostile name",
    ],
)
def test_a_bad_workbook_is_refused_with_its_cells_and_nothing_imported(client, db, team, owner, raw, name, expected):
    before = counts(db)
    response = upload(client, team, raw, name)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert expected in page
    assert "Nothing was imported" in page
    assert "<script>alert" not in page
    assert counts(db) == before


def test_sheet_problems_are_shown_in_the_owners_language(client, db, team, owner):
    client.post("/language", data={"language": "de", "next": "/"})
    page = upload(client, team, edited(qx.template_xlsx(), _formula), "q.xlsx").get_data(as_text=True)
    assert "Questions!E3: Diese Zelle ist eine Formel." in page


def test_the_library_page_offers_the_template_and_each_download(client, team, owner):
    upload(client, team, qx.template_xlsx(), "t.xlsx")
    page = client.get(f"/teams/{team}/library").get_data(as_text=True)
    assert f'href="/teams/{team}/library/template.xlsx"' in page
    assert f'href="/teams/{team}/library/questionnaires/ai-deployment-partner.xlsx"' in page
    assert f'href="/teams/{team}/library/questionnaires/my-questionnaire.xlsx?version=0.1.0"' in page
    assert 'accept=".yaml,.yml,.xlsx' in page
