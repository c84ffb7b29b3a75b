"""Access control, route by route: what every kind of visitor gets from every URL of the app.

The matrix reads the routes from the app's URL map, so a new route fails `test_access_matrix`
until someone writes down who may use it. Also here: a link opens one response and nothing
else, closed links, ids of another evaluation, GETs that write nothing, CSRF on every POST,
redirects that stay on the site, the security headers, and the session cookie.
"""

from __future__ import annotations

import functools
import io
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode
from urllib.parse import urlsplit

import openpyxl
import pytest

from stagefour import evaluations
from stagefour import evidence
from stagefour import notifications
from stagefour import report
from stagefour import store
from stagefour.evaluations import hash_token
from stagefour.library import load_by_id
from stagefour.response import Response
from stagefour.xlsx import XLSX_MIMETYPE
from views.auth import SESSION_KEYS
from views.auth import clock
from views.auth import hash_password
from views.auth import session_for

from .conftest import PASSWORD

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# Hashed once: scrypt takes ~70 ms and the matrix builds a fresh world for each of its cells.
PASSWORD_HASH = hash_password(PASSWORD)

BUYERS = ("viewer", "evaluator", "owner")
# Logged in, and none of them may see evaluation 1 (issue 11): an owner of another team, an
# evaluator of evaluation 1's team who is not named on it (it is restricted), a site administrator.
STRANGERS = ("other_owner", "outsider_member", "admin")
LOGGED_IN = (*BUYERS, *STRANGERS)
VENDORS = ("vendor_a", "vendor_b", "vendor_c")
ACTORS = ("anonymous", *LOGGED_IN, *VENDORS)
# Well formed, opens nothing: what a visitor without a link of their own puts in a vendor URL.
UNKNOWN_TOKEN = "Zz" * 22

# What each visitor gets from each route: a status code, or `login` for a 302 to the login page.
#
# The world of every cell: evaluation 1 of team "Claims" holds vendors A ("Alpha Corp") and B
# ("Beta Corp"), evaluation 2 of team "Another team" holds vendor C ("Gamma Corp"); each vendor
# has answers, a file and an open clarification thread. Evaluation 1 is restricted to the named
# viewer, evaluator and owner of Claims; outsider_member is an evaluator of Claims not named on
# it; other_owner owns "Another team"; admin is a site administrator of no team. Admin routes:
# team_id = Claims, user_id = the viewer. URL parameters: evaluation_id = evaluation 1, vendor_id = vendor A,
# thread_id = A's thread, attachment_id = A's file, section_id = A (where A has no answer yet);
# token = the visitor's own link for vendor_a/b/c, and UNKNOWN_TOKEN for visitors who have
# none (anonymous and buyers: being logged in opens no vendor link). Buyers are logged in;
# vendors are not (they opened their link first). POSTs send HARMLESS data; GETs send
# HARMLESS_QUERY. No response is submitted, so no receipt exists yet.
MATRIX = """
endpoint                    method  anonymous  viewer  evaluator  owner  other_owner  outsider_member  admin  vendor_a  vendor_b  vendor_c
auth.login                  GET     200        200     200        200    200          200              200    200       200       200
auth.login                  POST    200        200     200        200    200          200              200    200       200       200
auth.logout                 POST    login      login   login      login  login        login            login  login     login     login
i18n.switch_language        POST    302        302     302        302    302          302              302    302       302       302
buyer.dashboard             GET     login      200     200        200    200          200              200    login     login     login
buyer.new_evaluation        GET     login      403     403        200    200          403              403    login     login     login
buyer.new_evaluation        POST    login      403     403        422    422          403              403    login     login     login
buyer.evaluation            GET     login      200     200        200    404          404              404    login     login     login
buyer.edit_evaluation       GET     login      403     403        200    404          404              404    login     login     login
buyer.edit_evaluation       POST    login      403     403        302    404          404              404    login     login     login
buyer.add_vendor            POST    login      403     403        422    404          404              404    login     login     login
buyer.reissue_link          GET     login      403     403        200    404          404              404    login     login     login
buyer.reissue_link          POST    login      403     403        302    404          404              404    login     login     login
buyer.revoke_link           GET     login      403     403        200    404          404              404    login     login     login
buyer.revoke_link           POST    login      403     403        302    404          404              404    login     login     login
buyer.reopen_response       POST    login      403     403        302    404          404              404    login     login     login
buyer.vendor_deadline       POST    login      403     403        302    404          404              404    login     login     login
review.response             GET     login      200     200        200    404          404              404    login     login     login
review.compare              GET     login      200     200        200    404          404              404    login     login     login
review.verify               POST    login      403     302        302    404          404              404    login     login     login
review.ask                  POST    login      403     302        302    404          404              404    login     login     login
review.reply                POST    login      403     302        302    404          404              404    login     login     login
review.close                POST    login      403     302        302    404          404              404    login     login     login
review.file                 GET     login      200     200        200    404          404              404    login     login     login
exports.export_json         GET     login      200     200        200    404          404              404    login     login     login
exports.export_csv          GET     login      200     200        200    404          404              404    login     login     login
exports.export_xlsx         GET     login      200     200        200    404          404              404    login     login     login
reports.comparison_pdf      GET     login      400     400        400    404          404              404    login     login     login
reports.comparison_status   GET     login      200     200        200    404          404              404    login     login     login
reports.response_pdf        GET     login      400     400        400    404          404              404    login     login     login
# Shared scoring (issue 12, item 5, views/scoring.py): the score form posts here with or without JavaScript.
scoring.score               POST    login      403     302        302    404          404              404    login     login     login
scoring.queue               GET     login      403     200        200    404          404              404    login     login     login
scoring.assignments         GET     login      403     200        200    404          404              404    login     login     login
scoring.assignments         POST    login      403     403        302    404          404              404    login     login     login
audit.evaluation_log        GET     login      200     200        200    404          404              404    login     login     login
audit.evaluation_csv        GET     login      200     200        200    404          404              404    login     login     login
audit.full_log              GET     login      403     403        200    200          403              403    login     login     login
vendor.overview             GET     404        404     404        404    404          404              404    200       200       200
vendor.section              GET     404        404     404        404    404          404              404    200       200       200
vendor.save_section         POST    404        404     404        404    404          404              404    302       302       302
vendor.autosave             POST    404        404     404        404    404          404              404    200       200       200
vendor.download             GET     404        404     404        404    404          404              404    200       404       404
vendor.reply                POST    404        404     404        404    404          404              404    302       404       404
vendor.review               GET     404        404     404        404    404          404              404    200       200       200
vendor.submit               POST    404        404     404        404    404          404              404    302       302       302
vendor.receipt              GET     404        404     404        404    404          404              404    302       302       302
vendor.language             POST    404        404     404        404    404          404              404    302       302       302
# Vendors offline (issue 16, views/offline.py): the answers workbook; an empty upload is refused (422); with no
# upload held, the preview sends back to the page and a confirmation applies nothing (302).
offline.page                GET     404        404     404        404    404          404              404    200       200       200
offline.workbook            GET     404        404     404        404    404          404              404    200       200       200
offline.upload              POST    404        404     404        404    404          404              404    422       422       422
offline.preview             GET     404        404     404        404    404          404              404    302       302       302
offline.confirm             POST    404        404     404        404    404          404              404    302       302       302
lost_link.request_link      GET     200        200     200        200    200          200              200    200       200       200
lost_link.request_link      POST    422        422     422        422    422          422              422    422       422       422
reports.vendor_receipt_pdf  GET     404        404     404        404    404          404              404    404       404       404
admin.users                 GET     login      403     403        403    403          403              200    login     login     login
admin.teams                 GET     login      403     403        403    403          403              200    login     login     login
admin.create_team           POST    login      403     403        403    403          403              302    login     login     login
admin.team                  GET     login      403     403        403    403          403              200    login     login     login
admin.add_member            POST    login      403     403        403    403          403              302    login     login     login
admin.change_role           POST    login      403     403        403    403          403              302    login     login     login
admin.remove_member         POST    login      403     403        403    403          403              302    login     login     login
# T3, single sign-on: off (404) in an app without OIDC_ISSUER, as here; tests/oidc/ tests it on.
oidc.login                  GET     404        404     404        404    404          404              404    404       404       404
oidc.callback               GET     404        404     404        404    404          404              404    404       404       404
# Accounts (issue 11, item 2, views/accounts.py): account_token = UNKNOWN_TOKEN, user_id = the viewer.
accounts.account            GET     login      200     200        200    200          200              200    login     login     login
accounts.change_password    GET     login      200     200        200    200          200              200    login     login     login
accounts.change_password    POST    login      422     422        422    422          422              422    login     login     login
accounts.totp               GET     login      200     200        200    200          200              200    login     login     login
accounts.start_totp         POST    login      302     302        302    302          302              302    login     login     login
accounts.confirm_totp       POST    login      302     302        302    302          302              302    login     login     login
accounts.disable_totp       POST    login      302     302        302    302          302              302    login     login     login
accounts.login_code         GET     login      login   login      login  login        login            login  login     login     login
accounts.login_code         POST    login      login   login      login  login        login            login  login     login     login
accounts.forgot_password    GET     200        200     200        200    200          200              200    200       200       200
accounts.forgot_password    POST    422        422     422        422    422          422              422    422       422       422
accounts.reset_password     GET     404        404     404        404    404          404              404    404       404       404
accounts.reset_password     POST    404        404     404        404    404          404              404    404       404       404
accounts.accept_invitation  GET     404        404     404        404    404          404              404    404       404       404
accounts.accept_invitation  POST    404        404     404        404    404          404              404    404       404       404
accounts.invite             GET     login      403     403        403    403          403              200    login     login     login
accounts.invite             POST    login      403     403        403    403          403              422    login     login     login
accounts.user               GET     login      403     403        403    403          403              200    login     login     login
accounts.disable            POST    login      403     403        403    403          403              302    login     login     login
accounts.enable             POST    login      403     403        403    403          403              302    login     login     login
# Notifications (issue 12, item 2, views/notifications.py): notification_id = the viewer's notification
# of vendor A's reply; anyone else's answer is 404 (not theirs), as for an id that does not exist.
notifications.index         GET     login      200     200        200    200          200              200    login     login     login
notifications.open_notification POST login     302     404        404    404          404              404    login     login     login
notifications.mark_read     POST    login      302     404        404    404          404              404    login     login     login
notifications.mark_all_read POST    login      302     302        302    302          302              302    login     login     login
accounts.notification_choices POST  login      302     302        302    302          302              302    login     login     login
# The committee's decision (issue 12, views/decision.py): an empty form is refused (422); reopening an open evaluation says so (302).
decision.record             GET     login      403     403        200    404          404              404    login     login     login
decision.record             POST    login      403     403        422    404          404              404    login     login     login
decision.reopen             POST    login      403     403        302    404          404              404    login     login     login
# The team's questionnaire library (issue 15, views/library.py): team_id = Claims; members see it, owners upload
# (an empty form is refused, 422); other teams and administrators are not members (404). The shipped folder is admin-only.
library.team_library        GET     login      200     200        200    404          200              404    login     login     login
library.upload              POST    login      403     403        422    404          403              404    login     login     login
library.shipped_questionnaires GET  login      403     403        403    403          403              200    login     login     login
# Questionnaires as workbooks (issue 16): members download the template and any questionnaire the team can use
# (questionnaire_id = the shipped ai-deployment-partner); other teams and administrators are not members (404).
library.template            GET     login      200     200        200    404          200              404    login     login     login
library.download            GET     login      200     200        200    404          200              404    login     login     login
# Re-assessment (issue 16, views/reassess.py): evaluation 1 has no decision, so the owner's page says to record one
# first (200) and a post is refused (409) before its (empty) form is read.
reassess.start              GET     login      403     403        200    404          404              404    login     login     login
reassess.start              POST    login      403     403        409    404          404              404    login     login     login
"""  # noqa: E501 (a row of the table per line)

