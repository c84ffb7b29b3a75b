"""Notifications in a real browser (issue 12, item 2): the header's unread count, the list, opening a
notification, at a desktop and a phone width, with screenshots to look at."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from stagefour import store

from .conftest import demo_links
from .conftest import shot
from .test_accessibility import _new_vendor
from .test_keyboard import VIEWPORTS


@pytest.fixture(params=list(VIEWPORTS))
def sized_page(browser, request):
    """A page in a desktop (1280 px) or a phone-sized (375 px) window."""
    context = browser.new_context(viewport=VIEWPORTS[request.param])
    yield context.new_page(), request.param
    context.close()


def test_a_vendors_reply_and_submission_show_in_the_header_and_the_list(live, sized_page):
    base, output, app = live
    page, size = sized_page
    creds = demo_links(output)
    token, vendor_id, response_id = _new_vendor(app, "Harbour Deployments")
    db = store.open_db(app.config["DATABASE"])
    buyer = store.get_user_by_email(db, creds["email"])
    evaluation_id = store.get_vendor(db, vendor_id)["evaluation_id"]
    thread_id = store.open_clarification(db, response_id, "C4", "Who was on the ground?", buyer["id"])
    db.close()
    vendor = page.context.browser.new_context()
    vendor_page = vendor.new_page()
    vendor_page.goto(f"{base}/v/{token}/s/C#thread-{thread_id}")
    vendor_page.fill(f"#reply-body-{thread_id}", "Our lead engineer, on site for six weeks.")
    vendor_page.locator(f"#thread-{thread_id}").get_by_role("button", name="Send the reply").click()
    expect(vendor_page.get_by_text("Your reply was sent.")).to_be_visible()
    vendor.close()

    page.goto(f"{base}/login")
    page.fill("#email", creds["email"])
    page.fill("#password", creds["password"])
    page.get_by_role("button", name="Log in").click()
    link = page.get_by_role("link", name="Notifications 1 unread notification")
    expect(link).to_be_visible()
    shot(page, f"notifications-{size}-header")
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    expect(page.locator("li.notification.unread")).to_contain_text("Harbour Deployments replied to a clarification.")
    shot(page, f"notifications-{size}-list")
    page.get_by_role("button", name="Open the thread").first.click()
    expect(page).to_have_url(f"{base}/evaluations/{evaluation_id}/vendors/{vendor_id}#thread-{thread_id}")
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
    page.goto(f"{base}/notifications")
    expect(page.locator("li.notification.unread")).to_have_count(0)
    page.goto(f"{base}/account#notifications")
    shot(page, f"notifications-{size}-account")
