"""A vendor answers offline (issue 16): downloads the workbook, types answers into it as a person
would, uploads it, checks the preview, confirms; the buyer's comparison shows the new answers."""

from __future__ import annotations

import openpyxl
from playwright.sync_api import expect

from ..conftest import load_response_json
from .conftest import demo_links
from .conftest import shot
from .test_accessibility import _new_vendor
from .test_accessibility import _save
from .test_accessibility import _stored


def _type(workbook, key: str, value) -> str:
    """Type `value` into the answer cell of `key` (section sheets hold the key in hidden column G); its place."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows(min_row=3):
            if len(row) >= 7 and row[6].value == key:
                row[3].value = value
                return f"{sheet.title}!{row[3].coordinate}"
    raise AssertionError(f"{key} is in no sheet")


def test_a_vendor_answers_in_a_workbook_and_the_buyer_sees_it(live, page, tmp_path):
    base, output, app = live
    answers = load_response_json("stage4-exemplary")["answers"]
    token, _vendor_id, response_id = _new_vendor(app, "Offline Analytics")
    _save(app, response_id, answers)
    page.goto(f"{base}/v/{token}")
    page.get_by_role("link", name="Prefer a spreadsheet?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Answer in a spreadsheet")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download your answers (.xlsx)").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.suffix == ".xlsx"

    workbook = openpyxl.load_workbook(path)
    _type(workbook, "A2", 14)  # engineers: a number
    _type(workbook, "C4", "Two named backups per engineer, each shadowing for a month.")
    bad = _type(workbook, "A3", "lots")  # not a number: named on the preview, left as saved
    roster = next(s for s in workbook.worksheets if s.title.startswith("C1 "))
    free = next(r for r in range(3, 200) if roster.cell(row=r, column=1).value is None)
    for column, value in enumerate(["e42", "Grace Offline", "Platform engineer"], start=1):
        roster.cell(row=free, column=column).value = value
    workbook.save(path)

    page.set_input_files("#file", str(path))
    page.get_by_role("button", name="Upload and check the changes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Changes from your workbook")
    expect(page.locator("table.offline-changes tbody tr")).to_have_count(3)  # A2, C4 and the roster C1
    expect(page.locator("#cell-problems")).to_contain_text(bad)
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        shot(page, f"vendor-offline-preview-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Save these changes").click()
    expect(page.locator(".flash.success")).to_contain_text("3 answers were saved.")
    stored = _stored(app, response_id)
    assert stored["A2"] == 14 and stored["A3"] == answers["A3"]
    assert stored["C1"][-1] == {"id": "e42", "name": "Grace Offline", "role": "Platform engineer"}

    creds = demo_links(output)
    page.goto(f"{base}/login")
    page.fill("#email", creds["email"])
    page.fill("#password", creds["password"])
    page.get_by_role("button", name="Log in").click()
    evaluation_id = _evaluation_of(app, response_id)
    page.goto(f"{base}/evaluations/{evaluation_id}/compare")
    # the comparison: the vendor's new roster row and the text typed into C4 stand in their column
    expect(page.locator("td[data-vendor] .long-text", has_text="Two named backups per engineer")).to_have_count(1)
    expect(page.get_by_text("Grace Offline · Platform engineer")).to_be_visible()
    shot(page, "buyer-compare-after-offline")


def _evaluation_of(app, response_id: int) -> int:
    from stagefour import store

    db = store.open_db(app.config["DATABASE"])
    try:
        return store.get_response(db, response_id)["evaluation_id"]
    finally:
        db.close()
