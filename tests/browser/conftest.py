"""Browser tests: Playwright driving Debian's Chromium against the real app on a free port."""

import re
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium: Playwright cannot download its own browser here."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def live(tmp_path):
    """The real app with demo data, served on a free port: (base URL, demo output, app)."""
    from app import create_app

    app = create_app(
        {
            "SECRET_KEY": "browser-tests",
            "DATABASE": str(tmp_path / "db.sqlite3"),
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "REPORT_FOLDER": str(tmp_path / "reports"),
            # Its own queue: a shared instance/jobs.sqlite3 let an earlier test's consumer (still
            # running, with that test's database) take this test's PDF jobs (CI, stop 18).
            "JOBS_URL": f"sqlite:///{tmp_path / 'jobs.sqlite3'}",
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    output = app.test_cli_runner().invoke(args=["demo", "--base-url", base]).output
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base, output, app
    server.shutdown()
    app.extensions["jobs"].stop_consumer()


def demo_links(output: str) -> dict:
    """Vendor name -> link, and the buyer's e-mail and password, from `flask demo`'s output."""
    links = dict(re.findall(r"^vendor (.+?) \(.*?\): (\S+)$", output, re.M))
    email, password = re.search(r"e-mail: (\S+)\s+password: (\S+)", output).groups()
    return {"vendors": links, "email": email, "password": password}


def shot(page, name: str) -> None:
    """Save a full-page screenshot for a person to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
