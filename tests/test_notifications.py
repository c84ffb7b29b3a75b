"""Notifications to buyers (issue 12, item 2): who is told of a submission, a clarification reply and an
overdue vendor, as each chose; the list, the unread count, marking read; e-mails through a real SMTP
server; overdue notices told once per vendor and deadline."""

from __future__ import annotations

import json
import re
from datetime import UTC
from datetime import datetime

import pytest
from aiosmtpd.controller import Controller

from stagefour import notifications
from stagefour import store
from views.auth import hash_password

from .conftest import PASSWORD
from .test_mail import Inbox
from .test_mail import free_port

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def rows(db, table="notifications") -> list[dict]:
    """Every row of a table, in id order (to prove what a request wrote, or did not)."""
    return list(db[table].rows)


def told(db, kind=None) -> set[int]:
    """The user ids holding a notification (of `kind`)."""
    return {r["user_id"] for r in rows(db) if kind is None or r["kind"] == kind}


def actions(db) -> list[dict]:
    """Every audit entry, oldest first."""
    return list(reversed(store.audit_entries(db, limit=10_000)))


@pytest.fixture
def inbox(app):
    """A real SMTP server on loopback, configured in the app: the received (recipients, message) pairs."""
    received = Inbox()
    controller = Controller(received, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_SENDER="stagefour@buyer.example")
    yield received.messages
    controller.stop()


@pytest.fixture
def people(db, make_user, make_team):
    """One user of each role in the test team, and those who must not be told."""
    users = {role: make_user(role, email=f"{role}@example.com") for role in ("viewer", "evaluator", "owner")}
    users["other_team"] = make_user("owner", email="other@example.com", team_id=make_team("Another team"))
    users["disabled"] = make_user("evaluator", email="disabled@example.com")
    store.set_disabled(db, users["disabled"], True, "test")
    users["no_team"] = make_user(None, email="nobody@example.com")
    return users


@pytest.fixture
def vendor(make_vendor, stage4_answers):
    """A vendor whose complete answers are saved, not submitted."""
    return make_vendor(answers=stage4_answers)


def submit(app, vendor):
    """The vendor submits through their link."""
    return app.test_client().post(f"/v/{vendor['token']}/submit", data={"confirm": "yes"})


def open_thread(db, vendor, user_id) -> int:
    return store.open_clarification(db, vendor["response_id"], "C4", "Who was on the ground?", user_id)


def reply(app, vendor, thread_id, body="Our lead engineer, on site for six weeks."):
    return app.test_client().post(f"/v/{vendor['token']}/clarifications/{thread_id}/reply", data={"body": body})


def log_in(app, db, user_id):
    """A client logged in as the user."""
    client = app.test_client()
    email = store.get_user(db, user_id)["email"]
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    return client


# --- who is told ------------------------------------------------------------------------------------


def test_a_submission_reaches_every_role_of_the_team_and_nobody_else(app, db, people, vendor):
    assert submit(app, vendor).status_code == 302
    expected = {people["viewer"], people["evaluator"], people["owner"]}
    assert told(db, "submitted") == expected
    assert len(rows(db)) == 3  # once per recipient
    (entry,) = [e for e in actions(db) if e["action"] == "buyers_notified"]
    assert entry["evaluation_id"] == vendor["evaluation_id"] and entry["vendor_id"] == vendor["vendor_id"]
    assert set(entry["detail"]["in_app"]) == expected and entry["actor"] == "notifications"


def test_a_restricted_evaluation_tells_only_its_named_members(app, db, people, vendor):
    store.set_evaluation_access(db, vendor["evaluation_id"], True, [people["viewer"]], "test")
    submit(app, vendor)
    assert told(db) == {people["viewer"]}  # the evaluator and the owner of the team are not named on it


def test_a_second_submit_tells_nobody_again(app, db, people, vendor):
    submit(app, vendor)
    submit(app, vendor)
    assert len(rows(db)) == 3


def test_an_incomplete_response_that_cannot_be_submitted_tells_nobody(app, db, people, make_vendor):
    incomplete = make_vendor(name="Vendor B", answers={})
    assert submit(app, incomplete).status_code == 302
    assert rows(db) == []


