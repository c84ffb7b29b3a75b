"""Vendors answer offline in a workbook (issue 16, item 2): download, upload, preview, confirm."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime

import openpyxl
import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import EnvironBuilder
from werkzeug.test import encode_multipart

from stagefour import store
from stagefour.response_xlsx import from_xlsx
from stagefour.response_xlsx import to_xlsx

from .conftest import FIXTURES
from .conftest import complete_answers


def download(client, token: str) -> bytes:
    response = client.get(f"/v/{token}/offline/answers.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    return response.data


def upload(client, token: str, data: bytes, name: str = "answers.xlsx"):
    """POST the file from memory (the test client spools large bodies to files it never closes)."""
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), filename=name)})
    builder = EnvironBuilder(
        path=f"/v/{token}/offline",
        method="POST",
        input_stream=io.BytesIO(body),
        content_length=len(body),
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    return client.open(builder)


def edit(data: bytes, change) -> bytes:
    """The workbook after `change(book)`, saved as a person's office program would (openpyxl here)."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    change(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def row_of(sheet, key: str) -> int:
    """The row of a section sheet that holds the answer `key` (its hidden column G)."""
    return next(r for r in range(1, sheet.max_row + 1) if sheet.cell(row=r, column=7).value == key)


def sheet_of(book, prefix: str):
    return book[next(name for name in book.sheetnames if name.startswith(prefix + " "))]


def set_answer(book, section: str, key: str, value) -> None:
    ws = sheet_of(book, section)
    ws.cell(row=row_of(ws, key), column=4).value = value


def held(db, response_id):
    return store.offline_upload(db, response_id)


def confirm(client, db, vendor):
    pending = held(db, vendor["response_id"])
    return client.post(f"/v/{vendor['token']}/offline/confirm", data={"digest": pending["digest"]})


def test_a_downloaded_workbook_uploaded_unchanged_changes_nothing(client, db, make_vendor, questionnaire):
    vendor = make_vendor(answers=complete_answers("stage4-deployer"))
    before = store.load_answers_and_versions(db, vendor["response_id"])
    response = upload(client, vendor["token"], download(client, vendor["token"]))
    assert response.status_code == 302 and response.headers["Location"].endswith("/offline/preview")
    page = client.get(f"/v/{vendor['token']}/offline/preview")
    assert page.status_code == 200
    assert b"Nothing to change" in page.data
    assert held(db, vendor["response_id"])["changes"] == {}
    assert held(db, vendor["response_id"])["problems"] == []
    assert store.load_answers_and_versions(db, vendor["response_id"]) == before
    actions = [e["action"] for e in store.audit_entries(db, vendor["evaluation_id"])]
    assert "offline_downloaded" in actions and "offline_uploaded" in actions


SECRET = "test"


def test_each_type_typed_into_cells_is_read_and_saved_after_confirming(client, db, make_vendor):
    vendor = make_vendor(answers=complete_answers("stage4-deployer"))
    data = download(client, vendor["token"])

    def change(book):
        set_answer(book, "C", "C4", "=SUM(A1:A9) is how we count backups")
        c = sheet_of(book, "C")
        c.cell(row=row_of(c, "C4"), column=4).data_type = "s"  # typed as '=SUM…: text that looks like a formula
        set_answer(book, "A", "A2", 12)  # number
        set_answer(book, "A", "A4", "No")  # yes/no by its label
        set_answer(book, "A", "A1", "Consultancy")  # single by its label, any case
        set_answer(book, "G", "G4", datetime(2026, 10, 1))  # a date cell
        set_answer(book, "H", "H1", "ISO/IEC 27001, soc2_type2")  # multi: labels or values
        set_answer(book, "K", "K4", "42,75")  # a decimal comma
        roster = sheet_of(book, "C1")  # the roster: a new engineer
        free = next(r for r in range(3, 300) if roster.cell(row=r, column=1).value is None)
        for column, value in enumerate(["e99", "Ada Byron", "Lead", None, 12, "Yes", 50], start=1):
            roster.cell(row=free, column=column).value = value

    assert upload(client, vendor["token"], edit(data, change)).status_code == 302
    pending = held(db, vendor["response_id"])
    assert pending["problems"] == [], pending["problems"]
    assert set(pending["changes"]) == {"C4", "A2", "A4", "A1", "G4", "H1", "K4", "C1"}
    page = client.get(f"/v/{vendor['token']}/offline/preview")
    assert page.status_code == 200
    assert b"Ada Byron" not in page.data and b"e99" in page.data  # rows named by their ids
    assert b"Consultancy" in page.data
    assert confirm(client, db, vendor).status_code == 302
    answers = store.load_answers(db, vendor["response_id"])
    assert answers["C4"] == "=SUM(A1:A9) is how we count backups"
    assert (answers["A2"], answers["A4"], answers["A1"], answers["G4"]) == (12, False, "consultancy", "2026-10-01")
    assert answers["H1"] == ["iso27001", "soc2_type2"] and answers["K4"] == 42.75
    assert answers["C1"][-1] == {"id": "e99", "name": "Ada Byron", "role": "Lead", "months_embedded": 12,
                                 "proposed": True, "allocation_pct": 50}  # fmt: skip
    assert held(db, vendor["response_id"])["applied_at"]
    entry = next(e for e in store.audit_entries(db, vendor["evaluation_id"]) if e["action"] == "offline_applied")
    assert entry["detail"]["saved"] == 8 and entry["detail"]["conflicts"] == 0
    # applied once: the same confirmation again changes nothing
    versions = store.answer_versions(db, vendor["response_id"])
    again = confirm(client, db, vendor)
    assert again.status_code == 302 and again.headers["Location"].endswith("/offline")
    assert store.answer_versions(db, vendor["response_id"]) == versions


