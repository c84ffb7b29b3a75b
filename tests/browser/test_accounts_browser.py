"""An account's whole life in a real browser: an administrator invites a colleague, who chooses a
password, logs in, switches two-step login on (the secret read off the page, the code computed with
pyotp as a phone would), logs out, and logs in again with password and code."""

from __future__ import annotations

import time

import pyotp
from playwright.sync_api import Browser
from playwright.sync_api import expect

from stagefour import store

from .conftest import demo_links
from .conftest import shot

COLLEAGUE = "dana.evaluator@example.com"
COLLEAGUE_PASSWORD = "a long walk to the harbour"


def _log_in(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.get_by_role("button", name="Log in").click()


def test_invited_colleague_sets_a_password_enrols_totp_and_logs_in_with_a_code(live, browser: Browser):
    base, output, app = live
    creds = demo_links(output)

    # The administrator (the demo buyer) invites a colleague into the demo team.
    admin = browser.new_context().new_page()
    _log_in(admin, base, creds["email"], creds["password"])
    expect(admin.get_by_role("heading", level=1)).to_have_text("Evaluations")
    admin.get_by_role("link", name=creds["email"]).click()
    admin.get_by_role("link", name="Invite a colleague").click()
    admin.fill("#email", COLLEAGUE)
    admin.select_option("#team", label="Procurement")
    admin.select_option("#role", "evaluator")
    admin.get_by_role("button", name="Invite").click()
    link = admin.get_by_label(f"Link for {COLLEAGUE}").input_value()
    assert link.startswith(f"{base}/invitation/")
    shot(admin, "accounts-invitation-link")
    admin.reload()
    expect(admin.get_by_label(f"Link for {COLLEAGUE}")).to_have_count(0)  # shown once

    # The colleague opens the link in their own browser and chooses a password.
    page = browser.new_context().new_page()
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose your password")
    page.fill("#password", "password1234")
    page.fill("#confirm", "password1234")
    page.get_by_role("button", name="Save password").click()
    expect(page.locator(".errors")).to_contain_text("too common")
    page.fill("#password", COLLEAGUE_PASSWORD)
    page.fill("#confirm", COLLEAGUE_PASSWORD)
    page.get_by_role("button", name="Save password").click()
    expect(page.locator(".flash.success")).to_contain_text("Your account is ready")

    # They log in and switch two-step login on.
    _log_in(page, base, COLLEAGUE, COLLEAGUE_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Evaluations")
    page.get_by_role("link", name=COLLEAGUE).click()
    page.get_by_role("link", name="Manage two-step login").click()
    page.get_by_role("button", name="Set up two-step login").click()
    expect(page.locator("figure.qr svg")).to_be_visible()
    shot(page, "accounts-totp-enrol")
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    page.fill("#code", totp.now())
    page.get_by_role("button", name="Switch two-step login on").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-step login is on")
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    shot(page, "accounts-recovery-codes")

    # Logged out, the password alone no longer logs in: the code page comes next.
    page.get_by_role("button", name="Log out").click()
    _log_in(page, base, COLLEAGUE, COLLEAGUE_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-step login")
    assert page.url == f"{base}/login/code"
    shot(page, "accounts-login-code")
    # The code of the next time step: the one used to enrol is never accepted twice.
    page.fill("#code", totp.at(time.time(), counter_offset=1))
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Evaluations")

    db = store.open_db(app.config["DATABASE"])
    try:
        user = store.get_user_by_email(db, COLLEAGUE)
        team = store.get_team_by_name(db, "Procurement")
        assert store.membership_role(db, team["id"], user["id"]) == "evaluator"
        assert user["totp_enabled_at"]
        last = store.audit_entries(db, limit=1)[0]
        assert last["action"] == "login_succeeded" and last["detail"] == {"second_factor": "totp"}
    finally:
        db.close()
