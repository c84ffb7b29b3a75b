"""Who really did it: changes through a vendor link name the link's issuer, and the vendor is told.

Issue 11, item 5. The attack from the issue, replayed: a second owner reopens a vendor's
submitted response, reissues its link (the new link is shown to them), changes an answer
through it and resubmits. The log must not simply credit the vendor.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest

from stagefour import store
from stagefour.profiles.ai_deployment_partner.metrics import deployment_fingerprint
from stagefour.response import Response

from .conftest import PASSWORD
from .conftest import app_config
from .conftest import complete_answers
from .test_mail import Inbox
from .test_mail import _evaluation
from .test_mail import free_port
from .test_mail import mail_app  # noqa: F401 (an app with mail, and a real queue when asked)
from .test_mail import queued
from .test_mail import smtp  # noqa: F401 (a real SMTP server on loopback)
from .test_mail import wait_for

RELEASE_1 = Path(__file__).parent / "fixtures" / "release-1.sqlite3"
CONTACT = "bids@northwind.example"


@pytest.fixture
def app(tmp_path, smtp):  # noqa: F811 (the fixture imported above)
    """The conftest app, sending mail to the test's SMTP server."""
    from app import create_app

    port, _inbox = smtp
    return create_app(
        app_config(
            tmp_path,
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=port,
            MAIL_SENDER="procurement@buyer.example",
            ORGANISATION_NAME="Harbour Insurance",
        )
    )


@pytest.fixture
def inbox(smtp):  # noqa: F811
    """The messages the SMTP server received: (recipients, message)."""
    return smtp[1].messages


def _client_of(app, db, user_id: int):
    client = app.test_client()
    email = store.get_user(db, user_id)["email"]
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    return client


def _shown_token(client, evaluation_id: int) -> str:
    """The token of the one link the evaluation page shows (once) to this buyer."""
    page = client.get(f"/evaluations/{evaluation_id}").get_data(as_text=True)
    (token,) = re.findall(r'value="http://localhost/v/([A-Za-z0-9_-]{43})"', page)
    return token


def _change_a2(client, token: str, value: str):
    """The vendor's page saves answer A2 through a link (an autosave of that answer)."""
    html = client.get(f"/v/{token}/s/A").get_data(as_text=True)
    versions = re.search(r'name="base_versions" value="([^"]*)"', html).group(1).replace("&#34;", '"')
    response = client.post(f"/v/{token}/s/A/autosave", data={"changed": "A2", "A2": value, "base_versions": versions})
    assert response.status_code == 200, response.get_json()


@pytest.fixture
def story(app, db, make_user, make_evaluation):
    """Alice (owner) invites Northwind by e-mail; Northwind answers and submits through its link."""
    alice = make_user("owner", "alice@buyer.example")
    bob = make_user("owner", "bob@buyer.example")  # a second owner who never touched the evaluation
    evaluation_id = make_evaluation(user_id=alice)
    as_alice = _client_of(app, db, alice)
    added = as_alice.post(f"/evaluations/{evaluation_id}/vendors", data={"name": "Northwind", "contact_email": CONTACT})
    assert added.status_code == 302
    first_token = _shown_token(as_alice, evaluation_id)
    (vendor,) = store.list_vendors(db, evaluation_id)
    answers = dict(complete_answers("stage4-deployer"), A2=2)
    store.save_answers(db, vendor["response_id"], answers, {}, "test")  # what Northwind typed earlier
    vendor_client = app.test_client()
    _change_a2(vendor_client, first_token, "3")
    assert vendor_client.post(f"/v/{first_token}/submit", data={"confirm": "yes"}).status_code == 302
    assert store.get_vendor(db, vendor["id"])["status"] == "submitted"
    return {
        "app": app,
        "alice": alice,
        "bob": bob,
        "evaluation_id": evaluation_id,
        "vendor": store.get_vendor(db, vendor["id"]),
        "first_token": first_token,
        "vendor_client": vendor_client,
    }


def _entries(db, evaluation_id: int, *actions: str) -> list[dict]:
    """The evaluation's entries of these actions, oldest first."""
    return [e for e in reversed(store.audit_entries(db, evaluation_id)) if e["action"] in actions]