# The form each POST sends in the matrix: valid where a valid form exists, so a refusal is
# about who asks, never about what they sent. Anything not listed sends an empty form.
HARMLESS = {
    "i18n.switch_language": {"language": "de", "next": "/"},
    "scoring.score": {"question_id": "C4", "score": "3", "comment": "Clear runbook."},
    "review.verify": {"deployment_id": "a-deployment", "reference_checked": "y"},
    "review.ask": {"question_id": "C4", "body": "Who was on the ground?"},
    "review.reply": {"body": "Thank you."},
    "vendor.reply": {"body": "Our lead engineer, on site for six weeks."},
    "admin.create_team": {"name": "Mergers and acquisitions"},
    "admin.add_member": {"email": "other_owner@example.com", "role": "viewer"},
    "admin.change_role": {"role": "evaluator"},
}

# The PDF routes get a page size that does not exist: past their access checks they refuse it
# with 400 before any PDF is made (WeasyPrint takes seconds, and the comparison starts a thread).
HARMLESS_QUERY = {
    "reports.comparison_pdf": {"size": "none"},
    "reports.response_pdf": {"size": "none"},
    "reports.vendor_receipt_pdf": {"size": "none"},
}

SECRETS = {
    "a": "Alpha answer: our failover runbook",
    "b": "Beta answer: the pricing we never show",
    "c": "Gamma answer: our on-call roster",
    "d": "Delta answer: the incident we fixed",
}
NAMES = {"a": "Alpha Corp", "b": "Beta Corp", "c": "Gamma Corp", "d": "Delta Corp"}


