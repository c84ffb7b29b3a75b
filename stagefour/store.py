"""The store: every SQL statement of the application, through sqlite-utils.

One `Database` per request (views open it through `views.db.get_db()`); nothing else imports
sqlite_utils. Schema changes are migrations (`m001_...`), applied at start-up and by
`flask init-db`.

Durability: WAL with `synchronous=FULL`. NORMAL would survive a crashed process but can lose
the last commits on power loss; an acknowledged autosave is a promise to a vendor, and FULL
costs ~0.2 ms per commit here (../shared/TESTING.md), far below a request's cost.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from typing import Any

from sqlite_utils import Database
from sqlite_utils import Migrations

from stagefour.changes import answer_change

BUSY_TIMEOUT_MS = 5000
EDITABLE = ("invited", "in_progress", "reopened")
STATUSES = ("invited", "in_progress", "submitted", "reopened")
ROLES = ("owner", "evaluator", "viewer")

migrations = Migrations("stagefour")


class StoreError(Exception):
    """A write the current state does not allow."""


class NotEditable(StoreError):
    """The response is submitted (locked) and cannot change until the buyer reopens it."""


# The largest integer SQLite stores (a signed 64-bit INTEGER); ids from outside are checked against it.
MAX_ROW_ID = 2**63 - 1


def _rows(db: Database, sql: str, params: Sequence = ()) -> list[dict]:
    """The rows of a SELECT as dicts. sqlite-utils' query() runs each read inside a SAVEPOINT
    (three statements, ~5 µs more a read; bench/vendor_page.py); a SELECT needs none."""
    cursor = db.execute(sql, params)
    keys = _keys(cursor)
    return [dict(zip(keys, row, strict=True)) for row in cursor]


def _row(db: Database, sql: str, params: Sequence = ()) -> dict | None:
    """The first row of a SELECT, or None."""
    cursor = db.execute(sql, params)
    row = cursor.fetchone()
    return None if row is None else dict(zip(_keys(cursor), row, strict=True))


def _keys(cursor) -> list[str]:
    keys = [d[0] for d in cursor.description]
    if len(set(keys)) != len(keys):  # a dict would keep only the last of two same-named columns
        raise StoreError(f"a query names a column twice: {keys}")
    return keys


def now() -> str:
    """The current UTC time as ISO 8601 text with seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def open_db(path: str) -> Database:
    """A connection with foreign keys, a busy timeout in seconds and durable commits."""
    db = Database(path)
    db.execute("PRAGMA foreign_keys = ON")
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA synchronous = FULL")
    return db


def migrate(db: Database) -> list[str]:
    """Switch on WAL (outside any transaction) and apply pending migrations; return their names."""
    db.enable_wal()
    pending = [m.name for m in migrations.pending(db)]
    migrations.apply(db)
    return pending


@contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """BEGIN IMMEDIATE … COMMIT: take the write lock before reading what the write depends on.

    A deferred transaction (what atomic() opens) that reads and then writes fails with
    "database is locked" when another connection committed in between, whatever the busy
    timeout; IMMEDIATE waits for the lock instead, so read-modify-write is safe.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


@migrations()
def m001_initial(db: Database) -> None:
    db["users"].create(
        {"id": int, "email": str, "password_hash": str, "role": str, "created_at": str},
        pk="id",
        not_null={"email", "password_hash", "role", "created_at"},
    )
    db["users"].create_index(["email"], unique=True)
    db["questionnaire_snapshots"].create(
        {"id": int, "questionnaire_id": str, "version": str, "hash": str, "definition": str, "created_at": str},
        pk="id",
        not_null={"questionnaire_id", "version", "hash", "definition", "created_at"},
    )
    db["questionnaire_snapshots"].create_index(["hash"], unique=True)
    db["evaluations"].create(
        {
            "id": int,
            "title": str,
            "snapshot_id": int,
            "deadline": str,
            "weights": str,
            "buyer_profile": str,
            "created_by": int,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        not_null={"title", "snapshot_id", "weights", "buyer_profile", "created_at", "updated_at"},
        foreign_keys=[("snapshot_id", "questionnaire_snapshots", "id"), ("created_by", "users", "id")],
    )
    db["vendors"].create(
        {"id": int, "evaluation_id": int, "name": str, "contact_email": str, "created_at": str},
        pk="id",
        not_null={"evaluation_id", "name", "created_at"},
        foreign_keys=[("evaluation_id", "evaluations", "id")],
    )
    db["vendors"].create_index(["evaluation_id", "name"], unique=True)
    db["invitations"].create(
        {"id": int, "vendor_id": int, "token_hash": str, "created_at": str, "expires_at": str, "revoked_at": str},
        pk="id",
        not_null={"vendor_id", "token_hash", "created_at"},
        foreign_keys=[("vendor_id", "vendors", "id")],
    )
    db["invitations"].create_index(["token_hash"], unique=True)
    db["invitations"].create_index(["vendor_id"])
    db["responses"].create(
        {
            "id": int,
            "vendor_id": int,
            "status": str,
            "version": int,
            "language": str,
            "created_at": str,
            "updated_at": str,
            "submitted_at": str,
        },
        pk="id",
        not_null={"vendor_id", "status", "version", "language", "created_at", "updated_at"},
        defaults={"status": "invited", "version": 0, "language": "en"},
        foreign_keys=[("vendor_id", "vendors", "id")],
    )
    db["responses"].create_index(["vendor_id"], unique=True)
    db["answers"].create(
        {"response_id": int, "question_id": str, "value": str, "changed_version": int, "updated_at": str},
        pk=("response_id", "question_id"),
        not_null={"value", "changed_version", "updated_at"},
        foreign_keys=[("response_id", "responses", "id")],
    )
    db["attachments"].create(
        {
            "id": str,
            "response_id": int,
            "question_id": str,
            "filename": str,
            "content_type": str,
            "size": int,
            "sha256": str,
            "created_at": str,
        },
        pk="id",
        not_null={"response_id", "question_id", "filename", "content_type", "size", "sha256", "created_at"},
        foreign_keys=[("response_id", "responses", "id")],
    )
    db["attachments"].create_index(["response_id"])
    db["audit_log"].create(
        {
            "id": int,
            "at": str,
            "actor": str,
            "action": str,
            "evaluation_id": int,
            "vendor_id": int,
            "response_id": int,
            "detail": str,
        },
        pk="id",
        not_null={"at", "actor", "action", "detail"},
    )
    db["audit_log"].create_index(["evaluation_id", "id"])
    # The log is append-only: the database itself refuses edits and deletions.
    db.execute(
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
    )
    db.execute(
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
    )


# --- audit -------------------------------------------------------------------------------


class Actor(str):
    """An actor reference ("vendor:3") that carries facts every audit entry it writes records.

    A vendor link's actor carries the link's issuer (issue 11): whatever a store function
    writes as this actor, its audit entry names the link it came through, with no change to
    the functions in between. It is a plain string everywhere else (columns, comparisons).
    """

    detail: dict

    def __new__(cls, reference: str, **detail: Any) -> Actor:
        actor = super().__new__(cls, reference)
        actor.detail = detail
        return actor


def audit(
    db: Database,
    actor: str,
    action: str,
    evaluation_id: int | None = None,
    vendor_id: int | None = None,
    response_id: int | None = None,
    **detail: Any,
) -> int:
    """Append one entry to the audit log (with the facts an `Actor` carries); returns its id."""
    detail = getattr(actor, "detail", {}) | detail
    return db.execute(
        "INSERT INTO audit_log (at, actor, action, evaluation_id, vendor_id, response_id, detail) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [now(), str(actor), action, evaluation_id, vendor_id, response_id, json.dumps(detail, ensure_ascii=False)],
    ).lastrowid


def audit_entries(db: Database, evaluation_id: int | None = None, limit: int = 500) -> list[dict]:
    """The newest audit entries, for one evaluation or all."""
    if evaluation_id is None:
        sql, params = "SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", [limit]
    else:
        sql, params = "SELECT * FROM audit_log WHERE evaluation_id = ? ORDER BY id DESC LIMIT ?", [evaluation_id, limit]
    return [dict(r, detail=json.loads(r["detail"])) for r in _rows(db, sql, params)]


# --- users -------------------------------------------------------------------------------


def create_user(db: Database, email: str, password_hash: str, is_admin: bool = False) -> int:
    """A new account (what it may see comes from its memberships); raises StoreError when the e-mail is taken."""
    if get_user_by_email(db, email):
        raise StoreError(f"a user with e-mail {email} exists")
    cursor = db.execute(
        "INSERT INTO users (email, password_hash, is_admin, created_at) VALUES (?, ?, ?, ?)",
        [email.strip().lower(), password_hash, int(is_admin), now()],
    )
    return cursor.lastrowid


def get_user_by_email(db: Database, email: str) -> dict | None:
    """A user by e-mail (case-insensitive)."""
    return _row(db, "SELECT * FROM users WHERE email = ?", [email.strip().lower()])


def get_user(db: Database, user_id: int) -> dict | None:
    """A user by id."""
    return _row(db, "SELECT * FROM users WHERE id = ?", [user_id])


def set_password(db: Database, user_id: int, password_hash: str) -> None:
    """Replace a user's password hash, ending every session they have."""
    db.execute(
        "UPDATE users SET password_hash = ?, session_version = session_version + 1 WHERE id = ?",
        [password_hash, user_id],
    )


def end_sessions(db: Database, user_id: int) -> None:
    """End every session of a user: each carries the session version it began with (issue 11)."""
    db.execute("UPDATE users SET session_version = session_version + 1 WHERE id = ?", [user_id])


# --- questionnaire snapshots ---------------------------------------------------------------


def save_snapshot(db: Database, questionnaire_id: str, version: str, digest: str, definition: dict) -> int:
    """The id of the immutable snapshot with this content hash, stored once."""
    row = _row(db, "SELECT id FROM questionnaire_snapshots WHERE hash = ?", [digest])
    if row:
        return row["id"]
    cursor = db.execute(
        "INSERT INTO questionnaire_snapshots (questionnaire_id, version, hash, definition, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        [questionnaire_id, version, digest, json.dumps(definition, ensure_ascii=False, sort_keys=True), now()],
    )
    return cursor.lastrowid


def get_snapshot(db: Database, snapshot_id: int) -> dict | None:
    """A snapshot with its definition decoded."""
    row = _row(db, "SELECT * FROM questionnaire_snapshots WHERE id = ?", [snapshot_id])
    return dict(row, definition=json.loads(row["definition"])) if row else None


# --- evaluations ---------------------------------------------------------------------------


def _evaluation(row: dict) -> dict:
    return dict(row, weights=json.loads(row["weights"]), buyer_profile=json.loads(row["buyer_profile"]))


def create_evaluation(
    db: Database,
    title: str,
    snapshot_id: int,
    deadline: str | None,
    weights: dict,
    buyer_profile: dict,
    created_by: int | None,
    *,
    team_id: int,
) -> int:
    """A new evaluation of one questionnaire snapshot, in a team."""
    stamp = now()
    with db.atomic():
        cursor = db.execute(
            "INSERT INTO evaluations (title, snapshot_id, deadline, weights, buyer_profile, created_by, created_at, "
            "updated_at, team_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [title, snapshot_id, deadline, json.dumps(weights), json.dumps(buyer_profile), created_by, stamp, stamp,
             team_id],
        )  # fmt: skip
        audit(db, f"user:{created_by}", "evaluation_created", evaluation_id=cursor.lastrowid, title=title, team=team_id)
    return cursor.lastrowid


def update_evaluation(
    db: Database, evaluation_id: int, actor: str, title: str, deadline: str | None, weights: dict, buyer_profile: dict
) -> None:
    """Change an evaluation's settings."""
    with db.atomic():
        db.execute(
            "UPDATE evaluations SET title = ?, deadline = ?, weights = ?, buyer_profile = ?, updated_at = ? "
            "WHERE id = ?",
            [title, deadline, json.dumps(weights), json.dumps(buyer_profile), now(), evaluation_id],
        )
        audit(
            db,
            actor,
            "evaluation_changed",
            evaluation_id=evaluation_id,
            title=title,
            deadline=deadline,
            weights=weights,
            buyer_profile=buyer_profile,
        )


def get_evaluation(db: Database, evaluation_id: int) -> dict | None:
    """One evaluation with weights and buyer profile decoded."""
    row = _row(db, "SELECT * FROM evaluations WHERE id = ?", [evaluation_id])
    return _evaluation(row) if row else None


# What a user may see: evaluations of their teams, and of those the restricted ones only where
# they are named (stagefour/access.py says the same for one evaluation). A disabled user sees none.
_VISIBLE = """
    e.team_id IN (SELECT m.team_id FROM memberships m JOIN users u ON u.id = m.user_id
                  WHERE m.user_id = ? AND u.disabled_at IS NULL)
    AND (e.restricted = 0 OR e.id IN (SELECT evaluation_id FROM evaluation_members WHERE user_id = ?))
"""


def list_evaluations(db: Database, visible_to: int | None = None) -> list[dict]:
    """Every evaluation (or those user `visible_to` may see), newest first, with team, questionnaire and counts."""
    where, params = ("WHERE " + _VISIBLE, [visible_to, visible_to]) if visible_to is not None else ("", [])
    sql = f"""
        SELECT e.*, t.name AS team_name, s.questionnaire_id, s.version AS questionnaire_version,
               (SELECT count(*) FROM vendors v WHERE v.evaluation_id = e.id) AS vendor_count,
               (SELECT count(*) FROM vendors v JOIN responses r ON r.vendor_id = v.id
                 WHERE v.evaluation_id = e.id AND r.status = 'submitted') AS submitted_count
        FROM evaluations e JOIN questionnaire_snapshots s ON s.id = e.snapshot_id JOIN teams t ON t.id = e.team_id
        {where}
        ORDER BY e.id DESC
    """
    return [_evaluation(r) for r in _rows(db, sql, params)]


def visible_evaluation_ids(db: Database, user_id: int, roles: Sequence[str] = ROLES) -> list[int]:
    """The ids of the evaluations a user may see with one of `roles` in their team."""
    marks = ",".join("?" * len(roles))
    sql = (
        f"SELECT e.id FROM evaluations e WHERE {_VISIBLE} AND e.team_id IN "
        f"(SELECT team_id FROM memberships WHERE user_id = ? AND role IN ({marks})) ORDER BY e.id"
    )
    return [r["id"] for r in _rows(db, sql, [user_id, user_id, user_id, *roles])]


# --- vendors, invitations and responses ---------------------------------------------------


def add_vendor(db: Database, evaluation_id: int, name: str, contact_email: str | None, actor: str) -> int:
    """A vendor in an evaluation, with its (empty) response; raises StoreError on a duplicate name."""
    taken = "SELECT 1 FROM vendors WHERE evaluation_id = ? AND name = ? COLLATE NOCASE"
    if _row(db, taken, [evaluation_id, name]):
        raise StoreError(f"a vendor named {name} is already in this evaluation")
    stamp = now()
    with db.atomic():
        vendor_id = db.execute(
            "INSERT INTO vendors (evaluation_id, name, contact_email, created_at) VALUES (?, ?, ?, ?)",
            [evaluation_id, name, contact_email, stamp],
        ).lastrowid
        db.execute(
            "INSERT INTO responses (vendor_id, status, version, language, created_at, updated_at) "
            "VALUES (?, 'invited', 0, 'en', ?, ?)",
            [vendor_id, stamp, stamp],
        )
        audit(db, actor, "vendor_added", evaluation_id=evaluation_id, vendor_id=vendor_id, name=name)
    return vendor_id