def test_the_issue_attack_is_recorded_as_the_vendor_through_the_second_owners_link(story, db, inbox):
    s = story
    e, v = s["evaluation_id"], s["vendor"]
    as_bob = _client_of(s["app"], db, s["bob"])
    # The attack: reopen, reissue (the new link is shown to bob), change an answer, resubmit.
    assert as_bob.post(f"/evaluations/{e}/vendors/{v['id']}/reopen").status_code == 302
    assert as_bob.post(f"/evaluations/{e}/vendors/{v['id']}/reissue").status_code == 302
    bobs_token = _shown_token(as_bob, e)
    attacker = s["app"].test_client()
    _change_a2(attacker, bobs_token, "5")
    assert attacker.post(f"/v/{bobs_token}/submit", data={"confirm": "yes"}).status_code == 302
    assert store.load_answers(db, v["response_id"])["A2"] == 5

    # The vendor's own link stops working, and the vendor is told why.
    assert s["vendor_client"].get(f"/v/{s['first_token']}").status_code == 410

    # The log: the vendor's own changes name alice's link; bob's name his, and bob's own acts are his.
    actor = f"vendor:{v['id']}"
    saved = _entries(db, e, "answer_saved", "response_submitted")
    by_vendor = [x for x in saved if x["actor"] == actor]
    assert [(x["action"], x["detail"].get("after"), x["detail"]["via_link_issued_by"]) for x in by_vendor] == [
        ("answer_saved", 3, s["alice"]),
        ("response_submitted", None, s["alice"]),
        ("answer_saved", 5, s["bob"]),
        ("response_submitted", None, s["bob"]),
    ]
    links = {x["detail"]["via_link"] for x in by_vendor}
    assert len(links) == 2
    buyer_acts = [(x["actor"], x["action"]) for x in _entries(db, e, "response_reopened", "link_reissued")]
    assert buyer_acts == [(f"user:{s['bob']}", "response_reopened"), (f"user:{s['bob']}", "link_reissued")]

    # The audit page and its CSV say it in words.
    as_alice = _client_of(s["app"], db, s["alice"])
    page = as_alice.get(f"/evaluations/{e}/audit?actor=vendor").get_data(as_text=True)
    who = re.findall(r'<td class="who" title="vendor:\d+">([^<]*)</td>', page)
    through_bob = "Northwind, through a link issued by bob@buyer.example"
    assert who == [through_bob, through_bob, "Northwind", "Northwind"]  # newest first
    rows = list(csv.DictReader(io.StringIO(as_alice.get(f"/evaluations/{e}/audit.csv?actor=vendor").text[1:])))
    assert [r["who"] for r in rows] == who
    assert all(f'"via_link_issued_by": {s["bob"]}' in r["detail"] for r in rows[:2])

    # Northwind heard of the new link by e-mail: what happened, who, whom to ask — and not the link.
    notices = [m for _to, m in inbox if m["Subject"].startswith("Your link to")]
    (notice,) = notices
    assert notice["To"] == CONTACT
    body = notice.get_content()
    assert "Harbour Insurance replaced your private link" in body
    assert "contact alice@buyer.example" in body
    assert bobs_token not in body and s["first_token"] not in body
    assert "vendor_notified" in [x["action"] for x in _entries(db, e, "vendor_notified")]


def test_the_original_inviters_own_reissue_names_no_one_else(story, db):
    s = story
    e, v = s["evaluation_id"], s["vendor"]
    as_alice = _client_of(s["app"], db, s["alice"])
    as_alice.post(f"/evaluations/{e}/vendors/{v['id']}/reopen")
    as_alice.post(f"/evaluations/{e}/vendors/{v['id']}/reissue")
    token = _shown_token(as_alice, e)
    _change_a2(s["app"].test_client(), token, "4")
    (latest,) = _entries(db, e, "answer_saved")[-1:]
    assert latest["detail"]["via_link_issued_by"] == s["alice"]  # recorded on every entry through a link
    page = as_alice.get(f"/evaluations/{e}/audit?actor=vendor").get_data(as_text=True)
    assert "through a link issued by" not in page


