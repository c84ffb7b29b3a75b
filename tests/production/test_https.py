"""Through the shipped nginx and gunicorn files, over HTTPS: what a browser, a client and the logs see.

The set-up is tests/production/conftest.py's `stack`. The journeys drive Debian's Chromium; the
other tests speak HTTP themselves, to choose their source address and headers. The last test reads
every log file the set-up wrote.
"""

from __future__ import annotations

import http.client
import re
from urllib.parse import urlencode
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from commands import DEMO_VENDORS
from stagefour import evaluations
from stagefour import store

from ..browser.conftest import shot
from ..conftest import complete_answers
from .stack import SECRET_KEY
from .stack import insecure_tls

TINY_PDF = b"%PDF-1.4\n%%EOF\n"
HSTS = "max-age=63072000"


def fetch(stack, method: str, path: str, headers=None, body=None, source="127.0.0.1", plain=False):
    """One request to nginx from `source` (a loopback address): (status, headers, body)."""
    if plain:
        conn = http.client.HTTPConnection("127.0.0.1", stack.http_port, timeout=30, source_address=(source, 0))
    else:
        conn = http.client.HTTPSConnection(
            "127.0.0.1", stack.https_port, timeout=30, context=insecure_tls(), source_address=(source, 0)
        )
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def invite(stack, name: str) -> tuple[str, int]:
    """A fresh link in the demo evaluation, written to the instance's database: (token, response id)."""
    db = store.open_db(stack.database)
    try:
        evaluation_id = store.list_evaluations(db)[0]["id"]
        vendor_id, token = evaluations.invite(db, evaluation_id, name, None, "test")
        stack.tokens.add(token)
        return token, store.get_vendor(db, vendor_id)["response_id"]
    finally:
        db.close()


def watch(page: Page) -> list:
    """Every response the page receives from the site, as (method, URL, status, headers), in order."""
    seen = []
    page.on("response", lambda r: seen.append((r.request.method, r.url, r.status, r.headers)))
    return seen


def assert_clean(stack, seen: list) -> None:
    """No POST was refused (400), nothing failed, and every HTTPS response carried HSTS."""
    ours = [s for s in seen if s[1].startswith(stack.base)]
    assert ours
    assert [s[:3] for s in ours if s[0] == "POST" and s[2] == 400] == []
    assert [s[:3] for s in ours if s[2] >= 500] == []
    # A navigation that ends in a download (the progress page's refresh reaching the finished PDF) comes
    # with no headers at all in Playwright; wait_for_pdf checks that PDF's HSTS on its own request.
    assert [s[:3] for s in ours if s[3] and s[3].get("strict-transport-security") != HSTS] == []


def assert_cookies(page: Page) -> None:
    """The session cookie is Secure, HttpOnly and SameSite=Lax."""
    cookies = page.context.cookies()
    assert [c["name"] for c in cookies] == ["session"]
    assert (cookies[0]["secure"], cookies[0]["httpOnly"], cookies[0]["sameSite"]) == (True, True, "Lax")


def wait_for_pdf(page: Page, url: str) -> bytes:
    """A PDF fetched with the page's cookies, waiting while the app says it is still making it (202)."""
    for _ in range(120):
        response = page.request.get(url)
        if response.status == 200:
            assert response.headers["content-type"] == "application/pdf"
            assert response.headers["strict-transport-security"] == HSTS
            return response.body()
        assert response.status == 202, response.status
        page.wait_for_timeout(1000)
    raise AssertionError(f"{url}: no PDF after two minutes")


# --- plain HTTP, headers, files ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/login", "/", "/v/{token}/s/A?add=B1", "/static/style.css", "/nope"])
def test_plain_http_is_a_permanent_redirect_to_https_and_nothing_else(stack, path):
    path = path.format(token=sorted(stack.tokens)[0])
    status, headers, body = fetch(stack, "GET", path, plain=True)
    assert status == 301
    # Port 443 is the HTTPS port of a real installation; the tests' nginx listens elsewhere.
    assert headers["Location"] == "https://127.0.0.1" + path
    assert headers["Strict-Transport-Security"] is None  # HSTS is for HTTPS answers only
    assert b"Stagefour" not in body and b"csrf" not in body