def test_a_reply_to_a_clarification_tells_the_team_with_the_thread(app, db, people, vendor):
    thread_id = open_thread(db, vendor, people["evaluator"])
    assert reply(app, vendor, thread_id).status_code == 302
    assert told(db, "replied") == {people["viewer"], people["evaluator"], people["owner"]}
    assert {r["thread_id"] for r in rows(db)} == {thread_id}


@pytest.mark.parametrize("body", ["", "   ", "x" * 4001])
def test_a_refused_reply_tells_nobody(app, db, people, vendor, body):
    thread_id = open_thread(db, vendor, people["evaluator"])
    assert reply(app, vendor, thread_id, body).status_code == 302
    assert rows(db) == []


def test_a_reply_on_another_vendors_thread_is_404_and_tells_nobody(app, db, people, vendor, make_vendor):
    other = make_vendor(name="Vendor B", evaluation_id=vendor["evaluation_id"])
    thread_id = open_thread(db, other, people["evaluator"])
    assert reply(app, vendor, thread_id).status_code == 404
    assert rows(db) == []


def test_notify_refuses_a_vendor_of_another_evaluation(db, people, vendor, make_evaluation):
    with pytest.raises(ValueError):
        notifications.notify(db, "submitted", make_evaluation(), vendor["vendor_id"], "test")
    with pytest.raises(ValueError):
        notifications.notify(db, "shouted", vendor["evaluation_id"], vendor["vendor_id"], "test")
    assert rows(db) == []


# --- choices -------------------------------------------------------------------------------------------


def test_choices_default_to_both_channels_except_e_mail_for_overdue(db, people):
    assert notifications.user_choices(db, people["viewer"]) == {
        "submitted": {"email": True, "app": True},
        "replied": {"email": True, "app": True},
        "overdue": {"email": False, "app": True},
    }


def test_a_user_who_switched_the_app_off_gets_no_notification_and_e_mail_still(app, db, people, vendor, inbox):
    store.set_notification_choices(db, people["owner"], {"submitted": {"email": True, "app": False}})
    store.set_notification_choices(db, people["viewer"], {"submitted": {"email": False, "app": True}})
    submit(app, vendor)
    assert told(db) == {people["viewer"], people["evaluator"]}
    assert sorted(to for tos, _m in inbox for to in tos) == ["evaluator@example.com", "owner@example.com"]