def test_a_revoked_vendor_is_told_without_any_link(story, db, inbox):
    s = story
    e, v = s["evaluation_id"], s["vendor"]
    as_bob = _client_of(s["app"], db, s["bob"])
    before = len(inbox)
    assert as_bob.post(f"/evaluations/{e}/vendors/{v['id']}/revoke").status_code == 302
    ((to, notice),) = inbox[before:]
    assert to == [CONTACT]
    assert notice["Subject"] == "Your link to “Claims automation partner” was withdrawn"
    body = notice.get_content()
    assert "Harbour Insurance withdrew your private link" in body and "your answers are kept" in body
    assert "contact alice@buyer.example" in body
    assert "/v/" not in body
    (entry,) = _entries(db, e, "vendor_notified")
    assert (entry["actor"], entry["detail"]["to"], entry["detail"]["event"]) == (f"user:{s['bob']}", CONTACT, "revoked")


def test_a_vendor_without_an_address_is_not_written_to(app, db, make_user, make_evaluation, inbox):
    alice = make_user("owner")
    evaluation_id = make_evaluation(user_id=alice)
    as_alice = _client_of(app, db, alice)
    as_alice.post(f"/evaluations/{evaluation_id}/vendors", data={"name": "Quiet Ltd"})
    (vendor,) = store.list_vendors(db, evaluation_id)
    as_alice.post(f"/evaluations/{evaluation_id}/vendors/{vendor['id']}/reissue")
    as_alice.post(f"/evaluations/{evaluation_id}/vendors/{vendor['id']}/revoke")
    assert inbox == []
    assert _entries(db, evaluation_id, "vendor_notified", "vendor_notice_failed") == []


# --- the notice goes through the job queue: retried, and audited when it finally fails -------------


def _revoked_vendor(client, db) -> tuple[int, int]:
    """An evaluation whose vendor (with an address) has just had their link revoked: (evaluation, vendor)."""
    evaluation_id = _evaluation(client, db)
    client.post(f"/evaluations/{evaluation_id}/vendors", data={"name": "Northwind", "contact_email": CONTACT})
    (vendor,) = store.list_vendors(db, evaluation_id)
    assert client.post(f"/evaluations/{evaluation_id}/vendors/{vendor['id']}/revoke").status_code == 302
    return evaluation_id, vendor["id"]


def _notices(db, evaluation_id: int, action: str) -> list[dict]:
    return [x for x in store.audit_entries(db, evaluation_id) if x["action"] == action]


def test_a_notice_is_retried_until_the_mail_server_is_up(mail_app, tmp_path):  # noqa: F811
    from aiosmtpd.controller import Controller
    from huey.signals import SIGNAL_RETRYING

    port = free_port()  # nothing listens yet
    client, db = mail_app(port, **queued(tmp_path))
    notice_failed = threading.Event()

    def retrying(signal, task, *args):
        if "was withdrawn" in task.args[1]:  # the notice's subject (the link's own e-mail fails too)
            notice_failed.set()

    client.application.extensions["jobs"].huey.signal(SIGNAL_RETRYING)(retrying)
    evaluation_id, _vendor_id = _revoked_vendor(client, db)
    assert notice_failed.wait(30), "the first try should fail: no SMTP server yet"
    assert _notices(db, evaluation_id, "vendor_notified") == []
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        withdrawn = lambda: [m for _to, m in inbox.messages if "was withdrawn" in m["Subject"]]  # noqa: E731
        assert wait_for(withdrawn), "the retried notice never arrived"
    finally:
        controller.stop()
    assert "/v/" not in withdrawn()[0].get_content()
    (entry,) = wait_for(lambda: _notices(db, evaluation_id, "vendor_notified"))
    assert (entry["detail"]["to"], entry["detail"]["event"]) == (CONTACT, "revoked")
    assert _notices(db, evaluation_id, "vendor_notice_failed") == []


def test_a_notice_that_fails_every_try_is_audited(mail_app, tmp_path):  # noqa: F811
    client, db = mail_app(free_port(), **queued(tmp_path, MAIL_RETRIES=1))
    evaluation_id, vendor_id = _revoked_vendor(client, db)
    (failed,) = wait_for(lambda: _notices(db, evaluation_id, "vendor_notice_failed"))
    assert (failed["vendor_id"], failed["detail"]["to"], failed["detail"]["event"]) == (vendor_id, CONTACT, "revoked")
    assert "ConnectionRefusedError" in failed["detail"]["error"]
    assert _notices(db, evaluation_id, "vendor_notified") == []


