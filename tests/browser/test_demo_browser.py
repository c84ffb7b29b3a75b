"""The demo's 1.1 answers in the vendor form: section H's data processors and section K, at 1280 and 375 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from stagefour import evaluations
from stagefour import store

from ..conftest import load_response_json
from .conftest import shot

WIDTHS = {1280: 900, 375: 800}


def _vendor_with(app, name: str, answers: dict) -> str:
    """A vendor of the demo evaluation, invited now, with `answers` saved as a draft: its token."""
    db = store.open_db(app.config["DATABASE"])
    try:
        evaluation_id = store.list_evaluations(db)[0]["id"]
        vendor_id, token = evaluations.invite(db, evaluation_id, name, None, "test")
        response_id = store.get_vendor(db, vendor_id)["response_id"]
        store.save_answers(db, response_id, answers, store.answer_versions(db, response_id), "test")
        return token
    finally:
        db.close()


@pytest.mark.parametrize("name", ["stage4-exemplary", "global-inference"])
def test_a_demo_vendors_processors_and_commercials_show_in_the_form_at_both_widths(live, page, name):
    base, _, app = live
    answers = load_response_json(name)["answers"]
    token = _vendor_with(app, f"Draft of {name}", answers)
    for width, height in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{base}/v/{token}/s/H")
        for i, row in enumerate(answers["H6"]):
            expect(page.locator(f"[name='H6-{i}-name']")).to_have_value(row["name"])
            for region in row["regions"]:
                expect(page.locator(f"[name='H6-{i}-regions'][value='{region}']")).to_be_checked()
        expect(page.locator(f"[name='H9'][value='{answers['H9']}']")).to_be_checked()
        shot(page, f"demo-{name}-section-h-{width}")
        page.goto(f"{base}/v/{token}/s/K")
        for qid in ("K2", "K3", "K6", "K8", "K9", "K10", "K11"):
            expect(page.locator(f"#{qid}")).to_have_value(str(answers[qid]))
        expect(page.locator(f"[name='K5'][value='{answers['K5']}']")).to_be_checked()
        for value in answers["K7"]:
            expect(page.locator(f"[name='K7'][value='{value}']")).to_be_checked()
        shot(page, f"demo-{name}-section-k-{width}")
