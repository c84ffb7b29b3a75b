"""Rate limits: login attempts (Flask-Limiter) and guesses at vendor links (its `limits` counter).

Counted per client address in the process's memory: with several gunicorn workers each
keeps its own count, so the effective limit is that many times higher. Set
RATELIMIT_STORAGE_URI (e.g. redis://...) in instance/config.py to share one count.
"""

from __future__ import annotations

from flask import Flask
from flask import abort
from flask import g
from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse

from stagefour import store
from stagefour.evaluations import hash_token
from views.db import get_db

LOGIN = "10 per minute"
# Only refused lookups count, so a vendor working through the questionnaire is never slowed;
# someone trying tokens is stopped after this many misses, on every link, found or not.
LINK_GUESSES = "60 per 10 minutes"
LINK_PREFIX = "/v/"  # every URL that carries a vendor token
LOST_LINK = "/v/lost"  # but this one

# No storage_uri here: a constructor argument would override RATELIMIT_STORAGE_URI from the config.
limiter = Limiter(key_func=get_remote_address)
_GUESSES = parse(LINK_GUESSES)


def find_link(token: str) -> dict | None:
    """The invitation a link's token opens, or None: looked up once a request, by the guard, then the view."""
    found = g.get("vendor_link")
    if found is None or found[0] != token:
        found = g.vendor_link = (token, store.find_invitation(get_db(), hash_token(token)))
    return found[1]


def _guard_links() -> None:
    """Before any vendor-link request, and before CSRFProtect: 429 for a client out of misses, 404 for a miss.

    Flask-Limiter's route and blueprint limits resolve their configuration on every request
    (~0.1 ms, a tenth of a vendor page, bench/vendor_page.py); the counter behind them does
    not, so the link routes ask it directly, through the same storage and the same switch.
    A token that opens nothing is answered here, so a POST without a CSRF token counts as a
    guess like any other instead of getting CSRF's 400 uncounted; the view reuses the lookup.
    """
    if not _guarded_here():
        return
    if limiter.enabled and not limiter.limiter.test(_GUESSES, "link-guesses", get_remote_address()):
        abort(429)
    token = (request.view_args or {}).get("token")
    if token is not None and find_link(token) is None:
        abort(404)


def _count_link_misses(response):
    """A vendor-link request that found nothing (404) counts as a guess."""
    if limiter.enabled and response.status_code == 404 and _guarded_here():
        limiter.limiter.hit(_GUESSES, "link-guesses", get_remote_address())
    return response


def _guarded_here() -> bool:
    """Whether this request is on a vendor link (and so counted by the guard, not by Flask-Limiter)."""
    # The lost-link page (views/lost_link.py) carries no token: Flask-Limiter counts its requests.
    return request.path.startswith(LINK_PREFIX) and request.path != LOST_LINK


def init_app(app: Flask) -> None:
    """Flask-Limiter for the decorated limits, and the guard of the vendor links (call before CSRFProtect's)."""
    limiter.init_app(app)
    # The link routes have no Flask-Limiter limit (the guard below counts for them), so
    # Flask-Limiter skips its per-request resolution there, through its documented filter.
    limiter.request_filter(_guarded_here)
    app.before_request(_guard_links)
    app.after_request(_count_link_misses)