def get_vendor(db: Database, vendor_id: int) -> dict | None:
    """A vendor with its response's id, status and version."""
    sql = """
        SELECT v.*, r.id AS response_id, r.status, r.version, r.language, r.updated_at, r.submitted_at
        FROM vendors v JOIN responses r ON r.vendor_id = v.id WHERE v.id = ?
    """
    return _row(db, sql, [vendor_id])


def list_vendors(db: Database, evaluation_id: int) -> list[dict]:
    """The vendors of an evaluation with their response state and current invitation."""
    sql = """
        SELECT v.*, r.id AS response_id, r.status, r.version, r.language, r.updated_at, r.submitted_at,
               i.id AS invitation_id, i.created_at AS invited_at, i.expires_at, i.revoked_at
        FROM vendors v
        JOIN responses r ON r.vendor_id = v.id
        LEFT JOIN invitations i ON i.id = (SELECT max(id) FROM invitations WHERE vendor_id = v.id)
        WHERE v.evaluation_id = ?
        ORDER BY v.name COLLATE NOCASE
    """
    return _rows(db, sql, [evaluation_id])


def issue_invitation(db: Database, vendor_id: int, token_hash: str, expires_at: str | None, actor: str) -> int:
    """A new link for a vendor, recording who issued it; any earlier link of theirs is revoked with it."""
    vendor = get_vendor(db, vendor_id)
    stamp = now()
    with db.atomic():
        revoked = db.execute(
            "UPDATE invitations SET revoked_at = ? WHERE vendor_id = ? AND revoked_at IS NULL", [stamp, vendor_id]
        ).rowcount
        invitation_id = db.execute(
            "INSERT INTO invitations (vendor_id, token_hash, created_at, expires_at, issued_by) VALUES (?, ?, ?, ?, ?)",
            [vendor_id, token_hash, stamp, expires_at, user_of(actor)],
        ).lastrowid
        audit(
            db,
            actor,
            "link_reissued" if revoked else "link_issued",
            evaluation_id=vendor["evaluation_id"],
            vendor_id=vendor_id,
            expires_at=expires_at,
        )
    return invitation_id


def revoke_invitations(db: Database, vendor_id: int, actor: str) -> int:
    """Revoke a vendor's active links; returns how many."""
    vendor = get_vendor(db, vendor_id)
    with db.atomic():
        count = db.execute(
            "UPDATE invitations SET revoked_at = ? WHERE vendor_id = ? AND revoked_at IS NULL", [now(), vendor_id]
        ).rowcount
        if count:
            audit(db, actor, "link_revoked", evaluation_id=vendor["evaluation_id"], vendor_id=vendor_id)
    return count


def find_invitation(db: Database, token_hash: str) -> dict | None:
    """The invitation for a token hash, with its vendor, response and evaluation ids."""
    sql = """
        SELECT i.*, v.evaluation_id, v.name AS vendor_name, r.id AS response_id
        FROM invitations i JOIN vendors v ON v.id = i.vendor_id JOIN responses r ON r.vendor_id = v.id
        WHERE i.token_hash = ?
    """
    return _row(db, sql, [token_hash])


def get_response(db: Database, response_id: int) -> dict | None:
    """A response with its vendor's name and evaluation id."""
    sql = """
        SELECT r.*, v.name AS vendor_name, v.evaluation_id, v.deadline AS vendor_deadline
        FROM responses r JOIN vendors v ON v.id = r.vendor_id WHERE r.id = ?
    """
    return _row(db, sql, [response_id])


def load_answers(db: Database, response_id: int) -> dict[str, Any]:
    """A response's answers by question id."""
    return load_answers_and_versions(db, response_id)[0]


def load_answers_and_versions(db: Database, response_id: int) -> tuple[dict[str, Any], dict[str, int]]:
    """A response's answers and the version at which each last changed, in one read (a vendor page).

    SQLite gathers the answers into one JSON object, so Python decodes once, not once per answer.
    """
    answers, versions = db.execute(
        # A value SQLite's JSON refuses (Infinity, written by an older version) reads as its text, never an error.
        "SELECT json_group_object(question_id, "
        "CASE WHEN json_valid(value) THEN json(value) ELSE json_quote(value) END), "
        "json_group_object(question_id, changed_version) "
        "FROM answers WHERE response_id = ?",
        [response_id],
    ).fetchone()
    answers = json.loads(answers)
    return {q: v for q, v in answers.items() if v is not None}, json.loads(versions)


def answer_versions(db: Database, response_id: int) -> dict[str, int]:
    """The response version at which each answer last changed."""
    return load_answers_and_versions(db, response_id)[1]


