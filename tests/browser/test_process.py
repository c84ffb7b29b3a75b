"""The due-diligence process end to end in a real browser (issue 12), with a real SMTP server.

The owner invites a vendor; a reminder reaches the vendor's mailbox and its link opens the
response; the vendor ticks engineers from the roster, sees a consistency problem on the review
page, fixes it and submits with the confirmation; the buyer is told (in the app and by e-mail);
two evaluators share the manual scoring through the queue; the owner records the decision; the
comparison PDF's summary carries it.
"""

from __future__ import annotations

import copy
import re
import subprocess
import time
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from playwright.sync_api import Page
from playwright.sync_api import expect

from stagefour import store
from views.auth import hash_password

from ..conftest import load_response_json
from ..conftest import with_1_1_answers
from ..test_mail import smtp  # noqa: F401 (a fixture)
from .conftest import demo_links
from .conftest import shot
from .test_reminders_browser import mail_live  # noqa: F401 (a fixture)

PASSWORD = "the whole process, in a browser"
VENDOR = "Harbour Deployments"
CONTACT = "bids@harbour.example"


def _db(app):
    return store.open_db(app.config["DATABASE"])


def _log_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Evaluations")


def _mail_to(inbox, address: str) -> list:
    return [message for to, message in inbox.messages if to == [address]]


def _link_in(message, base: str) -> str:
    return re.search(rf"{re.escape(base)}/\S+", message.get_content()).group(0)


