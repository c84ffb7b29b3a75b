"""Operations: no vendor token in any log, none in the session cookie, private files under instance/,
nothing private kept by a cache, and the link guard counting before CSRF answers (issue 10, item 4)."""

from __future__ import annotations

import importlib.util
import io
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from stagefour import redact

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "q3Vt9kR2mZ8xW1aB4cD7eF0gH5iJ6kL9mN2oP3qR4sT"  # the shape of secrets.token_urlsafe(32)
GUESS = "not-a-token-at-all%20x"  # what a guesser puts there: as secret in a log as a real one


# --- no token in any log ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # a request path, as Flask's exception log and Werkzeug's request line name it
        (f"Exception on /v/{TOKEN} [GET]", "Exception on /v/[token] [GET]"),
        (f'"POST /v/{TOKEN}/s/B/autosave HTTP/1.1" 200 -', '"POST /v/[token]/s/B/autosave HTTP/1.1" 200 -'),
        (f"/v/{TOKEN}/receipt.pdf?size=a4", "/v/[token]/receipt.pdf?size=a4"),
        (f"/v/{TOKEN}?lang=de#top", "/v/[token]?lang=de#top"),
        # a full URL, as a Referer or an e-mail body quotes it
        (f"https://stagefour.example/v/{TOKEN}/s/A", "https://stagefour.example/v/[token]/s/A"),
        (f'referer="http://127.0.0.1:5000/v/{TOKEN}"', 'referer="http://127.0.0.1:5000/v/[token]"'),
        # a URL inside a query string, escaped or not
        (f"/language?next=%2Fv%2F{TOKEN}%2Fs%2FA", "/language?next=%2Fv%2F[token]%2Fs%2FA"),
        (f"/login?next=%2fv%2f{TOKEN}", "/login?next=%2fv%2f[token]"),
        (f"/language?next=/v/{TOKEN}&x=1", "/language?next=/v/[token]&x=1"),
        # a guess, malformed or escaped: the token part goes whatever its shape
        (f"/v/{GUESS}/s/A", "/v/[token]/s/A"),
        (f"/v/{TOKEN[:5]}", "/v/[token]"),
        # two links on one line, and a line already redacted
        (f"/v/{TOKEN} then /v/{GUESS}", "/v/[token] then /v/[token]"),
        ("/v/[token]/s/A", "/v/[token]/s/A"),
        # no link: nothing changes
        ("GET /evaluations/3/vendors/4/response.pdf", "GET /evaluations/3/vendors/4/response.pdf"),
        ("/static/vendor.js", "/static/vendor.js"),
    ],
)
def test_redact_replaces_the_token_of_every_vendor_link_in_a_line(line, expected):
    assert redact.redact(line) == expected


def _vendor_page_that_raises(monkeypatch, app):
    """Make the vendor overview fail, with the request's URL in the exception's message."""
    from flask import request

    import views.vendor

    def fail(*args, **kwargs):
        raise RuntimeError(f"could not work out the progress of {request.url}")

    monkeypatch.setattr(views.vendor, "completeness", fail)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: a 500 page, and the traceback logged


def test_an_exception_on_a_vendor_page_is_logged_without_the_token(app, client, make_vendor, monkeypatch, caplog):
    token = make_vendor()["token"]
    _vendor_page_that_raises(monkeypatch, app)
    with caplog.at_level(logging.ERROR):
        response = client.get(f"/v/{token}?next=%2Fv%2F{token}", headers={"Referer": f"http://x/v/{token}"})
    assert response.status_code == 500
    [record] = [r for r in caplog.records if r.exc_info]
    assert record.getMessage() == "Exception on /v/[token] [GET]"
    assert "RuntimeError: could not work out the progress of http://localhost/v/[token]?next=" in record.exc_text
    assert "Traceback (most recent call last)" in caplog.text and "RuntimeError" in caplog.text
    assert token not in caplog.text
    assert not [r for r in caplog.records if token in logging.Formatter().format(r)]


@pytest.fixture
def served(app):
    """The app under Werkzeug's own server on a free loopback port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    server.server_close()


@pytest.mark.parametrize("found", [True, False], ids=["a real link", "a guess"])
def test_werkzeugs_request_log_names_vendor_links_without_the_token(served, make_vendor, caplog, found):
    token = make_vendor()["token"] if found else GUESS
    caplog.set_level(logging.INFO, logger="werkzeug")
    try:
        with urllib.request.urlopen(f"{served}/v/{token}/s/A?next=%2Fv%2F{token}") as reply:
            status = reply.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    assert status == (200 if found else 404)
    # Werkzeug shows the URL unquoted, between colour codes.
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", r.getMessage()) for r in caplog.records if r.name == "werkzeug"]
    assert [line for line in lines if f'"GET /v/[token]/s/A?next=/v/[token] HTTP/1.1" {status}' in line], lines
    assert token not in caplog.text


GUNICORN_WSGI = """\
from app import create_app

