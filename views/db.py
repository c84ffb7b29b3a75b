"""The request's database connection, on `g`; migrations at start-up.

A connection is kept per thread and reused by the requests that thread serves, never shared
between threads (a sqlite3 connection must not be). Opening one per request was measured at
~0.4 ms to parse the schema, and ~3 ms more whenever its close was the last one on the file,
because SQLite then checkpoints the WAL and deletes it (bench/vendor_page.py, issue 3).
"""

from __future__ import annotations

import os
import threading

from flask import Flask
from flask import current_app
from flask import g
from werkzeug.routing import IntegerConverter

from stagefour import store

_local = threading.local()


def get_db():
    """The request's database connection: this thread's, opened on first use."""
    if "db" not in g:
        path = current_app.config["DATABASE"]
        key = (os.getpid(), path)  # a forked worker never reuses its parent's connection
        if getattr(_local, "key", None) != key:
            previous = getattr(_local, "db", None)
            if previous is not None and getattr(_local, "key", (None,))[0] == os.getpid():
                previous.close()
            _local.db, _local.key = store.open_db(path), key
        g.db = _local.db
    return g.db


def release_db(exception: BaseException | None = None) -> None:
    """End the request's use of the connection; a transaction left open is rolled back."""
    db = g.pop("db", None)
    if db is not None and db.conn.in_transaction:
        db.conn.rollback()


class RowIdConverter(IntegerConverter):
    """`<int:...>` in a URL, bounded to what SQLite stores: a larger id is a 404, never a 500."""

    def __init__(
        self, map, fixed_digits: int = 0, min: int | None = None, max: int = store.MAX_ROW_ID, signed: bool = False
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app: Flask) -> None:
    """Apply pending migrations now, release the connection after each request, bound URL ids."""
    # Before any blueprint adds a rule: an id of 2**63 or 10**23 used to reach sqlite3 and
    # raise OverflowError (a 500) from every route with an id in it (issue 10).
    app.url_map.converters["int"] = RowIdConverter
    database = store.open_db(app.config["DATABASE"])
    try:
        store.migrate(database)
    finally:
        database.close()
    app.teardown_appcontext(release_db)
