"""The lost-link page (issue 12): a vendor asks for a new link with their contact address; strangers learn nothing."""

from __future__ import annotations

import re

import pytest

from stagefour import evaluations
from stagefour import store

from .conftest import app_config
from .test_mail import smtp  # noqa: F401 (a fixture)

LINK = re.compile(r"http://localhost/v/([A-Za-z0-9_-]{43})")
EXPIRES = "2099-01-01T00:00:00+00:00"


@pytest.fixture
def mail_app(tmp_path, smtp):  # noqa: F811
    from app import create_app

    port, inbox = smtp
    app = create_app(app_config(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SENDER="buyer@example"))
    app.inbox = inbox
    return app


@pytest.fixture
def world(mail_app, questionnaire):
    """Vendors with the address open@vendor.example: open in two evaluations, submitted, revoked; one elsewhere."""
    db = store.open_db(mail_app.config["DATABASE"])
    store.migrate(db)
    team_id = store.create_team(db, "Buyers", "test")
    first = evaluations.start_evaluation(db, questionnaire, "Claims partner", "2099-01-01", team_id=team_id)
    second = evaluations.start_evaluation(db, questionnaire, "Fraud partner", None, team_id=team_id)
    made = {}
    for key, evaluation_id, name, email in (
        ("open", first, "Acme", "Open@Vendor.example"),
        ("open2", second, "Acme", "open@vendor.example"),
        ("done", first, "Done Ltd", "done@vendor.example"),
        ("revoked", first, "Gone Ltd", "gone@vendor.example"),
        ("other", first, "Other", "other@vendor.example"),
    ):
        made[key] = evaluations.invite(db, evaluation_id, name, email, "test", expires_at=EXPIRES)
    store.set_response_status(db, store.get_vendor(db, made["done"][0])["response_id"], "submitted", "test",
                              expect=store.EDITABLE)  # fmt: skip
    store.revoke_invitations(db, made["revoked"][0], "test")
    yield db, made
    db.close()


def _ask(client, email):
    return client.post("/v/lost", data={"email": email})


def test_a_known_address_gets_a_new_link_to_each_open_response(mail_app, world):
    db, made = world
    client = mail_app.test_client()
    response = _ask(client, "open@vendor.example")
    assert response.status_code == 303 and response.location == "/v/lost?sent=1"
    assert sorted(to[0] for to, _m in mail_app.inbox.messages) == ["Open@Vendor.example", "open@vendor.example"]
    for _to, message in mail_app.inbox.messages:
        token = LINK.search(message.get_content()).group(1)
        assert client.get(f"/v/{token}").status_code == 200
    assert client.get(f"/v/{made['open'][1]}").status_code == 200  # the old link keeps working
    actions = [e["action"] for e in store.audit_entries(db)]
    assert actions.count("lost_link_sent") == 2 and actions.count("lost_link_emailed") == 2
    entry = next(e for e in store.audit_entries(db) if e["action"] == "lost_link_sent")
    assert entry["actor"] == "public:lost-link" and entry["detail"]["client"] == "127.0.0.1"
    assert entry["detail"]["expires_at"] == EXPIRES


@pytest.mark.parametrize(
    "email", ["done@vendor.example", "gone@vendor.example", "nobody@vendor.example", "x@y.z", "OPEN@vendor.example"]
)
def test_the_answer_is_identical_for_known_and_unknown_addresses(mail_app, world, email):
    client = mail_app.test_client()
    known = _ask(client, "open@vendor.example")
    other = _ask(mail_app.test_client(), email)
    assert (other.status_code, other.get_data(), sorted(other.headers.items())) == (
        known.status_code,
        known.get_data(),
        sorted(known.headers.items()),
    )


@pytest.mark.parametrize("email", ["done@vendor.example", "gone@vendor.example", "nobody@vendor.example"])
def test_no_link_for_a_submitted_revoked_or_unknown_vendor(mail_app, world, email):
    db, _made = world
    before = db.execute("SELECT count(*) FROM invitations").fetchone()
    _ask(mail_app.test_client(), email)
    assert mail_app.inbox.messages == []
    assert db.execute("SELECT count(*) FROM invitations").fetchone() == before


def test_no_link_when_the_vendors_links_have_expired(mail_app, world):
    db, made = world
    db.execute("UPDATE invitations SET expires_at = '2020-01-01T00:00:00+00:00' WHERE vendor_id = ?", [made["open"][0]])
    _ask(mail_app.test_client(), "open@vendor.example")
    assert [to for to, _m in mail_app.inbox.messages] == [["open@vendor.example"]]  # the other evaluation only


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Enter an e-mail address."),
        ("not an address", "Enter an e-mail address such as name@example.com."),
        ("<script>alert(1)</script>@x.y", "Enter an e-mail address such as name@example.com."),
        ("a" * 400 + "@example.com", "Use at most 320 characters."),
        ("open@vendor.example\r\nBcc: x@evil.example", "Enter an e-mail address such as name@example.com."),
    ],
)
def test_a_wrong_address_is_refused_next_to_the_field(mail_app, world, email, message):
    db, _made = world
    before = db.execute("SELECT count(*) FROM audit_log").fetchone()
    response = _ask(mail_app.test_client(), email)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and "<script>alert(1)</script>" not in page
    assert mail_app.inbox.messages == []
    assert db.execute("SELECT count(*) FROM audit_log").fetchone() == before


def test_the_page_is_linked_from_a_closed_link(mail_app, world):
    _db, made = world
    page = mail_app.test_client().get(f"/v/{made['revoked'][1]}")
    assert page.status_code == 410 and 'href="/v/lost"' in page.get_data(as_text=True)
    assert mail_app.test_client().get("/v/lost").status_code == 200


def test_requests_are_limited_per_address_and_per_client(tmp_path, smtp, questionnaire):  # noqa: F811
    from app import create_app

    port, inbox = smtp
    app = create_app(
        app_config(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SENDER="b@example", RATELIMIT_ENABLED=True)
    )
    client = app.test_client()
    assert [_ask(client, "a@vendor.example").status_code for _ in range(4)] == [303, 303, 303, 429]
    # Another address from the same client: its own count, up to the client's limit (10 an hour).
    codes = [_ask(client, f"n{i}@vendor.example").status_code for i in range(8)]
    assert codes == [303] * 7 + [429]
    # From another client the address is still limited; another address is not.
    elsewhere = {"REMOTE_ADDR": "192.0.2.7"}
    assert client.post("/v/lost", data={"email": "a@vendor.example"}, environ_base=elsewhere).status_code == 429
    assert client.post("/v/lost", data={"email": "b@vendor.example"}, environ_base=elsewhere).status_code == 303
    assert client.get("/v/lost").status_code == 200
