"""Whole journeys in a real browser: a buyer from login to the comparison PDF, a vendor from link to receipt.

Everything a person would do is done through the pages; the store is only read to check the result,
except in the keyboard test, where the answers that are not typed come from the store (see there).
"""

from __future__ import annotations

import copy
import datetime
import re

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from stagefour import evaluations
from stagefour import store
from stagefour.library import load_by_id

from ..conftest import load_response_json
from .conftest import demo_links
from .conftest import shot

TINY_PDF = b"%PDF-1.4\n%%EOF\n"
# file answers of the example are names only (no bytes): the journey uploads one real file, to B5
FILE_FIELDS = {"B1": "evidence", "D1": "postmortem"}
FILE_QUESTIONS = {"B5", "E8", "H1_evidence"}


def _db(app):
    return store.open_db(app.config["DATABASE"])


def _questionnaire():
    return load_by_id("ai-deployment-partner")


def _example() -> dict:
    """The stage-4 deployer's answers as typed in the journey: without the file answers, which hold no bytes."""
    answers = copy.deepcopy(load_response_json("stage4-deployer")["answers"])
    for qid in FILE_QUESTIONS:
        answers.pop(qid, None)
    for qid, field in FILE_FIELDS.items():
        for row in answers[qid]:
            row.pop(field, None)
    return answers


def _log_in(page: Page, base: str, output: str) -> None:
    creds = demo_links(output)
    page.goto(f"{base}/login")
    shot(page, "journey-login")
    page.fill("#email", creds["email"])
    page.fill("#password", creds["password"])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Evaluations")


# --- the buyer ---------------------------------------------------------------------------------


def test_buyer_creates_an_evaluation_invites_three_vendors_compares_and_downloads_the_pdf(live, page):
    base, output, app = live
    _log_in(page, base, output)
    shot(page, "journey-dashboard")

    page.get_by_role("link", name="New evaluation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New evaluation")
    title = "Claims automation partner 2027"
    deadline = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    page.fill("#title", title)
    page.fill("#deadline", deadline)
    page.select_option("#industry", "insurance")
    page.select_option("#size_band", "1k_10k")
    shot(page, "journey-new-evaluation")
    page.get_by_role("button", name="Create evaluation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator(".flash.success")).to_contain_text("The evaluation was created")
    evaluation_id = int(re.search(r"/evaluations/(\d+)$", page.url).group(1))

    vendors = ["Northwind Applied AI", "Harbour Deployments", "Kestrel Labs"]
    links = {}
    for name in vendors:
        page.fill("#name", name)
        page.get_by_role("button", name="Add vendor and issue link").click()
        expect(page.locator(".flash.success")).to_contain_text(f"{name} was added")
        box = page.get_by_label(f"Link for {name}")
        expect(box).to_have_attribute("readonly", "")
        links[name] = box.input_value()
        assert re.fullmatch(rf"{re.escape(base)}/v/[\w-]{{20,}}", links[name]), links[name]
        if name == vendors[0]:
            shot(page, "journey-evaluation-new-link")
    assert len(set(links.values())) == 3
    # the profile and the deadline are on the evaluation page
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("Insurance")
    # a link opens the vendor's questionnaire (in another context: no buyer session)
    vendor_page = page.context.browser.new_context().new_page()
    vendor_page.goto(links["Kestrel Labs"])
    expect(vendor_page.get_by_role("heading", level=1)).to_be_visible()
    expect(vendor_page.locator("body")).to_contain_text("Kestrel Labs")
    vendor_page.context.close()

    page.get_by_role("link", name="Evaluations").first.click()
    card = page.locator("section.evaluation-card", has=page.get_by_role("heading", name=title))
    expect(card).to_contain_text("0 of 3 vendors submitted")
    for name in vendors:
        row = card.locator("tr", has=page.get_by_role("rowheader", name=name))
        expect(row).to_contain_text("Invited")
    expect(card.locator("tbody tr")).to_have_count(3)
    shot(page, "journey-dashboard-three-invited")

    card.get_by_role("link", name=title).click()
    page.get_by_role("link", name="Compare vendors").click()
    expect(page).to_have_url(re.compile(rf"/evaluations/{evaluation_id}/compare"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    for name in vendors:
        expect(page.locator("main")).to_contain_text(name)
    shot(page, "journey-comparison")

    # no page links to the PDF (reported): open its address as a person would from a bookmark. The first
    # request starts the PDF and shows the page that reloads itself; a later reload is the PDF itself,
    # which headless Chromium hands over as a download.
    pdf_url = f"{base}/evaluations/{evaluation_id}/report.pdf"
    with page.expect_download(timeout=120_000) as download:
        page.goto(pdf_url)
        expect(page.get_by_role("heading", level=1)).to_have_text("Making the PDF…")
        expect(page.locator("meta[http-equiv=refresh]")).to_have_attribute("content", "2")
        shot(page, "journey-making-pdf")
    with open(download.value.path(), "rb") as f:
        assert f.read(4) == b"%PDF"
    status = page.request.get(f"{base}/evaluations/{evaluation_id}/report/status").json()
    assert status["state"] == "ready", status
    db = _db(app)
    try:
        assert [v["name"] for v in store.list_vendors(db, evaluation_id)] == vendors
    finally:
        db.close()
