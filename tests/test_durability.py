"""No lost writes and backups (issue 5, items 6 and 7), against the real app under gunicorn.

Several sync workers on loopback take concurrent autosaves; every save the server
acknowledged (HTTP 200 naming the question in `saved`) must be in the database afterwards,
also after the whole server is killed with SIGKILL mid-burst; `flask backup` copies the
database while saves go on, and `flask restore` brings that copy back under the running app.
"""

import importlib.util
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from html import unescape
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

import backup_command
from stagefour import evaluations
from stagefour import store
from stagefour.library import load_by_id

ROOT = Path(__file__).resolve().parent.parent
# Long-text questions in three sections: each writer thread owns one question of one response.
QUESTIONS = {"C4": "C", "C5": "C", "G2": "G", "I3": "I"}
VENDORS = 4  # x 4 questions = 16 concurrent writers
WORKERS = 3

needs_gunicorn = pytest.mark.skipif(
    importlib.util.find_spec("gunicorn") is None, reason="gunicorn is not installed (pip install gunicorn)"
)

WSGI = '''\
"""The app as gunicorn serves it in tests/test_durability.py: paths from the environment."""
import os

from app import create_app

app = create_app(
    {
        "SECRET_KEY": os.environ["STAGEFOUR_TEST_SECRET"],
        "DATABASE": os.environ["STAGEFOUR_TEST_DATABASE"],
        "UPLOAD_FOLDER": os.environ["STAGEFOUR_TEST_UPLOADS"],
        "REPORT_FOLDER": os.environ["STAGEFOUR_TEST_REPORTS"],
    }
)
'''


def _config(tmp_path: Path) -> dict:
    return {
        "SECRET_KEY": "durability-tests",
        "DATABASE": str(tmp_path / "live.sqlite3"),
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "REPORT_FOLDER": str(tmp_path / "reports"),
    }


@pytest.fixture
def instance(tmp_path):
    """A fresh instance with one evaluation and four invited vendors: (app, config, [(token, response id)])."""
    from app import create_app

    config = _config(tmp_path)
    app = create_app(config)  # migrates
    db = store.open_db(config["DATABASE"])
    try:
        questionnaire = load_by_id("ai-deployment-partner", Path(app.config["QUESTIONNAIRE_FOLDER"]))
        team_id = store.create_team(db, "Procurement", "test")
        evaluation_id = evaluations.start_evaluation(
            db, questionnaire, "Durability", deadline=None, buyer_profile={}, team_id=team_id
        )
        vendors = []
        for n in range(VENDORS):
            vendor_id, token = evaluations.invite(db, evaluation_id, f"Vendor {n}", None, "test")
            vendors.append((token, store.get_vendor(db, vendor_id)["response_id"]))
    finally:
        db.close()
    return app, config, vendors