app = create_app({"SECRET_KEY": "ops", "DATABASE": %r, "UPLOAD_FOLDER": %r, "REPORT_FOLDER": %r})
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.skipif(importlib.util.find_spec("gunicorn") is None, reason="gunicorn is not installed")
def test_gunicorns_access_and_error_logs_name_vendor_links_without_the_token(app, make_vendor, tmp_path):
    """gunicorn's default access format logs the request line and the Referer; the app's filter redacts both."""
    token = make_vendor()["token"]
    config = app.config
    (tmp_path / "ops_wsgi.py").write_text(
        GUNICORN_WSGI % (config["DATABASE"], config["UPLOAD_FOLDER"], config["REPORT_FOLDER"]), encoding="utf-8"
    )
    port, logs = _free_port(), {name: tmp_path / f"{name}.log" for name in ("access", "error")}
    command = [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "--log-level", "debug",
               "--access-logfile", str(logs["access"]), "--error-logfile", str(logs["error"]),
               "--pythonpath", f"{tmp_path},{ROOT}", "ops_wsgi:app"]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
    try:
        for attempt in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2).close()
                break
            except OSError:
                assert server.poll() is None and attempt < 199, "gunicorn did not start"
                time.sleep(0.1)
        statuses = []
        for path in (f"/v/{token}/s/A?next=%2Fv%2F{token}", f"/v/{GUESS}/review"):
            headers = {"Referer": f"http://127.0.0.1:{port}/v/{token}/s/B"}
            try:
                with urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)):
                    statuses.append(200)
            except urllib.error.HTTPError as exc:
                statuses.append(exc.code)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
    assert statuses == [200, 404]
    access = logs["access"].read_text(encoding="utf-8")
    assert '"GET /v/[token]/s/A?next=%2Fv%2F[token] HTTP/1.1" 200' in access, access
    assert '"GET /v/[token]/review HTTP/1.1" 404' in access, access
    assert f'"http://127.0.0.1:{port}/v/[token]/s/B"' in access, access  # the Referer
    for name, path in logs.items():
        text = path.read_text(encoding="utf-8")
        assert token not in text and GUESS not in text, f"{name} log: {text}"


def test_the_filter_is_on_every_logger_that_names_urls(app):
    from app import LOGGERS_WITH_URLS

    for logger in (app.logger, *map(logging.getLogger, LOGGERS_WITH_URLS)):
        assert redact.FILTER in logger.filters, logger.name


class Kept(logging.Handler):
    """A handler that keeps what it is given, formatted."""

    def __init__(self):
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.mark.parametrize("logger", ["", "gunicorn.error"], ids=["root", "gunicorn.error"])
def test_what_any_module_logs_is_redacted_by_the_handlers_in_place_when_the_app_starts(tmp_path, logger):
    """A job library's or a module's own logger has no filter of ours, but its records meet our handlers' filter."""
    from app import create_app

    handler, target = Kept(), logging.getLogger(logger)
    target.addHandler(handler)
    try:
        create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE": str(tmp_path / "db.sqlite3"),
                    "UPLOAD_FOLDER": str(tmp_path / "up")})  # fmt: skip
        child = logging.getLogger(f"{logger}.a_module_of_a_library".lstrip("."))
        child.setLevel(logging.INFO)
        try:
            raise ValueError(f"cannot send https://h/v/{TOKEN}")
        except ValueError:
            child.exception("task for /v/%s failed", TOKEN)
    finally:
        target.removeHandler(handler)
    [line] = handler.lines
    assert (
        line.startswith("task for /v/[token] failed\nTraceback")
        and "ValueError: cannot send https://h/v/[token]" in line
    )
    assert TOKEN not in line


def test_a_record_logged_through_a_filtered_logger_reaches_handlers_redacted(app, caplog):
    with caplog.at_level(logging.INFO):
        app.logger.warning("link e-mail for %s failed", f"https://h/v/{TOKEN}")
        logging.getLogger("gunicorn.access").info(
            '%(h)s "%(r)s" %(s)s "%(f)s"',
            {"h": "10.0.0.1", "r": f"GET /v/{TOKEN}/s/A HTTP/1.1", "s": "200", "f": f"https://h/v/{TOKEN}/s/B"},
        )
    assert [r.getMessage() for r in caplog.records] == [
        "link e-mail for https://h/v/[token] failed",
        '10.0.0.1 "GET /v/[token]/s/A HTTP/1.1" 200 "https://h/v/[token]/s/B"',
    ]


