"""E-mail of vendor links against a real local SMTP server (aiosmtpd), and without one."""

from __future__ import annotations

import re
import socket
import threading
import time
from email import message_from_bytes
from email import policy
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller

from stagefour import mail
from stagefour import store

from .conftest import PASSWORD


def free_port() -> int:
    """A TCP port nothing listens on (bound, read, released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp():
    """A real SMTP server on 127.0.0.1 and a free port: yields (port, inbox)."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, inbox
    finally:
        controller.stop()


def test_send_link_delivers_to_the_vendor(smtp):
    port, inbox = smtp
    settings = mail.MailSettings(server="127.0.0.1", port=port, sender="buyer@stagefour.example")
    assert mail.send_link(settings, "bids@northwind.example", "Questionnaire: Claims", "Open https://x/v/abc\n")
    ((recipients, message),) = inbox.messages
    assert recipients == ["bids@northwind.example"]
    assert message["To"] == "bids@northwind.example"
    assert message["From"] == "buyer@stagefour.example"
    assert message["Subject"] == "Questionnaire: Claims"
    assert "https://x/v/abc" in message.get_content()


def test_a_line_break_in_the_subject_cannot_add_a_header(smtp):
    port, inbox = smtp
    settings = mail.MailSettings(server="127.0.0.1", port=port)
    mail.send_link(settings, "a@example.com", "Hello\r\nBcc: victim@example.com", "body")
    ((recipients, message),) = inbox.messages
    assert recipients == ["a@example.com"]
    assert message["Bcc"] is None
    assert message["Subject"] == "Hello Bcc: victim@example.com"


def test_without_a_mail_server_nothing_is_sent():
    assert mail.send_link(mail.MailSettings(server=None), "a@example.com", "s", "b") is False


def test_a_closed_port_raises_mail_error():
    settings = mail.MailSettings(server="127.0.0.1", port=free_port())
    with pytest.raises(mail.MailError):
        mail.send_link(settings, "a@example.com", "s", "b")


# --- through the buyer's pages ---------------------------------------------------------------------


@pytest.fixture
def mail_app(tmp_path):
    """Build an app whose MAIL_PORT is given: mail_app(port, **config) -> (client, db), logged in as an owner.

    Jobs run as they are queued (Huey's immediate mode) unless `config` asks for a real queue."""
    from app import create_app
    from views.auth import hash_password

    opened = []
    apps = []

    def make(port, **config):
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "test",
                "DATABASE": str(tmp_path / "mail.sqlite3"),
                "UPLOAD_FOLDER": str(tmp_path / "uploads"),
                "WTF_CSRF_ENABLED": False,
                "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": port,
                "MAIL_SENDER": "procurement@buyer.example",
            }
            | config
        )
        apps.append(app)
        db = store.open_db(app.config["DATABASE"])
        opened.append(db)
        user_id = store.create_user(db, "owner@example.com", hash_password(PASSWORD), "owner")
        store.set_membership(db, store.create_team(db, "Procurement", "test"), user_id, "owner", "test")
        client = app.test_client()
        assert client.post("/login", data={"email": "owner@example.com", "password": PASSWORD}).status_code == 302
        return client, db

    yield make
    for app in apps:
        app.extensions["jobs"].stop_consumer()
    for db in opened:
        db.close()


def queued(tmp_path, **config) -> dict:
    """The config of a real job queue (Huey on SQLite) whose consumer starts with the first request."""
    return {
        "JOBS_IMMEDIATE": False,
        "JOBS_URL": f"sqlite://{tmp_path / 'jobs.sqlite3'}",
        "JOBS_POLL_SECONDS": 0.05,
        "MAIL_RETRY_DELAY": 0.1,
    } | config