class Server:
    """gunicorn with several sync workers serving the instance on a free loopback port."""

    def __init__(self, tmp_path: Path, config: dict):
        (tmp_path / "durability_wsgi.py").write_text(WSGI, encoding="utf-8")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        env = os.environ | {
            "STAGEFOUR_TEST_SECRET": config["SECRET_KEY"],
            "STAGEFOUR_TEST_DATABASE": config["DATABASE"],
            "STAGEFOUR_TEST_UPLOADS": config["UPLOAD_FOLDER"],
            "STAGEFOUR_TEST_REPORTS": config["REPORT_FOLDER"],
        }
        command = [sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-b", f"127.0.0.1:{self.port}"]
        command += ["--pythonpath", f"{tmp_path},{ROOT}", "--log-level", "warning", "durability_wsgi:app"]
        # Its own session, so the kill below reaches the master and every worker and nothing else.
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(self.base + "/login", timeout=2).read()
                break
            except (OSError, urllib.error.URLError):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL the master and all its workers at once: a crash, not a shutdown."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


@pytest.fixture
def server(tmp_path, instance):
    """The instance served by gunicorn: (Server, app, vendors)."""
    app, config, vendors = instance
    running = Server(tmp_path, config)
    yield running, app, vendors
    running.stop()


class Page:
    """One open section page of a vendor link: its own cookie, CSRF token, page id and save counter."""

    def __init__(self, base: str, token: str, section: str, page_id: str):
        self.url = f"{base}/v/{token}/s/{section}"
        self.page_id = page_id
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        html = self.opener.open(self.url, timeout=10).read().decode()
        self.csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        # What the page showed: a save from it conflicts only with changes made after it opened.
        self.base_versions = unescape(re.search(r'name="base_versions" value="([^"]*)"', html).group(1))
        self.seq = 0

    def html(self) -> str:
        return self.opener.open(self.url, timeout=10).read().decode()

    def autosave(self, question: str, value: str) -> tuple[int, dict]:
        """POST one changed answer as the page's script does; (status, JSON body)."""
        self.seq += 1
        form = {
            question: value,
            "changed": question,
            "base_versions": self.base_versions,
            "page_id": self.page_id,
            "seq": str(self.seq),
            "csrf_token": self.csrf,
        }
        request = urllib.request.Request(self.url + "/autosave", data=urllib.parse.urlencode(form).encode())
        try:
            with self.opener.open(request, timeout=30) as reply:
                return reply.status, json.loads(reply.read())
        except urllib.error.HTTPError as exc:
            return exc.code, {}


class Writer(threading.Thread):
    """Saves `label save 0`, `label save 1`, ... into one question until told to stop or done."""

    def __init__(self, base: str, token: str, response_id: int, question: str, saves: int, stop: threading.Event):
        super().__init__(daemon=True)
        self.token, self.response_id, self.question = token, response_id, question
        self.label = f"r{response_id}-{question}"
        self.base, self.saves, self.stop = base, saves, stop
        self.acked: int | None = None  # index of the last acknowledged save
        self.in_flight: int | None = None  # index sent but not (yet) acknowledged
        self.statuses: list[int] = []
        self.failure: str | None = None

    def value(self, index: int) -> str:
        return f"{self.label} save {index}"

    def run(self) -> None:
        try:
            page = Page(self.base, self.token, QUESTIONS[self.question], self.label)
        except Exception as exc:  # recorded, and asserted on by the test
            self.failure = f"open: {exc!r}"
            return
        for index in range(self.saves):
            if self.stop.is_set():
                return
            self.in_flight = index
            try:
                status, body = page.autosave(self.question, self.value(index))
            except Exception as exc:  # the server died under us (reset, refused, truncated reply)
                self.failure = f"save {index}: {exc!r}"
                return
            self.statuses.append(status)
            if status == 200 and self.question in body.get("saved", []):
                self.acked, self.in_flight = index, None


def writers(base: str, vendors: list, saves: int, stop: threading.Event) -> list[Writer]:
    """One writer per (vendor, question): 16 threads, started."""
    started = [Writer(base, token, rid, q, saves, stop) for token, rid in vendors for q in QUESTIONS]
    for w in started:
        w.start()
    return started


def index_of(writer: Writer, answers: dict) -> int | None:
    """Which of the writer's saves the answers hold for its question (None: none of them)."""
    value = answers.get(writer.question)
    prefix = f"{writer.label} save "
    return int(value.removeprefix(prefix)) if isinstance(value, str) and value.startswith(prefix) else None


def stored_answers(path: str, vendors: list) -> dict[int, dict]:
    db = store.open_db(path)
    try:
        return {rid: store.load_answers(db, rid) for _, rid in vendors}
    finally:
        db.close()


def integrity(path: str) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


@needs_gunicorn
def test_every_acknowledged_concurrent_autosave_is_stored(server):
    running, app, vendors = server
    stop = threading.Event()
    threads = writers(running.base, vendors, saves=20, stop=stop)
    for w in threads:
        w.join(timeout=120)
    assert not any(w.is_alive() for w in threads)
    assert [w.failure for w in threads if w.failure] == []
    statuses = [s for w in threads for s in w.statuses]
    assert len(statuses) == len(threads) * 20 == 320
    assert [s for s in statuses if s >= 500] == []
    assert set(statuses) == {200}, "distinct questions never conflict"
    stored = stored_answers(app.config["DATABASE"], vendors)
    for w in threads:
        assert w.acked == 19
        assert stored[w.response_id][w.question] == w.value(w.acked), w.label
    audit = store.open_db(app.config["DATABASE"])
    try:
        saved = audit.execute("SELECT count(*) FROM audit_log WHERE action = 'answer_saved'").fetchone()[0]
    finally:
        audit.close()
    assert saved == 320, "one audit entry per acknowledged save"


@needs_gunicorn
def test_sigkill_mid_burst_loses_no_acknowledged_save(server):
    running, app, vendors = server
    stop = threading.Event()
    threads = writers(running.base, vendors, saves=200, stop=stop)
    deadline = time.monotonic() + 30
    while sum(len(w.statuses) for w in threads) < 150 and time.monotonic() < deadline:
        time.sleep(0.005)
    running.kill()
    for w in threads:
        w.join(timeout=60)
    assert not any(w.is_alive() for w in threads)
    statuses = [s for w in threads for s in w.statuses]
    assert len(statuses) >= 150, "the burst was under way when the server died"
    assert [s for s in statuses if s != 200] == []
    assert any(w.failure for w in threads), "the kill landed mid-burst"
    path = app.config["DATABASE"]
    assert integrity(path) == "ok"
    stored = stored_answers(path, vendors)
    for w in threads:
        found = index_of(w, stored[w.response_id])
        # The last acknowledged save, or the one in flight when the server died (it may have committed).
        assert found in {w.acked, w.in_flight} - {None} or (found is None and w.acked is None), (w.label, found)


@needs_gunicorn
def test_backup_while_saving_then_restore_under_the_running_app(server, tmp_path):
    running, app, vendors = server
    runner = app.test_cli_runner()
    stop = threading.Event()
    threads = writers(running.base, vendors, saves=400, stop=stop)
    deadline = time.monotonic() + 30
    while sum(len(w.statuses) for w in threads) < 80 and time.monotonic() < deadline:
        time.sleep(0.005)
    before = {w.label: w.acked for w in threads}
    copy = tmp_path / "backup.sqlite3"
    result = runner.invoke(backup_command.backup, [str(copy)])
    after_backup = sum(len(w.statuses) for w in threads)
    time.sleep(0.3)  # saves go on after the backup too
    stop.set()
    for w in threads:
        w.join(timeout=60)
    assert result.exit_code == 0, result.output
    assert "backed up" in result.output
    assert [w.failure for w in threads if w.failure] == []
    assert {s for w in threads for s in w.statuses} == {200}
    assert sum(len(w.statuses) for w in threads) > after_backup, "saves continued during and after the backup"

    assert integrity(str(copy)) == "ok"
    assert not Path(f"{copy}-wal").exists()
    assert store.check_backup(str(copy)) == []
    backed_up = stored_answers(str(copy), vendors)
    for w in threads:
        assert before[w.label] is not None
        assert index_of(w, backed_up[w.response_id]) >= before[w.label], w.label
    live = stored_answers(app.config["DATABASE"], vendors)
    changed = [w for w in threads if index_of(w, live[w.response_id]) != index_of(w, backed_up[w.response_id])]
    assert changed, "the live database moved on after the backup"

    # Restore under the running app: no restart, the next page shows the backup's answers.
    assert runner.invoke(backup_command.restore, [str(copy)]).exit_code != 0  # no --yes
    result = runner.invoke(backup_command.restore, [str(copy), "--yes"])
    assert result.exit_code == 0, result.output
    assert stored_answers(app.config["DATABASE"], vendors) == backed_up
    assert integrity(app.config["DATABASE"]) == "ok"
    w = changed[0]
    html = Page(running.base, w.token, QUESTIONS[w.question], "reader").html()
    assert w.value(index_of(w, backed_up[w.response_id])) in html
    assert w.value(index_of(w, live[w.response_id])) not in html
    # And it keeps taking saves.
    page = Page(running.base, w.token, QUESTIONS[w.question], "after-restore")
    status, body = page.autosave(w.question, "after the restore")
    assert (status, body["saved"]) == (200, [w.question])
    assert stored_answers(app.config["DATABASE"], vendors)[w.response_id][w.question] == "after the restore"


# --- the commands on their own (no server needed) -------------------------------------------


@pytest.fixture
def filled(instance):
    """The instance with one saved answer: (app, vendors)."""
    app, config, vendors = instance
    db = store.open_db(config["DATABASE"])
    try:
        store.save_answers(db, vendors[0][1], {"C4": "kept in the backup"}, {}, "test")
    finally:
        db.close()
    return app, vendors


def test_backup_never_overwrites_without_force(filled, tmp_path):
    app, vendors = filled
    runner = app.test_cli_runner()
    target = tmp_path / "existing.sqlite3"
    target.write_text("precious", encoding="utf-8")
    result = runner.invoke(backup_command.backup, [str(target)])
    assert result.exit_code == 1
    assert "--force" in result.output
    assert "Traceback" not in result.output
    assert target.read_text(encoding="utf-8") == "precious"
    result = runner.invoke(backup_command.backup, [str(target), "--force"])
    assert result.exit_code == 0, result.output
    assert stored_answers(str(target), vendors)[vendors[0][1]] == {"C4": "kept in the backup"}
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []


def test_backup_into_a_missing_directory_is_a_clear_error(filled, tmp_path):
    app, _ = filled
    result = app.test_cli_runner().invoke(backup_command.backup, [str(tmp_path / "no" / "such" / "b.sqlite3")])
    assert result.exit_code == 1
    assert "no such directory" in result.output


def _written(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _plain_sqlite(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE answers (x)")
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: _written(p, b"not a database at all " * 100), "not an SQLite database"),
        (_plain_sqlite, "not a Stagefour database"),
        (lambda p: _written(p, b""), "not a Stagefour database"),
        (lambda p: p.with_name("missing.sqlite3"), "no such file"),
    ],
    ids=["text", "other-sqlite", "empty", "missing"],
)
def test_restore_refuses_a_file_that_is_not_a_stagefour_database(filled, tmp_path, make, message):
    app, vendors = filled
    candidate = make(tmp_path / "candidate.sqlite3")
    result = app.test_cli_runner().invoke(backup_command.restore, [str(candidate), "--yes"])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert stored_answers(app.config["DATABASE"], vendors)[vendors[0][1]] == {"C4": "kept in the backup"}