def test_invite_remind_answer_submit_notify_score_decide_and_the_pdf_says_so(mail_live, browser, tmp_path):  # noqa: F811
    base, output, app, inbox = mail_live
    creds = demo_links(output)
    db = _db(app)
    evaluation = store.list_evaluations(db)[0]
    evaluation_id = evaluation["id"]
    evaluators = {}
    for name in ("ann", "bob"):
        user_id = store.create_user(db, f"{name}@buyer.example", hash_password(PASSWORD))
        store.set_membership(db, evaluation["team_id"], user_id, "evaluator", "test")
        evaluators[name] = f"{name}@buyer.example"
    db.close()

    # 1. The owner invites the vendor with a contact address: the invitation is e-mailed.
    owner = browser.new_context(viewport={"width": 1280, "height": 900})
    buyer = owner.new_page()
    _log_in(buyer, base, creds["email"], creds["password"])
    buyer.goto(f"{base}/evaluations/{evaluation_id}")
    buyer.fill("#name", VENDOR)
    buyer.fill("#contact_email", CONTACT)
    buyer.get_by_role("button", name="Add vendor and issue link").click()
    assert len(_mail_to(inbox, CONTACT)) == 1

    # 2. Three days before the deadline the reminder goes out; its link opens the response in one click.
    deadline = datetime.fromisoformat(evaluation["deadline"]).date()
    when = datetime.combine(deadline - timedelta(days=3), datetime.min.time()).strftime("%Y-%m-%d %H:%M:%S")
    result = app.test_cli_runner().invoke(args=["send-reminders", "--now", when])
    assert result.exit_code == 0, result.output
    reminder = _mail_to(inbox, CONTACT)[-1]
    assert reminder["Subject"].startswith("3 days left")
    link = _link_in(reminder, base)
    vendor_context = browser.new_context(viewport={"width": 1280, "height": 900})
    vendor = vendor_context.new_page()
    vendor.goto(link)
    expect(vendor.get_by_role("heading", level=1)).to_contain_text("AI deployment partner")

    # 3. The vendor's answers are in, all but the engineers of each deployment, and one failure names a
    #    deployment id typed before the pick list existed. The engineers are ticked from the roster.
    db = _db(app)
    response_id = next(v for v in store.list_vendors(db, evaluation_id) if v["name"] == VENDOR)["response_id"]
    full = with_1_1_answers(load_response_json("stage4-deployer")["answers"])
    answers = copy.deepcopy(full)
    for row in answers["B1"]:
        row.pop("engineer_ids")
    answers["D1"][0]["deployment_id"] = "D-1"
    store.save_answers(db, response_id, answers, store.answer_versions(db, response_id), "test")
    db.close()
    vendor.goto(f"{link}/s/B")
    expect(vendor.locator("#B1-0-engineer_ids")).to_contain_text("e1 — ")
    for i, row in enumerate(full["B1"]):
        for engineer in row["engineer_ids"]:
            vendor.check(f"input[name='B1-{i}-engineer_ids'][value='{engineer}']")
    vendor.get_by_role("button", name="Save draft").last.click()
    expect(vendor.locator(".flash.success")).to_contain_text("Saved at")

    # 4. The review page names the problem and links to it; fixed there, then submitted with the confirmation.
    vendor.goto(f"{link}/review")
    problems = vendor.locator("ul.problems li")
    expect(problems).to_have_count(1)
    expect(problems).to_contain_text("D-1")
    shot(vendor, "process-vendor-review-problem")
    problems.get_by_role("link").click()
    vendor.locator("select[name='D1-0-deployment_id']").select_option("d1")
    vendor.get_by_role("button", name="Save draft").last.click()
    expect(vendor.locator(".flash.success")).to_contain_text("Saved at")
    vendor.goto(f"{link}/review")
    expect(vendor.locator("ul.problems")).to_have_count(0)
    vendor.get_by_role("button", name="Submit the response").click()
    expect(vendor.locator("#confirm-error")).to_be_visible()
    vendor.get_by_label("I have checked the answers").check()
    vendor.get_by_role("button", name="Submit the response").click()
    expect(vendor.get_by_role("heading", level=1)).to_contain_text("submitted")
    vendor_context.close()

    # 5. The buyer is told: an unread notification in the header and the list, and an e-mail.
    buyer.goto(f"{base}/")
    expect(buyer.locator("header .notifications-link")).to_contain_text("1")
    buyer.goto(f"{base}/notifications")
    expect(buyer.locator("li.notification.unread").first).to_contain_text(VENDOR)
    told = _mail_to(inbox, creds["email"])
    assert any(m["Subject"].startswith(f"{VENDOR} submitted") for m in told), [m["Subject"] for m in told]
    shot(buyer, "process-buyer-notified")

    # 6. Two evaluators share the manual scores through the queue until nothing is left.
    pages = {}
    for name, email in evaluators.items():
        pages[name] = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        _log_in(pages[name], base, email, PASSWORD)
        pages[name].goto(f"{base}/evaluations/{evaluation_id}/queue")
    scored = {name: 0 for name in pages}
    for _round in range(200):
        moved = False
        for name, page in pages.items():
            if page.locator(".score-form").count() == 0:
                continue
            heading = page.locator("#queue-panel h2").inner_text()
            page.locator("input[name=score][value='4']").check()
            page.get_by_role("button", name="Save and next").click()
            expect(page.locator("#queue-panel h2")).not_to_have_text(heading)
            scored[name] += 1
            moved = True
        if not moved:
            break
    assert scored["ann"] > 0 and scored["bob"] > 0, scored
    for page in pages.values():
        expect(page.locator("#queue-panel h2")).to_have_text("Nothing left for you to score")
        page.context.close()

    # 7. The owner records the decision, which closes the evaluation.
    buyer.goto(f"{base}/evaluations/{evaluation_id}/decision")
    for group in buyer.locator("fieldset.choices").all():
        is_ours = VENDOR in group.locator("legend").inner_text()
        group.get_by_label("Award" if is_ours else "Reject").check()
    for rationale in buyer.locator("textarea[id^=rationale_]").all():
        rationale.fill("Named production deployments, engineers on the roster, failures with their fixes.")
    buyer.fill("#approvers", "Ada Lovelace (CFO)")
    buyer.get_by_role("button", name="Record the decision and close the evaluation").click()
    expect(buyer.get_by_text("The decision was recorded.")).to_be_visible()
    shot(buyer, "process-decision-recorded")

    # 8. The comparison PDF's summary carries the decision.
    pdf_url = f"{base}/evaluations/{evaluation_id}/report.pdf?lang=en&size=a4"
    for _try in range(120):
        pdf = buyer.request.get(pdf_url, timeout=120_000)  # seven demo vendors: a longer PDF to make
        if pdf.headers.get("content-type") == "application/pdf":
            break
        time.sleep(1)
    assert pdf.body().startswith(b"%PDF")
    path = tmp_path / "comparison.pdf"
    path.write_bytes(pdf.body())
    summary = subprocess.run(
        ["pdftotext", "-layout", "-f", "2", "-l", "2", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(summary.split())
    assert "Summary" in flat
    assert "Decision: Award" in flat and "Decision: Reject" in flat, flat
    assert "Ada Lovelace (CFO)" in flat and "No decision recorded" not in flat
    owner.close()
    assert datetime.now(UTC).date() < deadline  # the demo's deadline is ahead: nothing here was overdue