def _parse(table: str) -> dict[tuple[str, str], dict[str, str]]:
    lines = [line.split() for line in table.strip().splitlines() if not line.startswith("#")]
    header, rows = lines[0], lines[1:]
    assert header == ["endpoint", "method", *ACTORS]
    expected: dict[tuple[str, str], dict[str, str]] = {}
    for row in rows:
        assert len(row) == len(header), f"a row of MATRIX has the wrong number of cells: {row}"
        assert (row[0], row[1]) not in expected, f"MATRIX has two rows for {row[1]} {row[0]}"
        expected[row[0], row[1]] = dict(zip(ACTORS, row[2:], strict=True))
    return expected


EXPECTED = _parse(MATRIX)


def app_config(folder, **overrides) -> dict:
    """The conftest app's configuration, in another folder."""
    folder = Path(folder)
    return {
        "TESTING": True,
        "SECRET_KEY": "test",
        "DATABASE": str(folder / "test.sqlite3"),
        "UPLOAD_FOLDER": str(folder / "uploads"),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
    } | overrides


def routes(app) -> list[tuple[str, str]]:
    """(endpoint, method) of every route but the static files, HEAD and OPTIONS."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static":
            found |= {(rule.endpoint, method) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return sorted(found)


def _url_map_of_a_fresh_app() -> tuple[list[tuple[str, str]], set[str]]:
    """The routes, and the endpoints of a vendor's link (a token in the path), at collection."""
    from app import create_app

    with tempfile.TemporaryDirectory() as folder:
        app = create_app(app_config(folder))
        return routes(app), {rule.endpoint for rule in app.url_map.iter_rules() if "token" in rule.arguments}


# The routes of a vendor's link (LINK_ENDPOINTS) have the token in the path as their only credential.
ROUTES, LINK_ENDPOINTS = _url_map_of_a_fresh_app()
VENDOR_ROUTES = [r for r in ROUTES if r[0] in LINK_ENDPOINTS]
POST_ROUTES = [r for r in ROUTES if r[1] == "POST"]


# --- the world each test starts from --------------------------------------------------------


@dataclass
class World:
    evaluation_id: int
    other_evaluation_id: int
    vendors: dict[str, dict]  # "a", "b", "c" -> vendor_id, response_id, token, name, file, thread_id
    users: dict[str, int]  # actor (of LOGGED_IN) -> user id
    team_id: int  # evaluation 1's team
    notification_id: int = 0  # the viewer's notification of vendor A's reply

    def token(self, actor: str) -> str:
        """The actor's own link token, or one that opens nothing."""
        return self.vendors[actor[-1]]["token"] if actor in VENDORS else UNKNOWN_TOKEN


def _attach(app, db, response_id: int, name: str) -> dict:
    upload = evidence.check_upload(name, PDF, app.config["MAX_FILE_BYTES"])
    attachment_id = evidence.new_attachment_id()
    evidence.store_file(app.config["UPLOAD_FOLDER"], attachment_id, PDF)
    store.add_attachment(
        db, attachment_id, response_id, "B5", upload.filename, upload.content_type, upload.size, upload.sha256, "test"
    )
    return {"id": attachment_id, "name": upload.filename, "size": upload.size,
            "content_type": upload.content_type, "sha256": upload.sha256}  # fmt: skip


def add_vendor(app, db, evaluation_id: int, key: str, evaluator: int, expires_at: str | None = None) -> dict:
    """A vendor with answers, a file and an open clarification thread."""
    name = NAMES[key]
    vendor_id, token = evaluations.invite(db, evaluation_id, name, None, "test", expires_at=expires_at)
    response_id = store.get_vendor(db, vendor_id)["response_id"]
    file = _attach(app, db, response_id, f"{name.split()[0].lower()}-architecture.pdf")
    answers = {"C4": SECRETS[key], "B1": [{"id": f"{key}-deployment"}], "B5": [file]}
    evaluations.import_response(db, vendor_id, Response("ai-deployment-partner", name, answers), "test")
    thread_id = store.open_clarification(db, response_id, "C4", f"Question for {name}", evaluator)
    return {"vendor_id": vendor_id, "response_id": response_id, "token": token, "name": name, "file": file,
            "thread_id": thread_id, "evaluation_id": evaluation_id}  # fmt: skip


@functools.cache
def default_questionnaire():
    """Parsed once: the YAML loader takes half a second."""
    return load_by_id("ai-deployment-partner")


def populate(app, db) -> World:
    """Two evaluations of two teams, three vendors, one buyer of each role and the strangers."""
    questionnaire = default_questionnaire()
    team = store.create_team(db, "Claims", "test")
    other_team = store.create_team(db, "Another team", "test")
    users = {actor: store.create_user(db, f"{actor}@example.com", PASSWORD_HASH) for actor in LOGGED_IN}
    for role in BUYERS:
        store.set_membership(db, team, users[role], role, "test")
    store.set_membership(db, team, users["outsider_member"], "evaluator", "test")
    store.set_membership(db, other_team, users["other_owner"], "owner", "test")
    store.set_admin(db, users["admin"], True, "test")
    first = evaluations.start_evaluation(
        db, questionnaire, "Claims automation partner", user_id=users["owner"], team_id=team
    )
    store.set_evaluation_access(db, first, True, [users[role] for role in BUYERS], "test")
    other = evaluations.start_evaluation(
        db, questionnaire, "Another team's evaluation", user_id=users["other_owner"], team_id=other_team
    )
    vendors = {
        key: add_vendor(app, db, evaluation_id, key, users["evaluator"])
        for key, evaluation_id in (("a", first), ("b", first), ("c", other))
    }
    a = vendors["a"]
    notifications.notify(db, "replied", first, a["vendor_id"], "test", thread_id=a["thread_id"])
    notification_id = store.user_notifications(db, users["viewer"])[0]["id"]
    return World(first, other, vendors, users, team, notification_id)


@pytest.fixture(scope="session")
def template(tmp_path_factory) -> tuple[Path, World]:
    """The world, built once: a test starts from a copy (building it costs ~25 durable commits)."""
    from app import create_app

    folder = tmp_path_factory.mktemp("world")
    app = create_app(app_config(folder))
    database = store.open_db(app.config["DATABASE"])
    world = populate(app, database)
    database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    database.close()
    return folder, world


def _app_from(template, folder: Path, **overrides):
    from app import create_app

    source, _world = template
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(source / "test.sqlite3", folder / "test.sqlite3")
    shutil.copytree(source / "uploads", folder / "uploads")
    # The report cache goes to the test's folder, not to instance/.
    return create_app(app_config(folder, REPORT_FOLDER=str(folder / "reports"), **overrides))


@pytest.fixture
def app(template, tmp_path):
    """The conftest app, on a copy of the world (this module's tests all start from it)."""
    return _app_from(template, tmp_path / "app")


@pytest.fixture
def world(template, app) -> World:
    return template[1]


def visitor(app, world: World, actor: str):
    """A test client as the actor: a logged-in buyer, a vendor who opened their link, or nobody."""
    client = app.test_client()
    if actor in LOGGED_IN:
        # What a successful login leaves in the session (test_login_leaves_only_the_user_id_in_the_session
        # proves it); logging in for real costs a ~70 ms password check per cell.
        database = store.open_db(app.config["DATABASE"])
        user = store.get_user(database, world.users[actor])  # its session version: a logout bumps it
        database.close()
        with client.session_transaction() as session:
            session.update(session_for(user, clock()))
    elif actor in VENDORS:
        assert client.get(f"/v/{world.token(actor)}").status_code == 200
    return client