def answers_by_response(db: Database, response_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Answers of several responses at once."""
    out: dict[int, dict[str, Any]] = {rid: {} for rid in response_ids}
    if not response_ids:
        return out
    marks = ",".join("?" * len(response_ids))
    sql = f"SELECT response_id, question_id, value FROM answers WHERE value != 'null' AND response_id IN ({marks})"
    for r in _rows(db, sql, response_ids):
        out[r["response_id"]][r["question_id"]] = json.loads(r["value"])
    return out


@dataclass
class SaveResult:
    """What a save did: the new version, the answers written, and those refused as conflicts."""

    version: int
    saved: list[str] = field(default_factory=list)  # these now stand at `version`
    conflicts: dict[str, Any] = field(default_factory=dict)  # question id -> the value stored by someone else
    conflict_versions: dict[str, int] = field(default_factory=dict)  # question id -> the version of that value
    saved_at: str = ""


def save_answers(
    db: Database,
    response_id: int,
    changes: dict[str, Any],
    base_versions: dict[str, int],
    actor: str,
    writer: str | None = None,
    seq: int | None = None,
) -> SaveResult:
    """Write changed answers unless someone else changed the same answer since the writer saw it.

    Optimistic concurrency per answer: `base_versions` holds, for each answer, the version
    at which the writer last saw it. A stored answer that changed at a newer version and
    differs from what the writer sends is a conflict: it is not written, and its stored
    value is returned so the writer can merge. Answers nobody else touched are written.
    None clears an answer (unanswered). `writer` names one open page: its own earlier
    saves (an autosave still in flight when the page posts the form) are never a conflict;
    `seq` orders that page's saves, so one of them arriving late never undoes a later one.
    """
    with write_transaction(db):
        response = _row(db, "SELECT * FROM responses WHERE id = ?", [response_id])
        if response is None:
            raise StoreError("no such response")
        if response["status"] not in EDITABLE:
            raise NotEditable("this response is submitted and locked")
        if is_closed(db, _evaluation_of_response(db, response_id)):  # issue 12: whoever writes
            raise NotEditable("a decision closes this evaluation to changes")
        marks = ",".join("?" * len(changes)) or "NULL"
        current = {
            r["question_id"]: r
            for r in _rows(
                db,
                "SELECT question_id, value, changed_version, changed_by, changed_seq FROM answers "
                f"WHERE response_id = ? AND question_id IN ({marks})",
                [response_id, *changes],
            )
        }
        new_version = response["version"] + 1
        result = SaveResult(version=response["version"])
        stamp = now()
        for qid, value in changes.items():
            row = current.get(qid)
            before = json.loads(row["value"]) if row else None
            if before == value:
                continue
            same_page = bool(row and writer and row["changed_by"] == writer)
            if same_page and seq is not None and row["changed_seq"] is not None and seq < row["changed_seq"]:
                continue  # this page already saved something later for this answer
            if row and row["changed_version"] > base_versions.get(qid, 0) and not same_page:
                result.conflicts[qid] = before
                result.conflict_versions[qid] = row["changed_version"]
                continue
            # A cleared answer stays as a JSON null (a tombstone) so a later writer who still
            # has the old value is told of the change instead of silently restoring it.
            db.execute(
                "INSERT INTO answers (response_id, question_id, value, changed_version, changed_by, changed_seq, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (response_id, question_id) DO UPDATE SET "
                "value = excluded.value, changed_version = excluded.changed_version, "
                "changed_by = excluded.changed_by, changed_seq = excluded.changed_seq, "
                "updated_at = excluded.updated_at",
                [response_id, qid, _answer_json(qid, value), new_version, writer, seq, stamp],
            )
            audit(
                db,
                actor,
                "answer_saved",
                evaluation_id=_evaluation_of_response(db, response_id),
                vendor_id=response["vendor_id"],
                response_id=response_id,
                question=qid,
                version=new_version,
                **answer_change(before, value),  # bounded: a large answer is summarised, never copied whole
            )
            result.saved.append(qid)
        if result.saved:
            status = "in_progress" if response["status"] == "invited" else response["status"]
            db.execute(
                "UPDATE responses SET version = ?, status = ?, updated_at = ? WHERE id = ?",
                [new_version, status, stamp, response_id],
            )
            result.version = new_version
        result.saved_at = stamp
    return result


def _answer_json(question_id: str, value: Any) -> str:
    """An answer as JSON that SQLite's JSON functions read: no NaN or Infinity (they are not JSON)."""
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except ValueError:
        raise StoreError(f"{question_id}: not a finite number, cannot be stored") from None


def _evaluation_of_response(db: Database, response_id: int) -> int:
    sql = "SELECT v.evaluation_id FROM responses r JOIN vendors v ON v.id = r.vendor_id WHERE r.id = ?"
    return _row(db, sql, [response_id])["evaluation_id"]


def set_response_status(db: Database, response_id: int, status: str, actor: str, expect: tuple[str, ...]) -> bool:
    """Move a response to `status` if it is in one of `expect`; submitted records the time."""
    if status not in STATUSES:
        raise StoreError(f"unknown status {status!r}")
    with write_transaction(db):
        response = _row(db, "SELECT * FROM responses WHERE id = ?", [response_id])
        if response is None or response["status"] not in expect:
            return False
        stamp = now()
        db.execute(
            "UPDATE responses SET status = ?, version = version + 1, updated_at = ?, "
            "submitted_at = CASE WHEN ? = 'submitted' THEN ? ELSE submitted_at END WHERE id = ?",
            [status, stamp, status, stamp, response_id],
        )
        action = {"submitted": "response_submitted", "reopened": "response_reopened"}.get(status, "response_status")
        audit(
            db,
            actor,
            action,
            evaluation_id=_evaluation_of_response(db, response_id),
            vendor_id=response["vendor_id"],
            response_id=response_id,
            status=status,
        )
    return True


def set_response_language(db: Database, response_id: int, language: str) -> None:
    """The language the vendor chose for their response."""
    db.execute("UPDATE responses SET language = ? WHERE id = ?", [language, response_id])


# --- attachments ---------------------------------------------------------------------------


def add_attachment(
    db: Database,
    attachment_id: str,
    response_id: int,
    question_id: str,
    filename: str,
    content_type: str,
    size: int,
    sha256: str,
    actor: str,
) -> None:
    """Record an uploaded file (stored on disk under its random id)."""
    response = get_response(db, response_id)
    with db.atomic():
        db.execute(
            "INSERT INTO attachments (id, response_id, question_id, filename, content_type, size, sha256, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [attachment_id, response_id, question_id, filename, content_type, size, sha256, now()],
        )
        audit(
            db,
            actor,
            "file_uploaded",
            evaluation_id=response["evaluation_id"],
            vendor_id=response["vendor_id"],
            response_id=response_id,
            question=question_id,
            filename=filename,
            size=size,
        )


def attachment_bytes(db: Database, response_id: int) -> int:
    """How many bytes of files a response holds (what its storage quota counts)."""
    row = _row(db, "SELECT COALESCE(SUM(size), 0) AS n FROM attachments WHERE response_id = ?", [response_id])
    return row["n"]


def drop_unreferenced_attachments(
    db: Database,
    response_id: int,
    candidates: set[str],
    referenced: Callable[[dict[str, Any]], set[str]],
    actor: str,
) -> list[str]:
    """Forget those of `candidates` that no answer of the response refers to; returns their ids.

    `referenced` reads the file ids out of the answers; it runs on the answers as they stand
    inside this transaction, so a file another save has just taken into an answer is kept.
    The caller deletes the files themselves once this has committed.
    """
    if not candidates:
        return []
    with write_transaction(db):
        kept = referenced(load_answers(db, response_id))
        marks = ",".join("?" * len(candidates))
        rows = _rows(
            db,
            f"SELECT id, question_id, filename, size FROM attachments WHERE response_id = ? AND id IN ({marks})",
            [response_id, *sorted(candidates)],
        )
        dropped = [r for r in rows if r["id"] not in kept]
        if dropped:
            db.execute(
                f"DELETE FROM attachments WHERE id IN ({','.join('?' * len(dropped))})", [r["id"] for r in dropped]
            )
            response = get_response(db, response_id)
            audit(
                db,
                actor,
                "files_removed",
                evaluation_id=response["evaluation_id"],
                vendor_id=response["vendor_id"],
                response_id=response_id,
                count=len(dropped),
                size=sum(r["size"] for r in dropped),
                files=[r["filename"] for r in dropped][:20],
            )
    return [r["id"] for r in dropped]


def get_attachment(db: Database, response_id: int, attachment_id: str) -> dict | None:
    """An attachment, only if it belongs to this response."""
    sql = "SELECT * FROM attachments WHERE id = ? AND response_id = ?"
    return _row(db, sql, [attachment_id, response_id])


# --- buyer pages ---


def extend_invitations(db: Database, evaluation_id: int, expires_at: str, actor: str) -> int:
    """Move the expiry of an evaluation's live links out to `expires_at` where it is earlier; returns how many.

    Called when a deadline moves later, so no vendor is locked out before the deadline. Links
    already revoked or expired stay closed: those vendors get a reissued link.
    """
    with db.atomic():
        count = db.execute(
            "UPDATE invitations SET expires_at = ? "
            "WHERE revoked_at IS NULL AND expires_at IS NOT NULL AND expires_at < ? AND expires_at >= ? "
            "AND vendor_id IN (SELECT id FROM vendors WHERE evaluation_id = ?)",
            [expires_at, expires_at, now(), evaluation_id],
        ).rowcount
        if count:
            audit(db, actor, "links_extended", evaluation_id=evaluation_id, expires_at=expires_at, count=count)
    return count


# --- review: manual scores, verifications, clarifications (m002) ------------------------


@migrations()
def m002_review(db: Database) -> None:
    db["manual_scores"].create(
        {
            "id": int,
            "response_id": int,
            "question_id": str,
            "evaluator_id": int,
            "score": int,
            "comment": str,
            "updated_at": str,
        },
        pk="id",
        not_null={"response_id", "question_id", "evaluator_id", "score", "comment", "updated_at"},
        foreign_keys=[("response_id", "responses", "id"), ("evaluator_id", "users", "id")],
    )
    db["manual_scores"].create_index(["response_id", "question_id", "evaluator_id"], unique=True)
    db["verifications"].create(
        {
            "response_id": int,
            "deployment_id": str,
            "reference_checked": int,
            "evidence_reviewed": int,
            "note": str,
            "updated_by": int,
            "updated_at": str,
        },
        pk=("response_id", "deployment_id"),
        not_null={"reference_checked", "evidence_reviewed", "note", "updated_at"},
        foreign_keys=[("response_id", "responses", "id"), ("updated_by", "users", "id")],
    )
    db["clarifications"].create(
        {
            "id": int,
            "response_id": int,
            "question_id": str,
            "status": str,
            "created_by": int,
            "created_at": str,
            "closed_at": str,
        },
        pk="id",
        not_null={"response_id", "question_id", "status", "created_at"},
        foreign_keys=[("response_id", "responses", "id"), ("created_by", "users", "id")],
    )
    db["clarifications"].create_index(["response_id"])
    db["clarification_messages"].create(
        {"id": int, "clarification_id": int, "author": str, "body": str, "created_at": str},
        pk="id",
        not_null={"clarification_id", "author", "body", "created_at"},
        foreign_keys=[("clarification_id", "clarifications", "id")],
    )
    db["clarification_messages"].create_index(["clarification_id"])


@migrations()
def m003_answer_writer(db: Database) -> None:
    # Which open page last wrote an answer, and in which of its saves: a page's own autosave
    # never conflicts with it, and a late one never undoes the page's later save.
    db["answers"].add_column("changed_by", str)
    db["answers"].add_column("changed_seq", int)


def set_manual_score(
    db: Database, response_id: int, question_id: str, evaluator_id: int, score: int, comment: str
) -> None:
    """An evaluator's 0–5 score and comment on one manual item (their earlier one is replaced)."""
    save_manual_score(db, response_id, question_id, evaluator_id, score, comment)


def manual_scores(db: Database, response_ids: list[int]) -> list[dict]:
    """Every evaluator's manual scores on these responses, with the evaluator's e-mail."""
    if not response_ids:
        return []
    marks = ",".join("?" * len(response_ids))
    sql = f"""
        SELECT m.*, u.email AS evaluator FROM manual_scores m JOIN users u ON u.id = m.evaluator_id
        WHERE m.response_id IN ({marks}) ORDER BY m.response_id, m.question_id, u.email
    """
    return _rows(db, sql, response_ids)


def set_verification(
    db: Database, response_id: int, deployment_id: str, reference_checked: bool, evidence_reviewed: bool,
    note: str, user_id: int, fingerprint: str | None,
) -> None:  # fmt: skip
    """The buyer's reference check and evidence review of one B1 deployment, as its row stood (`fingerprint`)."""
    response = get_response(db, response_id)
    with db.atomic():
        db.execute(
            "INSERT INTO verifications (response_id, deployment_id, reference_checked, evidence_reviewed, note, "
            "updated_by, updated_at, fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (response_id, deployment_id) DO UPDATE SET reference_checked = excluded.reference_checked, "
            "evidence_reviewed = excluded.evidence_reviewed, note = excluded.note, "
            "updated_by = excluded.updated_by, updated_at = excluded.updated_at, fingerprint = excluded.fingerprint",
            [response_id, deployment_id, int(reference_checked), int(evidence_reviewed), note, user_id, now(),
             fingerprint],
        )  # fmt: skip
        audit(
            db,
            f"user:{user_id}",
            "verification_recorded",
            evaluation_id=response["evaluation_id"],
            vendor_id=response["vendor_id"],
            response_id=response_id,
            deployment=deployment_id,
            reference_checked=reference_checked,
            evidence_reviewed=evidence_reviewed,
            fingerprint=fingerprint,
        )


def verifications(db: Database, response_ids: list[int]) -> dict[int, dict[str, dict]]:
    """response id -> deployment id -> {reference_checked, evidence_reviewed, note, fingerprint}."""
    out: dict[int, dict[str, dict]] = {rid: {} for rid in response_ids}
    if not response_ids:
        return out
    marks = ",".join("?" * len(response_ids))
    for r in _rows(db, f"SELECT * FROM verifications WHERE response_id IN ({marks})", response_ids):
        out[r["response_id"]][r["deployment_id"]] = {
            "reference_checked": bool(r["reference_checked"]),
            "evidence_reviewed": bool(r["evidence_reviewed"]),
            "note": r["note"],
            "fingerprint": r["fingerprint"],
        }
    return out


def open_clarification(db: Database, response_id: int, question_id: str, body: str, user_id: int) -> int:
    """A buyer's question on one answer; the vendor sees it on their link."""
    response = get_response(db, response_id)
    stamp = now()
    with db.atomic():
        cid = db.execute(
            "INSERT INTO clarifications (response_id, question_id, status, created_by, created_at) "
            "VALUES (?, ?, 'open', ?, ?)",
            [response_id, question_id, user_id, stamp],
        ).lastrowid
        db.execute(
            "INSERT INTO clarification_messages (clarification_id, author, body, created_at) VALUES (?, ?, ?, ?)",
            [cid, f"user:{user_id}", body, stamp],
        )
        audit(
            db,
            f"user:{user_id}",
            "clarification_asked",
            evaluation_id=response["evaluation_id"],
            vendor_id=response["vendor_id"],
            response_id=response_id,
            question=question_id,
        )
    return cid


def add_clarification_message(db: Database, response_id: int, clarification_id: int, author: str, body: str) -> bool:
    """A reply on an open thread of this response; False if there is no such open thread."""
    thread = _row(
        db,
        "SELECT * FROM clarifications WHERE id = ? AND response_id = ? AND status = 'open'",
        [clarification_id, response_id],
    )
    if thread is None:
        return False
    response = get_response(db, response_id)
    with db.atomic():
        db.execute(
            "INSERT INTO clarification_messages (clarification_id, author, body, created_at) VALUES (?, ?, ?, ?)",
            [clarification_id, author, body, now()],
        )
        audit(
            db,
            author,
            "clarification_replied",
            evaluation_id=response["evaluation_id"],
            vendor_id=response["vendor_id"],
            response_id=response_id,
            question=thread["question_id"],
        )
    return True


def close_clarification(db: Database, response_id: int, clarification_id: int, user_id: int) -> bool:
    """Close a thread of this response."""
    response = get_response(db, response_id)
    with db.atomic():
        count = db.execute(
            "UPDATE clarifications SET status = 'closed', closed_at = ? WHERE id = ? AND response_id = ? "
            "AND status = 'open'",
            [now(), clarification_id, response_id],
        ).rowcount
        if count:
            audit(
                db,
                f"user:{user_id}",
                "clarification_closed",
                evaluation_id=response["evaluation_id"],
                vendor_id=response["vendor_id"],
                response_id=response_id,
            )
    return bool(count)


def clarifications(db: Database, response_ids: list[int]) -> dict[int, list[dict]]:
    """response id -> threads (oldest first), each with its messages."""
    out: dict[int, list[dict]] = {rid: [] for rid in response_ids}
    if not response_ids:
        return out
    marks = ",".join("?" * len(response_ids))
    threads = {
        t["id"]: dict(t, messages=[])
        for t in _rows(db, f"SELECT * FROM clarifications WHERE response_id IN ({marks}) ORDER BY id", response_ids)
    }
    if threads:
        tmarks = ",".join("?" * len(threads))
        for m in _rows(
            db, f"SELECT * FROM clarification_messages WHERE clarification_id IN ({tmarks}) ORDER BY id", list(threads)
        ):
            threads[m["clarification_id"]]["messages"].append(m)
    for t in threads.values():
        out[t["response_id"]].append(t)
    return out


# --- audit pages ---
# Read-only queries for the audit log's pages (issue 5): filtered, paged, newest first.

AUDIT_ACTOR_KINDS = {
    "buyer": ("actor LIKE ?", "user:%"),
    "vendor": ("actor LIKE ?", "vendor:%"),
    "cli": ("(actor = ? OR actor LIKE 'cli:%')", "cli"),
    "anonymous": ("actor = ?", "anonymous"),
}


@dataclass(frozen=True)
class AuditFilter:
    """What to show of the audit log; None means no restriction. Dates are UTC days (YYYY-MM-DD)."""

    evaluation_id: int | None = None
    action: str | None = None
    actor_kind: str | None = None
    vendor_id: int | None = None
    since: str | None = None  # first day included
    until: str | None = None  # last day included
    # Only entries of these evaluations (the owner-wide log shows the evaluations its reader owns).
    evaluation_ids: tuple[int, ...] | None = None


def _audit_where(f: AuditFilter) -> tuple[str, list]:
    clauses: list[str] = []
    params: list = []
    if f.evaluation_id is not None:
        clauses.append("evaluation_id = ?")
        params.append(f.evaluation_id)
    if f.evaluation_ids is not None:
        clauses.append(f"evaluation_id IN ({','.join('?' * len(f.evaluation_ids)) or 'NULL'})")
        params.extend(f.evaluation_ids)
    if f.action is not None:
        clauses.append("action = ?")
        params.append(f.action)
    if f.actor_kind is not None:
        clause, value = AUDIT_ACTOR_KINDS[f.actor_kind]
        clauses.append(clause)
        params.append(value)
    if f.vendor_id is not None:
        clauses.append("vendor_id = ?")
        params.append(f.vendor_id)
    # `at` is ISO 8601 UTC text, so days compare as text: the day itself sorts before its times.
    if f.since is not None:
        clauses.append("at >= ?")
        params.append(f.since)
    if f.until is not None:
        clauses.append("at < date(?, '+1 day')")
        params.append(f.until)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def audit_search(db: Database, f: AuditFilter, limit: int | None = None, offset: int = 0) -> list[dict]:
    """The audit entries matching `f`, newest first, with detail decoded."""
    where, params = _audit_where(f)
    sql = f"SELECT * FROM audit_log{where} ORDER BY id DESC"
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params += [limit, offset]
    return [dict(r, detail=json.loads(r["detail"])) for r in _rows(db, sql, params)]


def audit_stream(db: Database, f: AuditFilter, before_id: int | None = None) -> Iterator[dict]:
    """The audit entries matching `f` (older than `before_id`), newest first, one at a time."""
    where, params = _audit_where(f)
    if before_id is not None:
        where, params = (where + " AND" if where else " WHERE") + " id < ?", [*params, before_id]
    for r in db.query(f"SELECT * FROM audit_log{where} ORDER BY id DESC", params):
        yield dict(r, detail=json.loads(r["detail"]))


def audit_count(db: Database, f: AuditFilter) -> int:
    """How many audit entries match `f`."""
    where, params = _audit_where(f)
    return _row(db, f"SELECT COUNT(*) AS n FROM audit_log{where}", params)["n"]


def audit_actions(db: Database, evaluation_id: int | None = None) -> list[str]:
    """The distinct actions in the log (of one evaluation, or all), sorted."""
    if evaluation_id is None:
        rows = _rows(db, "SELECT DISTINCT action FROM audit_log ORDER BY action")
    else:
        sql = "SELECT DISTINCT action FROM audit_log WHERE evaluation_id = ? ORDER BY action"
        rows = _rows(db, sql, [evaluation_id])
    return [r["action"] for r in rows]


def user_emails(db: Database) -> dict[int, str]:
    """Every buyer account's id -> e-mail."""
    return {r["id"]: r["email"] for r in _rows(db, "SELECT id, email FROM users")}


def vendor_names(db: Database, evaluation_id: int | Sequence[int] | None = None) -> dict[int, str]:
    """Vendor id -> name, of one evaluation, of several, or of all."""
    if evaluation_id is None:
        rows = _rows(db, "SELECT id, name FROM vendors ORDER BY name, id")
    elif not isinstance(evaluation_id, int):
        marks = ",".join("?" * len(evaluation_id)) or "NULL"
        sql = f"SELECT id, name FROM vendors WHERE evaluation_id IN ({marks}) ORDER BY name, id"
        rows = _rows(db, sql, list(evaluation_id))
    else:
        rows = _rows(db, "SELECT id, name FROM vendors WHERE evaluation_id = ? ORDER BY name, id", [evaluation_id])
    return {r["id"]: r["name"] for r in rows}


def evaluation_titles(db: Database) -> dict[int, str]:
    """Every evaluation's id -> title."""
    return {r["id"]: r["title"] for r in _rows(db, "SELECT id, title FROM evaluations")}


# --- links just issued, held for one showing (m004) ----------------------------------------------


@migrations()
def m004_issued_links(db: Database) -> None:
    # A fresh link's token waits here, not in the signed-but-readable session cookie, until the
    # evaluation page shows it once to the user who issued it (issue 10).
    db["issued_links"].create(
        {
            "id": int,
            "user_id": int,
            "evaluation_id": int,
            "vendor_id": int,
            "token": str,
            "expires_at": str,
            "emailed_to": str,
            "created_at": str,
        },
        pk="id",
        not_null={"user_id", "evaluation_id", "vendor_id", "token", "created_at"},
        foreign_keys=[
            ("user_id", "users", "id"),
            ("evaluation_id", "evaluations", "id"),
            ("vendor_id", "vendors", "id"),
        ],
    )
    db["issued_links"].create_index(["user_id", "evaluation_id"])


def hold_issued_link(
    db: Database,
    user_id: int,
    evaluation_id: int,
    vendor_id: int,
    token: str,
    expires_at: str | None,
    emailed_to: str | None,
    forget_before: str,
) -> None:
    """Keep a fresh link for its one showing to its issuer; the vendor's earlier one and stale ones go."""
    with db.atomic():
        # Never audited: the log keeps that a link was issued, never the link.
        db.execute("DELETE FROM issued_links WHERE vendor_id = ? OR created_at < ?", [vendor_id, forget_before])
        db.execute(
            "INSERT INTO issued_links (user_id, evaluation_id, vendor_id, token, expires_at, emailed_to, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [user_id, evaluation_id, vendor_id, token, expires_at, emailed_to, now()],
        )


def take_issued_links(db: Database, user_id: int, evaluation_id: int, forget_before: str) -> list[dict]:
    """The links a user issued in an evaluation since `forget_before`, deleted as they are read."""
    mine = "SELECT 1 FROM issued_links WHERE user_id = ? AND evaluation_id = ? LIMIT 1"
    if _row(db, mine, [user_id, evaluation_id]) is None:
        return []  # the usual case: a plain read, no write transaction
    with write_transaction(db):  # two tabs loading at once: only one of them shows the link
        links = _rows(
            db,
            "SELECT vendor_id, token, expires_at, emailed_to FROM issued_links "
            "WHERE user_id = ? AND evaluation_id = ? AND created_at >= ? ORDER BY id",
            [user_id, evaluation_id, forget_before],
        )
        db.execute(
            "DELETE FROM issued_links WHERE (user_id = ? AND evaluation_id = ?) OR created_at < ?",
            [user_id, evaluation_id, forget_before],
        )
    return links


# --- backups -------------------------------------------------------------------------------
# SQLite's online backup API copies a consistent snapshot while the app keeps writing (in WAL
# mode readers never block writers). Imports are local so this section stays append-only.


class BackupError(StoreError):
    """A backup that cannot be made, or a file that cannot be restored."""


def backup_to(db: Database, path: str) -> int:
    """Copy the database into a new file at `path` (temporary file, then rename); return its size."""
    import os
    import secrets
    import sqlite3
    from pathlib import Path

    target = Path(path)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")
    try:
        # Private from its first byte whatever the process's umask: a backup holds every answer.
        os.close(os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        copy = sqlite3.connect(temporary)
        try:
            db.conn.backup(copy)
            # A backup is one self-contained file: no -wal beside it.
            copy.execute("PRAGMA journal_mode = DELETE")
            check = copy.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            copy.close()
        if check != "ok":
            raise BackupError(f"the copy failed its integrity check: {check}")
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, target)
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    except (OSError, sqlite3.Error) as exc:
        raise BackupError(f"cannot write {target}: {getattr(exc, 'strerror', None) or exc}") from None
    finally:
        temporary.unlink(missing_ok=True)
    return target.stat().st_size


def check_backup(path: str) -> list[str]:
    """What makes `path` unfit to restore: not SQLite, damaged, or not a Stagefour database."""
    import sqlite3
    from pathlib import Path

    if not Path(path).is_file():
        return [f"{path}: no such file"]
    try:
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return [f"{path}: cannot open: {exc}"]
    try:
        check = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if check != ["ok"]:
            return [f"{path}: integrity check failed: {'; '.join(check[:5])}"]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        problems = [f"{path}: no {t} table" for t in (Migrations.migrations_table, "answers") if t not in tables]
        if problems:
            return problems + [f"{path}: not a Stagefour database"]
        applied = {
            r[0]
            for r in conn.execute(
                f"SELECT name FROM {Migrations.migrations_table} WHERE migration_set = ?", [migrations.name]
            )
        }
        unknown = sorted(applied - {m.name for m in migrations._migrations})
        if not applied:
            return [f"{path}: not a Stagefour database (no Stagefour migrations applied)"]
        if unknown:
            return [f"{path}: made by a newer Stagefour (migrations {', '.join(unknown)}); upgrade first"]
        return _schema_problems(path, conn, applied)
    except sqlite3.DatabaseError as exc:
        return [f"{path}: not an SQLite database ({exc})"]
    finally:
        conn.close()


def _schema_rows(conn) -> dict[tuple[str, str], str]:
    rows = conn.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
    return {(kind, name): " ".join((sql or "").split()) for kind, name, sql in rows}


def _schema_problems(path: str, conn, applied: set[str]) -> list[str]:
    """How the backup's tables, indexes, triggers and views differ from what its migrations make.

    A trigger or view smuggled into a backup would run inside the live app after a restore
    (issue 10), so the schema must be exactly the one this version's migrations produce.
    """
    import sqlite3

    names = [m.name for m in migrations._migrations]
    if set(names[: len(applied)]) != applied:
        return [f"{path}: its migrations ({', '.join(sorted(applied))}) are not a sequence this version made"]
    reference = Database(memory=True)
    try:
        migrations.apply(reference, stop_before=names[len(applied)] if len(applied) < len(names) else None)
        expected = _schema_rows(reference.conn)
    finally:
        reference.close()
    try:
        found = _schema_rows(conn)
    except sqlite3.DatabaseError as exc:
        return [f"{path}: cannot read its schema ({exc})"]
    problems = [f"{path}: unexpected {kind} {name!r}" for kind, name in sorted(found.keys() - expected.keys())]
    problems += [f"{path}: missing {kind} {name!r}" for kind, name in sorted(expected.keys() - found.keys())]
    problems += [
        f"{path}: {kind} {name!r} differs from this version's"
        for kind, name in sorted(found.keys() & expected.keys())
        if found[(kind, name)] != expected[(kind, name)]
    ]
    if problems:
        problems.append(f"{path}: its schema is not one this version of Stagefour knows; nothing was restored")
    return problems


def restore_from(db: Database, path: str, timeout: float = 10.0) -> list[str]:
    """Replace the database's content with the backup at `path`; return the migrations then applied.

    The copy is one write transaction on the live database, so running workers see either the
    old content or the restored one. Gives up with BackupError when the database stays locked.
    """
    import sqlite3
    import time

    problems = check_backup(path)
    if problems:
        raise BackupError("\n".join(problems))
    deadline = time.monotonic() + timeout

    def give_up_when_locked(status: int, remaining: int, total: int) -> None:
        if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) and time.monotonic() > deadline:
            raise BackupError(f"the database stayed locked for {timeout:g} s; nothing was restored")

    # Each step waits for the write lock at most this long before the callback can give up.
    db.execute(f"PRAGMA busy_timeout = {max(1, int(timeout * 1000))}")
    source = sqlite3.connect(path)
    try:
        source.backup(db.conn, progress=give_up_when_locked, sleep=0.1)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot restore {path}: {exc}") from None
    finally:
        source.close()
    return migrate(db)


