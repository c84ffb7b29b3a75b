"""Shared fixtures: the default questionnaire, realistic responses and small factories."""

import copy
import json
from datetime import date
from pathlib import Path

import pytest

from stagefour.library import load_by_id

FIXTURES = Path(__file__).parent / "fixtures"
RESPONSES = Path(__file__).parent.parent / "demo" / "responses"
AS_OF = date(2026, 11, 21)


@pytest.fixture(scope="session")
def questionnaire():
    """The default AI deployment partner questionnaire, loaded once."""
    return load_by_id("ai-deployment-partner")


def load_response_json(name: str) -> dict:
    """One of the realistic example responses in tests/fixtures/responses/."""
    return json.loads((RESPONSES / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture
def stage4_answers():
    """A fresh copy of the real stage-4 deployer's answers."""
    return copy.deepcopy(load_response_json("stage4-deployer")["answers"])


@pytest.fixture
def app(tmp_path):
    """An app on a temporary instance folder."""
    from app import create_app

    return create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE": str(tmp_path / "test.sqlite3")})


@pytest.fixture
def runner(app):
    """The CLI runner."""
    return app.test_cli_runner()
