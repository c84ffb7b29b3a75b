"""The job queue for real: Huey on SQLite consumed by `flask run-jobs` in its own process, and on a
real redis-server; which storage a JOBS_URL makes, and that the SQLite queue is private (0600)."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from huey import RedisHuey
from huey import SqliteHuey

from stagefour import jobs
from stagefour import store

from .conftest import PASSWORD
from .conftest import app_config
from .conftest import load_response_json
from .test_mail import Inbox
from .test_mail import free_port
from .test_mail import wait_for

ROOT = Path(__file__).resolve().parent.parent
REDIS_SERVER = "/usr/bin/redis-server"


def test_no_jobs_url_means_a_private_sqlite_queue_in_the_instance_folder(tmp_path):
    huey = jobs.huey_for(None, str(tmp_path / "instance"))
    assert isinstance(huey, SqliteHuey)
    queue = tmp_path / "instance" / "jobs.sqlite3"
    assert queue.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "instance").stat().st_mode & 0o777 == 0o700


def test_a_sqlite_url_names_the_queue_file(tmp_path):
    huey = jobs.huey_for(f"sqlite://{tmp_path / 'q.sqlite3'}", str(tmp_path / "instance"))
    assert isinstance(huey, SqliteHuey) and huey.storage.filename == str(tmp_path / "q.sqlite3")
    assert (tmp_path / "q.sqlite3").stat().st_mode & 0o777 == 0o600
    assert not (tmp_path / "instance").exists()


def test_immediate_mode_touches_no_file(tmp_path):
    huey = jobs.huey_for(None, str(tmp_path / "instance"), immediate=True)
    assert huey.immediate
    assert not (tmp_path / "instance").exists()


def test_a_redis_url_makes_a_redis_queue(tmp_path):
    assert isinstance(jobs.huey_for("redis://127.0.0.1:1/0", str(tmp_path)), RedisHuey)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("url", ["http://127.0.0.1/", "mysql://x", "file:///tmp/q", "jobs.sqlite3", "sqlite:"])
def test_an_unknown_jobs_url_is_refused(tmp_path, url):
    with pytest.raises(ValueError, match="JOBS_URL must start with sqlite:// or redis://"):
        jobs.huey_for(url, str(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_run_jobs_refuses_immediate_mode(runner):
    result = runner.invoke(args=["run-jobs"])
    assert result.exit_code == 1
    assert "JOBS_IMMEDIATE is on" in result.output
    assert "Traceback" not in result.output


# --- a real consumer in its own process ------------------------------------------------------------------


def _config(tmp_path: Path, smtp_port: int, jobs_url: str) -> dict:
    return app_config(
        tmp_path,
        DATABASE=str(tmp_path / "jobs-test.sqlite3"),
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp_port,
        MAIL_SENDER="procurement@buyer.example",
        JOBS_IMMEDIATE=False,
        JOBS_IN_PROCESS=False,  # the web side only queues; run-jobs consumes
        JOBS_URL=jobs_url,
        JOBS_POLL_SECONDS=0.05,
    )


TEAM = "Procurement"  # the buyer's team, where _buyer makes them owner


def _buyer(app):
    """A logged-in owner's client of `app`, and a database connection."""
    from views.auth import hash_password

    db = store.open_db(app.config["DATABASE"])
    user_id = store.create_user(db, "owner@example.com", hash_password(PASSWORD))
    store.set_membership(db, store.create_team(db, TEAM, "test"), user_id, "owner", "test")
    client = app.test_client()
    assert client.post("/login", data={"email": "owner@example.com", "password": PASSWORD}).status_code == 302
    return client, db


def _run_jobs(config: dict, workers: int = 2) -> subprocess.Popen:
    """`flask run-jobs` of an app made with `config`, in a process of its own."""
    script = textwrap.dedent(
        f"""
        import sys
        from app import create_app
        app = create_app({config!r})
        result = app.test_cli_runner().invoke(args=["run-jobs", "--workers", "{workers}"])
        sys.stdout.write(result.output)
        sys.exit(result.exit_code)
        """
    )
    return subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


