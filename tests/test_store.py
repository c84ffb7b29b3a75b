"""The store: migrations, connection settings, the append-only log, concurrency of answers."""

import sqlite3
import threading

import pytest

from stagefour import store
from stagefour.questionnaire import content_hash


def test_migrations_are_applied_once_and_wal_is_on(app, db):
    assert store.migrate(db) == []  # create_app applied them already
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == store.BUSY_TIMEOUT_MS
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert {
        "users",
        "evaluations",
        "vendors",
        "invitations",
        "responses",
        "answers",
        "attachments",
        "audit_log",
    } <= set(db.table_names())


def test_foreign_keys_are_enforced(db):
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO vendors (evaluation_id, name, created_at) VALUES (999, 'x', 'now')")


def test_the_audit_log_cannot_be_edited_or_deleted(db, make_vendor):
    make_vendor()
    assert store.audit_entries(db)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE audit_log SET actor = 'someone else'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM audit_log")


def test_vendor_names_are_unique_per_evaluation_whatever_the_case(db, make_evaluation):
    evaluation_id = make_evaluation()
    store.add_vendor(db, evaluation_id, "Acme AI", None, "test")
    with pytest.raises(store.StoreError):
        store.add_vendor(db, evaluation_id, "acme ai", None, "test")
    store.add_vendor(db, make_evaluation(), "Acme AI", None, "test")  # another evaluation is fine


def test_snapshots_are_stored_once_per_content_hash(db, questionnaire):
    a = store.save_snapshot(db, questionnaire.id, questionnaire.version, questionnaire.hash, questionnaire.source)
    b = store.save_snapshot(db, questionnaire.id, questionnaire.version, questionnaire.hash, questionnaire.source)
    assert a == b
    stored = store.get_snapshot(db, a)
    assert stored["hash"] == questionnaire.hash == content_hash(stored["definition"])  # JSON keeps the content


def test_saving_answers_records_before_and_after_in_the_log(db, make_vendor):
    v = make_vendor()
    store.save_answers(db, v["response_id"], {"A2": 3}, {}, "vendor:1")
    store.save_answers(db, v["response_id"], {"A2": 4}, {"A2": 1}, "vendor:1")
    saved = [e for e in store.audit_entries(db) if e["action"] == "answer_saved"]
    assert [(e["detail"]["before"], e["detail"]["after"]) for e in reversed(saved)] == [(None, 3), (3, 4)]


def test_a_cleared_answer_is_a_change_others_are_told_about(db, make_vendor):
    v = make_vendor()
    first = store.save_answers(db, v["response_id"], {"A2": 3}, {}, "a")
    store.save_answers(db, v["response_id"], {"A2": None}, {"A2": first.version}, "a")
    assert "A2" not in store.load_answers(db, v["response_id"])
    stale = store.save_answers(db, v["response_id"], {"A2": 5}, {"A2": first.version}, "b")
    assert stale.conflicts == {"A2": None}
    assert "A2" not in store.load_answers(db, v["response_id"])


def test_a_submitted_response_refuses_saves(db, make_vendor):
    v = make_vendor(answers={"A2": 3}, submit=True)
    with pytest.raises(store.NotEditable):
        store.save_answers(db, v["response_id"], {"A2": 4}, {"A2": 99}, "a")
    assert store.set_response_status(db, v["response_id"], "reopened", "buyer", expect=("submitted",))
    store.save_answers(db, v["response_id"], {"A2": 4}, store.answer_versions(db, v["response_id"]), "a")
    assert store.load_answers(db, v["response_id"])["A2"] == 4


def test_concurrent_writers_on_separate_connections_lose_nothing(app, make_vendor):
    v = make_vendor()
    errors, outcomes = [], []

    def writer(n):
        db = store.open_db(app.config["DATABASE"])
        try:
            for i in range(25):
                # each writer's own question, seen at its latest version: always written
                store.save_answers(db, v["response_id"], {f"A{n + 2}": i}, {f"A{n + 2}": 10**6}, f"w{n}")
                # a question they all write, each seeing nothing: written or refused, never both
                outcomes.append(store.save_answers(db, v["response_id"], {"C4": f"w{n}-{i}"}, {}, f"w{n}"))
        except Exception as exc:  # noqa: BLE001 - the test reports any failure
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    db = store.open_db(app.config["DATABASE"])
    answers = store.load_answers(db, v["response_id"])
    assert answers["A2"] == 24 and answers["A3"] == 24 and answers["A4"] == 24
    written = [o for o in outcomes if o.saved]
    assert len(written) == 1  # the first C4 save; every later one saw nothing and was told
    assert all("C4" in o.conflicts for o in outcomes if not o.saved)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()


def test_answers_read_in_one_query_are_exactly_the_answers_read_one_by_one(db, make_vendor):
    """load_answers_and_versions lets SQLite gather the JSON (json_group_object): nothing may change on the way."""
    v = make_vendor()
    awkward = {
        "A1": 'quote " backslash \\ slash / tab \t newline \n nul-ish \\u0000 <script>',
        "A2": 9007199254740993,  # beyond a double's exact integers
        "A3": 1.0,
        "A4": False,
        "A5": 0.1 + 0.2,
        "B1": [{"id": "d1", "name": "Ünïcödé 👩🏽‍💻 e\u0301 \u202eRTL", "nested": {"k": [1, 2.5, None, True]}}],
        "B2": [],
        "B3": 1e-7,
        "C1": "",
    }
    store.save_answers(db, v["response_id"], awkward, store.answer_versions(db, v["response_id"]), "test")
    store.save_answers(db, v["response_id"], {"C1": None}, store.answer_versions(db, v["response_id"]), "test")
    answers, versions = store.load_answers_and_versions(db, v["response_id"])
    assert answers == store.load_answers(db, v["response_id"]) and "C1" not in answers  # a cleared answer
    assert versions == store.answer_versions(db, v["response_id"]) and "C1" in versions
    assert [type(answers[k]) for k in ("A2", "A3", "B3")] == [int, float, float]
    assert answers == {k: value for k, value in awkward.items() if k != "C1"}
    assert store.load_answers_and_versions(db, 10**9) == ({}, {})  # no such response: nothing, not an error