def test_restore_refuses_a_damaged_backup(filled, tmp_path):
    app, _ = filled
    copy = tmp_path / "b.sqlite3"
    assert app.test_cli_runner().invoke(backup_command.backup, [str(copy)]).exit_code == 0
    data = bytearray(copy.read_bytes())
    data[4096 * 2 : 4096 * 2 + 64] = b"\xff" * 64  # scribble over a b-tree page
    copy.write_bytes(bytes(data))
    result = app.test_cli_runner().invoke(backup_command.restore, [str(copy), "--yes"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert str(copy) in result.output


def test_restore_needs_yes_and_brings_the_answers_back(filled, tmp_path):
    app, vendors = filled
    runner = app.test_cli_runner()
    copy = tmp_path / "b.sqlite3"
    assert runner.invoke(backup_command.backup, [str(copy)]).exit_code == 0
    db = store.open_db(app.config["DATABASE"])
    try:
        store.save_answers(db, vendors[0][1], {"C4": "written after the backup"}, {"C4": 99}, "test")
    finally:
        db.close()
    result = runner.invoke(backup_command.restore, [str(copy)])
    assert result.exit_code == 1
    assert "--yes" in result.output
    assert stored_answers(app.config["DATABASE"], vendors)[vendors[0][1]] == {"C4": "written after the backup"}
    result = runner.invoke(backup_command.restore, [str(copy), "--yes"])
    assert result.exit_code == 0, result.output
    assert stored_answers(app.config["DATABASE"], vendors)[vendors[0][1]] == {"C4": "kept in the backup"}
    conn = sqlite3.connect(app.config["DATABASE"])
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_restore_gives_up_while_the_database_is_locked(filled, tmp_path):
    app, vendors = filled
    runner = app.test_cli_runner()
    copy = tmp_path / "b.sqlite3"
    assert runner.invoke(backup_command.backup, [str(copy)]).exit_code == 0
    holder = sqlite3.connect(app.config["DATABASE"], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE responses SET language = 'de'")
    try:
        started = time.monotonic()
        result = runner.invoke(backup_command.restore, [str(copy), "--yes", "--timeout", "0.5"])
        elapsed = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 1
    assert "locked" in result.output
    assert "nothing was restored" in result.output
    assert elapsed < store.BUSY_TIMEOUT_MS / 1000 + 5
