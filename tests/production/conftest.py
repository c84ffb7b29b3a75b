"""The production suite's fixtures: the set-up of tests/production/stack.py, started once per session."""

from __future__ import annotations

import pytest

from ..browser.conftest import CHROMIUM
from ..browser.conftest import CHROMIUM_ARGS
from .stack import running_stack


def pytest_collection_modifyitems(items):
    """Every test in this folder is marked `production` (deselect with -m 'not production')."""
    for item in items:
        if "tests/production/" in str(item.fspath):
            item.add_marker(pytest.mark.production)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, as in tests/browser/."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """The certificate is self-signed: Chromium is told to accept it (nothing else changes)."""
    return {**browser_context_args, "ignore_https_errors": True}


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """nginx (TLS) -> gunicorn -> the app, Redis for the limits and jobs, the job consumer, demo data: running."""
    with running_stack(tmp_path_factory.mktemp("production")) as running:
        yield running