# --- teams (issue 11) ------------------------------------------------------------------------
# Every evaluation belongs to one team; a user's role is per team. A restricted evaluation is
# seen only by its named members (evaluation_members). Site administrators (users.is_admin)
# manage users and teams and see no evaluation's content through that.

DEFAULT_TEAM = "Default team"


@migrations()
def m010_teams(db: Database) -> None:
    db.execute(
        "CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE, "
        "created_at TEXT NOT NULL)"
    )
    db.execute(
        "CREATE TABLE memberships (team_id INTEGER NOT NULL REFERENCES teams(id), "
        "user_id INTEGER NOT NULL REFERENCES users(id), "
        "role TEXT NOT NULL CHECK (role IN ('viewer', 'evaluator', 'owner')), created_at TEXT NOT NULL, "
        "PRIMARY KEY (team_id, user_id))"
    )
    db.execute("CREATE INDEX memberships_user ON memberships (user_id)")
    db.execute(
        "CREATE TABLE evaluation_members (evaluation_id INTEGER NOT NULL REFERENCES evaluations(id), "
        "user_id INTEGER NOT NULL REFERENCES users(id), PRIMARY KEY (evaluation_id, user_id))"
    )
    db["users"].add_column("is_admin", int, not_null_default=0)
    db["users"].add_column("disabled_at", str)
    db["users"].add_column("session_version", int, not_null_default=0)
    db["evaluations"].add_column("team_id", int)
    db["evaluations"].add_column("restricted", int, not_null_default=0)
    # A database of release 1: its users and evaluations land in one team, each user with the
    # role they had; its owners ran the whole site, so they become its administrators.
    if _row(db, "SELECT 1 AS x FROM users UNION ALL SELECT 1 FROM evaluations LIMIT 1"):
        stamp = now()
        team_id = db.execute("INSERT INTO teams (name, created_at) VALUES (?, ?)", [DEFAULT_TEAM, stamp]).lastrowid
        db.execute(
            "INSERT INTO memberships (team_id, user_id, role, created_at) SELECT ?, id, role, ? FROM users",
            [team_id, stamp],
        )
        db.execute("UPDATE users SET is_admin = 1 WHERE role = 'owner'")
        db.execute("UPDATE evaluations SET team_id = ?", [team_id])
    db["evaluations"].transform(not_null={"team_id"}, add_foreign_keys=[("team_id", "teams", "id")])
    db["evaluations"].create_index(["team_id"])


def create_team(db: Database, name: str, actor: str) -> int:
    """A new team; raises StoreError when the name (case-insensitive) is taken."""
    name = name.strip()
    if not name:
        raise StoreError("a team needs a name")
    if get_team_by_name(db, name):
        raise StoreError(f"a team named {name} exists")
    with db.atomic():
        team_id = db.execute("INSERT INTO teams (name, created_at) VALUES (?, ?)", [name, now()]).lastrowid
        audit(db, actor, "team_created", team=team_id, name=name)
    return team_id


def get_team(db: Database, team_id: int) -> dict | None:
    """A team by id."""
    return _row(db, "SELECT * FROM teams WHERE id = ?", [team_id])


def get_team_by_name(db: Database, name: str) -> dict | None:
    """A team by name (case-insensitive)."""
    return _row(db, "SELECT * FROM teams WHERE name = ?", [name.strip()])


def list_teams(db: Database) -> list[dict]:
    """Every team by name, with how many members and evaluations it has."""
    sql = """
        SELECT t.*, (SELECT count(*) FROM memberships m WHERE m.team_id = t.id) AS member_count,
               (SELECT count(*) FROM evaluations e WHERE e.team_id = t.id) AS evaluation_count
        FROM teams t ORDER BY t.name COLLATE NOCASE
    """
    return _rows(db, sql)


def set_membership(db: Database, team_id: int, user_id: int, role: str, actor: str) -> None:
    """Make a user a member of a team with `role`, or change their role there (which ends their sessions)."""
    if role not in ROLES:
        raise StoreError(f"unknown role {role!r}")
    with db.atomic():
        if membership_role(db, team_id, user_id) not in (None, role):
            end_sessions(db, user_id)
        db.execute(
            "INSERT INTO memberships (team_id, user_id, role, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (team_id, user_id) DO UPDATE SET role = excluded.role",
            [team_id, user_id, role, now()],
        )
        audit(db, actor, "membership_set", team=team_id, user=user_id, role=role)


def remove_membership(db: Database, team_id: int, user_id: int, actor: str) -> bool:
    """Take a user out of a team (and off its restricted evaluations, ending their sessions); False if not a member."""
    with db.atomic():
        count = db.execute("DELETE FROM memberships WHERE team_id = ? AND user_id = ?", [team_id, user_id]).rowcount
        if count:
            end_sessions(db, user_id)
            db.execute(
                "DELETE FROM evaluation_members WHERE user_id = ? "
                "AND evaluation_id IN (SELECT id FROM evaluations WHERE team_id = ?)",
                [user_id, team_id],
            )
            audit(db, actor, "membership_removed", team=team_id, user=user_id)
    return bool(count)


def membership_role(db: Database, team_id: int, user_id: int) -> str | None:
    """The user's role in the team, or None."""
    row = _row(db, "SELECT role FROM memberships WHERE team_id = ? AND user_id = ?", [team_id, user_id])
    return row["role"] if row else None


def user_teams(db: Database, user_id: int) -> list[dict]:
    """The teams a user is a member of, by name: id, name, role."""
    sql = """
        SELECT t.id, t.name, m.role FROM memberships m JOIN teams t ON t.id = m.team_id
        WHERE m.user_id = ? ORDER BY t.name COLLATE NOCASE
    """
    return _rows(db, sql, [user_id])


def team_members(db: Database, team_id: int) -> list[dict]:
    """A team's members by e-mail: user id, email, role, disabled_at."""
    sql = """
        SELECT u.id, u.email, u.disabled_at, m.role FROM memberships m JOIN users u ON u.id = m.user_id
        WHERE m.team_id = ? ORDER BY u.email
    """
    return _rows(db, sql, [team_id])


def list_users(db: Database) -> list[dict]:
    """Every account by e-mail (without password hashes), with its teams as (name, role) pairs."""
    users = _rows(db, "SELECT id, email, is_admin, disabled_at, created_at FROM users ORDER BY email")
    teams: dict[int, list] = {u["id"]: [] for u in users}
    sql = "SELECT m.user_id, t.id, t.name, m.role FROM memberships m JOIN teams t ON t.id = m.team_id ORDER BY t.name"
    for r in _rows(db, sql):
        teams[r["user_id"]].append({"id": r["id"], "name": r["name"], "role": r["role"]})
    return [dict(u, teams=teams[u["id"]]) for u in users]


def set_admin(db: Database, user_id: int, is_admin: bool, actor: str) -> None:
    """Make a user a site administrator, or no longer one."""
    with db.atomic():
        db.execute("UPDATE users SET is_admin = ? WHERE id = ?", [int(is_admin), user_id])
        audit(db, actor, "admin_set", user=user_id, is_admin=is_admin)


def evaluation_members(db: Database, evaluation_id: int) -> list[int]:
    """The user ids named on an evaluation (who may see it when it is restricted)."""
    rows = _rows(db, "SELECT user_id FROM evaluation_members WHERE evaluation_id = ? ORDER BY user_id", [evaluation_id])
    return [r["user_id"] for r in rows]


def is_evaluation_member(db: Database, evaluation_id: int, user_id: int) -> bool:
    """Whether the user is named on the evaluation."""
    sql = "SELECT 1 AS x FROM evaluation_members WHERE evaluation_id = ? AND user_id = ?"
    return _row(db, sql, [evaluation_id, user_id]) is not None


def set_evaluation_access(
    db: Database, evaluation_id: int, restricted: bool, member_ids: Sequence[int], actor: str
) -> list[int]:
    """Restrict an evaluation to named members of its team (or open it to the team); the members kept.

    Only members of the evaluation's team can be named; its creator always is one while still
    in the team, so restricting never locks out the person who made it.
    """
    evaluation = get_evaluation(db, evaluation_id)
    team = {m["id"] for m in team_members(db, evaluation["team_id"])}
    names = {int(i) for i in member_ids} | ({evaluation["created_by"]} if evaluation["created_by"] else set())
    kept = sorted(names & team)
    with db.atomic():
        db.execute("UPDATE evaluations SET restricted = ?, updated_at = ? WHERE id = ?",
                   [int(restricted), now(), evaluation_id])  # fmt: skip
        db.execute("DELETE FROM evaluation_members WHERE evaluation_id = ?", [evaluation_id])
        for user_id in kept:
            db.execute(
                "INSERT INTO evaluation_members (evaluation_id, user_id) VALUES (?, ?)", [evaluation_id, user_id]
            )
        audit(db, actor, "evaluation_access_changed", evaluation_id=evaluation_id, restricted=restricted, members=kept)
    return kept


@migrations()
def m011_users_without_role(db: Database) -> None:
    # A role is per team now (memberships, m010); the site-wide one of release 1 is gone.
    db["users"].transform(drop={"role"})


# --- attribution (issue 11, item 5) ------------------------------------------------------------
# Who really did it: every link records the user who issued it, so a change made through a
# vendor's link also names that link's issuer (views/vendor.py gives the link's actor those
# facts); and a verification records a fingerprint of the deployment row it verified.


@migrations()
def m014_attribution(db: Database) -> None:
    # verifications belong to the profile whose deployments they check
    from stagefour.profiles import PROFILES

    deployment_fingerprint = PROFILES["ai-deployment-partner"].fingerprint

    db.execute("ALTER TABLE invitations ADD COLUMN issued_by INTEGER REFERENCES users(id)")
    # The log says who issued each link: the n-th link_issued/link_reissued entry of a vendor
    # made its n-th invitation (both are written in one transaction, in that order).
    db.execute(
        """
        WITH issues AS (
            SELECT vendor_id, CAST(substr(actor, 6) AS INTEGER) AS user_id,
                   actor LIKE 'user:%' AS by_user,
                   row_number() OVER (PARTITION BY vendor_id ORDER BY id) AS n
            FROM audit_log WHERE action IN ('link_issued', 'link_reissued') AND vendor_id IS NOT NULL
        ), links AS (
            SELECT id, vendor_id, row_number() OVER (PARTITION BY vendor_id ORDER BY id) AS n FROM invitations
        )
        UPDATE invitations SET issued_by = (
            SELECT i.user_id FROM links l JOIN issues i ON i.vendor_id = l.vendor_id AND i.n = l.n
            WHERE l.id = invitations.id AND i.by_user AND i.user_id IN (SELECT id FROM users)
        )
        """
    )
    db.execute("ALTER TABLE verifications ADD COLUMN fingerprint TEXT")
    # Verifications made before fingerprints vouch for the rows as they are now.
    rows = _rows(
        db,
        "SELECT v.response_id, v.deployment_id, a.value FROM verifications v "
        "LEFT JOIN answers a ON a.response_id = v.response_id AND a.question_id = 'B1'",
    )
    for r in rows:
        answers = {"B1": json.loads(r["value"])} if r["value"] else {}
        db.execute(
            "UPDATE verifications SET fingerprint = ? WHERE response_id = ? AND deployment_id = ?",
            [deployment_fingerprint(answers, r["deployment_id"]), r["response_id"], r["deployment_id"]],
        )