@pytest.mark.parametrize(
    ("what", "method", "path", "headers", "status"),
    [
        ("a page", "GET", "/login", {}, 200),
        ("a redirect", "GET", "/", {}, 302),
        ("a static file (nginx)", "GET", "/static/style.css", {}, 200),
        ("an unknown page (the app)", "GET", "/nope", {}, 404),
        ("an unknown static file (nginx)", "GET", "/static/nope.css", {}, 404),
        ("a POST without a token", "POST", "/login", {"Content-Type": "application/x-www-form-urlencoded"}, 400),
        ("a body over 25 MiB (nginx)", "POST", "/login", {"Content-Length": str(26 * 1024 * 1024)}, 413),
    ],
)
def test_every_https_answer_has_hsts_and_the_apps_headers_where_the_app_answers(
    stack, what, method, path, headers, status
):
    got, answer, _body = fetch(stack, method, path, headers=headers, body=b"" if method == "POST" else None)
    assert got == status, what
    assert answer["Strict-Transport-Security"] == HSTS, what
    if "(nginx)" not in what:
        assert answer["Referrer-Policy"] == "same-origin"
        assert answer["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in answer["Content-Security-Policy"]
    assert answer["Server"] == "nginx"  # no version (server_tokens off)


@pytest.mark.parametrize(
    "path",
    [
        "/instance/config.py",
        "/static/../instance/config.py",
        "/static/%2e%2e/instance/config.py",
        "/static/..%2finstance/config.py",
        "/static/..%2Finstance/stagefour.sqlite3",
        "//instance/config.py",
        "/static/../app.py",
        "/static/../deploy/gunicorn.conf.py",
    ],
)
def test_nothing_outside_static_is_served_as_a_file(stack, path):
    status, _headers, body = fetch(stack, "GET", path)
    assert status == 404
    assert SECRET_KEY.encode() not in body and b"SQLite format" not in body and b"import" not in body


# --- the buyer, in Chromium ------------------------------------------------------------------------


def test_buyer_logs_in_invites_a_vendor_compares_and_downloads_the_pdf_over_https(stack, page):
    seen = watch(page)
    email, password = stack.credentials()
    page.goto(stack.base + "/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Evaluations")
    assert_cookies(page)
    shot(page, "https-buyer-dashboard")

    title = "AI deployment partner for claims automation"
    page.get_by_role("link", name=title, exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    evaluation_id = int(re.search(r"/evaluations/(\d+)$", page.url).group(1))
    page.fill("#name", "Kestrel Labs")
    page.get_by_role("button", name="Add vendor and issue link").click()
    expect(page.locator(".flash.success")).to_contain_text("Kestrel Labs was added")
    link = page.get_by_label("Link for Kestrel Labs").input_value()
    assert re.fullmatch(rf"{re.escape(stack.base)}/v/[\w-]{{20,}}", link), link
    stack.tokens.add(link.rsplit("/", 1)[1])
    shot(page, "https-buyer-new-link")

    page.get_by_role("link", name="Compare vendors").click()
    expect(page).to_have_url(re.compile(rf"/evaluations/{evaluation_id}/compare"))
    expect(page.locator("main")).to_contain_text("Kestrel Labs")
    shot(page, "https-buyer-comparison")

    pdf_url = f"{stack.base}/evaluations/{evaluation_id}/report.pdf"
    first = page.goto(pdf_url)
    assert first is not None and first.status == 202
    expect(page.get_by_role("heading", level=1)).to_have_text("Making the PDF…")
    shot(page, "https-buyer-making-pdf")
    assert wait_for_pdf(page, pdf_url).startswith(b"%PDF")
    assert_clean(stack, seen)
    assert any(method == "POST" for method, *_ in seen)


# --- the vendor, in Chromium -----------------------------------------------------------------------


def test_vendor_saves_autosaves_uploads_submits_and_gets_the_receipt_over_https(stack, page):
    token, response_id = invite(stack, "Harbour Deployments")
    seen = watch(page)
    page.goto(f"{stack.base}/v/{token}")
    page.get_by_role("link", name=re.compile("Start with section A")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Engagement")
    assert_cookies(page)
    page.check("input[name=A1][value=boutique]")
    page.fill("#A2", "3")
    page.fill("#A3", "7")
    page.check("input[name=A4][value=yes]")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Production track record")

    # autosave: type, leave the field; the page's script posts it and says so
    page.goto(f"{stack.base}/v/{token}/s/A")
    page.fill("#A5", "40")
    page.locator("#A2").focus()
    expect(page.locator(".autosave-status")).to_contain_text("Saved at", timeout=15_000)
    shot(page, "https-vendor-autosaved")

    # evidence: a file upload goes through nginx's request buffering to the app
    page.goto(f"{stack.base}/v/{token}/s/B")
    page.locator("input[type=file][name=B5]").set_input_files(
        {"name": "architecture.pdf", "mimeType": "application/pdf", "buffer": TINY_PDF}
    )
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".flash.success")).to_contain_text("Saved at")
    expect(page.locator("ul.files")).to_contain_text("architecture.pdf")

    db = store.open_db(stack.database)
    try:
        answers = store.load_answers(db, response_id)
        assert {k: answers[k] for k in ("A1", "A2", "A3", "A4", "A5")} == {
            "A1": "boutique",
            "A2": 3,
            "A3": 7,
            "A4": True,
            "A5": 40,
        }
        assert len(answers["B5"]) == 1
        # A colleague answered the rest (the browser suite types every section; here it is HTTPS that matters).
        example = complete_answers("stage4-deployer")  # with the items questionnaire 1.1 adds
        rest = {k: v for k, v in example.items() if k[0] != "A" and k != "B5"}
        store.save_answers(db, response_id, rest, store.answer_versions(db, response_id), "test")
    finally:
        db.close()

    page.goto(f"{stack.base}/v/{token}/review")
    page.get_by_label("I have checked the answers").check()  # the confirmation before submitting (issue 12)
    page.get_by_role("button", name="Submit the response").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("submitted")
    shot(page, "https-vendor-receipt")
    receipt = page.get_by_role("link", name="Download your receipt (PDF)").get_attribute("href")
    assert wait_for_pdf(page, stack.base + receipt).startswith(b"%PDF")
    assert_clean(stack, seen)
    assert {(m, urlsplit(u).path.rsplit("/", 1)[-1]) for m, u, *_ in seen if m == "POST"} >= {
        ("POST", "A"),
        ("POST", "autosave"),
        ("POST", "B"),
        ("POST", "submit"),
    }
    db = store.open_db(stack.database)
    try:
        assert store.get_response(db, response_id)["status"] == "submitted"
    finally:
        db.close()


# --- rate limits through the proxy -----------------------------------------------------------------


def _failed_login(stack, source: str, claimed: str) -> int:
    """A browser-like failed login from `source`, claiming to be `claimed` in X-Forwarded-For."""
    status, headers, body = fetch(stack, "GET", "/login", source=source)
    assert status == 200
    cookie = headers["Set-Cookie"].split(";", 1)[0]
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body).group(1).decode()
    form = urlencode({"csrf_token": token, "email": "buyer@example.com", "password": "wrong password"})
    status, _headers, _body = fetch(
        stack,
        "POST",
        "/login",
        headers={
            "Cookie": cookie,
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": stack.base,
            "Referer": stack.base + "/login",
            "X-Forwarded-For": claimed,
        },
        body=form,
        source=source,
    )
    return status


