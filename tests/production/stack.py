"""The production set-up, for real, started on loopback: used by tests/production/ and bench/soak.py.

nginx with deploy/nginx/stagefour.conf terminating TLS, gunicorn with deploy/gunicorn.conf.py, Redis for
the rate limits and the job queue, the job consumer (`flask run-jobs`), an instance/ with a production
config.py and demo data. Everything listens on free loopback ports and lives in one folder (certificate,
instance, logs). The shipped files are used as they are: only the per-installation snippet
(deploy/nginx/stagefour/site.conf) and nginx's main nginx.conf are written here, as DEPLOYING.md tells
people to write theirs.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from commands import DEMO_VENDORS

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
TOOLS = {name: shutil.which(name) or f"/usr/sbin/{name}" for name in ("nginx", "redis-server", "openssl")}
SECRET_KEY = "production-tests-" + "k" * 32
WORKERS = 2


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def insecure_tls() -> ssl.SSLContext:
    """A client TLS context that accepts the self-signed certificate."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@dataclass
class Stack:
    """The running set-up: addresses, folders and what `flask demo` printed."""

    base: str  # https://127.0.0.1:<port>
    http_base: str  # http://127.0.0.1:<port>, which only redirects
    https_port: int
    http_port: int
    instance: Path
    logs: Path
    demo_output: str
    # Every vendor token the tests saw (demo links, links issued in the browser): none may be logged.
    tokens: set[str] = field(default_factory=set)
    gunicorn_pid: int = 0  # the master; its children are the workers
    jobs_pid: int = 0

    @property
    def certificate(self) -> str:
        """The self-signed certificate nginx serves (a client may trust exactly it)."""
        return str(self.instance.parent / "cert.pem")

    @property
    def database(self) -> str:
        """The instance's SQLite file."""
        return str(self.instance / "stagefour.sqlite3")

    def credentials(self) -> tuple[str, str]:
        """The demo buyer's e-mail and password."""
        return re.search(r"e-mail: (\S+)\s+password: (\S+)", self.demo_output).groups()

    def log_files(self) -> list[Path]:
        """Every log file the set-up wrote: nginx, gunicorn (access, error, output), Redis."""
        return sorted(p for p in self.logs.iterdir() if p.is_file())


class Processes:
    """Child processes in their own sessions, stopped (TERM, then KILL) in reverse order."""

    def __init__(self):
        self.running: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, command: list[str], output: Path, **kwargs) -> subprocess.Popen:
        """Start `command` with stdout and stderr appended to `output`."""
        with output.open("ab") as out:
            process = subprocess.Popen(
                command,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                **kwargs,
            )
        self.running.append((name, process))
        return process

    def stop(self) -> None:
        """Stop every process started, the last first."""
        for _name, process in reversed(self.running):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)


def _wait(ready, what: str, process: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.1)


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2, context=insecure_tls()).read()
        return True
    except OSError:
        return False


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


NGINX_MAIN = """\
# Written by tests/production/conftest.py: the part of nginx.conf that Debian's package provides.
{user}daemon off;
master_process on;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {logs}/nginx-error.log info;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    client_body_temp_path {tmp}/nginx-body;
    proxy_temp_path {tmp}/nginx-proxy;
    # Everything else comes from the shipped site, included as DEPLOYING.md includes it.
    include {site};
}}
"""

SITE_SNIPPET = """\
# Written by tests/production/conftest.py, like deploy/nginx/stagefour/site.conf for a real host.
listen 127.0.0.1:{http_port};
listen 127.0.0.1:{https_port} ssl http2;
server_name 127.0.0.1 localhost;
ssl_certificate     {tmp}/cert.pem;
ssl_certificate_key {tmp}/key.pem;
root {root};
set $stagefour_app 127.0.0.1:{app_port};
access_log {logs}/nginx-access.log stagefour;
"""