def user_of(actor: str) -> int | None:
    """The user id of a `user:<id>` actor, else None (the command line, a vendor, a test)."""
    kind, _sep, ident = str(actor).partition(":")
    return int(ident) if kind == "user" and ident.isdigit() else None


def original_inviters(db: Database, evaluation_id: int | None = None) -> dict[int, int | None]:
    """Vendor id -> the user who issued the vendor's first link (None: not a user), of one evaluation or all."""
    sql = """
        SELECT i.vendor_id, i.issued_by FROM invitations i JOIN vendors v ON v.id = i.vendor_id
        WHERE i.id IN (SELECT min(id) FROM invitations GROUP BY vendor_id) AND (? IS NULL OR v.evaluation_id = ?)
    """
    return {r["vendor_id"]: r["issued_by"] for r in _rows(db, sql, [evaluation_id, evaluation_id])}


# --- single sign-on (issue 11) ------------------------------------------------------------------
# An account signs in through OpenID Connect as one (issuer, subject) pair: the provider's
# stable id for the person, never the e-mail, which can change or be reassigned.


@migrations()
def m013_sso(db: Database) -> None:
    db["users"].add_column("oidc_issuer", str)
    db["users"].add_column("oidc_subject", str)
    db.execute("CREATE UNIQUE INDEX users_oidc ON users (oidc_issuer, oidc_subject) WHERE oidc_subject IS NOT NULL")


def get_user_by_oidc(db: Database, issuer: str, subject: str) -> dict | None:
    """The account linked to this identity at this OpenID provider, or None."""
    return _row(db, "SELECT * FROM users WHERE oidc_issuer = ? AND oidc_subject = ?", [issuer, subject])


def link_oidc(db: Database, user_id: int, issuer: str, subject: str, actor: str) -> None:
    """Bind an account to an identity at an OpenID provider (once: a linked account stays linked)."""
    with db.atomic():
        count = db.execute(
            "UPDATE users SET oidc_issuer = ?, oidc_subject = ? WHERE id = ? AND oidc_subject IS NULL",
            [issuer, subject, user_id],
        ).rowcount
        if not count:
            raise StoreError(f"user {user_id} is already linked to an identity")
        audit(db, actor, "sso_linked", user=user_id, issuer=issuer, subject=subject)


# --- accounts (issue 11, item 2) ----------------------------------------------------------------
# One-time links (an invitation into a team, a password reset) keep only the SHA-256 of their
# token; a link is used once, and a newer one of the same purpose replaces the older. The TOTP
# secret sits in users (SECURITY.md, "Accounts": not encrypted at rest, and why); recovery codes
# are kept as hashes. Every change is audited, never with a token, password, secret or code.

ACCOUNT_TOKEN_PURPOSES = ("invite", "reset")


@migrations()
def m012_accounts(db: Database) -> None:
    db.execute(
        "CREATE TABLE account_tokens (id INTEGER PRIMARY KEY, "
        "purpose TEXT NOT NULL CHECK (purpose IN ('invite', 'reset')), token_hash TEXT NOT NULL UNIQUE, "
        "user_id INTEGER REFERENCES users(id), email TEXT, team_id INTEGER REFERENCES teams(id), "
        "role TEXT CHECK (role IN ('viewer', 'evaluator', 'owner')), created_by INTEGER REFERENCES users(id), "
        "created_at TEXT NOT NULL, expires_at TEXT NOT NULL, used_at TEXT, revoked_at TEXT, "
        # An invitation names who is invited where; a reset names the account.
        "CHECK ((purpose = 'invite' AND email IS NOT NULL AND team_id IS NOT NULL AND role IS NOT NULL) "
        "OR (purpose = 'reset' AND user_id IS NOT NULL)))"
    )
    db.execute("CREATE INDEX account_tokens_user ON account_tokens (user_id)")
    db.execute("CREATE INDEX account_tokens_email ON account_tokens (email)")
    # An invitation link made without a mail server, held until the administrator's next page
    # shows it once (like a vendor link: views/buyer.py), then deleted.
    db.execute(
        "CREATE TABLE held_account_links (token_id INTEGER PRIMARY KEY REFERENCES account_tokens(id), "
        "shown_to INTEGER NOT NULL REFERENCES users(id), token TEXT NOT NULL, created_at TEXT NOT NULL)"
    )
    db["users"].add_column("totp_secret", str)
    db["users"].add_column("totp_enabled_at", str)
    # The time step of the last code accepted: a code is never accepted twice (RFC 6238 §5.2).
    db["users"].add_column("totp_last_counter", int)
    db.execute(
        "CREATE TABLE recovery_codes (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), "
        "code_hash TEXT NOT NULL, created_at TEXT NOT NULL, used_at TEXT, UNIQUE (user_id, code_hash))"
    )


def _revoke_account_tokens(
    db: Database, purpose: str, stamp: str, user_id: int | None = None, email: str | None = None
) -> int:
    """Close the open links of `purpose` for an account (user_id) or an invited address (email)."""
    sql = "UPDATE account_tokens SET revoked_at = ? WHERE purpose = ? AND used_at IS NULL AND revoked_at IS NULL "
    if user_id is not None:
        return db.execute(sql + "AND user_id = ?", [stamp, purpose, user_id]).rowcount
    return db.execute(sql + "AND email = ?", [stamp, purpose, email]).rowcount


def create_invitation(
    db: Database, email: str, team_id: int, role: str, token_hash: str, expires_at: str, created_by: int
) -> int:
    """An invitation of `email` into a team with a role; an earlier open one for that e-mail stops working.

    Raises StoreError when an account with that e-mail exists (add it to the team instead).
    """
    email = email.strip().lower()
    if role not in ROLES:
        raise StoreError(f"unknown role {role!r}")
    stamp = now()
    with write_transaction(db):
        if get_user_by_email(db, email):
            raise StoreError(f"a user with e-mail {email} exists")
        replaced = _revoke_account_tokens(db, "invite", stamp, email=email)
        token_id = db.execute(
            "INSERT INTO account_tokens (purpose, token_hash, email, team_id, role, created_by, created_at, "
            "expires_at) VALUES ('invite', ?, ?, ?, ?, ?, ?, ?)",
            [token_hash, email, team_id, role, created_by, stamp, expires_at],
        ).lastrowid
        audit(
            db,
            f"user:{created_by}",
            "account_invited",
            email=email,
            team=team_id,
            role=role,
            expires_at=expires_at,
            replaced=replaced,
        )
    return token_id


def create_reset(db: Database, user_id: int, token_hash: str, expires_at: str) -> int:
    """A password-reset link for an account; an earlier open one stops working."""
    stamp = now()
    with write_transaction(db):
        _revoke_account_tokens(db, "reset", stamp, user_id=user_id)
        token_id = db.execute(
            "INSERT INTO account_tokens (purpose, token_hash, user_id, created_at, expires_at) "
            "VALUES ('reset', ?, ?, ?, ?)",
            [token_hash, user_id, stamp, expires_at],
        ).lastrowid
        audit(db, "anonymous", "password_reset_requested", user=user_id, expires_at=expires_at)
    return token_id


def find_account_token(db: Database, purpose: str, token_hash: str) -> dict | None:
    """A one-time link by the hash of its token, with its team's name and its account's e-mail."""
    sql = """
        SELECT a.*, t.name AS team_name, u.email AS user_email FROM account_tokens a
        LEFT JOIN teams t ON t.id = a.team_id LEFT JOIN users u ON u.id = a.user_id
        WHERE a.purpose = ? AND a.token_hash = ?
    """
    return _row(db, sql, [purpose, token_hash])


def open_invitations(db: Database) -> list[dict]:
    """Invitations neither used, replaced nor expired, newest first, with their team's name."""
    sql = """
        SELECT a.id, a.email, a.role, a.created_at, a.expires_at, t.name AS team_name, u.email AS invited_by
        FROM account_tokens a JOIN teams t ON t.id = a.team_id LEFT JOIN users u ON u.id = a.created_by
        WHERE a.purpose = 'invite' AND a.used_at IS NULL AND a.revoked_at IS NULL AND a.expires_at > ?
        ORDER BY a.id DESC
    """
    return _rows(db, sql, [now()])


def _use_token(db: Database, token_id: int, stamp: str) -> None:
    """Mark a link used, or raise StoreError when another request used it first (or it was replaced)."""
    used = db.execute(
        "UPDATE account_tokens SET used_at = ? "
        "WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?",
        [stamp, token_id, stamp],
    ).rowcount
    if not used:
        raise StoreError("this link was used, replaced or has expired")


def accept_invitation(db: Database, token_id: int, password_hash: str) -> int:
    """Use an invitation: the account is made with its password and team role; returns the user id."""
    stamp = now()
    with write_transaction(db):
        _use_token(db, token_id, stamp)
        invitation = _row(db, "SELECT * FROM account_tokens WHERE id = ?", [token_id])
        if get_user_by_email(db, invitation["email"]):
            raise StoreError(f"a user with e-mail {invitation['email']} exists")
        user_id = create_user(db, invitation["email"], password_hash)
        actor = f"user:{user_id}"
        set_membership(db, invitation["team_id"], user_id, invitation["role"], actor)
        audit(
            db,
            actor,
            "invitation_accepted",
            user=user_id,
            team=invitation["team_id"],
            role=invitation["role"],
            invited_by=invitation["created_by"],
        )
    return user_id


def _set_password_ending_sessions(db: Database, user_id: int, password_hash: str, stamp: str) -> int:
    db.execute(
        "UPDATE users SET password_hash = ?, session_version = session_version + 1 WHERE id = ?",
        [password_hash, user_id],
    )
    _revoke_account_tokens(db, "reset", stamp, user_id=user_id)
    return _row(db, "SELECT session_version FROM users WHERE id = ?", [user_id])["session_version"]


def reset_password(db: Database, token_id: int, password_hash: str) -> int:
    """Use a reset link: the account gets the new password and all its sessions end; returns its id."""
    stamp = now()
    with write_transaction(db):
        _use_token(db, token_id, stamp)
        user_id = _row(db, "SELECT user_id FROM account_tokens WHERE id = ?", [token_id])["user_id"]
        if _row(db, "SELECT disabled_at FROM users WHERE id = ?", [user_id])["disabled_at"]:
            raise StoreError("the account is disabled")
        _set_password_ending_sessions(db, user_id, password_hash, stamp)
        audit(db, "anonymous", "password_reset", user=user_id)
    return user_id


def change_password(db: Database, user_id: int, password_hash: str) -> int:
    """A user's new password (they gave the current one): every session of theirs ends; the new version."""
    with write_transaction(db):
        version = _set_password_ending_sessions(db, user_id, password_hash, now())
        audit(db, f"user:{user_id}", "password_changed", user=user_id)
    return version


def set_disabled(db: Database, user_id: int, disabled: bool, actor: str) -> bool:
    """Disable an account (it cannot log in; its sessions end) or enable it again; False if nothing changed."""
    stamp = now()
    with write_transaction(db):
        if disabled:
            changed = db.execute(
                "UPDATE users SET disabled_at = ?, session_version = session_version + 1 "
                "WHERE id = ? AND disabled_at IS NULL",
                [stamp, user_id],
            ).rowcount
            _revoke_account_tokens(db, "reset", stamp, user_id=user_id)
        else:
            changed = db.execute(
                "UPDATE users SET disabled_at = NULL WHERE id = ? AND disabled_at IS NOT NULL", [user_id]
            ).rowcount
        if changed:
            audit(db, actor, "account_disabled" if disabled else "account_enabled", user=user_id)
    return bool(changed)


def hold_account_link(db: Database, token_id: int, user_id: int, token: str) -> None:
    """Keep an invitation link until `user_id`'s next page shows it once (no mail server)."""
    db.execute(
        "INSERT INTO held_account_links (token_id, shown_to, token, created_at) VALUES (?, ?, ?, ?)",
        [token_id, user_id, token, now()],
    )


def take_account_links(db: Database, user_id: int, since: str) -> list[dict]:
    """The invitation links held for `user_id` since `since`, with e-mail and expiry; all held ones leave now.

    Links older than `since` are deleted unseen: whoever made them can invite again.
    """
    sql = """
        SELECT h.token, a.email, a.expires_at, t.name AS team_name, a.role FROM held_account_links h
        JOIN account_tokens a ON a.id = h.token_id JOIN teams t ON t.id = a.team_id
        WHERE h.shown_to = ? AND h.created_at >= ? ORDER BY h.token_id
    """
    with write_transaction(db):
        links = _rows(db, sql, [user_id, since])
        db.execute("DELETE FROM held_account_links WHERE shown_to = ? OR created_at < ?", [user_id, since])
    return links


# --- TOTP second factor -------------------------------------------------------------------------


def start_totp(db: Database, user_id: int, secret: str) -> None:
    """Keep a new secret for a user enrolling (not yet asked for at login: confirm_totp does that)."""
    db.execute(
        "UPDATE users SET totp_secret = ?, totp_last_counter = NULL WHERE id = ? AND totp_enabled_at IS NULL",
        [secret, user_id],
    )


def take_totp_step(db: Database, user_id: int, counter: int) -> bool:
    """Record the time step of an accepted code; False when that step (or a later one) was used already."""
    sql = (
        "UPDATE users SET totp_last_counter = ? WHERE id = ? AND totp_secret IS NOT NULL "
        "AND (totp_last_counter IS NULL OR totp_last_counter < ?)"
    )
    return bool(db.execute(sql, [counter, user_id, counter]).rowcount)


def confirm_totp(db: Database, user_id: int, counter: int, code_hashes: Sequence[str]) -> bool:
    """Switch the second factor on with its first code's step and fresh recovery codes; False on a replay."""
    stamp = now()
    with write_transaction(db):
        if not take_totp_step(db, user_id, counter):
            return False
        db.execute("UPDATE users SET totp_enabled_at = ? WHERE id = ?", [stamp, user_id])
        db.execute("DELETE FROM recovery_codes WHERE user_id = ?", [user_id])
        for code_hash in code_hashes:
            db.execute(
                "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES (?, ?, ?)",
                [user_id, code_hash, stamp],
            )
        audit(db, f"user:{user_id}", "totp_enrolled", user=user_id, recovery_codes=len(code_hashes))
    return True


def disable_totp(db: Database, user_id: int) -> None:
    """Switch the second factor off: its secret and recovery codes are deleted."""
    with write_transaction(db):
        db.execute(
            "UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL, totp_last_counter = NULL WHERE id = ?",
            [user_id],
        )
        db.execute("DELETE FROM recovery_codes WHERE user_id = ?", [user_id])
        audit(db, f"user:{user_id}", "totp_disabled", user=user_id)


