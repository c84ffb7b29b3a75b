"""The dashboard and the committee's decision in a real browser (issue 12), at desktop and phone widths."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from stagefour import store

from .conftest import demo_links
from .conftest import shot

WIDTHS = {"desktop": (1280, 900), "phone": (375, 812)}


def _log_in(page: Page, base: str, output: str) -> None:
    creds = demo_links(output)
    page.goto(f"{base}/login")
    page.fill("#email", creds["email"])
    page.fill("#password", creds["password"])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_owner_decides_from_the_dashboard_and_the_vendor_sees_it_closed(live, page, width):
    base, output, app = live
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    db = store.open_db(app.config["DATABASE"])
    evaluation = store.list_evaluations(db)[0]
    vendors = store.list_vendors(db, evaluation["id"])
    db.close()
    _log_in(page, base, output)
    expect(page.get_by_role("heading", name="Needs attention")).to_be_visible()
    expect(page.locator("table.vendors tbody tr")).to_have_count(len(vendors))
    shot(page, f"dashboard-{width}")

    page.goto(f"{base}/evaluations/{evaluation['id']}")
    page.get_by_role("link", name="Record the decision").click()
    expect(page.get_by_role("heading", name="The committee's decision")).to_be_visible()
    shot(page, f"decision-form-{width}")
    # sent without a single choice: every vendor's fields say what is missing, next to them
    page.get_by_role("button", name="Record the decision and close the evaluation").click()
    expect(page.locator("fieldset.choices ul.errors")).to_have_count(len(vendors))
    shot(page, f"decision-errors-{width}")
    groups = page.locator("fieldset.choices").all()
    groups[0].get_by_label("Award").check()
    for group in groups[1:]:
        group.get_by_label("Reject").check()
    for rationale in page.locator("textarea[id^=rationale_]").all():
        rationale.fill("Production deployments named, engineers on the roster, failures reported with their fixes.")
    page.fill("#approvers", "Ada Lovelace (CFO), Grace Hopper (CTO)")
    page.get_by_role("button", name="Record the decision and close the evaluation").click()
    expect(page.get_by_text("The decision was recorded.")).to_be_visible()
    expect(page.locator("table.decision tbody tr")).to_have_count(len(vendors))
    shot(page, f"decision-recorded-{width}")

    page.goto(f"{base}/")
    expect(page.get_by_text("Decided on")).to_be_visible()
    shot(page, f"dashboard-decided-{width}")

    vendor_link = demo_links(output)["vendors"][vendors[0]["name"]]
    page.goto(vendor_link)
    expect(page.get_by_text("The buyer has closed this evaluation")).to_be_visible()
    shot(page, f"vendor-closed-evaluation-{width}")