def test_eleven_failed_logins_from_one_address_are_stopped_across_workers_but_not_another_address(stack):
    # Each attempt claims another address: nginx replaces X-Forwarded-For with the one it saw.
    statuses = [_failed_login(stack, "127.0.0.2", f"10.0.0.{n}") for n in range(11)]
    assert statuses == [200] * 10 + [429]
    # Another client is not locked out: the count is per address, not the proxy's.
    email, password = stack.credentials()
    status, headers, body = fetch(stack, "GET", "/login", source="127.0.0.3")
    cookie = headers["Set-Cookie"].split(";", 1)[0]
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body).group(1).decode()
    status, headers, _body = fetch(
        stack,
        "POST",
        "/login",
        headers={
            "Cookie": cookie,
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": stack.base,
            "Referer": stack.base + "/login",
            "X-Forwarded-For": "127.0.0.2",
        },
        body=urlencode({"csrf_token": token, "email": email, "password": password}),
        source="127.0.0.3",
    )
    assert (status, headers["Location"]) == (302, "/")


# --- the logs (last: it reads what every test before it made the set-up write) -----------------------


def test_no_log_file_contains_a_vendor_token(stack):
    token = sorted(stack.tokens)[0]
    # Tokens where a log could pick them up: path, query (plain and encoded), Referer, plain HTTP,
    # a 404 under a link, and a body nginx refuses itself (an error-level message quoting the request).
    fetch(stack, "GET", f"/v/{token}/s/A?add=B1")
    fetch(stack, "GET", f"/v/{token}/nope")
    fetch(stack, "GET", f"/login?next=/v/{token}/s/A&again=%2Fv%2F{token}")
    fetch(stack, "GET", "/static/style.css", headers={"Referer": f"{stack.base}/v/{token}/s/A?x=/v/{token}"})
    fetch(stack, "GET", f"/v/{token}", plain=True)
    assert (
        fetch(stack, "POST", f"/v/{token}/s/B", headers={"Content-Length": str(30 * 1024 * 1024)}, body=b"")[0] == 413
    )
    stack_logs = {path.name: path.read_text(encoding="utf-8", errors="replace") for path in stack.log_files()}
    assert {"nginx-access.log", "nginx-error.log", "gunicorn-access.log", "gunicorn-error.log"} <= set(stack_logs)
    leaks = {name: sorted(t for t in stack.tokens if t in text) for name, text in stack_logs.items()}
    assert {name: found for name, found in leaks.items() if found} == {}
    # The requests were logged, with the token replaced: the redaction is what kept it out.
    assert "/v/[token]/s/A?add=B1" in stack_logs["nginx-access.log"]
    assert "/v/[token]/s/A?add=B1" in stack_logs["gunicorn-access.log"]
    assert f"{stack.base}/v/[token]/s/A" in stack_logs["nginx-access.log"]
    assert len(stack.tokens) >= len(DEMO_VENDORS) + 2  # the demo's, the buyer's new link, the vendor journey's
