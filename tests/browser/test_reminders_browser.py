"""Reminders and deadlines in a real browser (issue 12): invite, extend, a reminder through aiosmtpd, its link."""

from __future__ import annotations

import re
import threading
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from ..test_mail import smtp  # noqa: F401 (a fixture)
from .conftest import demo_links
from .conftest import shot

WIDTHS = (1280, 375)


@pytest.fixture
def mail_live(tmp_path, smtp):  # noqa: F811
    """The real app with demo data and a real SMTP server: (base URL, demo output, app, inbox)."""
    from app import create_app

    port, inbox = smtp
    config = {
        "SECRET_KEY": "browser-tests",
        "DATABASE": str(tmp_path / "db.sqlite3"),
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "REPORT_FOLDER": str(tmp_path / "reports"),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": port,
        "MAIL_SENDER": "procurement@buyer.example",
        "JOBS_IMMEDIATE": True,
    }
    app = create_app(config)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = base
    output = app.test_cli_runner().invoke(args=["demo", "--base-url", base]).output
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base, output, app, inbox
    server.shutdown()


def _shots(page, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        shot(page, f"{name}-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_buyer_invites_extends_and_the_reminder_link_opens_the_response(mail_live, page):
    base, output, app, inbox = mail_live
    creds = demo_links(output)
    page.goto(f"{base}/login")
    page.fill("#email", creds["email"])
    page.fill("#password", creds["password"])
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{base}/evaluations/1")
    page.fill("#name", "Harbour Deployments")
    page.fill("#contact_email", "bids@harbour.example")
    page.get_by_role("button", name="Add vendor and issue link").click()
    expect(page.locator(".flash, .flashes, [role=status]").first).to_be_visible()
    invited = len(inbox.messages)
    assert invited >= 1 and inbox.messages[-1][0] == ["bids@harbour.example"]
    # The owner gives this vendor ten more days, without JavaScript being needed: a form in the row.
    deadline = datetime.now(UTC).date() + timedelta(days=30)
    extended = (deadline + timedelta(days=10)).isoformat()
    row = page.locator("tr", has_text="Harbour Deployments")
    row.locator("summary").click()
    row.locator("input[type=date]").fill(extended)
    row.get_by_role("button", name="Save deadline").click()
    row = page.locator("tr", has_text="Harbour Deployments")
    expect(row).to_contain_text("40 days left")
    expect(row).to_contain_text("(extended)")
    expect(page.locator("#at-deadline")).to_contain_text("What happens at the deadline")
    _shots(page, "reminders-evaluation")
    page.goto(f"{base}/evaluations/1/edit")
    expect(page.locator("#reminder_days")).to_have_value("7, 3, 1")
    page.locator("fieldset.reminders").scroll_into_view_if_needed()
    _shots(page, "reminders-settings")

    # Three days before the vendor's own deadline, the reminder goes out through the real SMTP server.
    when = datetime.combine(deadline + timedelta(days=7), datetime.min.time()).strftime("%Y-%m-%d %H:%M:%S")
    result = app.test_cli_runner().invoke(args=["send-reminders", "--now", when])
    assert result.exit_code == 0, result.output
    mine = [m for to, m in inbox.messages[invited:] if to == ["bids@harbour.example"]]
    assert len(mine) == 1 and mine[0]["Subject"].startswith("3 days left")
    url = re.search(rf"{re.escape(base)}/v/\S+", mine[0].get_content()).group(0)
    page.context.clear_cookies()
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("AI deployment partner")
    expect(page.locator(".at-deadline")).to_contain_text("this form closes")
    expect(page.locator("dl.facts")).to_contain_text("40 days left")
    _shots(page, "reminders-vendor-overview")
    page.goto(f"{base}/v/lost")
    page.fill("#email", "bids@harbour.example")
    page.get_by_role("button", name="Send me a new link").click()
    expect(page.locator("[role=status]").first).to_contain_text("a new link to it is on its way")
    _shots(page, "reminders-lost-link")
    fresh = [m for to, m in inbox.messages if to == ["bids@harbour.example"]][-1]
    assert fresh["Subject"].startswith("Your link to")
    page.goto(re.search(rf"{re.escape(base)}/v/\S+", fresh.get_content()).group(0))
    expect(page.get_by_role("heading", level=1)).to_contain_text("AI deployment partner")
