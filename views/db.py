"""One database connection per request, on `g`; migrations at start-up."""

from __future__ import annotations

from flask import Flask
from flask import current_app
from flask import g

from stagefour import store


def get_db():
    """The request's database connection, opened on first use."""
    if "db" not in g:
        g.db = store.open_db(current_app.config["DATABASE"])
    return g.db


def close_db(exception: BaseException | None = None) -> None:
    """Close the request's connection, if one was opened."""
    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_app(app: Flask) -> None:
    """Apply pending migrations now and close connections after each request."""
    database = store.open_db(app.config["DATABASE"])
    try:
        store.migrate(database)
    finally:
        database.close()
    app.teardown_appcontext(close_db)