CONFIG = """\
SECRET_KEY = {secret!r}
SESSION_COOKIE_SECURE = True
PREFERRED_URL_SCHEME = "https"
PROXY_FIX = {{"x_for": 1, "x_proto": 1, "x_host": 1}}
RATELIMIT_STORAGE_URI = "redis://127.0.0.1:{redis_port}/0"
# The job queue on the same Redis, consumed by `flask run-jobs` (deploy/systemd/stagefour-jobs.service).
JOBS_URL = "redis://127.0.0.1:{redis_port}/1"
JOBS_IN_PROCESS = False
"""


@contextmanager
def running_stack(tmp: Path) -> Iterator[Stack]:
    """nginx (TLS) -> gunicorn -> the app, Redis for the limits and jobs, the job consumer, demo data, in `tmp`."""
    missing = [name for name, path in TOOLS.items() if not Path(path).exists()]
    if missing:
        raise RuntimeError(f"not installed: {', '.join(missing)} (make setup installs them)")
    logs, instance = tmp / "logs", tmp / "instance"
    logs.mkdir()
    instance.mkdir()
    ports = {name: free_port() for name in ("http_port", "https_port", "app_port", "redis_port")}
    base = f"https://127.0.0.1:{ports['https_port']}"

    subprocess.run(
        [TOOLS["openssl"], "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        + ["-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"]
        + ["-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem")],
        check=True,
        capture_output=True,
    )
    (instance / "config.py").write_text(CONFIG.format(secret=SECRET_KEY, **ports), encoding="utf-8")
    env = os.environ | {"STAGEFOUR_INSTANCE": str(instance)}
    demo = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "demo", "--base-url", base],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    http_base = f"http://127.0.0.1:{ports['http_port']}"
    stack = Stack(base, http_base, ports["https_port"], ports["http_port"], instance, logs, demo.stdout)
    stack.tokens.update(re.findall(r"/v/([\w-]+)", demo.stdout))
    assert len(stack.tokens) == len(DEMO_VENDORS), demo.stdout

    processes = Processes()
    try:
        redis = processes.start(
            "redis",
            [TOOLS["redis-server"], "--port", str(ports["redis_port"]), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--dir", str(tmp), "--daemonize", "no"],
            logs / "redis.log",
        )
        _wait(lambda: _redis_answers(ports["redis_port"]), "redis-server", redis, logs / "redis.log")

        gunicorn = processes.start(
            "gunicorn",
            [sys.executable, "-m", "gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py")]
            + ["-b", f"127.0.0.1:{ports['app_port']}", "-w", str(WORKERS)]
            + [
                "--access-logfile",
                str(logs / "gunicorn-access.log"),
                "--error-logfile",
                str(logs / "gunicorn-error.log"),
            ],
            logs / "gunicorn-output.log",
            cwd=ROOT,
            env=env,
        )
        app_url = f"http://127.0.0.1:{ports['app_port']}/login"
        # The job consumer of deploy/systemd/stagefour-jobs.service.
        jobs = processes.start(
            "jobs", [sys.executable, "-m", "flask", "--app", "app", "run-jobs"], logs / "jobs.log", cwd=ROOT, env=env
        )
        _wait(lambda: _answers(app_url), "gunicorn", gunicorn, logs / "gunicorn-error.log")

        (tmp / "stagefour").mkdir()
        (tmp / "stagefour" / "site.conf").write_text(
            SITE_SNIPPET.format(tmp=tmp, logs=logs, root=ROOT, **ports), encoding="utf-8"
        )
        # As root, nginx's workers would run as nobody, who cannot enter pytest's 0700 folders.
        user = "user root;\n" if os.geteuid() == 0 else ""
        main = NGINX_MAIN.format(user=user, tmp=tmp, logs=logs, site=DEPLOY / "nginx" / "stagefour.conf")
        (tmp / "nginx.conf").write_text(main, encoding="utf-8")
        nginx = processes.start(
            "nginx", [TOOLS["nginx"], "-p", str(tmp), "-c", str(tmp / "nginx.conf")], logs / "nginx-output.log"
        )
        _wait(lambda: _answers(base + "/login"), "nginx", nginx, logs / "nginx-error.log")
        stack.gunicorn_pid, stack.jobs_pid = gunicorn.pid, jobs.pid
        yield stack
    finally:
        processes.stop()