def use_recovery_code(db: Database, user_id: int, code_hash: str) -> bool:
    """Spend one of a user's recovery codes; False when it is not theirs or was spent."""
    with write_transaction(db):
        used = db.execute(
            "UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL",
            [now(), user_id, code_hash],
        ).rowcount
        if used:
            audit(db, f"user:{user_id}", "recovery_code_used", user=user_id, left=recovery_codes_left(db, user_id))
    return bool(used)


def recovery_codes_left(db: Database, user_id: int) -> int:
    """How many unspent recovery codes a user has."""
    sql = "SELECT count(*) AS n FROM recovery_codes WHERE user_id = ? AND used_at IS NULL"
    return _row(db, sql, [user_id])["n"]


# --- reminders, lost links and deadlines per vendor (issue 12) ----------------------------------
# A vendor's own deadline (vendors.deadline) counts when later than the evaluation's
# (stagefour/deadlines.py). Reminders and lost-link requests add a live link to a vendor's
# others (invitations.purpose says why) instead of replacing them: only hashes are stored, so
# a reminder cannot carry the old link, and a stranger who knows a vendor's address must not
# be able to close the vendor's working link by asking for a new one. Revoking and reissuing
# close every live link of the vendor (revoke_invitations, issue_invitation).

DEFAULT_REMINDER_DAYS = (7, 3, 1)


@migrations()
def m015_reminders(db: Database) -> None:
    db["vendors"].add_column("deadline", str)
    db.execute(
        "ALTER TABLE evaluations ADD COLUMN reminder_days TEXT NOT NULL DEFAULT "
        f"'{json.dumps(list(DEFAULT_REMINDER_DAYS))}'"
    )
    db.execute("ALTER TABLE evaluations ADD COLUMN reminder_overdue INTEGER NOT NULL DEFAULT 1")
    db["invitations"].add_column("purpose", str)
    db["reminders_sent"].create(
        {"id": int, "vendor_id": int, "kind": str, "deadline": str, "sent_at": str, "invitation_id": int},
        pk="id",
        not_null={"vendor_id", "kind", "deadline", "sent_at"},
        foreign_keys=[("vendor_id", "vendors", "id"), ("invitation_id", "invitations", "id")],
    )
    # The idempotency key: one reminder of each kind per vendor and per deadline it was for.
    db["reminders_sent"].create_index(["vendor_id", "kind", "deadline"], unique=True)
    # The lost-link page finds vendors by the address the buyer entered, in any case.
    db.execute("CREATE INDEX vendors_contact_email ON vendors (lower(contact_email))")


def set_vendor_deadline(db: Database, vendor_id: int, deadline: str | None, actor: str) -> None:
    """Give one vendor their own deadline (None: the evaluation's again); audited."""
    vendor = get_vendor(db, vendor_id)
    with db.atomic():
        db.execute("UPDATE vendors SET deadline = ? WHERE id = ?", [deadline, vendor_id])
        audit(
            db,
            actor,
            "vendor_deadline_changed",
            evaluation_id=vendor["evaluation_id"],
            vendor_id=vendor_id,
            deadline=deadline,
            previous=vendor["deadline"],
        )


def extend_vendor_invitations(db: Database, vendor_id: int, expires_at: str, actor: str) -> int:
    """Move the expiry of one vendor's live links out to `expires_at` where it is earlier; returns how many."""
    vendor = get_vendor(db, vendor_id)
    with db.atomic():
        count = db.execute(
            "UPDATE invitations SET expires_at = ? "
            "WHERE vendor_id = ? AND revoked_at IS NULL AND expires_at IS NOT NULL AND expires_at < ? "
            "AND expires_at >= ?",
            [expires_at, vendor_id, expires_at, now()],
        ).rowcount
        if count:
            audit(
                db,
                actor,
                "links_extended",
                evaluation_id=vendor["evaluation_id"],
                vendor_id=vendor_id,
                expires_at=expires_at,
                count=count,
            )
    return count


def set_reminder_schedule(db: Database, evaluation_id: int, days: Sequence[int], overdue: bool, actor: str) -> None:
    """An evaluation's reminder schedule: days before the deadline, and whether to remind once when overdue."""
    with db.atomic():
        db.execute(
            "UPDATE evaluations SET reminder_days = ?, reminder_overdue = ?, updated_at = ? WHERE id = ?",
            [json.dumps(list(days)), int(overdue), now(), evaluation_id],
        )
        audit(db, actor, "reminders_changed", evaluation_id=evaluation_id, days=list(days), overdue=overdue)


# A vendor a reminder or a new link may go to: an address, a response still open, a link that
# works now, in an evaluation no decision has closed.
_REACHABLE = """
    v.contact_email IS NOT NULL AND v.contact_email != ''
    AND r.status IN ('invited', 'in_progress', 'reopened') AND e.closed_at IS NULL
"""
_LIVE_LINKS = "revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)"


def reminder_candidates(db: Database, stamp: str) -> list[dict]:
    """Every vendor a reminder may go to at `stamp`, with its evaluation's deadline and schedule.

    `link_expires` is the latest expiry of the vendor's live links ('' when one never expires).
    """
    sql = f"""
        SELECT v.id AS vendor_id, v.evaluation_id, v.name, v.contact_email, v.deadline AS vendor_deadline,
               v.created_at AS vendor_created_at, r.language, e.title, e.deadline AS evaluation_deadline,
               e.reminder_days, e.reminder_overdue, l.link_expires
        FROM vendors v
        JOIN responses r ON r.vendor_id = v.id
        JOIN evaluations e ON e.id = v.evaluation_id
        JOIN (SELECT vendor_id, max(coalesce(expires_at, '')) AS link_expires FROM invitations
              WHERE {_LIVE_LINKS} GROUP BY vendor_id) l ON l.vendor_id = v.id
        WHERE {_REACHABLE} AND e.deadline IS NOT NULL AND (e.reminder_days != '[]' OR e.reminder_overdue)
    """
    rows = _rows(db, sql, [stamp])
    for row in rows:
        row["reminder_days"] = json.loads(row["reminder_days"])
    return rows


def sent_reminders(db: Database, vendor_ids: Sequence[int]) -> set[tuple[int, str, str]]:
    """The (vendor id, kind, deadline) of every reminder already sent to these vendors."""
    wanted = set(vendor_ids)
    rows = db.execute("SELECT vendor_id, kind, deadline FROM reminders_sent").fetchall()
    return {tuple(r) for r in rows if r[0] in wanted}


@dataclass(frozen=True)
class NewLink:
    """A link to add to a vendor's others: why, until when, and the reminder it goes with (if any)."""

    vendor_id: int
    evaluation_id: int
    token_hash: str
    expires_at: str | None
    purpose: str  # "reminder" or "lost_link"
    kind: str | None = None  # the reminder: "before:7", "overdue"
    deadline: str | None = None  # the deadline the reminder is for


def add_links(db: Database, links: Sequence[NewLink], actor: str) -> None:
    """Add live links (never revoking the vendor's others) and record the reminders they go with; audited.

    Batched: 10,000 reminders are three executemany calls (bench/reminders.py). Call it inside
    write_transaction, after reading sent_reminders there, so no two runs add the same reminder.
    """
    if not links:
        return
    stamp = now()
    first = _row(db, "SELECT coalesce(max(id), 0) AS id FROM invitations")["id"] + 1
    ids = list(range(first, first + len(links)))
    db.conn.executemany(
        "INSERT INTO invitations (id, vendor_id, token_hash, created_at, expires_at, purpose) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(i, n.vendor_id, n.token_hash, stamp, n.expires_at, n.purpose) for i, n in zip(ids, links, strict=True)],
    )
    reminders = [(n.vendor_id, n.kind, n.deadline, stamp, i) for i, n in zip(ids, links, strict=True) if n.kind]
    # The unique index refuses a reminder recorded twice: the whole batch fails rather than send it again.
    db.conn.executemany(
        "INSERT INTO reminders_sent (vendor_id, kind, deadline, sent_at, invitation_id) VALUES (?, ?, ?, ?, ?)",
        reminders,
    )
    detail = getattr(actor, "detail", {})
    db.conn.executemany(
        "INSERT INTO audit_log (at, actor, action, evaluation_id, vendor_id, response_id, detail) "
        "VALUES (?, ?, ?, ?, ?, NULL, ?)",
        [
            (
                stamp,
                str(actor),
                "reminder_sent" if n.kind else "lost_link_sent",
                n.evaluation_id,
                n.vendor_id,
                json.dumps(
                    detail
                    | {"invitation": i, "expires_at": n.expires_at}
                    | ({"reminder": n.kind, "deadline": n.deadline} if n.kind else {}),
                    ensure_ascii=False,
                ),
            )
            for i, n in zip(ids, links, strict=True)
        ],
    )


def lost_link_candidates(db: Database, email: str, stamp: str) -> list[dict]:
    """The vendors whose contact address is `email` (any case) with an open response and a live link."""
    sql = f"""
        SELECT v.id AS vendor_id, v.evaluation_id, v.name, v.contact_email, v.deadline AS vendor_deadline,
               r.language, e.title, e.deadline AS evaluation_deadline, l.link_expires
        FROM vendors v
        JOIN responses r ON r.vendor_id = v.id
        JOIN evaluations e ON e.id = v.evaluation_id
        JOIN (SELECT vendor_id, max(coalesce(expires_at, '')) AS link_expires FROM invitations
              WHERE {_LIVE_LINKS} GROUP BY vendor_id) l ON l.vendor_id = v.id
        WHERE lower(v.contact_email) = lower(?) AND {_REACHABLE}
        ORDER BY v.id
    """
    return _rows(db, sql, [stamp, email])


# --- notifications (issue 12) ---------------------------------------------------------------
# Buyers are told when a vendor submits, replies to a clarification or is overdue
# (stagefour/notifications.py decides who). One row per recipient; `thread_id` is the link
# target's clarification thread, when there is one. A once-key records an event that must be
# told once only (an overdue vendor, per deadline), whoever it reached.

NOTIFICATION_KINDS = ("submitted", "replied", "overdue")


@migrations()
def m016_notifications(db: Database) -> None:
    db.execute(
        "CREATE TABLE notifications (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), "
        "kind TEXT NOT NULL CHECK (kind IN ('submitted', 'replied', 'overdue')), "
        "evaluation_id INTEGER NOT NULL REFERENCES evaluations(id), "
        "vendor_id INTEGER NOT NULL REFERENCES vendors(id), thread_id INTEGER REFERENCES clarifications(id), "
        "created_at TEXT NOT NULL, read_at TEXT)"
    )
    db.execute("CREATE INDEX notifications_user ON notifications (user_id, id)")
    # The header's unread count on every buyer page reads this index only.
    db.execute("CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL")
    db.execute("CREATE TABLE notification_keys (key TEXT PRIMARY KEY, created_at TEXT NOT NULL) WITHOUT ROWID")
    db.execute(
        "CREATE TABLE notification_choices (user_id INTEGER NOT NULL REFERENCES users(id), "
        "kind TEXT NOT NULL CHECK (kind IN ('submitted', 'replied', 'overdue')), "
        "email INTEGER NOT NULL CHECK (email IN (0, 1)), app INTEGER NOT NULL CHECK (app IN (0, 1)), "
        "PRIMARY KEY (user_id, kind))"
    )


def notification_choices(db: Database, user_ids: Sequence[int]) -> dict[int, dict[str, dict[str, bool]]]:
    """user id -> kind -> {"email": bool, "app": bool}, for the choices a user saved (none: the defaults apply)."""
    out: dict[int, dict[str, dict[str, bool]]] = {int(u): {} for u in user_ids}
    if not out:
        return out
    marks = ",".join("?" * len(out))
    sql = f"SELECT * FROM notification_choices WHERE user_id IN ({marks})"
    for r in _rows(db, sql, list(out)):
        out[r["user_id"]][r["kind"]] = {"email": bool(r["email"]), "app": bool(r["app"])}
    return out


def set_notification_choices(db: Database, user_id: int, choices: dict[str, dict[str, bool]]) -> None:
    """Save a user's choice per kind (e-mail, in the app), audited."""
    if set(choices) - set(NOTIFICATION_KINDS):
        raise StoreError(f"unknown notification kinds {sorted(set(choices) - set(NOTIFICATION_KINDS))}")
    with write_transaction(db):
        for kind, chosen in choices.items():
            db.execute(
                "INSERT INTO notification_choices (user_id, kind, email, app) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (user_id, kind) DO UPDATE SET email = excluded.email, app = excluded.app",
                [user_id, kind, int(bool(chosen["email"])), int(bool(chosen["app"]))],
            )
        audit(db, f"user:{user_id}", "notification_choices_changed", user=user_id, choices=choices)


@dataclass
class NotificationEvent:
    """One event to store: its recipients in the app and by e-mail (user ids), its thread, its once-key."""

    kind: str
    evaluation_id: int
    vendor_id: int
    in_app: Sequence[int]
    emailed: Sequence[int]
    thread_id: int | None = None
    once: str | None = None


def add_notifications(db: Database, events: Sequence[NotificationEvent], actor: str) -> list[bool]:
    """Store events in one transaction, a row per recipient in the app, each audited with who is told how.

    Per event, whether it was stored: False when its once-key names an event told before (nothing is
    written for it then)."""
    stamp = now()
    stored = []
    with write_transaction(db):
        for event in events:
            if event.once is not None:
                taken = db.execute(
                    "INSERT OR IGNORE INTO notification_keys (key, created_at) VALUES (?, ?)", [event.once, stamp]
                ).rowcount
                if not taken:
                    stored.append(False)
                    continue
            db.conn.executemany(
                "INSERT INTO notifications (user_id, kind, evaluation_id, vendor_id, thread_id, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(u, event.kind, event.evaluation_id, event.vendor_id, event.thread_id, stamp) for u in event.in_app],
            )
            audit(db, actor, "buyers_notified", evaluation_id=event.evaluation_id, vendor_id=event.vendor_id,
                  kind=event.kind, in_app=sorted(event.in_app), emailed=sorted(event.emailed),
                  thread=event.thread_id)  # fmt: skip
            stored.append(True)
    return stored


def overdue_vendors(db: Database, today: str) -> list[dict]:
    """Vendors whose effective deadline (a day, inclusive: their own when later than the evaluation's, as in
    stagefour/deadlines.py) is before `today` and who have not submitted, with their name and that deadline,
    by evaluation; those already told for that deadline are left out."""
    sql = """
        SELECT * FROM (
            SELECT v.id AS vendor_id, v.name AS vendor_name, v.evaluation_id,
                   CASE WHEN v.deadline > e.deadline THEN v.deadline ELSE e.deadline END AS deadline
            FROM vendors v JOIN evaluations e ON e.id = v.evaluation_id JOIN responses r ON r.vendor_id = v.id
            WHERE e.deadline IS NOT NULL AND e.deadline != '' AND r.status != 'submitted' AND e.closed_at IS NULL
        ) o
        WHERE o.deadline < ?
          AND NOT EXISTS (SELECT 1 FROM notification_keys k
                          WHERE k.key = 'overdue:' || o.vendor_id || ':' || o.deadline)
        ORDER BY o.evaluation_id, o.vendor_id
    """
    return _rows(db, sql, [today])


