"""deploy/gunicorn.conf.py's logger: no vendor token in gunicorn's access or error log, in any shape it arrives.

test_https.py proves it through the running set-up for the requests a browser makes; this proves
it for each place a token can sit, including the error log's tracebacks, without starting anything.
"""

from __future__ import annotations

import runpy
from datetime import timedelta
from pathlib import Path

import pytest
from gunicorn.config import Config

CONF = runpy.run_path(str(Path(__file__).resolve().parents[2] / "deploy" / "gunicorn.conf.py"))
TOKEN = "jBKghZUvbqPC3P_KQWcoY0c3zANzjKFwtXVLUBQkjr4"

# Each place a token can appear in a logged line, and the classes: path, query (plain, encoded in
# either case), Referer, twice in one line, at the end of a line, before a fragment.
CARRIERS = [
    f"/v/{TOKEN}",
    f"/v/{TOKEN}/s/B?add=B1",
    f"/v/{TOKEN}/receipt.pdf",
    f"/login?next=/v/{TOKEN}/s/A",
    f"/login?next=%2Fv%2F{TOKEN}%2Fs%2FA",
    f"/login?next=%2fv%2f{TOKEN}",
    f"https://diligence.example.com/v/{TOKEN}/s/A#B5",
    f"/v/{TOKEN}/s/A?next=/v/{TOKEN}",
    f'"GET /v/{TOKEN} HTTP/1.1"',
]


@pytest.mark.parametrize("text", CARRIERS)
def test_redact_replaces_every_token(text):
    redacted = CONF["redact"].redact(text)
    assert TOKEN not in redacted
    assert "[token]" in redacted


@pytest.mark.parametrize("text", ["/login", "/evaluations/12/vendors/3", "/static/vendor.js", "/v", "/vendors/x"])
def test_redact_leaves_other_urls_alone(text):
    assert CONF["redact"].redact(text) == text


class _Response:
    status = "200 OK"
    headers = [("Content-Type", "text/html")]
    sent = 1234


@pytest.fixture
def logger(tmp_path):
    """deploy/gunicorn.conf.py's logger class with its access format, writing to two files."""
    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("errorlog", str(tmp_path / "error.log"))
    cfg.set("access_log_format", CONF["access_log_format"])
    log = CONF["logger_class"](cfg)
    yield log
    for each in (log.error_log, log.access_log):
        for handler in list(each.handlers):
            each.removeHandler(handler)
            handler.close()


@pytest.mark.parametrize("carrier", CARRIERS)
def test_the_access_log_never_holds_a_token(logger, tmp_path, carrier):
    path, _, query = carrier.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": carrier,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.0",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": f"https://diligence.example.com{carrier}",
        "HTTP_USER_AGENT": "Chromium",
    }
    logger.access(_Response(), [("Referer", environ["HTTP_REFERER"])], environ, timedelta(milliseconds=5))
    line = (tmp_path / "access.log").read_text(encoding="utf-8")
    assert TOKEN not in line
    assert line.count("[token]") >= 2  # the request line and the Referer
    assert '" 200 1234 "' in line


def test_the_error_log_never_holds_a_token_in_messages_or_tracebacks(logger, tmp_path):
    logger.error("Error handling request %s", f"/v/{TOKEN}/s/B")
    logger.warning(f"slow: /v/{TOKEN}")
    try:
        raise RuntimeError(f"boom on /v/{TOKEN}/s/A")
    except RuntimeError:
        logger.exception("Error handling request %s", f"/login?next=%2Fv%2F{TOKEN}")
    text = (tmp_path / "error.log").read_text(encoding="utf-8")
    assert TOKEN not in text
    for message in ("request /v/[token]/s/B", "slow: /v/[token]", "next=%2Fv%2F[token]"):
        assert message in text
    assert "RuntimeError: boom on /v/[token]/s/A" in text
