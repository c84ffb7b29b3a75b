"""CSRF with the checks on, over HTTP and HTTPS: the token, the Referer over HTTPS, and the browser's Origin.

A browser behind the shipped nginx sends what Chromium sends for a same-origin form or fetch: a
same-origin Referer (the pages ask for `Referrer-Policy: same-origin`), `Origin` and
`Sec-Fetch-Site: same-origin`. tests/production/ drives a real Chromium through HTTPS as well.
"""

from __future__ import annotations

import re

import pytest

from stagefour import store

from .conftest import PASSWORD
from .conftest import app_config

BASES = ["http://localhost", "https://stagefour.example"]


@pytest.fixture
def app(tmp_path):
    """The conftest app with CSRF on (as in production); exceptions become 500 pages."""
    from app import create_app

    return create_app(app_config(tmp_path, WTF_CSRF_ENABLED=True, PROPAGATE_EXCEPTIONS=False))


def snapshot(db) -> dict[str, list]:
    """Every row of every table, to prove a request wrote nothing."""
    return {table: sorted(map(repr, db[table].rows)) for table in db.table_names()}


def _browser(base: str, page: str) -> dict:
    """The headers Chromium sends with a form or fetch POST from `page` on this site."""
    return {"Origin": base, "Referer": base + page, "Sec-Fetch-Site": "same-origin"}


def _token(client, page: str) -> str:
    html = client.get(page).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


@pytest.fixture
def posts(app, db, make_vendor, make_user):
    """What a browser posts, by kind: (page it is on, URL it posts to, form without its token)."""
    vendor = make_vendor()
    make_user(email="buyer@example.com")
    section = f"/v/{vendor['token']}/s/A"
    return vendor, {
        "vendor save": (section, section, {"A2": "3"}),
        "autosave": (section, section + "/autosave", {"changed": "A2", "A2": "3", "base_versions": "{}"}),
        "login": ("/login", "/login", {"email": "buyer@example.com", "password": PASSWORD}),
    }


EXPECTED = {"vendor save": 302, "autosave": 200, "login": 302}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
@pytest.mark.parametrize("base", BASES)
def test_a_browser_post_from_this_site_with_its_token_is_accepted(app, db, posts, kind, base):
    vendor, by_kind = posts
    page, target, form = by_kind[kind]
    client = app.test_client()
    token = _token(client, base + page)
    response = client.post(base + target, data=form | {"csrf_token": token}, headers=_browser(base, page))
    assert response.status_code == EXPECTED[kind], response.get_data(as_text=True)[:500]
    if kind == "login":
        with client.session_transaction(base_url=base) as session:
            assert session.get("user_id") is not None
    else:
        assert store.load_answers(db, vendor["response_id"]) == {"A2": 3}


# Each class of "another site": another host, a sibling subdomain (same site, SameSite=Lax cookies
# go there), the same host on another scheme or port, an opaque origin; and Sec-Fetch-Site saying
# so without an Origin, or against a correct one.
FOREIGN = {
    "another site": {"Origin": "https://evil.example"},
    "a sibling subdomain": {"Origin": "https://evil.stagefour.example"},
    "the other scheme": {"Origin": "{other_scheme}"},
    "another port": {"Origin": "{base}:8443"},
    "an opaque origin": {"Origin": "null"},
    "a lookalike suffix": {"Origin": "{base}.evil.example"},
    "cross-site fetch without Origin": {"Origin": None, "Sec-Fetch-Site": "cross-site"},
    "same-site fetch without Origin": {"Origin": None, "Sec-Fetch-Site": "same-site"},
    "cross-site fetch with our Origin": {"Sec-Fetch-Site": "cross-site"},
}


def _foreign(base: str, case: str, page: str) -> dict:
    other_scheme = base.replace("https://", "http://") if base.startswith("https") else "https://localhost"
    headers = _browser(base, page)
    for name, value in FOREIGN[case].items():
        if value is None:
            del headers[name]
        else:
            headers[name] = value.format(base=base, other_scheme=other_scheme)
    return headers


@pytest.mark.parametrize("case", FOREIGN)
@pytest.mark.parametrize("kind", sorted(EXPECTED))
@pytest.mark.parametrize("base", BASES)
def test_a_post_the_browser_says_comes_from_another_site_is_refused_even_with_a_token(app, db, posts, base, kind, case):
    _vendor, by_kind = posts
    page, target, form = by_kind[kind]
    client = app.test_client()
    token = _token(client, base + page)
    before = snapshot(db)
    response = client.post(base + target, data=form | {"csrf_token": token}, headers=_foreign(base, case, page))
    assert response.status_code == 400
    assert snapshot(db) == before
    with client.session_transaction(base_url=base) as session:
        assert session.get("user_id") is None


@pytest.mark.parametrize("token", ["missing", "empty", "another session's", "garbage"])
@pytest.mark.parametrize("kind", sorted(EXPECTED))
@pytest.mark.parametrize("base", BASES)
def test_a_post_from_this_site_without_its_own_token_is_still_refused(app, db, posts, base, kind, token):
    _vendor, by_kind = posts
    page, target, form = by_kind[kind]
    client = app.test_client()
    own = _token(client, base + page)
    sent = {
        "missing": {},
        "empty": {"csrf_token": ""},
        "another session's": {"csrf_token": _token(app.test_client(), base + page)},
        "garbage": {"csrf_token": own[::-1]},
    }[token]
    before = snapshot(db)
    response = client.post(base + target, data=form | sent, headers=_browser(base, page))
    assert response.status_code == 400
    assert snapshot(db) == before


@pytest.mark.parametrize("referer", ["missing", "another site", "plain http"])
@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_over_https_a_post_needs_a_referer_from_this_site(app, db, posts, kind, referer):
    _vendor, by_kind = posts
    page, target, form = by_kind[kind]
    base = "https://stagefour.example"
    client = app.test_client()
    token = _token(client, base + page)
    headers = _browser(base, page)
    if referer == "missing":
        del headers["Referer"]
    else:
        headers["Referer"] = {"another site": "https://evil.example/", "plain http": "http://stagefour.example/"}[
            referer
        ] + page.lstrip("/")
    before = snapshot(db)
    response = client.post(base + target, data=form | {"csrf_token": token}, headers=headers)
    assert response.status_code == 400
    assert snapshot(db) == before


def test_a_refused_vendor_save_keeps_what_was_typed_on_the_page(app, db, posts):
    vendor, by_kind = posts
    page, target, form = by_kind["vendor save"]
    base = "https://stagefour.example"
    client = app.test_client()
    token = _token(client, base + page)
    headers = _browser(base, page) | {"Origin": "https://evil.example"}
    response = client.post(base + target, data={"A2": "7", "csrf_token": token}, headers=headers)
    assert response.status_code == 400
    assert re.search(r'id="A2"[^>]*value="7"', response.get_data(as_text=True))
    assert store.load_answers(db, vendor["response_id"]) == {}


@pytest.mark.parametrize("base", BASES)
def test_pages_ask_browsers_to_send_referers_to_this_site_only(app, posts, base):
    _vendor, by_kind = posts
    for page, _target, _form in by_kind.values():
        assert app.test_client().get(base + page).headers["Referrer-Policy"] == "same-origin"