def test_the_account_page_saves_choices_audited(app, db, people):
    client = log_in(app, db, people["evaluator"])
    page = client.get("/account").get_data(as_text=True)
    assert 'name="submitted_email"' in page and 'id="notifications"' in page
    response = client.post("/account/notifications", data={"submitted_app": "y", "overdue_email": "y"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/account#notifications")
    assert notifications.user_choices(db, people["evaluator"]) == {
        "submitted": {"email": False, "app": True},
        "replied": {"email": False, "app": False},
        "overdue": {"email": True, "app": False},
    }
    (entry,) = [e for e in actions(db) if e["action"] == "notification_choices_changed"]
    assert entry["actor"] == f"user:{people['evaluator']}"
    assert entry["detail"]["choices"]["overdue"] == {"email": True, "app": False}
    # The page shows the saved choices ticked, the others not.
    page = client.get("/account").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*name="overdue_email"', page)
    assert not re.search(r'<input checked[^>]*name="replied_email"', page)


@pytest.mark.parametrize("value", ["n", "on", "1", "y" * 10_000, "<script>alert(1)</script>", "y\r\nBcc: x"])
def test_a_box_with_a_value_no_page_sends_is_refused_next_to_it_and_nothing_is_saved(app, db, people, value):
    client = log_in(app, db, people["evaluator"])
    response = client.post("/account/notifications", data={"submitted_email": value, "replied_app": "y"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="submitted_email-error"' in page and "Tick the box or leave it empty." in page
    assert 'aria-describedby="submitted_email-error"' in page
    assert "<script>alert(1)</script>" not in page
    assert rows(db, "notification_choices") == []
    assert not [e for e in actions(db) if e["action"] == "notification_choices_changed"]


def test_a_box_sent_twice_is_refused(app, db, people):
    client = log_in(app, db, people["evaluator"])
    response = client.post("/account/notifications", data={"submitted_email": ["y", "y"]})
    assert response.status_code == 422
    assert rows(db, "notification_choices") == []


def test_unknown_fields_are_ignored(app, db, people):
    client = log_in(app, db, people["evaluator"])
    response = client.post("/account/notifications", data={"shouted_email": "y", "submitted_app": "y"})
    assert response.status_code == 302
    assert {r["kind"] for r in rows(db, "notification_choices")} == set(notifications.KINDS)


def test_the_store_refuses_an_unknown_kind(db, people):
    with pytest.raises(store.StoreError):
        store.set_notification_choices(db, people["viewer"], {"shouted": {"email": True, "app": True}})
    assert rows(db, "notification_choices") == []


# --- e-mail -----------------------------------------------------------------------------------------


def test_a_submission_e_mails_each_recipient_with_a_link_to_the_buyers_page_never_the_token(
    app, db, people, vendor, inbox
):
    submit(app, vendor)
    assert sorted(to for tos, _m in inbox for to in tos) == [
        "evaluator@example.com",
        "owner@example.com",
        "viewer@example.com",
    ]
    _tos, message = inbox[0]
    body = message.get_content()
    assert message["Subject"] == "Vendor A submitted their response to “Claims automation partner”"
    target = f"http://localhost/evaluations/{vendor['evaluation_id']}/vendors/{vendor['vendor_id']}"
    assert target in body and "http://localhost/notifications" in body
    assert vendor["token"] not in body and "/v/" not in body
    emailed = [e for e in actions(db) if e["action"] == "notification_emailed"]
    assert len(emailed) == 3 and all(e["detail"]["kind"] == "submitted" for e in emailed)
    assert all(vendor["token"] not in json.dumps(e) for e in actions(db))


def test_a_reply_e_mail_links_to_the_thread_in_english_whatever_the_vendors_language(app, db, people, vendor, inbox):
    thread_id = open_thread(db, vendor, people["evaluator"])
    store.set_response_language(db, vendor["response_id"], "de")
    client = app.test_client()
    client.post(f"/v/{vendor['token']}/language", data={"language": "de"})
    client.post(f"/v/{vendor['token']}/clarifications/{thread_id}/reply", data={"body": "Ja."})
    _tos, message = inbox[0]
    assert message["Subject"] == "Vendor A replied to a clarification in “Claims automation partner”"
    assert f"/vendors/{vendor['vendor_id']}#thread-{thread_id}" in message.get_content()


def test_a_vendor_name_with_line_breaks_cannot_add_headers(app, db, people, make_vendor, stage4_answers, inbox):
    hostile = make_vendor(name="Evil\r\nBcc: victim@example.com", answers=stage4_answers)
    submit(app, hostile)
    for tos, message in inbox:
        assert "victim@example.com" not in tos and message["Bcc"] is None


def test_without_a_mail_server_the_notices_are_in_the_app_and_no_e_mail_is_tried(app, db, people, vendor):
    submit(app, vendor)
    assert len(rows(db)) == 3
    assert not [e for e in actions(db) if e["action"].startswith("notification_email")]


def test_a_failure_to_notify_never_fails_the_vendors_submission(app, db, people, vendor, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the notifications table is gone")

    monkeypatch.setattr(notifications, "notify", broken)
    assert submit(app, vendor).status_code == 302
    assert store.get_vendor(db, vendor["vendor_id"])["status"] == "submitted"


# --- overdue -----------------------------------------------------------------------------------------


@pytest.fixture
def late(db, people, make_evaluation, make_vendor):
    """An evaluation whose deadline (29 November) passed on NOW, with one vendor who has not submitted."""
    evaluation_id = make_evaluation(deadline="2026-11-29")
    return make_vendor(name="Late Ltd", evaluation_id=evaluation_id)


def test_an_overdue_vendor_is_told_once_per_deadline_however_often_it_runs(app, db, people, late):
    notifications.notify_overdue(db, NOW)
    notifications.notify_overdue(db, NOW)
    assert told(db, "overdue") == {people["viewer"], people["evaluator"], people["owner"]}
    assert len(rows(db)) == 3
    # A new deadline that passes too is a new event.
    evaluation = store.get_evaluation(db, late["evaluation_id"])
    store.update_evaluation(db, evaluation["id"], "test", evaluation["title"], "2026-11-28", evaluation["weights"],
                            evaluation["buyer_profile"])  # fmt: skip
    notifications.notify_overdue(db, NOW)
    notifications.notify_overdue(db, NOW)
    assert len(rows(db)) == 6
    assert {r["key"] for r in rows(db, "notification_keys")} == {
        f"overdue:{late['vendor_id']}:2026-11-29",
        f"overdue:{late['vendor_id']}:2026-11-28",
    }


def test_the_deadline_day_itself_is_not_overdue(db, people, late):
    notifications.notify_overdue(db, datetime(2026, 11, 29, 23, 59, tzinfo=UTC))
    assert rows(db) == []


def test_a_vendor_given_a_later_deadline_is_overdue_only_after_it(db, people, late):
    store.set_vendor_deadline(db, late["vendor_id"], "2026-12-05", "test")
    notifications.notify_overdue(db, NOW)
    assert rows(db) == []
    notifications.notify_overdue(db, datetime(2026, 12, 6, 0, 1, tzinfo=UTC))
    assert told(db, "overdue") == {people["viewer"], people["evaluator"], people["owner"]}
    assert {r["key"] for r in rows(db, "notification_keys")} == {f"overdue:{late['vendor_id']}:2026-12-05"}


def test_send_reminders_tells_the_buyers_of_an_overdue_vendor_once(app, db, people, late, inbox):
    store.set_notification_choices(db, people["owner"], {"overdue": {"email": True, "app": True}})
    app.config.update(BASE_URL="https://stagefour.example.com")
    for _ in range(2):
        result = app.test_cli_runner().invoke(args=["send-reminders", "--now", "2026-11-30T09:00:00"])
        assert result.exit_code == 0, result.output
    assert told(db, "overdue") == {people["viewer"], people["evaluator"], people["owner"]}
    assert len(rows(db)) == 3
    ((tos, message),) = inbox
    assert tos == ["owner@example.com"]
    assert f"https://stagefour.example.com/evaluations/{late['evaluation_id']}/" in message.get_content()


def test_submitted_vendors_and_evaluations_without_deadline_are_not_overdue(
    db, people, make_evaluation, make_vendor, stage4_answers
):
    make_vendor(name="On time", evaluation_id=make_evaluation(deadline="2026-11-20"), answers=stage4_answers,
                submit=True)  # fmt: skip
    make_vendor(name="No deadline", evaluation_id=make_evaluation(deadline=None))
    notifications.notify_overdue(db, NOW)
    assert rows(db) == []


def test_overdue_defaults_to_the_app_only_and_e_mails_those_who_chose_it(app, db, people, late, inbox):
    store.set_notification_choices(db, people["owner"], {"overdue": {"email": True, "app": False}})
    sent = []
    with app.test_request_context():
        from views.notifications import send

        def keep(notice):
            sent.append(notice)
            send(notice)

        notifications.notify_overdue(db, NOW, keep)
        notifications.notify_overdue(db, NOW, keep)
    assert [n.email for n in sent] == ["owner@example.com"]
    assert told(db) == {people["viewer"], people["evaluator"]}
    ((tos, message),) = inbox
    assert tos == ["owner@example.com"]
    assert message["Subject"] == "Late Ltd is past the deadline of “Claims automation partner”"
    (entry,) = [e for e in actions(db) if e["action"] == "buyers_notified"]
    assert entry["actor"] == "cli" and entry["detail"]["emailed"] == [people["owner"]]


def test_the_command_line_tells_overdue_vendors_with_links_on_the_configured_server(app, db, people, late, inbox):
    from views.notifications import tell_overdue

    store.set_notification_choices(db, people["owner"], {"overdue": {"email": True, "app": True}})
    app.config.update(SERVER_NAME="stagefour.example", PREFERRED_URL_SCHEME="https")
    with app.app_context():  # what `flask send-reminders` has: no request
        assert tell_overdue(NOW) == 1
        assert tell_overdue(NOW) == 0
    ((tos, message),) = inbox
    url = f"https://stagefour.example/evaluations/{late['evaluation_id']}/vendors/{late['vendor_id']}"
    assert url in message.get_content()


def test_a_failed_e_mail_does_not_stop_the_others(app, db, people, late, make_vendor, caplog):
    make_vendor(name="Later Ltd", evaluation_id=late["evaluation_id"])
    tried = []

    def flaky(notice):
        tried.append(notice.vendor_name)
        raise OSError("the mail queue is down")

    store.set_notification_choices(db, people["owner"], {"overdue": {"email": True, "app": True}})
    notifications.notify_overdue(db, NOW, flaky)
    assert sorted(tried) == ["Late Ltd", "Later Ltd"]
    assert len(rows(db)) == 6  # both told in the app to the three of them
    assert "could not send the overdue notice" in caplog.text


# --- the list, the count, marking read --------------------------------------------------------------------


def test_the_list_shows_newest_first_with_unread_marked_and_the_header_counts(app, db, people, vendor):
    thread_id = open_thread(db, vendor, people["evaluator"])
    reply(app, vendor, thread_id)
    submit(app, vendor)
    client = log_in(app, db, people["viewer"])
    page = client.get("/notifications").get_data(as_text=True)
    assert page.index("Vendor A submitted their response.") < page.index("Vendor A replied to a clarification.")
    assert page.count('class="notification unread"') == 2
    assert "2 unread notifications" in page  # the header's label and the page's
    assert "Claims automation partner" in page
    dashboard = client.get("/").get_data(as_text=True)
    assert '<span class="visually-hidden"> 2 unread notifications</span>' in dashboard


def test_opening_a_notification_marks_it_read_and_goes_to_the_thread(app, db, people, vendor):
    thread_id = open_thread(db, vendor, people["evaluator"])
    reply(app, vendor, thread_id)
    client = log_in(app, db, people["viewer"])
    (mine,) = store.user_notifications(db, people["viewer"])
    response = client.post(f"/notifications/{mine['id']}/open")
    assert response.status_code == 302
    assert response.headers["Location"] == (
        f"/evaluations/{vendor['evaluation_id']}/vendors/{vendor['vendor_id']}#thread-{thread_id}"
    )
    assert store.user_notifications(db, people["viewer"])[0]["read_at"] is not None
    assert store.unread_notification_count(db, people["viewer"]) == 0
    assert store.unread_notification_count(db, people["owner"]) == 1  # the others' stay unread
    assert client.get(response.headers["Location"]).status_code == 200
    page = client.get("/").get_data(as_text=True)
    assert "unread notification" not in page


def test_mark_as_read_and_mark_all_read(app, db, people, vendor, make_vendor, stage4_answers):
    submit(app, vendor)
    submit(app, make_vendor(name="Vendor B", evaluation_id=vendor["evaluation_id"], answers=stage4_answers))
    client = log_in(app, db, people["owner"])
    first, second = store.user_notifications(db, people["owner"])
    response = client.post(f"/notifications/{first['id']}/read")
    assert response.status_code == 302 and response.headers["Location"] == f"/notifications#notification-{first['id']}"
    assert store.unread_notification_count(db, people["owner"]) == 1
    read_at = store.user_notifications(db, people["owner"])[0]["read_at"]
    assert client.post(f"/notifications/{first['id']}/read").status_code == 302  # again: nothing changes
    assert store.user_notifications(db, people["owner"])[0]["read_at"] == read_at
    assert client.post("/notifications/read").status_code == 302
    assert store.unread_notification_count(db, people["owner"]) == 0
    assert store.unread_notification_count(db, people["viewer"]) == 2


@pytest.mark.parametrize("route", ["open", "read"])
def test_another_users_notification_is_404_and_stays_unread(app, db, people, vendor, route):
    submit(app, vendor)
    (theirs,) = store.user_notifications(db, people["owner"])
    before = rows(db)
    client = log_in(app, db, people["viewer"])
    assert client.post(f"/notifications/{theirs['id']}/{route}").status_code == 404
    outsider = log_in(app, db, people["other_team"])
    assert outsider.post(f"/notifications/{theirs['id']}/{route}").status_code == 404
    assert rows(db) == before


@pytest.mark.parametrize("ident", ["0", "999999", str(2**63), "-1", "abc"])
def test_a_notification_id_that_is_nobodys_is_404(app, db, people, ident):
    client = log_in(app, db, people["viewer"])
    assert client.post(f"/notifications/{ident}/open").status_code == 404
    assert client.post(f"/notifications/{ident}/read").status_code == 404


def test_the_pages_need_a_login_and_the_writes_a_post(app, db, people, vendor):
    submit(app, vendor)
    (mine,) = store.user_notifications(db, people["viewer"])
    anonymous = app.test_client()
    assert anonymous.get("/notifications").headers["Location"].startswith("/login")
    assert anonymous.post(f"/notifications/{mine['id']}/open").headers["Location"].startswith("/login")
    client = log_in(app, db, people["viewer"])
    assert client.get(f"/notifications/{mine['id']}/open").status_code == 405
    assert store.unread_notification_count(db, people["viewer"]) == 1


def test_notifications_of_an_evaluation_no_longer_visible_are_hidden(app, db, people, vendor, team):
    submit(app, vendor)
    viewer, evaluator = people["viewer"], people["evaluator"]
    (evaluators,) = store.user_notifications(db, evaluator)
    # The viewer leaves the team; the evaluation is restricted to the owner.
    store.remove_membership(db, team, viewer, "test")
    store.set_evaluation_access(db, vendor["evaluation_id"], True, [people["owner"]], "test")
    for user_id in (viewer, evaluator):
        assert store.user_notifications(db, user_id) == []
        assert store.unread_notification_count(db, user_id) == 0
    client = log_in(app, db, evaluator)
    assert "Vendor A" not in client.get("/notifications").get_data(as_text=True)
    assert client.post(f"/notifications/{evaluators['id']}/open").status_code == 404
    assert store.unread_notification_count(db, people["owner"]) == 1


def test_a_disabled_users_notifications_are_hidden(db, people, vendor, app):
    submit(app, vendor)
    store.set_disabled(db, people["viewer"], True, "test")
    assert store.unread_notification_count(db, people["viewer"]) == 0


def test_the_unread_count_reads_the_partial_index(db, people):
    plan = db.execute(
        "EXPLAIN QUERY PLAN SELECT count(*) FROM notifications n INDEXED BY notifications_unread "
        "WHERE n.user_id = ? AND n.read_at IS NULL",
        [people["viewer"]],
    ).fetchall()
    assert any("notifications_unread" in str(step) for step in plan)


def test_the_header_counts_up_to_99_then_says_more(app, db, people, make_evaluation, make_vendor):
    for e in range(3):
        evaluation_id = make_evaluation(title=f"Evaluation {e}", deadline="2026-11-20")
        for v in range(34):
            make_vendor(name=f"Vendor {v}", evaluation_id=evaluation_id)
    notifications.notify_overdue(db, NOW)
    assert len(store.user_notifications(db, people["viewer"], limit=1000)) == 102
    assert store.unread_notification_count(db, people["viewer"]) == 100  # counting stops there
    page = log_in(app, db, people["viewer"]).get("/").get_data(as_text=True)
    assert '<span aria-hidden="true">99+</span>' in page and "More than 99 unread notifications" in page


def test_a_buyer_page_without_notifications_shows_no_count(app, db, people):
    page = log_in(app, db, people["viewer"]).get("/").get_data(as_text=True)
    assert ">Notifications</a>" in page and "unread notification" not in page


def test_a_user_created_without_team_sees_an_empty_list(app, db):
    user_id = store.create_user(db, "lonely@example.com", hash_password(PASSWORD))
    page = log_in(app, db, user_id).get("/notifications")
    assert page.status_code == 200 and "No notifications yet." in page.get_data(as_text=True)
