"""Stagefour: create_app() builds the Flask application (config, extensions, blueprints, CLI)."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

import commands
from views import accounts
from views import audit
from views import auth
from views import buyer
from views import db
from views import errors
from views import exports
from views import i18n
from views import limits
from views import reports
from views import review
from views import vendor

csrf = CSRFProtect()


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, then instance/config.py, then the test config."""
    app = Flask(__name__, instance_relative_config=True)
    instance = Path(app.instance_path)
    app.config.from_mapping(
        DATABASE=str(instance / "stagefour.sqlite3"),
        UPLOAD_FOLDER=str(instance / "uploads"),
        QUESTIONNAIRE_FOLDER=str(Path(app.root_path) / "questionnaires"),
        MAX_CONTENT_LENGTH=25 * 1024 * 1024,  # a whole section with several files
        MAX_FILE_BYTES=10 * 1024 * 1024,
        # A section with 200 deployment rows of 17 fields is ~3,500 form fields (Werkzeug's default: 1,000).
        MAX_FORM_PARTS=5000,
        LINK_VALID_DAYS=90,
        # How long an invitation or password-reset link works (it works once).
        ACCOUNT_LINK_HOURS=72,
        # A vendor may keep a section open for hours: a CSRF token that expires after an hour
        # would turn their next save into an error. It stays bound to the session instead.
        WTF_CSRF_TIME_LIMIT=None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        LANGUAGES=("en", "de", "fr"),
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
    )
    if test_config is None:
        instance.mkdir(parents=True, exist_ok=True)
        _ensure_secret_key(instance / "config.py")
        app.config.from_pyfile("config.py")
    else:
        app.config.from_mapping(test_config)
    Path(app.config["UPLOAD_FOLDER"]).mkdir(parents=True, exist_ok=True)
    if app.config["PROXY_FIX"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, **app.config["PROXY_FIX"])

    csrf.init_app(app)
    limits.init_app(app)
    i18n.init_app(app)
    db.init_app(app)
    errors.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(buyer.bp)
    app.register_blueprint(vendor.bp)
    app.register_blueprint(review.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(audit.bp)
    app.register_blueprint(accounts.bp)
    commands.register(app)
    return app


def _ensure_secret_key(config_file: Path) -> None:
    """Generate instance/config.py with a random SECRET_KEY on first run; never a default."""
    if not config_file.exists():
        config_file.write_text(f"SECRET_KEY = {secrets.token_hex(32)!r}\n", encoding="utf-8")
        config_file.chmod(0o600)