# A notification shows only while its user may still see its evaluation: the same rule as
# list_evaluations (_VISIBLE), so being removed from the team or off a restricted evaluation hides it.
_NOTIFICATION_VISIBLE = f"n.user_id = ? AND {_VISIBLE}"


def user_notifications(db: Database, user_id: int, limit: int = 200) -> list[dict]:
    """A user's notifications newest first, with evaluation title and vendor name (visible evaluations only)."""
    sql = f"""
        SELECT n.*, e.title AS evaluation_title, v.name AS vendor_name
        FROM notifications n JOIN evaluations e ON e.id = n.evaluation_id JOIN vendors v ON v.id = n.vendor_id
        WHERE {_NOTIFICATION_VISIBLE} ORDER BY n.id DESC LIMIT ?
    """
    return _rows(db, sql, [user_id, user_id, user_id, limit])


def unread_notification_count(db: Database, user_id: int, cap: int = 100) -> int:
    """How many of a user's visible notifications are unread (the header's count), counted up to `cap`.

    Counting stops at `cap` so every page's header costs the same however much is unread
    (bench/notifications.py: 10,000 unread took 45 ms uncapped); the header says "99+"."""
    sql = f"""
        SELECT count(*) AS n FROM (SELECT 1 FROM notifications n INDEXED BY notifications_unread
        JOIN evaluations e ON e.id = n.evaluation_id
        WHERE n.read_at IS NULL AND {_NOTIFICATION_VISIBLE} LIMIT ?)
    """
    return _row(db, sql, [user_id, user_id, user_id, cap])["n"]


def read_notification(db: Database, user_id: int, notification_id: int) -> dict | None:
    """Mark one of the user's visible notifications read; the notification, or None when it is not theirs."""
    if not 0 < notification_id <= MAX_ROW_ID:
        return None
    sql = f"""
        SELECT n.* FROM notifications n JOIN evaluations e ON e.id = n.evaluation_id
        WHERE n.id = ? AND {_NOTIFICATION_VISIBLE}
    """
    row = _row(db, sql, [notification_id, user_id, user_id, user_id])
    if row is not None and row["read_at"] is None:
        row["read_at"] = now()
        db.execute("UPDATE notifications SET read_at = ? WHERE id = ? AND read_at IS NULL", [row["read_at"], row["id"]])
    return row


def read_all_notifications(db: Database, user_id: int) -> int:
    """Mark every unread notification of the user read; how many were."""
    return db.execute(
        "UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL", [now(), user_id]
    ).rowcount


# --- shared scoring: assignments, manual score versions (issue 12) ----------------------
#
# The owner assigns evaluators to sections and/or vendors of an evaluation; an evaluator's
# queue starts with what is assigned to them. A manual score carries a version, so a page
# showing an older version of the evaluator's own score cannot overwrite a newer one blind.

ASSIGNMENT_SCOPES = ("section", "vendor")


class StaleScore(StoreError):
    """The evaluator's score changed since the page showed it (another tab, another device)."""

    def __init__(self, current: dict | None):
        super().__init__("the score changed since the page was shown")
        self.current = current


@migrations()
def m018_assignments(db: Database) -> None:
    db.execute(
        "CREATE TABLE assignments (evaluation_id INTEGER NOT NULL REFERENCES evaluations(id), "
        "user_id INTEGER NOT NULL REFERENCES users(id), "
        "scope TEXT NOT NULL CHECK (scope IN ('section', 'vendor')), target TEXT NOT NULL, "
        "created_at TEXT NOT NULL, PRIMARY KEY (evaluation_id, user_id, scope, target))"
    )
    db["manual_scores"].add_column("version", int, not_null_default=1)


def save_manual_score(
    db: Database,
    response_id: int,
    question_id: str,
    evaluator_id: int,
    score: int,
    comment: str,
    seen_version: int | None = None,
) -> int:
    """Save an evaluator's score on a manual item; its new version. StaleScore when `seen_version`
    (0: the page showed no score of theirs) is not the version stored; None skips that check."""
    response = get_response(db, response_id)
    key = [response_id, question_id, evaluator_id]
    with write_transaction(db):
        current = _row(db, "SELECT * FROM manual_scores WHERE response_id = ? AND question_id = ? "
                           "AND evaluator_id = ?", key)  # fmt: skip
        if seen_version is not None and seen_version != (current["version"] if current else 0):
            raise StaleScore(current)
        version = current["version"] + 1 if current else 1
        db.execute(
            "INSERT INTO manual_scores (response_id, question_id, evaluator_id, score, comment, updated_at, version) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (response_id, question_id, evaluator_id) DO UPDATE SET "
            "score = excluded.score, comment = excluded.comment, updated_at = excluded.updated_at, "
            "version = excluded.version",
            [*key, score, comment, now(), version],
        )
        audit(
            db,
            f"user:{evaluator_id}",
            "score_given",
            evaluation_id=response["evaluation_id"],
            vendor_id=response["vendor_id"],
            response_id=response_id,
            question=question_id,
            score=score,
        )
    return version


def assignments(db: Database, evaluation_id: int) -> list[dict]:
    """Every assignment of an evaluation (user_id, scope, target), whoever holds it now.

    Who may still be assigned is the caller's business (stagefour.assignments ignores people who
    left the team or lost the evaluator role); the rows stay until the owner saves the grid again.
    """
    sql = "SELECT user_id, scope, target FROM assignments WHERE evaluation_id = ? ORDER BY user_id, scope, target"
    return _rows(db, sql, [evaluation_id])


def set_assignments(db: Database, evaluation_id: int, wanted: Sequence[tuple[int, str, str]], actor: str) -> dict:
    """Replace an evaluation's assignments by `wanted` (user_id, scope, target); what was added and removed."""
    wanted_set = {(int(u), s, str(t)) for u, s, t in wanted}
    if any(s not in ASSIGNMENT_SCOPES for _, s, _ in wanted_set):
        raise StoreError("unknown assignment scope")
    with write_transaction(db):
        have = {(r["user_id"], r["scope"], r["target"]) for r in assignments(db, evaluation_id)}
        added, removed = sorted(wanted_set - have), sorted(have - wanted_set)
        stamp = now()
        for user_id, scope, target in removed:
            db.execute(
                "DELETE FROM assignments WHERE evaluation_id = ? AND user_id = ? AND scope = ? AND target = ?",
                [evaluation_id, user_id, scope, target],
            )
        for user_id, scope, target in added:
            db.execute(
                "INSERT INTO assignments (evaluation_id, user_id, scope, target, created_at) VALUES (?, ?, ?, ?, ?)",
                [evaluation_id, user_id, scope, target, stamp],
            )
        if added or removed:
            audit(
                db,
                actor,
                "assignments_changed",
                evaluation_id=evaluation_id,
                added=[list(a) for a in added],
                removed=[list(r) for r in removed],
                added_count=len(added),
                removed_count=len(removed),
            )
    return {"added": added, "removed": removed}


# --- vendor page and comparison fixes (issue 12) ---


def any_answers(db: Database, evaluation_id: int) -> bool:
    """Whether any vendor of the evaluation has saved at least one answer (a ranking means something)."""
    sql = (
        "SELECT EXISTS (SELECT 1 FROM answers a JOIN responses r ON r.id = a.response_id "
        "JOIN vendors v ON v.id = r.vendor_id WHERE v.evaluation_id = ?) AS answered"
    )
    return bool(_row(db, sql, [evaluation_id])["answered"])


# --- the dashboard and the decision (issue 12) ---------------------------------------------------
# The committee's decision per vendor closes an evaluation to changes until an owner reopens it;
# a decision replaced by a later one stays in `decisions` (superseded_at) and in the audit log.
# The dashboard reads one summary row per response instead of scoring 2,000 responses a request:
# triggers delete a response's row whenever what scoring reads of it changes (answers, manual
# scores, verifications), and a row also names the day and the evaluation settings it was
# scored with, so a new day or new weights make it stale too. Whatever writes those tables,
# the row cannot outlive the inputs it was computed from.

OUTCOMES = ("award", "shortlist", "reject")


class EvaluationClosed(StoreError):
    """The evaluation has a decision recorded: nothing in it changes until an owner reopens it."""


@migrations()
def m017_decisions(db: Database) -> None:
    db.execute("ALTER TABLE evaluations ADD COLUMN closed_at TEXT")
    db.execute("ALTER TABLE evaluations ADD COLUMN closed_by INTEGER REFERENCES users(id)")
    db.execute(
        "CREATE TABLE decisions (id INTEGER PRIMARY KEY, evaluation_id INTEGER NOT NULL REFERENCES evaluations(id), "
        "vendor_id INTEGER NOT NULL REFERENCES vendors(id), "
        "outcome TEXT NOT NULL CHECK (outcome IN ('award', 'shortlist', 'reject')), rationale TEXT NOT NULL, "
        "approvers TEXT NOT NULL, decided_by INTEGER REFERENCES users(id), decided_at TEXT NOT NULL, "
        "superseded_at TEXT)"
    )
    db.execute("CREATE INDEX decisions_evaluation ON decisions (evaluation_id, superseded_at)")
    db.execute(
        "CREATE TABLE response_summaries (response_id INTEGER PRIMARY KEY, as_of TEXT NOT NULL, "
        "settings TEXT NOT NULL, verdict TEXT, overall REAL, low REAL, high REAL, provisional INTEGER NOT NULL, "
        "flags_high INTEGER NOT NULL, flags_medium INTEGER NOT NULL, flags_low INTEGER NOT NULL, "
        "pending INTEGER NOT NULL, answered INTEGER NOT NULL, required INTEGER NOT NULL)"
    )
    for table in ("answers", "manual_scores", "verifications"):
        for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
            db.execute(
                f"CREATE TRIGGER {table}_{event.lower()}_stales_summary AFTER {event} ON {table} "
                f"BEGIN DELETE FROM response_summaries WHERE response_id = {row}.response_id; END"
            )


def is_closed(db: Database, evaluation_id: int) -> bool:
    """Whether a decision closes the evaluation to changes."""
    row = _row(db, "SELECT closed_at FROM evaluations WHERE id = ?", [evaluation_id])
    return bool(row and row["closed_at"])


def record_decision(
    db: Database, evaluation_id: int, outcomes: dict[int, tuple[str, str]], approvers: str, user_id: int
) -> None:
    """Record the outcome and rationale of every vendor (vendor id -> (outcome, rationale)) and close the evaluation."""
    stamp = now()
    with write_transaction(db):
        if is_closed(db, evaluation_id):
            raise EvaluationClosed("a decision is already recorded")
        vendors = {r["id"] for r in _rows(db, "SELECT id FROM vendors WHERE evaluation_id = ?", [evaluation_id])}
        if not vendors or set(outcomes) != vendors:
            raise StoreError("a decision names every vendor of the evaluation, and only them")
        for vendor_id, (outcome, rationale) in outcomes.items():
            if outcome not in OUTCOMES:
                raise StoreError(f"unknown outcome {outcome!r}")
            db.execute(
                "INSERT INTO decisions (evaluation_id, vendor_id, outcome, rationale, approvers, decided_by, "
                "decided_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [evaluation_id, vendor_id, outcome, rationale, approvers, user_id, stamp],
            )
            audit(
                db,
                f"user:{user_id}",
                "decision_recorded",
                evaluation_id=evaluation_id,
                vendor_id=vendor_id,
                outcome=outcome,
                rationale=rationale,
                approvers=approvers,
            )
        db.execute(
            "UPDATE evaluations SET closed_at = ?, closed_by = ?, updated_at = ? WHERE id = ?",
            [stamp, user_id, stamp, evaluation_id],
        )
        audit(db, f"user:{user_id}", "evaluation_closed", evaluation_id=evaluation_id)


def reopen_evaluation(db: Database, evaluation_id: int, reason: str, user_id: int) -> bool:
    """Open a decided evaluation to changes again; its decision is kept as superseded. False if it was open."""
    stamp = now()
    with write_transaction(db):
        if not is_closed(db, evaluation_id):
            return False
        db.execute(
            "UPDATE decisions SET superseded_at = ? WHERE evaluation_id = ? AND superseded_at IS NULL",
            [stamp, evaluation_id],
        )
        db.execute(
            "UPDATE evaluations SET closed_at = NULL, closed_by = NULL, updated_at = ? WHERE id = ?",
            [stamp, evaluation_id],
        )
        audit(db, f"user:{user_id}", "evaluation_reopened", evaluation_id=evaluation_id, reason=reason)
    return True


def current_decisions(db: Database, evaluation_id: int) -> dict[int, dict]:
    """Vendor id -> the decision in force (outcome, rationale, approvers, decided_at, decided_by e-mail)."""
    sql = """
        SELECT d.vendor_id, d.outcome, d.rationale, d.approvers, d.decided_at, u.email AS decided_by
        FROM decisions d LEFT JOIN users u ON u.id = d.decided_by
        WHERE d.evaluation_id = ? AND d.superseded_at IS NULL
    """
    return {r["vendor_id"]: r for r in _rows(db, sql, [evaluation_id])}


def past_decisions(db: Database, evaluation_id: int) -> list[dict]:
    """Decisions replaced by a reopening, newest first, with the vendor's name."""
    sql = """
        SELECT d.*, v.name AS vendor_name, u.email AS decided_by_email
        FROM decisions d JOIN vendors v ON v.id = d.vendor_id LEFT JOIN users u ON u.id = d.decided_by
        WHERE d.evaluation_id = ? AND d.superseded_at IS NOT NULL ORDER BY d.decided_at DESC, v.name
    """
    return _rows(db, sql, [evaluation_id])


def dashboard_vendors(db: Database, evaluation_ids: Sequence[int]) -> dict[int, list[dict]]:
    """Evaluation id -> its vendors with response, newest link, summary row (or NULLs), decision and the
    number of open clarifications whose last word is the vendor's (awaiting the buyer)."""
    out: dict[int, list[dict]] = {e: [] for e in evaluation_ids}
    if not evaluation_ids:
        return out
    marks = ",".join("?" * len(evaluation_ids))
    sql = f"""
        SELECT v.id, v.evaluation_id, v.name, v.deadline, r.id AS response_id, r.status, r.updated_at, r.submitted_at,
               i.id AS invitation_id, i.expires_at, i.revoked_at,
               s.as_of AS summary_as_of, s.settings AS summary_settings, s.verdict, s.overall, s.low, s.high,
               s.provisional, s.flags_high, s.flags_medium, s.flags_low, s.pending, s.answered, s.required,
               d.outcome AS decision,
               (SELECT count(*) FROM clarifications c WHERE c.response_id = r.id AND c.status = 'open'
                  AND (SELECT m.author FROM clarification_messages m WHERE m.clarification_id = c.id
                       ORDER BY m.id DESC LIMIT 1) LIKE 'vendor:%') AS awaiting_buyer
        FROM vendors v
        JOIN responses r ON r.vendor_id = v.id
        LEFT JOIN invitations i ON i.id = (SELECT max(id) FROM invitations WHERE vendor_id = v.id)
        LEFT JOIN response_summaries s ON s.response_id = r.id
        LEFT JOIN decisions d ON d.vendor_id = v.id AND d.superseded_at IS NULL
        WHERE v.evaluation_id IN ({marks})
        ORDER BY v.name COLLATE NOCASE
    """
    for r in _rows(db, sql, list(evaluation_ids)):
        r["verdict"] = json.loads(r["verdict"]) if r["verdict"] else None
        out[r["evaluation_id"]].append(r)
    return out


