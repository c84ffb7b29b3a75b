"""The WSGI app the autosave benchmark serves under gunicorn: the real app plus a bare INSERT.

/bench/insert  one row INSERTed per POST, through the same Flask app (same session, CSRF
               exempt, same security headers) and the same per-thread connection the views
               use (views/db.py: WAL, synchronous FULL, busy timeout in seconds), in the same
               BEGIN IMMEDIATE … COMMIT as a save. It is the ceiling an autosave is compared to.
"""

from __future__ import annotations

import os

from flask import jsonify
from flask import request

from app import create_app
from app import csrf
from stagefour import store
from views.db import get_db

app = create_app(
    {
        "SECRET_KEY": "bench",
        "DATABASE": os.environ["BENCH_DATABASE"],
        "UPLOAD_FOLDER": os.environ["BENCH_UPLOADS"],
    }
)
_db = store.open_db(app.config["DATABASE"])
_db.execute("CREATE TABLE IF NOT EXISTS bench_inserts (id INTEGER PRIMARY KEY, client TEXT, value INTEGER)")
_db.close()


@app.post("/bench/insert")
@csrf.exempt
def insert():
    db = get_db()
    with store.write_transaction(db):
        db.execute(
            "INSERT INTO bench_inserts (client, value) VALUES (?, ?)",
            [request.form.get("client", ""), int(request.form.get("value", "0"))],
        )
    return jsonify(saved=True)