def test_wrong_cells_are_named_by_sheet_and_cell_and_leave_their_answers_as_saved(client, db, make_vendor):
    vendor = make_vendor(answers=complete_answers("stage4-deployer"))
    before = store.load_answers(db, vendor["response_id"])
    data = download(client, vendor["token"])
    where = {}

    def change(book):
        a = sheet_of(book, "A")
        where["A2"] = f"{a.title}!D{row_of(a, 'A2')}"
        set_answer(book, "A", "A2", "twelve")  # not a number
        set_answer(book, "A", "A5", 101)  # out of range
        set_answer(book, "A", "A4", "Perhaps")
        set_answer(book, "G", "G4", "next spring")
        set_answer(book, "A", "A1", "A lab we made up")
        set_answer(book, "C", "C4", "x" * 20_000)  # too long
        set_answer(book, "A", "A3", 9)  # a good one among them is still read
        deployments = sheet_of(book, "B1")
        deployments.cell(row=3, column=6).value = "stage four"  # a wrong number in a row: the group stays

    assert upload(client, vendor["token"], edit(data, change)).status_code == 302
    pending = held(db, vendor["response_id"])
    assert set(pending["changes"]) == {"A3"}
    problems = {f"{p['sheet']}!{p['cell']}": p["msgid"] for p in pending["problems"]}
    assert problems[where["A2"]] == "Expected a number."
    assert len(problems) == 7, list(problems)
    assert any(k.startswith("B1 ") and k.endswith("!F3") for k in problems)
    page = client.get(f"/v/{vendor['token']}/offline/preview")
    assert where["A2"].encode() in page.data and b"Expected a number from 0 to 100." in page.data
    assert confirm(client, db, vendor).status_code == 302
    after = store.load_answers(db, vendor["response_id"])
    assert after == {**before, "A3": 9}


def test_the_preview_speaks_the_vendors_language(client, db, make_vendor):
    vendor = make_vendor(answers=complete_answers("stage4-deployer"))
    store.set_response_language(db, vendor["response_id"], "de")
    data = download(client, vendor["token"])
    book = openpyxl.load_workbook(io.BytesIO(data))
    a = sheet_of(book, "A")
    assert a.cell(row=2, column=4).value == "Antwort"
    assert a.cell(row=row_of(a, "A4"), column=4).value == "Ja"
    changed = edit(data, lambda b: set_answer(b, "A", "A2", "zwölf"))
    upload(client, vendor["token"], changed)
    page = client.get(f"/v/{vendor['token']}/offline/preview").get_data(as_text=True)
    assert "Eine Zahl erwartet." in page, page
    assert "Änderungen aus Ihrer Arbeitsmappe" in page and "Nichts zu ändern" in page


