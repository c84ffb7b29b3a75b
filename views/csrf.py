"""Cross-site request forgery: Flask-WTF's token on every POST, and the browser's word on where it came from.

Flask-WTF checks the token and, over HTTPS, that the Referer is this site (WTF_CSRF_SSL_STRICT, kept
on). The pages send `Referrer-Policy: same-origin` (views/errors.py), so a browser sends a Referer and
a real `Origin` to this site only; the token-bearing vendor URL still never reaches another site.

On top of both, a browser that says a POST comes from elsewhere is refused before any view runs:
- `Origin` present and not this site's origin (`null` included: a sandboxed frame, a redirect from
  another site): a page on another site, or a sibling subdomain sharing our SameSite=Lax cookie, can
  never post here, even if a token leaked.
- `Sec-Fetch-Site` present and neither `same-origin` nor `none`: the same, for the browsers that send it.
Clients that send neither header (curl, scripts, old browsers) are judged by the token and Referer alone.
"""

from __future__ import annotations

from flask import g
from flask import request
from flask_wtf.csrf import CSRFProtect

# `none` is a request the person started themselves (typed, bookmarked), never a page's doing.
SAME_SITE_FETCHES = ("same-origin", "none")


class SameOriginCSRFProtect(CSRFProtect):
    """CSRFProtect that also refuses a POST whose Origin or Sec-Fetch-Site names another site."""

    def protect(self, apply_exemptions=False):
        """Flask-WTF's token and Referer checks, then the origin the browser reports."""
        super().protect(apply_exemptions)
        # Flask-WTF marks only the requests it checked (a POST to a view that is not exempt).
        if g.get("csrf_valid"):
            self._check_origin()

    def _check_origin(self) -> None:
        origin = request.headers.get("Origin")
        # request.host_url follows X-Forwarded-Proto/-Host behind the proxy (PROXY_FIX): the public origin.
        if origin is not None and origin.lower() != request.host_url.rstrip("/").lower():
            g.csrf_valid = False  # an error handler that validates a form must not take it as checked
            self._error_response("The Origin header does not match the host.")
        fetch_site = request.headers.get("Sec-Fetch-Site")
        if fetch_site is not None and fetch_site.lower() not in SAME_SITE_FETCHES:
            g.csrf_valid = False
            self._error_response("The request comes from another site (Sec-Fetch-Site).")
