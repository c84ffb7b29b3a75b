"""Error pages and security headers."""

from __future__ import annotations

from flask import Flask
from flask import render_template
from flask import request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


def init_app(app: Flask) -> None:
    """Error handlers for every HTTP error and the CSRF error, and the security headers."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        messages = {
            400: _("The request could not be understood."),
            403: _("You do not have access to this page."),
            404: _("This page does not exist."),
            405: _("This action is not allowed here."),
            413: _("The upload is too large."),
            429: _("Too many requests. Please wait a minute and try again."),
        }
        message = messages.get(error.code, error.description)
        return render_template("errors/error.html", code=error.code, message=message), error.code

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        # Vendor pages have their own handler, which keeps what was typed (views/vendor.py).
        message = _("Your session expired or the form was sent twice. Go back, reload the page and try again.")
        return render_template("errors/error.html", code=400, message=message), 400

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        # Vendor links carry their token in the path: never send it to another site. Same-origin
        # requests keep their Referer and a real Origin, which the CSRF checks need over HTTPS
        # (views/csrf.py); `no-referrer` made browsers send neither, and every POST failed there.
        response.headers["Referrer-Policy"] = "same-origin"
        # Every page, export, PDF and file but the static ones is someone's private data (or,
        # on a vendor link, carries a working token): no browser or proxy cache may keep it.
        # No `Pragma: no-cache`: it only ever meant something to HTTP/1.0 caches (RFC 9111, 5.4).
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        return response
