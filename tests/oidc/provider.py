"""Run the real OpenID provider (tests/oidc/provider.mjs, npm oidc-provider) on a free loopback port."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CLIENT_ID = "stagefour"
CLIENT_SECRET = "stagefour-test-secret-that-is-long-enough"
# Another application registered at the same provider.
INTRUDER_ID = "intruder"
INTRUDER_SECRET = "intruder-test-secret-that-is-long-enough"
ACCOUNTS = {
    "ada": {"email": "ada@example.com", "email_verified": True, "name": "Ada", "groups": ["claims-owners", "staff"]},
    "ben": {"email": "ben@example.com", "email_verified": True, "groups": ["claims-readers"]},
    "una": {"email": "una@example.com", "email_verified": False, "groups": ["claims-owners"]},
}
GROUPS = {"claims-owners": ("Claims", "owner"), "claims-readers": ("Claims", "viewer")}


def free_port() -> int:
    """A port nothing listens on now, on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Provider:
    url: str  # where it listens
    issuer: str  # what it calls itself


@contextmanager
def run_provider(redirect_uri: str, port: int, issuer: str | None = None, userinfo_only=False) -> Iterator[Provider]:
    """Start provider.mjs for the two test clients and ACCOUNTS; stop it afterwards."""
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "oidc-provider").is_dir():
        message = "the OpenID provider needs Node and node_modules/oidc-provider: run `bash scripts/setup.sh`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    url = f"http://127.0.0.1:{port}"
    clients = [
        {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": [redirect_uri]},
        # Its own address (a page the app does not have) and, to try the app's, the app's callback.
        {
            "client_id": INTRUDER_ID,
            "client_secret": INTRUDER_SECRET,
            "redirect_uris": [redirect_uri, redirect_uri.replace("/login/oidc/callback", "/intruder")],
        },  # fmt: skip
    ]
    env = {
        "PATH": os.environ.get("PATH", ""),
        "OIDC_PORT": str(port),
        "OIDC_ISSUER": issuer or url,
        "OIDC_CLIENTS": json.dumps(clients),
        "OIDC_ACCOUNTS": json.dumps(ACCOUNTS),
        "OIDC_USERINFO_ONLY": "1" if userinfo_only else "0",
    }
    command = [node, str(HERE / "provider.mjs")]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = process.stdout.readline()  # blocks until it listens, or returns "" when it died
        if not line.startswith("listening "):
            pytest.fail(f"the OpenID provider did not start: {line!r}")
        yield Provider(url=url, issuer=issuer or url)
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
