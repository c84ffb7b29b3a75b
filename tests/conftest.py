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
    """A fresh copy of the real stage-4 deployer's answers, with the contract's answers to the 1.1 items."""
    return copy.deepcopy(complete_answers("stage4-deployer"))


def app_config(tmp_path, **overrides) -> dict:
    """A test app's configuration: its files under tmp_path, CSRF and rate limits off, then `overrides`."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test",
        "DATABASE": str(tmp_path / "test.sqlite3"),
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "REPORT_FOLDER": str(tmp_path / "reports"),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        **overrides,
    }


@pytest.fixture
def app(tmp_path):
    """An app on a temporary database and upload folder, CSRF off (one test module turns it on)."""
    from app import create_app

    return create_app(app_config(tmp_path))


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """The CLI runner."""
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    """A connection to the app's database, to arrange data and re-read writes."""
    from stagefour import store

    database = store.open_db(app.config["DATABASE"])
    yield database
    database.close()


PASSWORD = "correct horse battery staple"


# The team the factories put users and evaluations in unless told otherwise.
TEST_TEAM = "Test team"


@pytest.fixture
def make_team(db):
    """Create a team, or find it by name: make_team(name="Test team") -> team id."""
    from stagefour import store

    def make(name=TEST_TEAM):
        existing = store.get_team_by_name(db, name)
        return existing["id"] if existing else store.create_team(db, name, "test")

    return make


@pytest.fixture
def team(make_team):
    """The id of the test team, where make_user and make_evaluation put what they make."""
    return make_team()


@pytest.fixture
def make_user(db, team):
    """Create a buyer account: make_user(role="owner", email=None, team_id=None, is_admin=False) -> user id.

    The user gets `role` in the test team (or in `team_id`); role=None makes a user of no team."""
    from stagefour import store
    from views.auth import hash_password

    counter = iter(range(1, 1000))

    def make(role="owner", email=None, team_id=None, is_admin=False):
        email = email or f"{role or 'nobody'}{next(counter)}@example.com"
        user_id = store.create_user(db, email, hash_password(PASSWORD), is_admin=is_admin)
        if role:
            store.set_membership(db, team_id or team, user_id, role, "test")
        return user_id

    return make


@pytest.fixture
def login(client, db):
    """Log the test client in as a user id: login(user_id)."""
    from stagefour import store

    def do(user_id):
        user = store.get_user(db, user_id)
        response = client.post("/login", data={"email": user["email"], "password": PASSWORD})
        assert response.status_code == 302, response.data
        return user

    return do


@pytest.fixture
def make_evaluation(db, questionnaire, team):
    """Start an evaluation of the default questionnaire in the test team: make_evaluation(**overrides) -> id."""
    from stagefour import evaluations

    def make(**overrides):
        fields = {"title": "Claims automation partner", "deadline": None, "buyer_profile": {}, "team_id": team}
        fields |= overrides
        return evaluations.start_evaluation(db, questionnaire, **fields)

    return make


@pytest.fixture
def make_vendor(db, make_evaluation):
    """Invite a vendor: make_vendor(name="Vendor A", evaluation_id=None, answers=None, submit=False)
    -> dict(vendor_id, response_id, token, evaluation_id)."""
    from stagefour import evaluations
    from stagefour import store
    from stagefour.response import Response

    def make(name="Vendor A", evaluation_id=None, answers=None, submit=False, expires_at=None):
        evaluation_id = evaluation_id or make_evaluation()
        vendor_id, token = evaluations.invite(db, evaluation_id, name, None, "test", expires_at=expires_at)
        if answers is not None:
            response = Response("ai-deployment-partner", name, answers)
            evaluations.import_response(db, vendor_id, response, "test", submit=submit)
        vendor = store.get_vendor(db, vendor_id)
        return {
            "vendor_id": vendor_id,
            "response_id": vendor["response_id"],
            "token": token,
            "evaluation_id": evaluation_id,
        }

    return make


# The contract's example answers to the items questionnaire 1.1 adds (QUESTIONNAIRE.md, "Version 1.1 additions").
EXAMPLE_1_1 = FIXTURES / "responses" / "contract-example-1.1.json"


def answers_1_1() -> dict:
    """A fresh copy of the contract example's answers to the 1.1 items."""
    return json.loads(EXAMPLE_1_1.read_text(encoding="utf-8"))["answers"]


def complete_answers(name: str) -> dict:
    """An example response completed with the contract's 1.1 answers, so every required item is answered.

    The example files are 1.0 responses; any 1.1 answer a file has takes precedence."""
    return {**answers_1_1(), **load_response_json(name)["answers"]}


# --- the demo's 1.1 answers (issue 14) ---
# The ids questionnaire 1.1 asks that the 1.0 example files leave unanswered.
ADDED_IN_1_1 = ("C6", "E9", "E10", "G6", "G7", "G8", "H6", "H7", "H9", *(f"K{n}" for n in range(1, 12)))


def with_1_1_answers(answers: dict) -> dict:
    """A 1.0 example's answers completed with the exemplary vendor's answers to the items 1.1 adds."""
    exemplary = load_response_json("stage4-exemplary")["answers"]
    return {**answers, **{qid: copy.deepcopy(exemplary[qid]) for qid in ADDED_IN_1_1}}