# --- files under instance/ are private -----------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def permissive_umask():
    """Start from the usual shell umask (022), as a fresh process would; the old one is put back after."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.fixture
def production_app(tmp_path, monkeypatch, permissive_umask):
    """create_app() as `flask run` and gunicorn call it (no test config), on an instance/ in tmp_path."""
    from flask import Flask

    from app import create_app
    from stagefour import report

    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(tmp_path / "instance"))
    monkeypatch.setattr(report, "render_pdf", lambda html, progress=None: report.Rendered(PDF, 1, 0.0, 0.0))
    app = create_app()
    app.config.update(WTF_CSRF_ENABLED=False)  # the forms are posted by the test client
    return app


def _modes(folder: Path) -> dict[str, str]:
    """Every file and folder under `folder` (itself included) with its permission bits."""
    found = {".": oct(folder.stat().st_mode & 0o777)}
    for path in folder.rglob("*"):
        found[str(path.relative_to(folder))] = oct(path.stat().st_mode & 0o777)
    return found


def test_every_file_the_app_creates_under_instance_is_private(production_app, tmp_path):
    from stagefour import store
    from views.auth import hash_password

    app, instance = production_app, tmp_path / "instance"
    db = store.open_db(app.config["DATABASE"])
    owner = store.create_user(db, "owner@example.com", hash_password("a long password"), "owner")
    store.set_membership(db, store.create_team(db, "Procurement", "test"), owner, "owner", "test")
    client = app.test_client()
    with client.session_transaction() as session:
        session["user_id"] = owner
    # Through the app: an evaluation, a vendor (and its link), an upload, a response PDF.
    assert (
        client.post("/evaluations/new", data={"questionnaire": "ai-deployment-partner", "title": "Ops"}).status_code
        == 302
    )
    [evaluation] = store.list_evaluations(db)
    assert client.post(f"/evaluations/{evaluation['id']}/vendors", data={"name": "Delta Corp"}).status_code == 302
    token = re.search(r"/v/([A-Za-z0-9_-]{43})", client.get(f"/evaluations/{evaluation['id']}").get_data(as_text=True))[
        1
    ]
    file = {"B5": (io.BytesIO(PDF), "architecture.pdf", "application/pdf")}
    assert app.test_client().post(f"/v/{token}/s/B", data=file, content_type="multipart/form-data").status_code == 302
    [vendor] = store.list_vendors(db, evaluation["id"])
    # The PDF is made by the job queue's consumer in this process: ask again, as the progress page does.
    url = f"/evaluations/{evaluation['id']}/vendors/{vendor['id']}/response.pdf"
    for _ in range(600):
        with client.get(url) as pdf:
            if pdf.status_code != 202:
                break
        time.sleep(0.1)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    # Outside a request: `flask backup`, into a folder of the operator's choosing.
    (tmp_path / "backups").mkdir()
    backup = tmp_path / "backups" / "nightly.sqlite3"
    assert app.test_cli_runner().invoke(args=["backup", str(backup)]).exit_code == 0
    [upload] = store.load_answers(db, vendor["response_id"])["B5"]
    db.close()

    modes = _modes(instance)
    kinds = {
        "instance/": ".",
        "config.py": "config.py",
        "database": "stagefour.sqlite3",
        "its -wal": "stagefour.sqlite3-wal",
        "its -shm": "stagefour.sqlite3-shm",
        "uploads/": "uploads",
        "an upload": f"uploads/{upload['id']}",
        "reports/": "reports",
        "a PDF": next(name for name in modes if name.endswith(".pdf")),
    }
    assert {kind: modes.get(name) for kind, name in kinds.items()} == {
        kind: "0o700" if kind.endswith("/") else "0o600" for kind in kinds
    }
    assert {name for name, mode in modes.items() if mode not in ("0o600", "0o700")} == set(), modes
    assert oct(backup.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o027], ids=oct)
def test_a_backup_is_private_whatever_the_umask(app, db, tmp_path, umask):
    from stagefour import store

    previous = os.umask(umask)
    try:
        store.backup_to(db, str(tmp_path / "copy.sqlite3"))
    finally:
        os.umask(previous)
    assert oct((tmp_path / "copy.sqlite3").stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".copy")] == []


# --- the link guard counts before CSRF answers, and costs the vendor no query -----------------------


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "", 200),
        ("GET", "/s/C", 200),
        ("POST", "/s/C", 302),
        ("POST", "/s/C/autosave", 200),
        ("GET", "/review", 200),
        ("GET", "/receipt.pdf", 404),  # not submitted yet
        ("POST", "/language", 302),
    ],
)
def test_a_link_is_looked_up_once_a_request_by_the_guard_and_the_view_together(
    client, make_vendor, monkeypatch, method, path, status
):
    from stagefour import store

    token = make_vendor()["token"]
    lookups = []
    real = store.find_invitation

    def counted(db, token_hash):
        lookups.append(token_hash)
        return real(db, token_hash)

    monkeypatch.setattr(store, "find_invitation", counted)
    response = client.open(f"/v/{token}{path}", method=method, data={"C4": "x", "language": "de"})
    assert response.status_code == status
    assert len(lookups) == 1