@pytest.fixture
def smtp_inbox():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, inbox
    controller.stop()


@pytest.fixture
def redis_url(tmp_path):
    """A real redis-server on a free loopback port, nothing saved to disk; its URL."""
    if not shutil.which(REDIS_SERVER):
        pytest.skip("redis-server is not installed")
    port = free_port()
    server = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import redis

        client = redis.Redis(host="127.0.0.1", port=port)
        assert wait_for(lambda: _pings(client), timeout=10), "redis-server did not start"
        client.close()
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


def _status(client, url: str) -> int:
    with client.get(url) as response:
        return response.status_code


def _pings(client) -> bool:
    import redis

    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


@pytest.mark.parametrize("storage", ["sqlite", "redis"])
def test_run_jobs_sends_queued_emails_and_makes_pdfs_then_stops_on_sigterm(tmp_path, smtp_inbox, storage, request):
    from app import create_app
    from stagefour import evaluations
    from stagefour.library import load_by_id
    from stagefour.response import Response

    port, inbox = smtp_inbox
    url = f"sqlite://{tmp_path / 'jobs.sqlite3'}" if storage == "sqlite" else request.getfixturevalue("redis_url")
    config = _config(tmp_path, port, url)
    app = create_app(config)
    client, db = _buyer(app)
    try:
        questionnaire = load_by_id("ai-deployment-partner")
        team_id = store.get_team_by_name(db, TEAM)["id"]
        evaluation_id = evaluations.start_evaluation(db, questionnaire, "Claims automation partner", team_id=team_id)
        vendor_id, _token = evaluations.invite(db, evaluation_id, "Northwind", None, "test")
        answers = load_response_json("stage4-deployer")["answers"]
        evaluations.import_response(db, vendor_id, Response(questionnaire.id, "Northwind", answers), "test")
        # Queued while no consumer runs: nothing happens yet.
        client.post(
            f"/evaluations/{evaluation_id}/vendors", data={"name": "Cobalt", "contact_email": "c@cobalt.example"}
        )
        pdf = f"/evaluations/{evaluation_id}/vendors/{vendor_id}/response.pdf"
        assert client.get(pdf).status_code == 202
        assert inbox.messages == []
        consumer = _run_jobs(config)
        try:
            assert wait_for(lambda: inbox.messages), "run-jobs never sent the queued e-mail"
            assert wait_for(lambda: _status(client, pdf) == 200, timeout=60), "run-jobs never made the PDF"
            with client.get(pdf) as made:
                assert made.status_code == 200 and made.data.startswith(b"%PDF")
        finally:
            consumer.send_signal(signal.SIGTERM)
            output, _ = consumer.communicate(timeout=60)
        assert consumer.returncode == 0, output
        ((recipients, _message),) = inbox.messages
        assert recipients == ["c@cobalt.example"]
        actions = [e["action"] for e in store.audit_entries(db, evaluation_id)]
        assert "link_emailed" in actions and "report_made" in actions
    finally:
        db.close()


def test_the_in_process_consumer_starts_once_and_leaves_the_servers_signals_alone(tmp_path):
    from app import create_app

    app = create_app(
        _config(tmp_path, free_port(), f"sqlite://{tmp_path / 'jobs.sqlite3'}") | {"JOBS_IN_PROCESS": True}
    )
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    queue = app.extensions["jobs"]
    try:
        client = app.test_client()
        client.get("/login")
        first = queue._consumer
        client.get("/login")
        assert first is not None and queue._consumer is first
        assert {s: signal.getsignal(s) for s in before} == before
        assert all(t.is_alive() for _w, t in first.worker_threads)
    finally:
        queue.stop_consumer()
    assert not any(t.is_alive() for _w, t in first.worker_threads)