def test_a_colleagues_newer_browser_answer_is_not_overwritten_and_the_rest_saves(client, db, make_vendor):
    vendor = make_vendor(answers=complete_answers("stage4-deployer"))
    data = download(client, vendor["token"])
    # after the download, a colleague saves A2 in the browser
    versions = store.answer_versions(db, vendor["response_id"])
    store.save_answers(db, vendor["response_id"], {"A2": 99}, versions, "vendor:colleague")
    changed = edit(data, lambda b: (set_answer(b, "A", "A2", 5), set_answer(b, "A", "A3", 11)))
    upload(client, vendor["token"], changed)
    page = client.get(f"/v/{vendor['token']}/offline/preview").get_data(as_text=True)
    assert "a colleague saved a newer answer in the browser" in page
    response = confirm(client, db, vendor)
    assert response.status_code == 302
    answers = store.load_answers(db, vendor["response_id"])
    assert answers["A2"] == 99 and answers["A3"] == 11
    result = held(db, vendor["response_id"])["result"]
    assert result["saved"] == ["A3"] and list(result["conflicts"]) == ["A2"]
    after = client.get(f"/v/{vendor['token']}/offline/preview").get_data(as_text=True)
    assert "answer was not saved" in after and 'class="conflict"' in after


def test_an_unchanged_answer_is_no_conflict_even_when_a_colleague_changed_it(client, db, make_vendor):
    vendor = make_vendor(answers=complete_answers("stage4-deployer"))
    data = download(client, vendor["token"])
    versions = store.answer_versions(db, vendor["response_id"])
    store.save_answers(db, vendor["response_id"], {"A2": 99}, versions, "vendor:colleague")
    upload(client, vendor["token"], data)  # the file as downloaded: A2 still says 3, untouched
    assert held(db, vendor["response_id"])["changes"] == {}
    assert store.load_answers(db, vendor["response_id"])["A2"] == 99


def test_a_pick_list_refers_to_the_roster_sheet_and_the_checks_see_the_new_rows(client, db, make_vendor):
    vendor = make_vendor(answers=complete_answers("stage4-deployer"))
    data = download(client, vendor["token"])
    book = openpyxl.load_workbook(io.BytesIO(data))
    failures, deployments = sheet_of(book, "D1"), sheet_of(book, "B1")
    rules = {str(r.sqref): r.formula1 for r in failures.data_validations.dataValidation}
    assert any(f"'{deployments.title}'!$A$3" in f for f in rules.values()), rules  # deployment_id picks from B1
    roster = sheet_of(book, "C1")
    free = next(r for r in range(3, 300) if roster.cell(row=r, column=1).value is None)
    roster.cell(row=free, column=1).value = "e77"
    roster.cell(row=free, column=2).value = "Grace Hopper"
    engineers = 1 + next(i for i, f in enumerate(store_fields(deployments)) if f == "engineer_ids")
    deployments.cell(row=3, column=engineers).value = "e77, e404"
    out = io.BytesIO()
    book.save(out)
    upload(client, vendor["token"], out.getvalue())
    confirm(client, db, vendor)
    answers = store.load_answers(db, vendor["response_id"])
    assert answers["B1"][0]["engineer_ids"] == ["e77", "e404"]
    assert "e77" in [r["id"] for r in answers["C1"]]
    review = client.get(f"/v/{vendor['token']}/review").get_data(as_text=True)
    assert "names engineer e404, who is not in your roster" in review  # the roster check reads the new rows
    assert "names engineer e77," not in review


def store_fields(sheet) -> list[str]:
    """The field ids of a group sheet, from the questionnaire (the header row says them in words)."""
    from stagefour.library import load_by_id

    group = load_by_id("ai-deployment-partner").question(sheet.title.split(" ")[0])
    return [f.id for f in group.fields if f.type != "file"]


def test_a_rows_files_stay_when_its_row_comes_back_and_files_are_not_in_the_sheet(client, db, make_vendor):
    answers = complete_answers("stage4-deployer")
    answers["B1"][0]["evidence"] = [{"name": "case-study.pdf"}]
    vendor = make_vendor(answers=answers)
    data = download(client, vendor["token"])
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert "case-study.pdf" not in json.dumps(
        [[c.value for c in r] for r in sheet_of(book, "B1").iter_rows()], default=str
    )
    changed = edit(data, lambda b: setattr(sheet_of(b, "B1").cell(row=3, column=2), "value", "Insurer, 4,000 staff"))
    upload(client, vendor["token"], changed)
    confirm(client, db, vendor)
    row = store.load_answers(db, vendor["response_id"])["B1"][0]
    assert row["customer_type"] == "Insurer, 4,000 staff" and row["evidence"] == [{"name": "case-study.pdf"}]


