"""The wide sheet in a real browser: the buyer clicks XLSX beside the CSV and gets the workbook."""

import io
from pathlib import Path

from openpyxl import load_workbook

from stagefour import store

from .conftest import SHOTS
from .conftest import demo_links


def test_buyer_downloads_the_wide_sheet_from_the_comparison(live, page):
    base, output, app = live
    creds = demo_links(output)
    page.goto(f"{base}/login")
    page.fill("#email", creds["email"])
    page.fill("#password", creds["password"])
    page.get_by_role("button", name="Log in").click()
    db = store.open_db(app.config["DATABASE"])
    [evaluation] = store.list_evaluations(db)
    db.close()
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"{base}/evaluations/{evaluation['id']}/compare")
        # The page's top, where the downloads are (the whole comparison page is many screens long).
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"wide-sheet-link-{width}.png"))
    with page.expect_download() as info:
        page.get_by_role("link", name="XLSX").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    assert download.suggested_filename.startswith(f"stagefour-{evaluation['id']}-")
    book = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    ws = book.worksheets[0]
    assert [c.value for c in ws[1]][:3] == ["Section", "ID", "Question"]
    assert len(ws[1]) == 3 + 7  # the demo's seven vendors
