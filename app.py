"""Stagefour: create_app() builds the Flask application (config, extensions, blueprints, CLI)."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask

import commands


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, then instance/config.py, then the test config."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        DATABASE=str(Path(app.instance_path) / "stagefour.sqlite3"),
        QUESTIONNAIRE_FOLDER=str(Path(app.root_path) / "questionnaires"),
    )
    if test_config is None:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        _ensure_secret_key(Path(app.instance_path) / "config.py")
        app.config.from_pyfile("config.py")
    else:
        app.config.from_mapping(test_config)
    commands.register(app)
    return app


def _ensure_secret_key(config_file: Path) -> None:
    """Generate instance/config.py with a random SECRET_KEY on first run; never a default."""
    if not config_file.exists():
        config_file.write_text(f"SECRET_KEY = {secrets.token_hex(32)!r}\n", encoding="utf-8")
        config_file.chmod(0o600)