# --- the core on its own: specify and not-applicable options, and hostile files --------------------


@pytest.fixture(scope="module")
def baseline():
    from stagefour.questionnaire import load_questionnaire

    return load_questionnaire(FIXTURES / "security-baseline.yaml")


def baseline_book(questionnaire, answers, response_id=1) -> bytes:
    versions = {k: 2 for k in answers}
    return to_xlsx(questionnaire, answers, versions, "en", response_id, SECRET)


def test_specify_and_not_applicable_options_round_trip(baseline):
    answers = {"GOV_01": True, "GOV_03": ["iso27001", "other"], "GOV_03.other": "CSA STAR level 2",
               "ACC_01": "other", "ACC_01.other": "Hardware keys", "ACC_03": "na"}  # fmt: skip
    data = baseline_book(baseline, answers)
    read = from_xlsx(baseline, data, 1, SECRET, answers)
    assert read.problems == [] and read.changes() == {}
    assert {k: v for k, v in read.answers.items() if v is not None} == answers

    def change(book):
        ws = book[book.sheetnames[1]]  # ACC
        ws.cell(row=row_of(ws, "ACC_01"), column=4).value = "Multi-factor for everyone"
        ws.cell(row=row_of(ws, "ACC_03"), column=4).value = "Yes, in a separate network segment"
        gov = book[book.sheetnames[0]]
        gov.cell(row=row_of(gov, "GOV_03.other"), column=4).value = None  # "other" chosen, its text removed

    read = from_xlsx(baseline, edit(data, change), 1, SECRET, answers)
    assert read.changes() == {"ACC_01": "mfa_all", "ACC_01.other": None, "ACC_03": "segmented"}
    assert [p.message.msgid for p in read.problems] == ["%(question)s: say what “%(option)s” is, in the row below it."]


def test_headings_and_notes_are_shown_but_never_read(baseline):
    data = baseline_book(baseline, {})
    ws = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    texts = [ws.cell(row=r, column=2).value for r in range(3, ws.max_row + 1)]
    heading = baseline.sections[0].items[0]
    assert heading.text["en"] in texts


def test_a_file_of_another_response_or_with_its_hidden_sheet_changed_is_refused_whole(baseline):
    answers = {"GOV_01": True}
    data = baseline_book(baseline, answers, response_id=1)
    other = from_xlsx(baseline, data, 2, SECRET, answers)
    assert other.answers == {} and "another link" in str(other.problems[0])

    def forge(book):
        meta = book["_meta"]
        for row in meta.iter_rows():
            if row[0].value == "answer" and row[1].value == "GOV_01":
                row[2].value = "999"  # claim to have seen a newer version

    forged = from_xlsx(baseline, edit(data, forge), 1, SECRET, answers)
    assert forged.answers == {} and "hidden part was changed" in str(forged.problems[0])
    no_meta = from_xlsx(baseline, edit(data, lambda b: b.remove(b["_meta"])), 1, SECRET, answers)
    assert no_meta.answers == {} and no_meta.problems
    assert from_xlsx(baseline, data, 1, "another secret", answers).answers == {}


def test_the_meta_sheet_is_very_hidden_and_the_key_column_hidden(baseline):
    book = openpyxl.load_workbook(io.BytesIO(baseline_book(baseline, {})))
    assert book["_meta"].sheet_state == "veryHidden"
    assert book.worksheets[0].column_dimensions["G"].hidden


def test_a_deleted_sheet_leaves_its_answers_and_says_so(baseline):
    answers = {"GOV_01": True, "ACC_01": "mfa_all"}
    data = baseline_book(baseline, answers)
    title = openpyxl.load_workbook(io.BytesIO(data)).sheetnames[1]
    read = from_xlsx(baseline, edit(data, lambda b: b.remove(b[title])), 1, SECRET, answers)
    assert "ACC_01" not in read.answers and read.answers["GOV_01"] is True
    assert read.problems[0].sheet == title and read.changes() == {}


