"""Stagefour: create_app() builds the Flask application (config, extensions, blueprints, CLI)."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

import commands
from stagefour import jobs
from stagefour import redact
from stagefour.messages import catalogue_languages
from views import accounts
from views import admin
from views import audit
from views import auth
from views import buyer
from views import db
from views import decision
from views import errors
from views import exports
from views import i18n
from views import library
from views import limits
from views import lost_link
from views import notifications
from views import offline
from views import oidc
from views import reassess
from views import reports
from views import review
from views import scoring
from views import vendor
from views.csrf import SameOriginCSRFProtect

csrf = SameOriginCSRFProtect()
PRIVATE_UMASK = 0o077

# Every logger whose lines may carry a request's URL; the root one for lines logged on it directly.
LOGGERS_WITH_URLS = ("", "werkzeug", "gunicorn.error", "gunicorn.access")


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, then instance/config.py, then the test config."""
    # Everything this process creates (instance/, the database and its -wal/-shm, uploads,
    # PDFs, backups) is readable by its own user only: 0600 files, 0700 folders, whichever
    # module or library creates them (SQLite, WeasyPrint's callers, tempfiles).
    os.umask(PRIVATE_UMASK)
    # STAGEFOUR_INSTANCE (an absolute path) puts instance/ elsewhere, e.g. for the production tests.
    app = Flask(__name__, instance_path=os.environ.get("STAGEFOUR_INSTANCE") or None, instance_relative_config=True)
    # Flask's exception log names the request's path; Werkzeug's and gunicorn's name the URL.
    redact.install(*map(logging.getLogger, LOGGERS_WITH_URLS), app.logger)
    instance = Path(app.instance_path)
    app.config.from_mapping(
        DATABASE=str(instance / "stagefour.sqlite3"),
        UPLOAD_FOLDER=str(instance / "uploads"),
        QUESTIONNAIRE_FOLDER=str(Path(app.root_path) / "questionnaires"),
        MAX_CONTENT_LENGTH=25 * 1024 * 1024,  # a whole section with several files
        MAX_FILE_BYTES=10 * 1024 * 1024,
        # All the files of one response together (SECURITY.md, "Bounds"); refused or replaced uploads don't count.
        RESPONSE_QUOTA_BYTES=100 * 1024 * 1024,
        # A section with 200 deployment rows of 17 fields is ~3,500 form fields (Werkzeug's default: 1,000).
        MAX_FORM_PARTS=5000,
        LINK_VALID_DAYS=90,
        # The address vendors open (e.g. https://stagefour.example.com): links in reminders sent from the CLI.
        BASE_URL=None,
        # How long an invitation or password-reset link works (it works once).
        ACCOUNT_LINK_HOURS=72,
        # A vendor may keep a section open for hours: a CSRF token that expires after an hour
        # would turn their next save into an error. It stays bound to the session instead.
        WTF_CSRF_TIME_LIMIT=None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # The languages with a catalogue in translations/: adding a language adds no code.
        LANGUAGES=catalogue_languages(Path(__file__).resolve().parent / "translations"),
        MAIL_SERVER=None,
        MAIL_PORT=25,
        MAIL_SENDER="stagefour@localhost",
        MAIL_USE_TLS=False,
        MAIL_USERNAME=None,
        MAIL_PASSWORD=None,
        # Behind a reverse proxy: how many proxies set each X-Forwarded-* header, as ProxyFix's
        # arguments, e.g. {"x_for": 1, "x_proto": 1, "x_host": 1} for one nginx (DEPLOYING.md).
        # Off by default: trusting these headers without a proxy lets clients forge their address.
        PROXY_FIX=None,
        RATELIMIT_STORAGE_URI="memory://",
        REPORT_FOLDER=str(instance / "reports"),
        # Background jobs (stagefour/jobs.py): unset → SQLite in instance/jobs.sqlite3; "redis://…".
        JOBS_URL=None,
        # Run the job consumer's threads inside the web process (`make run`); off when
        # `flask --app app run-jobs` runs beside gunicorn (DEPLOYING.md).
        JOBS_IN_PROCESS=True,
        JOBS_WORKERS=1,
        JOBS_POLL_SECONDS=1.0,
        REPORT_MAX_PAGES=300,
        REPORT_MAX_SECONDS=120,
        MAIL_RETRIES=5,
        MAIL_RETRY_DELAY=30,  # seconds, doubled after each failed try (~15 min in all)
        # Sessions end after this long without a request, and this long after the login (SECURITY.md).
        SESSION_IDLE_MINUTES=60,
        SESSION_MAX_HOURS=12,
        # Single sign-on with OpenID Connect (README, "Single sign-on"): off while OIDC_ISSUER is None.
        OIDC_ISSUER=None,
        OIDC_CLIENT_ID=None,
        OIDC_CLIENT_SECRET=None,
        OIDC_SCOPES="openid email profile",
        OIDC_LABEL=None,
        OIDC_GROUPS_CLAIM="groups",
        OIDC_GROUPS={},
        OIDC_PROVISION=False,
    )
    if test_config is None:
        instance.mkdir(parents=True, exist_ok=True)
        _ensure_secret_key(instance / "config.py")
        app.config.from_pyfile("config.py")
    else:
        app.config.from_mapping(test_config)
    Path(app.config["UPLOAD_FOLDER"]).mkdir(parents=True, exist_ok=True)
    # Tests run jobs as they are queued (Huey's immediate mode) unless they ask for a real queue.
    app.config.setdefault("JOBS_IMMEDIATE", app.testing)
    if app.config["PROXY_FIX"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, **app.config["PROXY_FIX"])

    # The limits first: their before_request hooks answer before CSRFProtect's, so a POST to a
    # link that opens nothing is a counted guess (404), not an uncounted CSRF error (400).
    limits.init_app(app)
    csrf.init_app(app)
    i18n.init_app(app)
    db.init_app(app)
    errors.init_app(app)
    app.extensions["jobs"] = jobs.Jobs.from_config(app.config, app.instance_path)
    if app.config["JOBS_IN_PROCESS"] and not app.config["JOBS_IMMEDIATE"]:
        # Started by the first request, so each gunicorn worker (forked after import) gets its own threads.
        app.before_request(app.extensions["jobs"].ensure_consumer)
    app.register_blueprint(auth.bp)
    app.register_blueprint(oidc.bp)
    app.register_blueprint(buyer.bp)
    app.register_blueprint(lost_link.bp)
    app.register_blueprint(vendor.bp)
    app.register_blueprint(offline.bp)
    app.register_blueprint(review.bp)
    app.register_blueprint(scoring.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(audit.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(accounts.bp)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(decision.bp)
    app.register_blueprint(library.bp)
    app.register_blueprint(reassess.bp)
    commands.register(app)
    return app


def _ensure_secret_key(config_file: Path) -> None:
    """Generate instance/config.py with a random SECRET_KEY on first run; never a default."""
    if not config_file.exists():
        config_file.write_text(f"SECRET_KEY = {secrets.token_hex(32)!r}\n", encoding="utf-8")
        config_file.chmod(0o600)
