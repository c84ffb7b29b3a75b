"""Reminders (issue 12, item 1): what is due when, sent once, through a real SMTP server, with a working link."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from datetime import UTC
from datetime import date
from datetime import datetime
from pathlib import Path

import pytest

from stagefour import deadlines
from stagefour import evaluations
from stagefour import reminders
from stagefour import store

from .conftest import app_config
from .test_mail import smtp  # noqa: F401 (a fixture)

ROOT = Path(__file__).resolve().parent.parent
DEADLINE = "2026-12-10"
BASE_URL = "https://stagefour.example"
LINK = re.compile(r"https://stagefour\.example/v/([A-Za-z0-9_-]{43})")


# --- the rule ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("evaluation", "vendor", "expected"),
    [
        ("2026-12-10", None, date(2026, 12, 10)),
        ("2026-12-10", "2026-12-20", date(2026, 12, 20)),
        ("2026-12-10", "2026-12-01", date(2026, 12, 10)),  # an extension never shortens
        (None, "2026-12-20", None),
        (None, None, None),
    ],
)
def test_the_effective_deadline_is_the_later_of_the_two(evaluation, vendor, expected):
    assert deadlines.effective_deadline(evaluation, vendor) == expected


def test_days_left_counts_the_deadline_day_as_open():
    assert deadlines.days_left("2026-12-10", date(2026, 12, 9)) == 1
    assert deadlines.days_left("2026-12-10", date(2026, 12, 10)) == 0
    assert deadlines.days_left("2026-12-10", date(2026, 12, 12)) == -2
    assert not deadlines.passed("2026-12-10", date(2026, 12, 10))
    assert deadlines.passed("2026-12-10", date(2026, 12, 11))
    assert deadlines.days_left(None, date(2026, 12, 11)) is None


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        ("2026-12-02", None),
        ("2026-12-03", "before:7"),
        ("2026-12-06", "before:7"),
        ("2026-12-07", "before:3"),
        ("2026-12-09", "before:1"),
        ("2026-12-10", "before:1"),
        ("2026-12-11", "overdue"),
        ("2027-03-01", "overdue"),
    ],
)
def test_the_current_reminder_is_the_latest_threshold_passed(today, expected):
    kind = reminders.current_reminder(date(2026, 12, 10), date.fromisoformat(today), (7, 3, 1), True)
    assert kind == expected


def test_no_overdue_reminder_when_switched_off_and_none_before_a_vendor_was_added():
    assert reminders.current_reminder(date(2026, 12, 10), date(2026, 12, 11), (7, 3, 1), False) is None
    # Added on the 5th: the 7-day reminder (the 3rd) is older than the invitation.
    assert reminders.current_reminder(date(2026, 12, 10), date(2026, 12, 5), (7, 3, 1), True, date(2026, 12, 5)) is None
    assert reminders.current_reminder(date(2026, 12, 10), date(2026, 12, 7), (7, 3, 1), True, date(2026, 12, 5)) == (
        "before:3"
    )


def test_a_schedule_is_read_as_whole_days():
    assert reminders.parse_days(" 1, 7,3 ,7") == (7, 3, 1)
    assert reminders.parse_days("") == ()
    assert reminders.parse_days("0") == (0,)


@pytest.mark.parametrize("text", ["x", "-1", "1.5", "366", "9" * 5000, "7,,3", "٣", "7;3", "1e2"])
def test_a_schedule_refuses_anything_but_whole_days_up_to_a_year(text):
    with pytest.raises(ValueError):
        reminders.parse_days(text)


# --- the command, against a real SMTP server ------------------------------------------------------


@pytest.fixture
def mail_app(tmp_path, smtp):  # noqa: F811
    from app import create_app

    port, inbox = smtp
    app = create_app(
        app_config(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SENDER="buyer@example", BASE_URL=BASE_URL)
    )
    app.inbox = inbox
    return app


@pytest.fixture
def world(mail_app, questionnaire, make_team):
    """An evaluation due on DEADLINE with vendors: open with an address, without one, submitted, revoked."""
    db = store.open_db(mail_app.config["DATABASE"])
    store.migrate(db)
    team_id = store.create_team(db, "Buyers", "test")
    evaluation_id = evaluations.start_evaluation(db, questionnaire, "Claims partner", DEADLINE, team_id=team_id)
    expires = "2027-02-01T00:00:00+00:00"
    made = {}
    for name, email in (("Open", "open@vendor.example"), ("Silent", None), ("Done", "done@vendor.example"),
                        ("Revoked", "revoked@vendor.example")):  # fmt: skip
        vendor_id, token = evaluations.invite(db, evaluation_id, name, email, "test", expires_at=expires)
        made[name] = (vendor_id, token)
    db.execute("UPDATE vendors SET created_at = '2026-11-01T00:00:00+00:00'")
    store.set_response_status(db, store.get_vendor(db, made["Done"][0])["response_id"], "submitted", "test",
                              expect=store.EDITABLE)  # fmt: skip
    store.revoke_invitations(db, made["Revoked"][0], "test")
    yield db, evaluation_id, made
    db.close()


def _run(app, now: str):
    return app.test_cli_runner().invoke(args=["send-reminders", "--now", now])


def test_a_decided_evaluation_sends_no_reminder_and_no_lost_link(mail_app, world):
    db, evaluation_id, made = world
    owner = store.create_user(db, "chair@buyer.example", "x" * 60)
    outcomes = {vendor_id: ("reject", "Closed early.") for vendor_id, _token in made.values()}
    store.record_decision(db, evaluation_id, outcomes, "", owner)
    result = _run(mail_app, "2026-12-07T08:00:00")
    assert result.exit_code == 0, result.output
    assert "0 reminder(s) queued" in result.output
    assert store.lost_link_candidates(db, "open@vendor.example", "2026-12-07T08:00:00+00:00") == []
    assert mail_app.inbox.messages == []


def test_a_reminder_arrives_and_its_link_opens_the_response(mail_app, world):
    db, evaluation_id, made = world
    result = _run(mail_app, "2026-12-07T08:00:00")
    assert result.exit_code == 0, result.output
    assert "1 reminder(s) queued" in result.output
    assert len(mail_app.inbox.messages) == 1
    to, message = mail_app.inbox.messages[0]
    assert to == ["open@vendor.example"]
    assert message["Subject"] == "3 days left: “Claims partner”"
    body = message.get_content()
    assert "2026-12-10 23:59:59 (UTC)" in body
    token = LINK.search(body).group(1)
    assert token != made["Open"][1]
    page = mail_app.test_client().get(f"/v/{token}")
    assert page.status_code == 200
    assert "Claims partner" in page.get_data(as_text=True)
    # The vendor's first link still works: a reminder adds a link, it replaces none.
    assert mail_app.test_client().get(f"/v/{made['Open'][1]}").status_code == 200
    actions = [e["action"] for e in store.audit_entries(db, evaluation_id)]
    assert actions.count("reminder_sent") == 1 and actions.count("reminder_emailed") == 1
    entry = next(e for e in store.audit_entries(db, evaluation_id) if e["action"] == "reminder_sent")
    assert entry["vendor_id"] == made["Open"][0]
    assert entry["detail"]["reminder"] == "before:3"


def test_running_again_sends_nothing_until_the_next_reminder_is_due(mail_app, world):
    db, _evaluation_id, _made = world
    assert "1 reminder(s)" in _run(mail_app, "2026-12-07T08:00:00").output
    assert "0 reminder(s)" in _run(mail_app, "2026-12-07T08:01:00").output
    assert "0 reminder(s)" in _run(mail_app, "2026-12-08T23:00:00").output
    assert "1 reminder(s)" in _run(mail_app, "2026-12-09T00:00:00").output
    assert "0 reminder(s)" in _run(mail_app, "2026-12-10T12:00:00").output
    assert "1 reminder(s)" in _run(mail_app, "2026-12-11T00:00:00").output
    assert "0 reminder(s)" in _run(mail_app, "2026-12-30T00:00:00").output
    subjects = [m["Subject"] for _to, m in mail_app.inbox.messages]
    assert subjects == ["3 days left: “Claims partner”", "1 day left: “Claims partner”", "Overdue: “Claims partner”"]
    rows = db.execute("SELECT kind, deadline FROM reminders_sent ORDER BY id").fetchall()
    assert rows == [("before:3", DEADLINE), ("before:1", DEADLINE), ("overdue", DEADLINE)]


def test_an_extension_makes_the_new_deadlines_reminders_due_again(mail_app, world):
    db, _evaluation_id, made = world
    assert "1 reminder(s)" in _run(mail_app, "2026-12-09T08:00:00").output
    store.set_vendor_deadline(db, made["Open"][0], "2026-12-20", "test")
    assert "0 reminder(s)" in _run(mail_app, "2026-12-11T08:00:00").output  # not overdue any more
    assert "1 reminder(s)" in _run(mail_app, "2026-12-13T08:00:00").output
    assert mail_app.inbox.messages[-1][1]["Subject"] == "7 days left: “Claims partner”"
    assert ("before:7", "2026-12-20") in db.execute("SELECT kind, deadline FROM reminders_sent").fetchall()


def test_no_reminder_for_a_closed_link_a_submitted_response_or_no_address(mail_app, world):
    db, _evaluation_id, made = world
    _run(mail_app, "2026-12-11T08:00:00")
    assert [to for to, _m in mail_app.inbox.messages] == [["open@vendor.example"]]
    sent_to = {r[0] for r in db.execute("SELECT vendor_id FROM reminders_sent").fetchall()}
    assert sent_to == {made["Open"][0]}


def test_an_empty_schedule_sends_nothing_and_an_expired_link_gets_nothing(mail_app, world):
    db, evaluation_id, made = world
    store.set_reminder_schedule(db, evaluation_id, (), False, "test")
    assert "0 reminder(s)" in _run(mail_app, "2026-12-09T08:00:00").output
    store.set_reminder_schedule(db, evaluation_id, (1,), True, "test")
    db.execute("UPDATE invitations SET expires_at = '2026-12-08T00:00:00+00:00'")
    assert "0 reminder(s)" in _run(mail_app, "2026-12-09T08:00:00").output
    assert mail_app.inbox.messages == []


def test_a_reminder_is_in_the_vendors_language(mail_app, world):
    db, _evaluation_id, made = world
    store.set_response_language(db, store.get_vendor(db, made["Open"][0])["response_id"], "de")
    _run(mail_app, "2026-12-09T08:00:00")
    subject = mail_app.inbox.messages[0][1]["Subject"]
    assert subject != "1 day left: “Claims partner”" and "Claims partner" in subject


def test_the_command_says_what_is_missing(tmp_path):
    from app import create_app

    app = create_app(app_config(tmp_path, MAIL_SERVER="127.0.0.1"))
    result = app.test_cli_runner().invoke(args=["send-reminders"])
    assert result.exit_code == 1 and "BASE_URL" in result.output and "Traceback" not in result.output
    app = create_app(app_config(tmp_path, BASE_URL=BASE_URL))
    result = app.test_cli_runner().invoke(args=["send-reminders"])
    assert result.exit_code == 1 and "MAIL_SERVER" in result.output


def test_two_runs_at_once_send_each_reminder_once(tmp_path, smtp, questionnaire):  # noqa: F811
    port, inbox = smtp
    config = app_config(
        tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SENDER="buyer@example", BASE_URL=BASE_URL
    )
    from app import create_app

    db = store.open_db(config["DATABASE"])
    store.migrate(db)
    team_id = store.create_team(db, "Buyers", "test")
    evaluation_id = evaluations.start_evaluation(db, questionnaire, "Claims partner", DEADLINE, team_id=team_id)
    for i in range(200):
        evaluations.invite(db, evaluation_id, f"Vendor {i}", f"v{i}@vendor.example", "test",
                           expires_at="2027-02-01T00:00:00+00:00")  # fmt: skip
    db.execute("UPDATE vendors SET created_at = '2026-11-01T00:00:00+00:00'")
    create_app(config)  # the app's own start-up, once, before the two processes race
    script = textwrap.dedent(
        f"""
        import sys
        from app import create_app
        app = create_app({config!r})
        result = app.test_cli_runner().invoke(args=["send-reminders", "--now", "2026-12-09T08:00:00"])
        sys.stdout.write(result.output)
        sys.exit(result.exit_code)
        """
    )
    runs = [
        subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True) for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    counts = sorted(int(re.search(r"(\d+) reminder", out).group(1)) for out in outputs)
    assert sum(counts) == 200, outputs
    assert len(inbox.messages) == 200
    assert len({tuple(to) for to, _m in inbox.messages}) == 200
    assert db.execute("SELECT count(*) FROM reminders_sent").fetchone()[0] == 200
    db.close()


def test_revoking_and_reissuing_close_every_live_link_of_the_vendor(mail_app, world):
    db, _evaluation_id, made = world
    _run(mail_app, "2026-12-07T08:00:00")
    _run(mail_app, "2026-12-09T08:00:00")
    tokens = [LINK.search(m.get_content()).group(1) for _to, m in mail_app.inbox.messages] + [made["Open"][1]]
    client = mail_app.test_client()
    assert all(client.get(f"/v/{t}").status_code == 200 for t in tokens)
    evaluations.issue_link(db, made["Open"][0], "test", "2027-02-01T00:00:00+00:00")
    assert all(client.get(f"/v/{t}").status_code == 410 for t in tokens)
    _run(mail_app, "2026-12-11T08:00:00")  # overdue: a link again
    overdue = LINK.search(mail_app.inbox.messages[-1][1].get_content()).group(1)
    assert client.get(f"/v/{overdue}").status_code == 200
    store.revoke_invitations(db, made["Open"][0], "test")
    assert client.get(f"/v/{overdue}").status_code == 410
    live = "SELECT count(*) FROM invitations WHERE vendor_id = ? AND revoked_at IS NULL"
    assert db.execute(live, [made["Open"][0]]).fetchone()[0] == 0


def test_a_reminders_link_expires_with_the_vendors_latest_link(mail_app, world):
    db, _evaluation_id, made = world
    _run(mail_app, "2026-12-09T08:00:00")
    rows = db.execute(
        "SELECT purpose, expires_at FROM invitations WHERE vendor_id = ? ORDER BY id", [made["Open"][0]]
    ).fetchall()
    assert rows == [(None, "2027-02-01T00:00:00+00:00"), ("reminder", "2027-02-01T00:00:00+00:00")]


def test_now_is_taken_as_utc():
    assert datetime(2026, 12, 9, tzinfo=UTC).date() == date(2026, 12, 9)


def test_when_the_queue_is_down_the_reminder_is_audited_and_not_sent_by_the_next_run(mail_app, world):
    db, evaluation_id, _made = world
    jobs = mail_app.extensions["jobs"]

    def down(*args, **kwargs):
        raise ConnectionError("the queue is down")

    jobs.send_emails, real = down, jobs.send_emails
    assert "1 reminder(s)" in _run(mail_app, "2026-12-09T08:00:00").output
    jobs.send_emails = real
    assert "0 reminder(s)" in _run(mail_app, "2026-12-09T09:00:00").output
    assert mail_app.inbox.messages == []
    failed = [e for e in store.audit_entries(db, evaluation_id) if e["action"] == "reminder_email_failed"]
    assert len(failed) == 1 and "the queue is down" in failed[0]["detail"]["error"]


def test_a_reminder_the_mail_server_refuses_once_is_retried_on_its_own(mail_app, world, monkeypatch):
    db, evaluation_id, _made = world
    from stagefour import mail

    real, calls = mail.send_link, []

    def flaky(settings, to, subject, body):
        calls.append(to)
        if len(calls) == 1:
            raise mail.MailError("421 try later")
        return real(settings, to, subject, body)

    monkeypatch.setattr(mail, "send_link", flaky)
    _run(mail_app, "2026-12-09T08:00:00")
    assert len(calls) == 2 and len(mail_app.inbox.messages) == 1
    actions = [e["action"] for e in store.audit_entries(db, evaluation_id)]
    assert actions.count("reminder_emailed") == 1 and "reminder_email_failed" not in actions