def _rule(app, endpoint: str):
    return next(iter(app.url_map.iter_rules(endpoint)))


def url(app, world: World, endpoint: str, actor: str, **override) -> str:
    """The endpoint's URL with its parameters filled in for the actor (see MATRIX)."""
    rule = _rule(app, endpoint)
    a = world.vendors["a"]
    values = {
        "evaluation_id": world.evaluation_id,
        "vendor_id": a["vendor_id"],
        "thread_id": a["thread_id"],
        "attachment_id": a["file"]["id"],
        "section_id": "A",
        "token": world.token(actor),
        "team_id": world.team_id,
        "account_token": UNKNOWN_TOKEN,
        "user_id": world.users["viewer"],
        "notification_id": world.notification_id,
        "questionnaire_id": "ai-deployment-partner",
    } | override
    unknown = set(rule.arguments) - set(values)
    if unknown:
        pytest.fail(f"{rule.rule}: no value for {sorted(unknown)}; add one to url() in tests/test_access.py")
    return app.url_map.bind("localhost").build(endpoint, {k: values[k] for k in rule.arguments})


def request(client, method: str, target: str, endpoint: str, **kwargs):
    """The request a MATRIX cell makes: HARMLESS form data, or HARMLESS_QUERY for a GET."""
    if method == "GET":
        query = HARMLESS_QUERY.get(endpoint, {}) | kwargs.pop("query_string", {})
        return client.open(target, method=method, query_string=query, **kwargs)
    return client.open(target, method=method, data=HARMLESS.get(endpoint, {}), **kwargs)


def expect(response, expected: str, what: str) -> None:
    """The response is what a MATRIX cell says."""
    location = response.headers.get("Location", "")
    if expected == "login":
        assert response.status_code == 302 and urlsplit(location).path == "/login", (
            f"{what}: expected a redirect to the login page, got {response.status_code} {location}"
        )
        return
    assert response.status_code == int(expected), f"{what}: expected {expected}, got {response.status_code} {location}"
    if response.status_code == 302:
        assert urlsplit(location).path != "/login", f"{what}: expected 302 elsewhere than the login page"