def test_merged_answer_cells_are_named_and_not_read(baseline):
    answers = {"GOV_01": True}
    data = baseline_book(baseline, answers)

    def merge(book):
        ws = book.worksheets[0]
        r = row_of(ws, "GOV_02")
        ws.cell(row=r, column=4).value = "At least once a year"
        ws.merge_cells(start_row=r - 1, start_column=4, end_row=r, end_column=4)

    read = from_xlsx(baseline, edit(data, merge), 1, SECRET, answers)
    assert any("Merged" in str(p) for p in read.problems)
    assert "GOV_02" not in read.changes()


def test_a_formula_cell_is_refused_with_its_place(baseline):
    data = baseline_book(baseline, {})

    def formula(book):
        ws = book.worksheets[0]
        ws.cell(row=row_of(ws, "GOV_01"), column=4).value = "=1+1"

    read = from_xlsx(baseline, edit(data, formula), 1, SECRET, {})
    assert read.answers == {} and "formula" in str(read.problems[0]) and read.problems[0].cell.startswith("D")


def test_an_xlsm_renamed_xlsx_is_refused(baseline):
    data = baseline_book(baseline, {})
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr("xl/vbaProject.bin", b"\x00" * 64)
    read = from_xlsx(baseline, out.getvalue(), 1, SECRET, {})
    assert read.answers == {} and "macros" in str(read.problems[0])


