"""The team's questionnaire library in a real browser (issue 15): an owner uploads a questionnaire,
sees every problem of a bad file beside the form, and starts an evaluation of the uploaded one."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from .conftest import demo_links
from .conftest import shot

WIDTHS = {"desktop": (1280, 900), "phone": (375, 812)}

CHECKLIST = b"""\
id: office-move-checklist
version: "1.0"
title: {en: Office move checklist, de: Checkliste Umzug}
languages: [en, de]
sections:
  - id: PLAN
    title: Planning
    weight: 1
    questions:
      - id: owner
        type: text
        prompt: Who leads the move on your side?
        required: true
      - id: insured
        type: yes_no
        prompt: Are goods in transit insured?
        scoring: {kind: points, points: {"yes": 5, "no": 0}}
"""


def _log_in(page: Page, base: str, output: str) -> None:
    creds = demo_links(output)
    page.goto(f"{base}/login")
    page.fill("#email", creds["email"])
    page.fill("#password", creds["password"])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def _upload(page: Page, name: str, content: bytes) -> None:
    page.set_input_files("#file", {"name": name, "mimeType": "application/yaml", "buffer": content})
    page.get_by_role("button", name="Upload to the library").click()


@pytest.mark.parametrize("width", WIDTHS)
def test_an_owner_uploads_a_questionnaire_and_starts_an_evaluation_of_it(live, page, width):
    base, output, _app = live
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    _log_in(page, base, output)
    page.locator("p.library-links a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Questionnaire library of")

    bad = CHECKLIST.replace(b'"yes": 5, "no": 0', b"yes: 5, no: 0").replace(b"type: text", b"type: txt")
    bad = bad.replace(b"weight: 1", b"weight: no")
    _upload(page, "checklist.yaml", bad)
    expect(page.get_by_role("alert")).to_contain_text("checklist.yaml was not added: 2 problems")
    expect(page.locator("ul.loader-errors")).to_contain_text('`no` was read as false: quote it ("no")')
    shot(page, f"library-upload-errors-{width}")

    _upload(page, "checklist.yaml", CHECKLIST)
    expect(page.locator(".flash")).to_contain_text("office-move-checklist version 1.0 was added to the library.")
    expect(page.locator("table.library")).to_contain_text("Office move checklist")
    shot(page, f"library-{width}")

    page.goto(f"{base}/evaluations/new")
    page.select_option("#questionnaire", "office-move-checklist")
    page.get_by_role("button", name="Show its sections").click()
    expect(page.locator("#weight_PLAN")).to_be_visible()
    page.fill("#title", "Moving to the harbour office")
    page.get_by_role("button", name="Create evaluation").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Moving to the harbour office")