def _csp(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def assert_security_headers(response, what: str = "") -> None:
    """CSP that allows no inline script, no framing, no sniffing, referrers to this site only."""
    csp = _csp(response.headers.get("Content-Security-Policy", ""))
    scripts = csp.get("script-src", csp.get("default-src"))
    assert scripts, f"{what}: the CSP does not restrict scripts"
    allowed = ("'self'", "'strict-dynamic'")
    assert all(s in allowed or s.startswith(("'nonce-", "'sha256-", "'sha384-", "'sha512-")) for s in scripts), (
        f"{what}: script-src allows {scripts}"
    )
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert csp.get("object-src") == ["'none'"], what
    assert csp.get("frame-ancestors") == ["'none'"], what
    assert csp.get("base-uri") in (["'none'"], ["'self'"]), what
    assert response.headers.get("X-Frame-Options") == "DENY", what
    assert response.headers.get("X-Content-Type-Options") == "nosniff", what
    assert response.headers.get("Referrer-Policy") == "same-origin", what


def snapshot(db) -> dict[str, list]:
    """Every row of every table, to prove a request wrote nothing."""
    return {table: sorted(map(repr, db[table].rows)) for table in db.table_names()}


def _text(response) -> str:
    if response.mimetype == XLSX_MIMETYPE:  # the vendor's answers workbook (issue 16): every cell of every sheet
        book = openpyxl.load_workbook(io.BytesIO(response.data))
        response.close()
        return " ".join(str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row if v)
    text = response.get_data(as_text=True)
    response.close()
    return text


# --- the matrix --------------------------------------------------------------------------------


def test_the_matrix_has_a_row_for_every_route_and_for_no_other(app):
    present = set(routes(app))
    missing = sorted(present - set(EXPECTED))
    stale = sorted(set(EXPECTED) - present)
    assert not missing, f"routes with no row in MATRIX (decide who may use them, then add a row): {missing}"
    assert not stale, f"rows of MATRIX for routes that no longer exist: {stale}"


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(("endpoint", "method"), ROUTES, ids=[f"{m} {e}" for e, m in ROUTES])
def test_access_matrix(app, world, endpoint, method, actor):
    row = EXPECTED.get((endpoint, method))
    if row is None:
        pytest.fail(f"{method} {endpoint} has no row in MATRIX: decide who may use it and add one")
    client = visitor(app, world, actor)
    target = url(app, world, endpoint, actor)
    response = request(client, method, target, endpoint)
    expect(response, row[actor], f"{method} {target} as {actor}")
    assert_security_headers(response, f"{method} {target} as {actor}")
    response.close()


def test_login_leaves_only_the_user_id_in_the_session(app, world):
    """What the matrix's shortcut puts in the session is what the login form puts there."""
    client = app.test_client()
    response = client.post("/login", data={"email": "viewer@example.com", "password": PASSWORD})
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert session.get("user_id") == world.users["viewer"]
        assert set(session) <= {*SESSION_KEYS, "csrf_token", "_flashes", "language"}, dict(session)
    assert client.get("/").status_code == 200
    client.post("/logout")
    with client.session_transaction() as session:
        assert "user_id" not in session
    expect(client.get("/"), "login", "after logout")


# --- a link opens one response, and nothing else ---------------------------------------------------


def test_a_vendor_link_never_shows_another_vendors_name_answers_or_files(app, db, world):
    pypdf = pytest.importorskip("pypdf")
    a, b, c = (world.vendors[k] for k in "abc")
    foreign = [b["name"], SECRETS["b"], b["file"]["name"], "Question for Beta Corp", "b-deployment",
               c["name"], SECRETS["c"], c["file"]["name"], "Question for Gamma Corp", "Another team"]  # fmt: skip
    client = visitor(app, world, "vendor_a")
    questionnaire = default_questionnaire()
    pages: dict[str, str] = {}

    def visit_everything(label: str) -> None:
        for endpoint, method in VENDOR_ROUTES:
            if method == "GET":
                target = url(app, world, endpoint, "vendor_a")
                pages[f"{label} GET {target}"] = _text(request(client, "GET", target, endpoint, follow_redirects=True))
        for s in questionnaire.sections:
            pages[f"{label} section {s.id}"] = _text(client.get(f"/v/{a['token']}/s/{s.id}"))

    visit_everything("open")
    # A page shown again after a failed save, and the autosave's JSON.
    failed = client.post(f"/v/{a['token']}/s/C", data={"C3": "perhaps", "C4": "changed"})
    assert failed.status_code == 422
    pages["failed save"] = _text(failed)
    pages["autosave"] = _text(client.post(f"/v/{a['token']}/s/C/autosave", data={"C5": "x", "changed": "C5"}))
    # Another vendor's file id and thread id, tried through A's link: nothing to see, nothing kept.
    assert client.get(f"/v/{a['token']}/files/{b['file']['id']}").status_code == 404
    assert client.post(f"/v/{a['token']}/clarifications/{b['thread_id']}/reply", data={"body": "hi"}).status_code == 404
    client.post(f"/v/{a['token']}/s/B", data={"B5-keep": b["file"]["id"]})
    assert all(f["id"] != b["file"]["id"] for f in store.load_answers(db, a["response_id"]).get("B5") or [])
    # Submitted: the receipt, its PDF and the read-only pages.
    assert store.set_response_status(db, a["response_id"], "submitted", "test", expect=store.EDITABLE)
    visit_everything("submitted")
    receipt = client.get(url(app, world, "reports.vendor_receipt_pdf", "vendor_a"))
    assert receipt.status_code == 200 and receipt.mimetype == "application/pdf"
    pdf = pypdf.PdfReader(io.BytesIO(receipt.data))
    receipt.close()
    pages["receipt PDF"] = " ".join(page.extract_text() for page in pdf.pages)

    for label, html in pages.items():
        flat = " ".join(html.split())  # a PDF breaks lines where it likes
        leaked = [s for s in foreign if s in flat or s.replace(" ", "") in flat.replace(" ", "")]
        assert not leaked, f"{label} shows {leaked}"
    # The pages do show A's own things (so the check above looked at real pages).
    assert a["name"] in pages[f"open GET /v/{a['token']}"]
    assert SECRETS["a"] in pages["open section C"] and "Question for Alpha Corp" in pages["open section C"]
    assert a["file"]["name"] in pages["open section B"]
    assert a["name"] in pages[f"submitted GET /v/{a['token']}/receipt"]
    assert a["name"] in pages["receipt PDF"] and "failover runbook" in pages["receipt PDF"]


def test_a_vendor_token_never_opens_buyer_pages(app, world):
    token = world.token("vendor_a")
    client = visitor(app, world, "vendor_a")
    buyer_routes = [r for r in ROUTES if EXPECTED.get(r, {}).get("anonymous") == "login" and r[0] != "auth.logout"]
    assert len(buyer_routes) >= 10
    for endpoint, method in buyer_routes:
        target = url(app, world, endpoint, "vendor_a")
        for extra in (
            {},
            {"query_string": {"token": token}},
            {"headers": {"Authorization": f"Bearer {token}", "X-Token": token}},
        ):
            response = request(client, method, target, endpoint, **extra)
            expect(response, "login", f"{method} {target} with vendor A's token {extra}")


def _cross_evaluation_ids(rule, world: World) -> list[dict]:
    a, b, c = (world.vendors[k] for k in "abc")
    args = set(rule.arguments)
    if "evaluation_id" not in args:
        return []
    if "vendor_id" not in args:
        return [{"evaluation_id": 999_999}]
    tries = [
        {"evaluation_id": world.other_evaluation_id, "vendor_id": a["vendor_id"]},  # A under evaluation 2
        {"evaluation_id": world.evaluation_id, "vendor_id": c["vendor_id"]},  # C under evaluation 1
        {"evaluation_id": world.evaluation_id, "vendor_id": 999_999},
    ]
    if "attachment_id" in args:  # A's file under vendor B, of the same evaluation
        tries.append({"evaluation_id": world.evaluation_id, "vendor_id": b["vendor_id"]})
    if "thread_id" in args:
        tries = [dict(t, thread_id=c["thread_id"]) for t in tries]
        tries.append({"evaluation_id": world.evaluation_id, "vendor_id": a["vendor_id"], "thread_id": b["thread_id"]})
    return tries


def test_buyer_urls_with_ids_of_another_evaluation_give_404_and_change_nothing(app, db, world):
    before = snapshot(db)
    tried = 0
    for endpoint, method in ROUTES:
        if endpoint in LINK_ENDPOINTS:
            continue
        for ids in _cross_evaluation_ids(_rule(app, endpoint), world):
            for actor in LOGGED_IN:
                allowed = EXPECTED[endpoint, method][actor] not in ("403", "login")
                target = url(app, world, endpoint, actor, **ids)
                response = request(visitor(app, world, actor), method, target, endpoint)
                # An evaluation one may not see is not found, whatever one's role; on evaluation 1
                # a role too low for the route is refused before the vendor is looked up.
                on_first = ids["evaluation_id"] == world.evaluation_id
                status = "404" if allowed or not on_first else EXPECTED[endpoint, method][actor]
                expect(response, status, f"{method} {target} as {actor}")
                tried += allowed
    assert tried >= 20
    assert snapshot(db) == before
    for key in "abc":
        assert app.test_client().get(f"/v/{world.vendors[key]['token']}").status_code == 200


# What a GET may write: the audit log, and the dashboard's summaries, a cache of what scoring
# says (stagefour/dashboard.py), which change no fact.
DERIVED = ("audit_log", "response_summaries")

# GETs that write to the audit log, and nothing else (DESIGN.md: every export made is logged).
AUDITED_GETS = {"export_made", "report_made", "audit_exported", "offline_downloaded"}


def test_get_requests_change_nothing_but_the_audit_log(app, db, world):
    before = snapshot(db)
    last_entry = max(e["id"] for e in store.audit_entries(db, limit=1))
    for endpoint, method in ROUTES:
        if method == "GET":
            for actor in ACTORS:
                request(visitor(app, world, actor), method, url(app, world, endpoint, actor), endpoint).close()
    after = snapshot(db)
    assert {t: r for t, r in after.items() if t not in DERIVED} == {t: r for t, r in before.items() if t not in DERIVED}
    logged = {e["action"] for e in store.audit_entries(db) if e["id"] > last_entry}
    assert logged <= AUDITED_GETS, logged


@pytest.mark.parametrize("reason", ["revoked", "replaced", "expired"])
def test_a_closed_link_gets_410_on_every_vendor_route_and_changes_nothing(app, db, world, reason):
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat(timespec="seconds")
    d = add_vendor(app, db, world.evaluation_id, "d", world.users["evaluator"], past if reason == "expired" else None)
    if reason == "revoked":
        store.revoke_invitations(db, d["vendor_id"], "test")
    elif reason == "replaced":
        evaluations.issue_link(db, d["vendor_id"], "test")
    before = snapshot(db)
    client = app.test_client()
    for endpoint, method in VENDOR_ROUTES:
        target = url(app, world, endpoint, "nobody", token=d["token"], attachment_id=d["file"]["id"],
                     thread_id=d["thread_id"], section_id="C")  # fmt: skip
        response = request(client, method, target, endpoint)
        assert response.status_code == 410, f"{method} {target} with a {reason} link: {response.status_code}"
        assert_security_headers(response)
        html = _text(response)
        assert ("expired" if reason == "expired" else "withdrawn") in html
        assert SECRETS["d"] not in html and d["name"] not in html and d["file"]["name"] not in html
    assert snapshot(db) == before


# --- headers, cookies, tokens -------------------------------------------------------------------


def test_every_kind_of_response_has_the_security_headers(app, db, world):
    a = world.vendors["a"]
    client = visitor(app, world, "owner")
    big = b"--x\r\n" + b"0" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    responses = {
        "static file": client.get("/static/style.css"),
        "unknown page": client.get("/no/such/page"),
        "wrong method": client.get("/logout"),
        "unknown token": client.get(f"/v/{UNKNOWN_TOKEN}"),
        "malformed token": client.get("/v/<script>"),
        "too large": client.post(f"/v/{a['token']}/s/B", data=big, content_type="multipart/form-data; boundary=x"),
        "autosave JSON": client.post(f"/v/{a['token']}/s/A/autosave", data={}),
        "download": client.get(f"/v/{a['token']}/files/{a['file']['id']}"),
        "redirect": app.test_client().get("/"),
        "login page": app.test_client().get("/login"),
        "buyer page": client.get(f"/evaluations/{world.evaluation_id}"),
        "vendor page": client.get(f"/v/{a['token']}/s/C"),
    }
    store.revoke_invitations(db, a["vendor_id"], "test")
    responses["closed link"] = client.get(f"/v/{a['token']}")
    assert responses["too large"].status_code == 413
    assert responses["closed link"].status_code == 410
    for label, response in responses.items():
        assert_security_headers(response, label)
        response.close()
    # Vendor pages carry a working token in their links: no cache may keep them.
    for label in ("autosave JSON", "download", "vendor page", "closed link", "unknown token"):
        assert "no-store" in responses[label].headers.get("Cache-Control", ""), label


# The PDF routes with a page size that exists, so they answer with a PDF (or the page that says it is being made).
REAL_PDF_QUERY = {endpoint: {"size": "a4", "lang": "en"} for endpoint in HARMLESS_QUERY}


def _fetch(client, target: str, **kwargs):
    """GET and read the whole response (a sent file stays open until then)."""
    with client.get(target, **kwargs) as response:
        response.get_data()
    return response


def test_no_response_but_a_static_file_may_be_kept_by_a_cache(app, db, world, monkeypatch):
    """Every route of the URL map, as the owner (buyer routes) or vendor A (link routes), PDFs made for real."""
    monkeypatch.setattr(report, "render_pdf", lambda html, progress=None: report.Rendered(PDF, 1, 0.0, 0.0))
    a = world.vendors["a"]
    seen: dict[str, str] = {}

    def check(response, what: str) -> None:
        seen[what] = f"{response.status_code} {response.mimetype}"
        assert response.headers.get("Cache-Control") == "no-store", f"{what}: {response.headers.get('Cache-Control')}"
        assert "Expires" not in response.headers and "Pragma" not in response.headers, what

    # The link routes first: the owner's routes withdraw and replace vendor A's link.
    for endpoint, method in sorted(ROUTES, key=lambda route: route[0] not in LINK_ENDPOINTS):
        actor = "vendor_a" if endpoint in LINK_ENDPOINTS else "owner"
        client = visitor(app, world, actor)  # a fresh one each time: one of the routes logs out
        target = url(app, world, endpoint, actor)
        if method == "GET":
            response = _fetch(client, target, query_string=REAL_PDF_QUERY.get(endpoint, {}))
        else:
            response = request(client, method, target, endpoint)
        check(response, f"{method} {target} as {actor}")
    # The PDFs once made: the comparison (built beside the request) and B's receipt.
    clients = {actor: visitor(app, world, actor) for actor in ("owner", "vendor_b")}
    evaluation, options = f"/evaluations/{world.evaluation_id}", "?size=a4&lang=en"
    check(_fetch(clients["owner"], f"{evaluation}/report.pdf{options}"), "comparison PDF started")
    for _ in range(500):
        if clients["owner"].get(f"{evaluation}/report/status{options}").json["state"] != "building":
            break
        time.sleep(0.01)
    check(_fetch(clients["owner"], f"{evaluation}/report.pdf{options}"), "comparison PDF")
    b = world.vendors["b"]
    store.set_response_status(db, b["response_id"], "submitted", "test", expect=store.EDITABLE)
    check(_fetch(clients["vendor_b"], f"/v/{b['token']}/receipt.pdf?size=a4&lang=en"), "receipt PDF")
    check(_fetch(clients["owner"], "/no/such/page"), "unknown page")
    # Each kind of private file was really served (not an error page in its place).
    kinds = {what.split(" as ")[0].rsplit("/", 1)[-1].split("?")[0]: status for what, status in seen.items()}
    assert seen["comparison PDF"] == seen["receipt PDF"] == "200 application/pdf", seen
    assert kinds["response.pdf"] == "200 application/pdf", seen
    assert kinds["export.csv"] == kinds["audit.csv"] == "200 text/csv", seen
    assert kinds["export.json"] == "200 application/json", seen
    assert kinds["export.xlsx"] == f"200 {XLSX_MIMETYPE}", seen
    assert kinds[a["file"]["id"]] == f"200 {a['file']['content_type']}", seen  # both evidence downloads
    assert sum(status.startswith("200 text/html") for status in seen.values()) >= 10, seen
    # Static files keep their normal caching (revalidated by ETag).
    static = _fetch(clients["owner"], "/static/style.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")


def _set_cookie(response) -> str:
    return next((h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")), "")


def test_the_session_cookie_is_httponly_and_samesite(app, world):
    client = app.test_client()
    login = client.post("/login", data={"email": "owner@example.com", "password": PASSWORD})
    vendor = app.test_client().get(f"/v/{world.token('vendor_a')}")
    for label, response in (("login", login), ("vendor page", vendor)):
        header = _set_cookie(response)
        assert header, f"{label}: no session cookie set"
        assert "HttpOnly" in header, header
        assert re.search(r"SameSite=(Lax|Strict)", header), header
        assert "Path=/" in header
    cookie = client.get_cookie("session")
    assert cookie.http_only and cookie.same_site in ("Lax", "Strict")


def test_the_session_never_holds_secrets(app, world):
    client = app.test_client()
    client.post("/login", data={"email": "owner@example.com", "password": PASSWORD})
    client.get("/")
    client.get(f"/v/{world.token('vendor_a')}")
    with client.session_transaction() as session:
        content = repr(dict(session))
    assert PASSWORD not in content and PASSWORD_HASH not in content and "owner@example.com" not in content
    assert world.token("vendor_a") not in content


def _session_cookies(app, response) -> list[dict]:
    """What each session cookie a response sets holds, decoded as anyone holding the cookie can."""
    serializer = app.session_interface.get_signing_serializer(app)
    headers = [h.split(";", 1)[0] for h in response.headers.getlist("Set-Cookie")]
    return [serializer.loads(h.removeprefix("session=")) for h in headers if h.startswith("session=") and h[8:]]


def test_an_issued_link_never_enters_the_cookie_and_is_shown_once_to_its_issuer_only(app, db, world):
    # Another owner of the team, named on evaluation 1: they see the page, never the issuer's link.
    other_owner = store.create_user(db, "owner2@example.com", PASSWORD_HASH)
    store.set_membership(db, world.team_id, other_owner, "owner", "test")
    named = store.evaluation_members(db, world.evaluation_id)
    store.set_evaluation_access(db, world.evaluation_id, True, [*named, other_owner], "test")
    client = visitor(app, world, "owner")
    page = f"/evaluations/{world.evaluation_id}"
    added = client.post(f"{page}/vendors", data={"name": "Delta Corp"})
    assert added.status_code == 302
    [held] = db["issued_links"].rows
    token = held["token"]
    assert store.find_invitation(db, hash_token(token))["vendor_name"] == "Delta Corp"
    cookies = _session_cookies(app, added)
    assert cookies and cookies[-1].get("user_id") == world.users["owner"]  # decoding works: the cookie is readable
    assert token not in repr(cookies) and token not in repr(added.headers)
    # Other buyers, the issuer's own other pages: the link is not shown, and still held.
    for user_id in (other_owner, world.users["viewer"]):
        stranger = app.test_client()
        with stranger.session_transaction() as session:
            session.update(session_for(store.get_user(db, user_id), clock()))
        seen = stranger.get(page)
        assert seen.status_code == 200 and token not in _text(seen)
    assert token not in _text(client.get("/"))
    assert [r["token"] for r in db["issued_links"].rows] == [token]
    # The evaluation page shows it to its issuer once; then nothing keeps it but its hash.
    shown = client.get(page)
    assert f"/v/{token}" in _text(shown)
    assert token not in repr(_session_cookies(app, shown))
    assert f"/v/{token}" not in _text(client.get(page))
    assert store.find_invitation(db, hash_token(token)) is not None
    assert not [t for t, rows in snapshot(db).items() if any(token in r for r in rows)]


def test_an_issued_link_not_shown_within_15_minutes_is_never_shown_and_a_newer_one_replaces_it(app, db, world):
    client = visitor(app, world, "owner")
    page = f"/evaluations/{world.evaluation_id}"
    vendor_id = world.vendors["a"]["vendor_id"]
    client.post(f"{page}/vendors/{vendor_id}/reissue")
    client.post(f"{page}/vendors/{vendor_id}/reissue")
    [held] = db["issued_links"].rows  # the first new link, replaced by the second before it was shown, is gone
    assert store.find_invitation(db, hash_token(held["token"]))["revoked_at"] is None
    sixteen_minutes_ago = (datetime.now(UTC) - timedelta(minutes=16)).isoformat(timespec="seconds")
    db["issued_links"].update(held["id"], {"created_at": sixteen_minutes_ago})
    assert held["token"] not in _text(client.get(page))
    assert db["issued_links"].count == 0


# --- CSRF ---------------------------------------------------------------------------------------


@pytest.fixture
def csrf_app(template, tmp_path):
    # Exceptions become 500 pages here, as in production, so a crash shows as a status.
    return _app_from(template, tmp_path / "csrf", WTF_CSRF_ENABLED=True, PROPAGATE_EXCEPTIONS=False)


@pytest.fixture
def csrf_world(template, csrf_app):
    db = store.open_db(csrf_app.config["DATABASE"])
    yield template[1], db
    db.close()


def _csrf_token(client, world: World, actor: str) -> str:
    page = _text(client.get(f"/v/{world.token(actor)}" if actor in VENDORS else "/login"))
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


@pytest.mark.parametrize(("endpoint", "method"), POST_ROUTES, ids=[f"{m} {e}" for e, m in POST_ROUTES])
def test_with_csrf_on_every_post_without_a_token_is_refused(csrf_app, csrf_world, endpoint, method):
    world, db = csrf_world
    before = snapshot(db)
    row = EXPECTED[endpoint, method]
    for actor in ACTORS:
        if endpoint in LINK_ENDPOINTS and actor not in VENDORS:
            continue  # a vendor POST without a working link: see test_a_csrf_error_on_a_vendor_page_is_never_a_500
        target = url(csrf_app, world, endpoint, actor)
        response = request(visitor(csrf_app, world, actor), method, target, endpoint)
        assert response.status_code == 400, f"{method} {target} as {actor} without a CSRF token"
        assert_security_headers(response)
        response.close()
    assert snapshot(db) == before
    # With the page's token, the same request gets what the matrix says.
    actor = next((a for a in ("owner", "admin", "vendor_a") if row[a] not in ("403", "404")), "owner")
    client = visitor(csrf_app, world, actor)
    data = dict(HARMLESS.get(endpoint, {}), csrf_token=_csrf_token(client, world, actor))
    target = url(csrf_app, world, endpoint, actor)
    expect(client.open(target, method=method, data=data), row[actor], f"{method} {target} as {actor} with a token")


@pytest.mark.parametrize("case", ["unknown token", "revoked link", "unknown section"])
def test_a_csrf_error_on_a_vendor_page_is_never_a_500(csrf_app, csrf_world, case):
    world, db = csrf_world
    a = world.vendors["a"]
    target = {
        "unknown token": f"/v/{UNKNOWN_TOKEN}/s/A",
        "revoked link": f"/v/{a['token']}/s/A",
        "unknown section": f"/v/{a['token']}/s/NOPE",
    }[case]
    if case == "revoked link":
        store.revoke_invitations(db, a["vendor_id"], "test")
    response = csrf_app.test_client().post(target, data={"A2": "3"})
    assert response.status_code in (400, 404, 410)


# --- redirects stay on the site ------------------------------------------------------------------

EVIL_TARGETS = [
    "//evil.example/",
    "https://evil.example/",
    "http:evil.example",
    "/\\evil.example/",
    "\\\\evil.example",
    "/\t/evil.example",
    " //evil.example",
    "///evil.example",
    "javascript:alert(1)",
    "/%2F%2Fevil.example",
    "/.//evil.example",
]


def _stays_on_site(location: str) -> bool:
    # What a browser does before it resolves: drop tabs and newlines, read backslashes as slashes.
    seen = re.sub(r"[\t\r\n]", "", location).replace("\\", "/").lstrip(" \x00-\x1f")
    parts = urlsplit(seen)
    return seen.startswith("/") and not seen.startswith("//") and not parts.scheme and not parts.netloc


def _redirect_with_next(app, world, where: str, target: str):
    token = world.token("vendor_a")
    client = app.test_client()
    if where == "login":
        data = {"email": "viewer@example.com", "password": PASSWORD}
        return client.post("/login?" + urlencode({"next": target}), data=data)
    if where == "language":
        return client.post("/language", data={"language": "de", "next": target})
    return client.post(f"/v/{token}/language", data={"language": "de", "next": f"/v/{token}" + target})


@pytest.mark.parametrize("where", ["login", "language", "vendor language"])
@pytest.mark.parametrize("target", EVIL_TARGETS)
def test_redirects_after_login_and_language_stay_on_the_site(app, world, where, target):
    response = _redirect_with_next(app, world, where, target)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert _stays_on_site(location), location
    if where == "vendor language":
        assert location.startswith(f"/v/{world.token('vendor_a')}")


@pytest.mark.parametrize("where", ["login", "language", "vendor language"])
def test_a_next_with_a_newline_is_refused_not_a_500(app, world, where):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash shows as a 500, as in production
    response = _redirect_with_next(app, world, where, "/\r\nSet-Cookie: pwned=1")
    assert response.status_code == 302
    assert "\n" not in response.headers["Location"] and "pwned" not in response.headers.get("Set-Cookie", "")


# --- rate limits (DESIGN.md: "Login and token endpoints are rate limited") -------------------------


@pytest.fixture
def limited_app(tmp_path):
    """An app with the rate limits on (the other tests switch them off), counts reset."""
    from app import create_app
    from views.limits import limiter

    app = create_app(app_config(tmp_path, RATELIMIT_ENABLED=True))
    limiter.reset()
    yield app
    limiter.reset()


def test_repeated_failed_logins_are_rate_limited(limited_app):
    client = limited_app.test_client()
    statuses = {
        client.post("/login", data={"email": "owner@example.com", "password": f"guess {i}"}).status_code
        for i in range(12)
    }
    assert 429 in statuses


def test_guessing_tokens_is_rate_limited(limited_app):
    client = limited_app.test_client()
    statuses = [client.get(f"/v/{'G' * 30}{i:013d}").status_code for i in range(200)]
    assert statuses[:60] == [404] * 60 and set(statuses[60:]) == {429}
    page = client.get(f"/v/{'G' * 43}")
    assert page.status_code == 429 and "Too many requests" in page.get_data(as_text=True)


def test_a_guesser_over_the_limit_cannot_open_a_real_link_either(limited_app):
    """Misses on every link route share one count, and once it is used up a found link is refused too:
    otherwise a 200 among the 429s would still tell a guesser which token is real."""
    db = store.open_db(limited_app.config["DATABASE"])
    team_id = store.create_team(db, "Limits", "test")
    evaluation_id = evaluations.start_evaluation(db, load_by_id("ai-deployment-partner"), "Limits", team_id=team_id)
    _, token = evaluations.invite(db, evaluation_id, "Real Vendor", None, "test")
    db.close()
    client = limited_app.test_client()
    assert client.get(f"/v/{token}").status_code == 200
    guesses = [f"/v/{'G' * 43}/receipt.pdf", f"/v/{'H' * 43}/s/A", f"/v/{token}/s/NOPE", f"/v/{'J' * 43}"]
    statuses = [client.get(guesses[i % 4] + ("" if i % 4 else f"?{i}")).status_code for i in range(60)]
    assert set(statuses) == {404}
    assert client.get(f"/v/{token}").status_code == 429
    assert client.get(f"/v/{token}/s/A").status_code == 429
    other = limited_app.test_client()
    assert (
        other.get(f"/v/{token}", environ_overrides={"REMOTE_ADDR": "10.0.0.2"}).status_code == 200
    )  # counted per client address


def test_a_vendor_working_through_the_form_is_never_limited(limited_app):
    db = store.open_db(limited_app.config["DATABASE"])
    team_id = store.create_team(db, "Limits", "test")
    evaluation_id = evaluations.start_evaluation(db, load_by_id("ai-deployment-partner"), "Limits", team_id=team_id)
    _, token = evaluations.invite(db, evaluation_id, "Busy Vendor", None, "test")
    db.close()
    client = limited_app.test_client()
    statuses = {client.get(f"/v/{token}/s/{'ABCDEFGHIJ'[i % 10]}").status_code for i in range(150)}
    assert statuses == {200}


@pytest.fixture
def guarded_app(tmp_path):
    """The rate limits and CSRF both on, as in production; counts reset; a real link (its token on .token)."""
    from app import create_app
    from views.limits import limiter

    app = create_app(app_config(tmp_path, RATELIMIT_ENABLED=True, WTF_CSRF_ENABLED=True))
    limiter.reset()
    db = store.open_db(app.config["DATABASE"])
    team_id = store.create_team(db, "Limits", "test")
    evaluation_id = evaluations.start_evaluation(db, default_questionnaire(), "Limits", team_id=team_id)
    _, app.token = evaluations.invite(db, evaluation_id, "Real Vendor", None, "test")
    db.close()
    yield app
    limiter.reset()


# Every POST a link takes, each the way a guesser would send it: no session, so no CSRF token.
LINK_POSTS = [r for r in POST_ROUTES if r[0] in LINK_ENDPOINTS]


def _post_without_csrf(client, world_free_url: str):
    return client.post(world_free_url, data={"A2": "3", "body": "hello", "language": "de"})


def _link_url(app, endpoint: str, token: str) -> str:
    values = {"token": token, "section_id": "A", "thread_id": 1, "attachment_id": "x" * 24}
    rule = _rule(app, endpoint)
    return app.url_map.bind("localhost").build(endpoint, {k: values[k] for k in rule.arguments})


def test_posts_to_unknown_links_without_csrf_count_as_guesses(guarded_app):
    """CSRF would refuse them (400) before the link is looked up; the guard answers first, and counts."""
    assert len(LINK_POSTS) >= 5
    client = guarded_app.test_client()
    guesses = [_link_url(guarded_app, endpoint, f"{'G' * 30}{i:013d}") for i, (endpoint, _m) in
               enumerate(LINK_POSTS * (60 // len(LINK_POSTS) + 1))][:60]  # fmt: skip
    statuses = [_post_without_csrf(client, target).status_code for target in guesses]
    assert statuses == [404] * 60, statuses
    for endpoint, _method in LINK_POSTS:  # the 61st, on every kind of link POST, and a real link too
        assert _post_without_csrf(client, _link_url(guarded_app, endpoint, "H" * 43)).status_code == 429
        assert _post_without_csrf(client, _link_url(guarded_app, endpoint, guarded_app.token)).status_code == 429
    assert client.get(f"/v/{guarded_app.token}").status_code == 429


def test_a_real_links_post_without_csrf_gets_the_vendor_page_and_is_not_counted(guarded_app):
    client = guarded_app.test_client()
    section = f"/v/{guarded_app.token}/s/C"
    for _ in range(70):
        page = client.post(section, data={"C4": "Typed before the session expired"})
        assert page.status_code == 400
        html = _text(page)
        assert "nothing was saved yet" in html and "Typed before the session expired" in html
    for endpoint, _method in LINK_POSTS:
        assert _post_without_csrf(client, _link_url(guarded_app, endpoint, guarded_app.token)).status_code in (400, 404)
    # None of that was counted: the client still has all its misses.
    statuses = [client.get(f"/v/{'G' * 30}{i:013d}").status_code for i in range(61)]
    assert statuses == [404] * 60 + [429]