def million_rows() -> bytes:
    """A workbook whose one sheet holds 1,000,000 rows, its XML written directly (openpyxl would take minutes)."""
    book = openpyxl.Workbook()
    book.active.title = "GOV"
    small = io.BytesIO()
    book.save(small)
    rows = "<row><c><v>1</v></c></row>" * 1_000_000  # the same row: it packs small, as an attacker's would
    sheet = (
        '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{rows}</sheetData></worksheet>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(small) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, sheet if item.filename == "xl/worksheets/sheet1.xml" else source.read(item))
    return out.getvalue()


def test_a_million_rows_are_refused_before_they_are_read(baseline):
    read = from_xlsx(baseline, million_rows(), 1, SECRET, {})
    assert read.answers == {} and "more than 5000 rows" in str(read.problems[0])


# --- routes: closed, submitted, other links, bad uploads ------------------------------------------


def test_an_empty_or_non_workbook_upload_is_refused_next_to_the_field_and_nothing_is_held(client, db, make_vendor):
    vendor = make_vendor(answers=complete_answers("stage4-deployer"))
    empty = client.post(f"/v/{vendor['token']}/offline", data={}, content_type="multipart/form-data")
    assert empty.status_code == 422 and b"Choose the workbook" in empty.data
    junk = upload(client, vendor["token"], b"PK\x03\x04 not really")
    assert junk.status_code == 422 and b"not an Excel workbook" in junk.data
    huge = upload(client, vendor["token"], b"x" * (5 * 1024 * 1024 + 10))
    assert huge.status_code in (413, 422)
    assert held(db, vendor["response_id"]) is None


def test_another_vendors_file_never_writes_their_response_or_mine(client, db, make_vendor):
    a = make_vendor(answers=complete_answers("stage4-deployer"))
    b = make_vendor(name="Vendor B", evaluation_id=a["evaluation_id"], answers=complete_answers("stage4-deployer"))
    before = {v["response_id"]: store.load_answers_and_versions(db, v["response_id"]) for v in (a, b)}
    theirs = edit(download(client, b["token"]), lambda book: set_answer(book, "A", "A2", 77))
    response = upload(client, a["token"], theirs)
    assert response.status_code == 422 and b"another link" in response.data
    assert held(db, a["response_id"]) is None and held(db, b["response_id"]) is None
    assert {v["response_id"]: store.load_answers_and_versions(db, v["response_id"]) for v in (a, b)} == before


def test_another_tokens_upload_cannot_be_confirmed_through_my_link(client, db, make_vendor):
    a = make_vendor(answers=complete_answers("stage4-deployer"))
    b = make_vendor(name="Vendor B", evaluation_id=a["evaluation_id"], answers=complete_answers("stage4-deployer"))
    upload(client, b["token"], edit(download(client, b["token"]), lambda book: set_answer(book, "A", "A2", 77)))
    digest_b = held(db, b["response_id"])["digest"]
    response = client.post(f"/v/{a['token']}/offline/confirm", data={"digest": digest_b})
    assert response.status_code == 302
    assert store.load_answers(db, b["response_id"])["A2"] == 3 and store.load_answers(db, a["response_id"])["A2"] == 3


@pytest.mark.parametrize("path", ["/offline", "/offline/answers.xlsx", "/offline/preview"])
def test_an_unknown_token_opens_nothing(client, path):
    assert client.get(f"/v/{'Zz' * 22}{path}").status_code == 404


def test_uploading_to_a_closed_evaluation_is_refused_like_saving(client, db, make_vendor, make_user):
    vendor = make_vendor(answers=complete_answers("stage4-deployer"))
    data = edit(download(client, vendor["token"]), lambda book: set_answer(book, "A", "A2", 77))
    upload(client, vendor["token"], data)  # held while the evaluation was open
    owner = make_user("owner")
    store.record_decision(db, vendor["evaluation_id"], {vendor["vendor_id"]: ("reject", "late")}, "", owner)
    before = store.load_answers_and_versions(db, vendor["response_id"])
    response = upload(client, vendor["token"], data)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "closed this evaluation" in page
    assert (
        client.post(
            f"/v/{vendor['token']}/offline/confirm", data={"digest": held(db, vendor["response_id"])["digest"]}
        ).status_code
        == 302
    )
    assert store.load_answers_and_versions(db, vendor["response_id"]) == before
    assert client.get(f"/v/{vendor['token']}/offline/answers.xlsx").status_code == 200  # reading is still allowed


def test_a_submitted_response_downloads_but_does_not_upload(client, db, make_vendor):
    vendor = make_vendor(answers=complete_answers("stage4-deployer"), submit=True)
    data = download(client, vendor["token"])
    response = upload(client, vendor["token"], data)
    assert response.status_code == 302 and held(db, vendor["response_id"]) is None


def test_the_overview_links_to_the_spreadsheet_page(client, make_vendor):
    vendor = make_vendor()
    page = client.get(f"/v/{vendor['token']}").get_data(as_text=True)
    assert f"/v/{vendor['token']}/offline" in page


def test_a_saved_answer_that_looks_like_a_formula_downloads_as_text_and_comes_back_unchanged(baseline):
    answers = {"GOV_01": True, "ACC_01": "other", "ACC_01.other": '=HYPERLINK("http://evil.example","Click")'}
    data = baseline_book(baseline, answers)
    book = openpyxl.load_workbook(io.BytesIO(data))
    ws = book.worksheets[1]
    cell = ws.cell(row=row_of(ws, "ACC_01.other"), column=4)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
    read = from_xlsx(baseline, data, 1, SECRET, answers)
    assert read.problems == [] and read.changes() == {}


def test_yes_and_no_are_read_in_any_of_the_apps_languages(baseline):
    data = baseline_book(baseline, {"GOV_01": False})
    for word, meant in (("Ja", True), ("oui", True), ("Sí", True), ("Nein", False), ("TRUE", True)):

        def say(book, word=word):
            ws = book.worksheets[0]
            ws.cell(row=row_of(ws, "GOV_01"), column=4).value = word

        read = from_xlsx(baseline, edit(data, say), 1, SECRET, {"GOV_01": False})
        assert read.answers["GOV_01"] is meant, word


def test_a_workbook_saved_by_libreoffice_is_read(baseline):
    """tests/fixtures/offline-libreoffice.xlsx: downloaded for response 1 (secret "test"), ACC_01 and ACC_02
    typed with openpyxl, then saved by Debian's LibreOffice 7 headless (`soffice --convert-to xlsx`).
    It is made for security-baseline.yaml as it is: a change to that file's content makes it "another questionnaire".
    """
    answers = {"GOV_01": True, "GOV_03": ["iso27001", "other"], "GOV_03.other": "CSA STAR level 2", "ACC_01": "mfa_all"}
    read = from_xlsx(baseline, (FIXTURES / "offline-libreoffice.xlsx").read_bytes(), 1, SECRET, answers)
    assert read.problems == []
    assert read.changes() == {"ACC_01": "mfa_admin", "ACC_02": 3}