def wait_for(condition, timeout: float = 30):
    """Poll `condition()` until it is true (a job runs in another thread); its last value."""
    deadline = time.monotonic() + timeout
    while not (value := condition()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return value


def _evaluation(client, db) -> int:
    response = client.post(
        "/evaluations/new",
        data={"title": "Claims automation partner", "questionnaire": "ai-deployment-partner"},
    )
    assert response.status_code == 302, response.data
    return store.list_evaluations(db)[0]["id"]


def _shown_link(page: str) -> str:
    (link,) = re.findall(r'<input type="text" id="link-\d+" value="([^"]+)" readonly', page)
    return link


def _actions(db, evaluation_id: int) -> list[str]:
    return [e["action"] for e in store.audit_entries(db, evaluation_id)]


def test_adding_a_vendor_with_an_address_emails_the_link_shown_on_the_page(smtp, mail_app):
    port, inbox = smtp
    client, db = mail_app(port)
    evaluation_id = _evaluation(client, db)
    client.post(
        f"/evaluations/{evaluation_id}/vendors", data={"name": "Northwind", "contact_email": "bids@northwind.example"}
    )
    page = client.get(f"/evaluations/{evaluation_id}").get_data(as_text=True)
    link = _shown_link(page)
    assert "An e-mail with it to bids@northwind.example is queued" in page
    ((recipients, message),) = inbox.messages
    assert recipients == ["bids@northwind.example"]
    assert message["To"] == "bids@northwind.example"
    assert message["From"] == "procurement@buyer.example"
    assert message["Subject"] == "Questionnaire: Claims automation partner"
    body = message.get_content()
    assert link in body and "Hello Northwind" in body
    assert client.get(urlsplit(link).path).status_code == 200
    assert "link_emailed" in _actions(db, evaluation_id)


def test_reissuing_emails_the_new_link(smtp, mail_app):
    port, inbox = smtp
    client, db = mail_app(port)
    evaluation_id = _evaluation(client, db)
    client.post(f"/evaluations/{evaluation_id}/vendors", data={"name": "Northwind", "contact_email": "b@nw.example"})
    first = _shown_link(client.get(f"/evaluations/{evaluation_id}").get_data(as_text=True))
    (vendor,) = store.list_vendors(db, evaluation_id)
    client.post(f"/evaluations/{evaluation_id}/vendors/{vendor['id']}/reissue")
    second = _shown_link(client.get(f"/evaluations/{evaluation_id}").get_data(as_text=True))
    assert first != second
    assert [first in m.get_content() for _r, m in inbox.messages] == [True, False]
    assert second in inbox.messages[1][1].get_content()
    assert _actions(db, evaluation_id).count("link_emailed") == 2


def test_a_vendor_without_an_address_gets_no_email(smtp, mail_app):
    port, inbox = smtp
    client, db = mail_app(port)
    evaluation_id = _evaluation(client, db)
    client.post(f"/evaluations/{evaluation_id}/vendors", data={"name": "Northwind"})
    assert _shown_link(client.get(f"/evaluations/{evaluation_id}").get_data(as_text=True))
    assert inbox.messages == []
    assert "link_emailed" not in _actions(db, evaluation_id)


def test_when_the_smtp_server_is_down_the_email_is_retried_until_it_is_up(mail_app, tmp_path):
    from huey.signals import SIGNAL_RETRYING

    port = free_port()  # nothing listens yet
    client, db = mail_app(port, **queued(tmp_path))
    failed_once = threading.Event()
    client.application.extensions["jobs"].huey.signal(SIGNAL_RETRYING)(lambda *args: failed_once.set())
    evaluation_id = _evaluation(client, db)
    response = client.post(
        f"/evaluations/{evaluation_id}/vendors", data={"name": "Northwind", "contact_email": "bids@northwind.example"}
    )
    assert response.status_code == 302
    page = client.get(f"/evaluations/{evaluation_id}").get_data(as_text=True)
    assert "An e-mail with it to bids@northwind.example is queued" in page
    link = _shown_link(page)
    assert failed_once.wait(30), "the first try should fail: no SMTP server yet"
    assert not {"link_emailed", "link_email_failed"} & set(_actions(db, evaluation_id))
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert wait_for(lambda: inbox.messages), "the retried e-mail never arrived"
    finally:
        controller.stop()
    ((recipients, message),) = inbox.messages
    assert recipients == ["bids@northwind.example"] and link in message.get_content()
    assert wait_for(lambda: "link_emailed" in _actions(db, evaluation_id))
    assert "link_email_failed" not in _actions(db, evaluation_id)


def test_an_email_that_fails_every_try_is_recorded_in_the_audit_log(mail_app, tmp_path):
    client, db = mail_app(free_port(), **queued(tmp_path, MAIL_RETRIES=2))
    evaluation_id = _evaluation(client, db)
    client.post(
        f"/evaluations/{evaluation_id}/vendors", data={"name": "Northwind", "contact_email": "bids@northwind.example"}
    )
    (vendor,) = store.list_vendors(db, evaluation_id)
    assert vendor["name"] == "Northwind" and vendor["invitation_id"]
    failed = wait_for(lambda: [e for e in store.audit_entries(db, evaluation_id) if e["action"] == "link_email_failed"])
    assert len(failed) == 1
    assert failed[0]["detail"]["to"] == "bids@northwind.example" and failed[0]["vendor_id"] == vendor["id"]
    assert "ConnectionRefusedError" in failed[0]["detail"]["error"]
    assert "link_emailed" not in _actions(db, evaluation_id)
    # The link is still shown to the buyer, who can send it themselves.
    link = _shown_link(client.get(f"/evaluations/{evaluation_id}").get_data(as_text=True))
    assert client.get(urlsplit(link).path).status_code == 200


def test_when_the_queue_is_down_the_buyer_is_told_and_the_link_is_kept(mail_app, monkeypatch):
    client, db = mail_app(free_port())

    def refuse(*args, **kwargs):
        raise ConnectionError("the job queue is down")

    monkeypatch.setattr(client.application.extensions["jobs"], "send_link", refuse)
    evaluation_id = _evaluation(client, db)
    response = client.post(
        f"/evaluations/{evaluation_id}/vendors", data={"name": "Northwind", "contact_email": "bids@northwind.example"}
    )
    assert response.status_code == 302
    (vendor,) = store.list_vendors(db, evaluation_id)
    assert vendor["name"] == "Northwind" and vendor["invitation_id"]
    page = client.get(f"/evaluations/{evaluation_id}").get_data(as_text=True)
    assert "The e-mail to bids@northwind.example could not be sent." in page
    assert 'class="flash error"' in page
    link = _shown_link(page)
    assert client.get(urlsplit(link).path).status_code == 200
    actions = _actions(db, evaluation_id)
    assert "link_email_failed" in actions and "link_emailed" not in actions