def test_when_the_queue_is_down_the_revocation_stands_and_the_buyer_is_told(mail_app, monkeypatch):  # noqa: F811
    client, db = mail_app(free_port())
    evaluation_id = _evaluation(client, db)
    client.post(f"/evaluations/{evaluation_id}/vendors", data={"name": "Northwind", "contact_email": CONTACT})
    (vendor,) = store.list_vendors(db, evaluation_id)

    def refuse(*args, **kwargs):
        raise ConnectionError("the job queue is down")

    monkeypatch.setattr(client.application.extensions["jobs"], "send_email", refuse)
    response = client.post(f"/evaluations/{evaluation_id}/vendors/{vendor['id']}/revoke")
    assert response.status_code == 302
    assert store.list_vendors(db, evaluation_id)[0]["revoked_at"]
    page = client.get(f"/evaluations/{evaluation_id}").get_data(as_text=True)
    assert "Northwind could not be told by e-mail: tell them yourself." in page
    (failed,) = _notices(db, evaluation_id, "vendor_notice_failed")
    assert "the job queue is down" in failed["detail"]["error"]


def test_every_link_records_its_issuer(db, make_user, make_vendor):
    owner = make_user("owner")
    v = make_vendor()  # issued by the "test" actor: no user
    from stagefour import evaluations

    evaluations.issue_link(db, v["vendor_id"], f"user:{owner}")
    evaluations.issue_link(db, v["vendor_id"], "cli:alice")
    issuers = [r[0] for r in db.execute("SELECT issued_by FROM invitations ORDER BY id").fetchall()]
    assert issuers == [None, owner, None]
    assert store.original_inviters(db) == {v["vendor_id"]: None}


def test_an_actor_adds_its_facts_to_every_entry_it_writes(db, make_vendor):
    v = make_vendor()
    actor = store.Actor(f"vendor:{v['vendor_id']}", via_link=7, via_link_issued_by=3)
    store.save_answers(db, v["response_id"], {"A2": 4}, {}, actor)
    (entry,) = _entries(db, v["evaluation_id"], "answer_saved")
    assert entry["actor"] == f"vendor:{v['vendor_id']}"
    assert entry["detail"]["via_link"] == 7 and entry["detail"]["via_link_issued_by"] == 3
    assert entry["detail"]["question"] == "A2"


# --- the migration of a release-1 database ---------------------------------------------------------


def test_the_migration_names_each_existing_links_issuer_and_fingerprints_existing_checks(tmp_path):
    path = tmp_path / "release-1.sqlite3"
    shutil.copy(RELEASE_1, path)
    before = sqlite3.connect(path)
    # A verification made by release 1 (which had no fingerprints) of Northwind's d1.
    before.execute(
        "INSERT INTO verifications (response_id, deployment_id, reference_checked, evidence_reviewed, note, "
        "updated_by, updated_at) VALUES (1, 'd1', 1, 1, 'called', 1, '2026-11-30T17:00:00+00:00')"
    )
    before.commit()
    before.close()
    db = store.open_db(str(path))
    try:
        assert "m014_attribution" in store.migrate(db)
        issuers = db.execute("SELECT vendor_id, issued_by FROM invitations ORDER BY id").fetchall()
        assert issuers == [(1, 1), (2, 1), (3, 1)]  # release 1's demo: the buyer (user 1) invited all three
        (check,) = store.verifications(db, [1])[1].values()
        assert check["fingerprint"] == deployment_fingerprint(store.load_answers(db, 1), "d1")
        assert check["fingerprint"] is not None
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        db.close()


def test_an_import_is_not_a_change_through_a_link(db, make_vendor):
    v = make_vendor()
    from stagefour import evaluations

    evaluations.import_response(db, v["vendor_id"], Response("ai-deployment-partner", "Vendor A", {"A2": 1}), "cli:x")
    (entry,) = _entries(db, v["evaluation_id"], "answer_saved")
    assert "via_link_issued_by" not in entry["detail"]