def save_summaries(db: Database, rows: list[dict]) -> None:
    """Store the dashboard's summary of these responses (see m017_decisions)."""
    if not rows:
        return
    columns = ("response_id", "as_of", "settings", "verdict", "overall", "low", "high", "provisional",
               "flags_high", "flags_medium", "flags_low", "pending", "answered", "required")  # fmt: skip
    with db.atomic():
        db.conn.executemany(
            f"INSERT OR REPLACE INTO response_summaries ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})",
            [[json.dumps(r[c]) if c == "verdict" and r[c] is not None else r[c] for c in columns] for r in rows],
        )


# --- team questionnaire library (issue 15) ---
#
# A team's uploaded questionnaires: one row per (team, id, version), each pointing at the
# immutable, content-addressed snapshot an evaluation of it uses. Uploading is one transaction:
# a refused or failed upload leaves neither a snapshot nor a row behind.


class LibraryConflict(StoreError):
    """The team's library holds this questionnaire id and version with different content."""


@migrations()
def m019_team_library(db: Database) -> None:
    db.execute(
        "CREATE TABLE team_questionnaires (id INTEGER PRIMARY KEY, team_id INTEGER NOT NULL REFERENCES teams(id), "
        "questionnaire_id TEXT NOT NULL, version TEXT NOT NULL, "
        "snapshot_id INTEGER NOT NULL REFERENCES questionnaire_snapshots(id), file_name TEXT NOT NULL, "
        "uploaded_by INTEGER REFERENCES users(id), uploaded_at TEXT NOT NULL, "
        "UNIQUE (team_id, questionnaire_id, version))"
    )


def add_to_library(
    db: Database,
    team_id: int,
    questionnaire_id: str,
    version: str,
    digest: str,
    definition: dict,
    file_name: str,
    user_id: int,
) -> tuple[int, bool]:
    """Add a questionnaire version to a team's library: (entry id, True), or (entry id, False) when
    this very content is there already; LibraryConflict when the version is there with other content."""
    with write_transaction(db):
        row = _row(
            db,
            "SELECT t.id, s.hash FROM team_questionnaires t JOIN questionnaire_snapshots s ON s.id = t.snapshot_id "
            "WHERE t.team_id = ? AND t.questionnaire_id = ? AND t.version = ?",
            [team_id, questionnaire_id, version],
        )
        if row is not None:
            if row["hash"] == digest:
                return row["id"], False
            raise LibraryConflict(f"{questionnaire_id} version {version} is in the library with other content")
        snapshot_id = save_snapshot(db, questionnaire_id, version, digest, definition)
        entry_id = db.execute(
            "INSERT INTO team_questionnaires (team_id, questionnaire_id, version, snapshot_id, file_name, "
            "uploaded_by, uploaded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [team_id, questionnaire_id, version, snapshot_id, file_name, user_id, now()],
        ).lastrowid
        audit(db, f"user:{user_id}", "questionnaire_uploaded", team=team_id, questionnaire=questionnaire_id,
              version=version, hash=digest, file=file_name)  # fmt: skip
    return entry_id, True


def team_library(db: Database, team_id: int) -> list[dict]:
    """Every questionnaire version in a team's library, by id, newest upload first, with the uploader's e-mail."""
    sql = """
        SELECT t.*, u.email AS uploaded_by_email, s.hash FROM team_questionnaires t
        JOIN questionnaire_snapshots s ON s.id = t.snapshot_id
        LEFT JOIN users u ON u.id = t.uploaded_by
        WHERE t.team_id = ? ORDER BY t.questionnaire_id, t.id DESC
    """
    return _rows(db, sql, [team_id])


def library_latest(db: Database, team_ids: Sequence[int]) -> list[dict]:
    """The newest upload of each questionnaire id in these teams' libraries: team_id, questionnaire_id, snapshot_id."""
    marks = ",".join("?" * len(team_ids)) or "NULL"
    sql = f"""
        SELECT team_id, questionnaire_id, version, snapshot_id FROM team_questionnaires
        WHERE id IN (SELECT max(id) FROM team_questionnaires WHERE team_id IN ({marks})
                     GROUP BY team_id, questionnaire_id)
        ORDER BY team_id, questionnaire_id
    """
    return _rows(db, sql, list(team_ids))


# --- re-assessment (issue 16) ---
#
# Next year's evaluation starts from a decided one: it names its previous evaluation, each of its
# vendors names the vendor it continues, and each carried answer has a row in `carried_answers`
# until the vendor confirms it. Changing a carried answer confirms it, whatever writes the change
# (the form, an import, an offline sheet): a trigger on `answers` says so, not each write path.


@dataclass(frozen=True)
class ReassessedVendor:
    """One vendor of a new re-assessment: who they continue, what carries, the hash of their new link."""

    previous_vendor_id: int
    name: str
    contact_email: str | None
    answers: dict
    dropped: list  # [(question id, reason)]
    token_hash: str


@migrations()
def m020_reassessment(db: Database) -> None:
    db.execute("ALTER TABLE evaluations ADD COLUMN previous_evaluation_id INTEGER REFERENCES evaluations(id)")
    db.execute("ALTER TABLE vendors ADD COLUMN previous_vendor_id INTEGER REFERENCES vendors(id)")
    db.execute(
        "CREATE TABLE carried_answers (response_id INTEGER NOT NULL REFERENCES responses(id), "
        "question_id TEXT NOT NULL, carried INTEGER NOT NULL, reason TEXT, confirmed_at TEXT, confirmed_how TEXT, "
        "PRIMARY KEY (response_id, question_id))"
    )
    db.execute(
        "CREATE TRIGGER answers_change_confirms_carried AFTER UPDATE OF value ON answers "
        "WHEN NEW.value IS NOT OLD.value BEGIN "
        "UPDATE carried_answers SET confirmed_at = NEW.updated_at, confirmed_how = 'changed' "
        "WHERE response_id = NEW.response_id AND question_id = NEW.question_id AND carried = 1 "
        "AND confirmed_at IS NULL; END"
    )


def create_reassessment(
    db: Database,
    previous_evaluation_id: int,
    title: str,
    snapshot_id: int,
    weights: dict,
    buyer_profile: dict,
    user_id: int,
    vendors: Sequence[ReassessedVendor],
    expires_at: str | None,
    *,
    team_id: int,
) -> tuple[int, dict[int, int]]:
    """Next year's evaluation with its vendors, their carried answers and new links, in one transaction:
    (new evaluation id, previous vendor id -> new vendor id)."""
    actor = f"user:{user_id}"
    stamp = now()
    with write_transaction(db):
        evaluation_id = create_evaluation(
            db, title, snapshot_id, None, weights, buyer_profile, user_id, team_id=team_id
        )
        db.execute(
            "UPDATE evaluations SET previous_evaluation_id = ? WHERE id = ?", [previous_evaluation_id, evaluation_id]
        )
        new_ids = {}
        for v in vendors:
            vendor_id = add_vendor(db, evaluation_id, v.name, v.contact_email, actor)
            new_ids[v.previous_vendor_id] = vendor_id
            db.execute("UPDATE vendors SET previous_vendor_id = ? WHERE id = ?", [v.previous_vendor_id, vendor_id])
            response_id = _row(db, "SELECT id FROM responses WHERE vendor_id = ?", [vendor_id])["id"]
            for qid, value in v.answers.items():
                # Version 0, as if there before the vendor's first page: never a conflict with their first save.
                db.execute(
                    "INSERT INTO answers (response_id, question_id, value, changed_version, changed_by, updated_at) "
                    "VALUES (?, ?, ?, 0, 'carried', ?)",
                    [response_id, qid, _answer_json(qid, value), stamp],
                )
            db.conn.executemany(
                "INSERT INTO carried_answers (response_id, question_id, carried, reason) VALUES (?, ?, ?, ?)",
                [(response_id, qid, 1, None) for qid in v.answers] + [(response_id, q, 0, r) for q, r in v.dropped],
            )
            issue_invitation(db, vendor_id, v.token_hash, expires_at, actor)
            audit(db, actor, "answers_carried", evaluation_id=evaluation_id, vendor_id=vendor_id,
                  response_id=response_id, previous_vendor=v.previous_vendor_id, carried=sorted(v.answers),
                  dropped=dict(v.dropped))  # fmt: skip
        for where in (previous_evaluation_id, evaluation_id):
            audit(db, actor, "evaluation_reassessed", evaluation_id=where, previous=previous_evaluation_id,
                  new=evaluation_id, snapshot=snapshot_id, vendors=len(new_ids))  # fmt: skip
    return evaluation_id, new_ids


def next_evaluations(db: Database, evaluation_id: int) -> list[dict]:
    """The re-assessments started from an evaluation (id, title, team_id), oldest first."""
    sql = "SELECT id, title, team_id, restricted FROM evaluations WHERE previous_evaluation_id = ? ORDER BY id"
    return _rows(db, sql, [evaluation_id])


def previous_vendors(db: Database, evaluation_id: int) -> dict[int, int]:
    """Vendor id -> the id of the vendor it continues in the previous evaluation (re-assessed vendors only)."""
    sql = "SELECT id, previous_vendor_id FROM vendors WHERE evaluation_id = ? AND previous_vendor_id IS NOT NULL"
    return {r["id"]: r["previous_vendor_id"] for r in _rows(db, sql, [evaluation_id])}


def carried_answers(db: Database, response_ids: Sequence[int]) -> dict[int, dict[str, dict]]:
    """Response id -> question id -> {carried, reason, confirmed_at, confirmed_how} (empty when nothing carried)."""
    out: dict[int, dict[str, dict]] = {rid: {} for rid in response_ids}
    marks = ",".join("?" * len(response_ids)) or "NULL"
    sql = f"SELECT * FROM carried_answers WHERE response_id IN ({marks}) ORDER BY question_id"
    for r in _rows(db, sql, list(response_ids)):
        out[r["response_id"]][r["question_id"]] = r
    return out


def confirm_carried(db: Database, response_id: int, question_ids: Sequence[str], actor: str) -> list[str]:
    """Mark these carried answers confirmed by the vendor as they stand; returns the ids that were waiting."""
    if not question_ids:
        return []
    marks = ",".join("?" * len(question_ids))
    with write_transaction(db):
        response = _row(db, "SELECT * FROM responses WHERE id = ?", [response_id])
        if response is None:
            raise StoreError("no such response")
        evaluation_id = _evaluation_of_response(db, response_id)
        if response["status"] not in EDITABLE or is_closed(db, evaluation_id):
            raise NotEditable("this response cannot change now")
        waiting = [
            r["question_id"]
            for r in _rows(
                db,
                f"SELECT question_id FROM carried_answers WHERE response_id = ? AND carried = 1 "
                f"AND confirmed_at IS NULL AND question_id IN ({marks}) ORDER BY question_id",
                [response_id, *question_ids],
            )
        ]
        if waiting:
            db.execute(
                f"UPDATE carried_answers SET confirmed_at = ?, confirmed_how = 'confirmed' WHERE response_id = ? "
                f"AND carried = 1 AND confirmed_at IS NULL AND question_id IN ({marks})",
                [now(), response_id, *question_ids],
            )
            audit(db, actor, "answers_confirmed", evaluation_id=evaluation_id, vendor_id=response["vendor_id"],
                  response_id=response_id, questions=waiting)  # fmt: skip
    return waiting


# --- vendors offline: uploaded answer workbooks awaiting confirmation (issue 16) ---
#
# A vendor's upload is read once and held here, keyed by response, until the vendor confirms it on
# the preview page: the confirmation names the upload's digest, so only what was previewed is
# applied, and never anything a form field carries. A newer upload replaces the one held.


@migrations()
def m021_offline_uploads(db: Database) -> None:
    db.execute(
        "CREATE TABLE offline_uploads (response_id INTEGER PRIMARY KEY REFERENCES responses(id), "
        "digest TEXT NOT NULL, file_name TEXT NOT NULL, changes TEXT NOT NULL, seen TEXT NOT NULL, "
        "problems TEXT NOT NULL, uploaded_at TEXT NOT NULL, applied_at TEXT, result TEXT)"
    )


def hold_offline_upload(
    db: Database,
    response_id: int,
    digest: str,
    file_name: str,
    changes: dict[str, Any],
    seen: dict[str, int],
    problems: list[dict],
    actor: str,
) -> None:
    """Keep a read upload for its preview (replacing any held before), and audit `offline_uploaded`."""
    with write_transaction(db):
        db.execute(
            "INSERT INTO offline_uploads (response_id, digest, file_name, changes, seen, problems, uploaded_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (response_id) DO UPDATE SET digest = excluded.digest, "
            "file_name = excluded.file_name, changes = excluded.changes, seen = excluded.seen, "
            "problems = excluded.problems, uploaded_at = excluded.uploaded_at, applied_at = NULL, result = NULL",
            [response_id, digest, file_name, _answer_json("changes", changes), json.dumps(seen),
             json.dumps(problems, ensure_ascii=False), now()],
        )  # fmt: skip
        response = _row(db, "SELECT vendor_id FROM responses WHERE id = ?", [response_id])
        audit(db, actor, "offline_uploaded", evaluation_id=_evaluation_of_response(db, response_id),
              vendor_id=response["vendor_id"], response_id=response_id, file=file_name[:200], digest=digest,
              changes=len(changes), problems=len(problems))  # fmt: skip


def offline_upload(db: Database, response_id: int) -> dict | None:
    """The upload held for a response, its JSON decoded, or None."""
    row = _row(db, "SELECT * FROM offline_uploads WHERE response_id = ?", [response_id])
    if row is None:
        return None
    for key in ("changes", "seen", "problems", "result"):
        row[key] = json.loads(row[key]) if row[key] is not None else None
    return row


def claim_offline_upload(db: Database, response_id: int, digest: str) -> bool:
    """Take the held upload with `digest` to apply it, once: False if none waits (applied, or replaced)."""
    with write_transaction(db):
        return bool(
            db.execute(
                "UPDATE offline_uploads SET applied_at = ? WHERE response_id = ? AND digest = ? AND applied_at IS NULL",
                [now(), response_id, digest],
            ).rowcount
        )


def record_offline_result(db: Database, response_id: int, result: dict, actor: str) -> None:
    """Keep what applying the held upload did (for its page) and audit `offline_applied` with the counts."""
    with write_transaction(db):
        db.execute(
            "UPDATE offline_uploads SET result = ? WHERE response_id = ?",
            [json.dumps(result, ensure_ascii=False), response_id],
        )
        response = _row(db, "SELECT vendor_id FROM responses WHERE id = ?", [response_id])
        audit(db, actor, "offline_applied", evaluation_id=_evaluation_of_response(db, response_id),
              vendor_id=response["vendor_id"], response_id=response_id, saved=len(result.get("saved", [])),
              conflicts=len(result.get("conflicts", {})), refused=bool(result.get("refused")))  # fmt: skip
