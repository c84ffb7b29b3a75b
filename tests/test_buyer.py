"""The buyer's pages: dashboard, evaluations, vendors and their links, roles, bad input."""

from __future__ import annotations

import html
import re
import shutil
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest

from stagefour import store
from views.auth import clock
from views.auth import session_for

from .conftest import FIXTURES
from .conftest import PASSWORD

ROLES = (None, "viewer", "evaluator", "owner")
HOSTILE = "<script>alert(1)</script>"
TODAY = datetime.now(UTC).date()


def valid_settings(**overrides) -> dict:
    """A complete, valid create-evaluation form for the default questionnaire."""
    data = {
        "title": "Claims automation partner",
        "questionnaire": "ai-deployment-partner",
        "deadline": (TODAY + timedelta(days=30)).isoformat(),
        "industry": "insurance",
        "size_band": "1k_10k",
    }
    data |= {f"weight_{sid}": "10" for sid in "ABCDEFGHIJK"}
    return data | overrides


def field_errors(page: str, field_id: str) -> str:
    """The error text shown in the field block that holds the input `field_id` ('' if none)."""
    for block in re.findall(r'<div class="field has-error">(.*?)</div>', page, re.S):
        if f'id="{field_id}"' in block:
            return html.unescape(" ".join(re.findall(r"<li>(.*?)</li>", block, re.S)))
    return ""


def shown_links(page: str) -> list[str]:
    """The vendor links shown on a page in read-only inputs."""
    return re.findall(r'<input type="text" id="link-\d+" value="([^"]+)" readonly', page)


def audit_actions(db, evaluation_id: int) -> list[str]:
    """The audit log's actions for an evaluation, oldest first."""
    return [e["action"] for e in reversed(store.audit_entries(db, evaluation_id))]


@pytest.fixture
def as_role(make_user, login):
    """Log in with a role: as_role("owner") -> user dict; as_role(None) stays anonymous."""

    def do(role):
        return login(make_user(role)) if role else None

    return do


@pytest.fixture
def owner(as_role):
    """A logged-in owner."""
    return as_role("owner")


@pytest.fixture
def vendor(make_vendor):
    """A vendor with a working link in a fresh evaluation."""
    return make_vendor(name="Northwind")


# --- every route × every role --------------------------------------------------------------------

READ = "read"
OWNER = "owner"


def routes(ids) -> dict[str, tuple]:
    """Every buyer route by name: (method, url, form data, who may use it)."""
    e, v = ids["evaluation_id"], ids["vendor_id"]
    return {
        "dashboard": ("GET", "/", None, READ),
        "evaluation": ("GET", f"/evaluations/{e}", None, READ),
        "new-form": ("GET", "/evaluations/new", None, OWNER),
        "new-create": ("POST", "/evaluations/new", valid_settings(), OWNER),
        "edit-form": ("GET", f"/evaluations/{e}/edit", None, OWNER),
        "edit-save": ("POST", f"/evaluations/{e}/edit", valid_settings(title="Renamed"), OWNER),
        "add-vendor": ("POST", f"/evaluations/{e}/vendors", {"name": "Brightline"}, OWNER),
        "reissue-confirm": ("GET", f"/evaluations/{e}/vendors/{v}/reissue", None, OWNER),
        "reissue": ("POST", f"/evaluations/{e}/vendors/{v}/reissue", {}, OWNER),
        "revoke-confirm": ("GET", f"/evaluations/{e}/vendors/{v}/revoke", None, OWNER),
        "revoke": ("POST", f"/evaluations/{e}/vendors/{v}/revoke", {}, OWNER),
        "reopen": ("POST", f"/evaluations/{e}/vendors/{v}/reopen", {}, OWNER),
    }


ROUTE_NAMES = list(routes({"evaluation_id": 0, "vendor_id": 0}))


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
@pytest.mark.parametrize("route", ROUTE_NAMES)
def test_every_route_answers_every_role_as_expected(client, as_role, make_vendor, stage4_answers, role, route):
    ids = make_vendor(name="Northwind", answers=stage4_answers, submit=True)
    method, url, data, who = routes(ids)[route]
    as_role(role)
    response = client.open(url, method=method, data=data)
    if role is None:
        assert response.status_code == 302
        target = urlsplit(response.location)
        assert target.path == "/login"
        # a page is gone back to after logging in; a refused POST is not replayed
        assert parse_qs(target.query) == ({"next": [url]} if method == "GET" else {})
    elif who == OWNER and role != "owner":
        assert response.status_code == 403
    elif method == "GET":
        assert response.status_code == 200
    else:
        assert response.status_code == 302, response.data
        assert urlsplit(response.location).path.startswith("/evaluations/")


def test_anonymous_is_sent_to_log_in_and_comes_back(client, make_user, make_evaluation, db):
    evaluation_id = make_evaluation()
    response = client.get(f"/evaluations/{evaluation_id}")
    assert response.status_code == 302
    user = store.get_user(db, make_user("viewer"))
    back = client.post(response.location, data={"email": user["email"], "password": PASSWORD})
    assert back.status_code == 302
    assert back.location == f"/evaluations/{evaluation_id}"


@pytest.mark.parametrize(
    "method,url",
    [
        ("GET", "/evaluations/999"),
        ("GET", "/evaluations/999/edit"),
        ("POST", "/evaluations/999/edit"),
        ("POST", "/evaluations/999/vendors"),
        ("GET", "/evaluations/{e}/vendors/999/reissue"),
        ("POST", "/evaluations/{e}/vendors/999/revoke"),
        ("POST", "/evaluations/{e}/vendors/999/reopen"),
        ("GET", "/evaluations/abc"),
    ],
)
def test_unknown_ids_are_not_found(client, owner, vendor, method, url):
    response = client.open(url.format(e=vendor["evaluation_id"]), method=method)
    assert response.status_code == 404


@pytest.mark.parametrize(
    "method,action",
    [("GET", "reissue"), ("POST", "reissue"), ("GET", "revoke"), ("POST", "revoke"), ("POST", "reopen")],
)
def test_a_vendor_of_another_evaluation_is_not_found(client, db, owner, make_vendor, make_evaluation, method, action):
    theirs = make_vendor(name="Other evaluation's vendor")
    mine = make_evaluation(title="Mine")
    response = client.open(f"/evaluations/{mine}/vendors/{theirs['vendor_id']}/{action}", method=method)
    assert response.status_code == 404
    assert store.list_vendors(db, theirs["evaluation_id"])[0]["revoked_at"] is None
    assert client.get(f"/v/{theirs['token']}").status_code == 200


# --- dashboard -------------------------------------------------------------------------------------


def test_dashboard_shows_each_vendors_progress_activity_and_submission(
    client, as_role, make_vendor, make_evaluation, stage4_answers
):
    evaluation_id = make_evaluation(title="Claims partner", deadline=(TODAY + timedelta(days=10)).isoformat())
    make_vendor(name="Submitted Co", evaluation_id=evaluation_id, answers=stage4_answers, submit=True)
    make_vendor(name="Partial Co", evaluation_id=evaluation_id, answers={"A2": 3})
    make_vendor(name="Silent Co", evaluation_id=evaluation_id)
    as_role("viewer")
    page = client.get("/").get_data(as_text=True)
    assert "Claims partner" in page
    assert "AI deployment partner due diligence, version 1.1.0" in page
    rows = {
        re.sub(r"<[^>]+>", "", re.search(r'<th scope="row">(.*?)</th>', row).group(1)): row
        for row in re.findall(r"<tr>(.*?)</tr>", page, re.S)
        if '<th scope="row">' in row
    }
    assert set(rows) == {"Submitted Co", "Partial Co", "Silent Co"}
    assert re.search(r"53 / 53", rows["Submitted Co"])  # 33 required in 1.0, 20 more in 1.1 (H10 not applicable)
    assert "Submitted" in rows["Submitted Co"] and "In progress" not in rows["Submitted Co"]
    assert re.search(r"1 / 5\d", rows["Partial Co"])  # H10 counts while H9 is unanswered
    assert "In progress" in rows["Partial Co"]
    assert re.search(r"0 / 5\d", rows["Silent Co"]) and "No answers yet" in rows["Silent Co"]
    assert "Not started" in rows["Silent Co"]
    assert re.search(r"[A-Z][a-z]{2} \d{1,2}, \d{4}", rows["Partial Co"])  # last activity's day, formatted
    assert "New evaluation" not in page


def test_only_owners_see_the_new_evaluation_button(client, as_role):
    as_role("owner")
    assert 'href="/evaluations/new"' in client.get("/").get_data(as_text=True)


def test_the_dashboard_with_no_evaluations_says_so(client, as_role):
    as_role("evaluator")
    assert "There are no evaluations yet." in client.get("/").get_data(as_text=True)


# --- creating an evaluation -----------------------------------------------------------------------


def test_create_evaluation_stores_every_setting_and_redirects_to_it(client, db, owner):
    data = valid_settings(weight_A="2.5", weight_B="30")
    response = client.post("/evaluations/new", data=data)
    assert response.status_code == 302
    (evaluation,) = store.list_evaluations(db)
    assert response.location == f"/evaluations/{evaluation['id']}"
    assert evaluation["title"] == "Claims automation partner"
    assert evaluation["questionnaire_id"] == "ai-deployment-partner"
    assert evaluation["deadline"] == data["deadline"]
    assert evaluation["weights"] == {"A": 2.5, "B": 30, **{sid: 10 for sid in "CDEFGHIJK"}}
    assert evaluation["buyer_profile"] == {"industry": "insurance", "size_band": "1k_10k"}
    assert evaluation["created_by"] == owner["id"]
    page = client.get(response.location).get_data(as_text=True)
    assert "The evaluation was created." in page
    assert "Industry: Insurance" in page


def test_the_create_page_shows_the_sections_with_their_default_weights(client, owner, questionnaire):
    page = client.get("/evaluations/new").get_data(as_text=True)
    for section in questionnaire.sections:
        value = re.search(
            rf'id="weight_{section.id}"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*id="weight_{section.id}"', page
        )
        assert value, section.id
        assert float(value.group(1) or value.group(2)) == section.weight
    assert "AI deployment partner due diligence (version 1.1.0)" in page
    assert ">Insurance</option>" in page and ">1,000 to 10,000</option>" in page
    assert 'name="action" value="choose"' not in page  # one questionnaire: no second step


def test_the_buyer_profile_is_optional(client, db, owner):
    response = client.post("/evaluations/new", data=valid_settings(industry="", size_band="", deadline=""))
    assert response.status_code == 302
    (evaluation,) = store.list_evaluations(db)
    assert evaluation["buyer_profile"] == {}
    assert evaluation["deadline"] is None


def test_profile_labels_follow_the_interface_language(client, owner):
    client.post("/language", data={"language": "de", "next": "/"})
    page = client.get("/evaluations/new").get_data(as_text=True)
    assert ">Versicherungen</option>" in page


TOO_LONG = "x" * 201


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("title", "", "Enter a title."),
        ("title", "   ", "Enter a title."),
        ("title", TOO_LONG, "Use at most 200 characters."),
        ("title", "two\nlines", "Use a single line"),
        ("deadline", "2026-02-30", "Enter a date as YYYY-MM-DD."),
        ("deadline", "next friday", "Enter a date as YYYY-MM-DD."),
        ("deadline", (TODAY - timedelta(days=1)).isoformat(), "The deadline cannot be in the past."),
        ("weight_A", "", "Enter a weight."),
        ("weight_A", "abc", "Enter a number, such as 1 or 2.5."),
        ("weight_A", "nan", "Enter a number, such as 1 or 2.5."),
        ("weight_A", "inf", "Enter a number, such as 1 or 2.5."),
        ("weight_A", "0", "A weight must be more than 0."),
        ("weight_A", "-3", "A weight must be more than 0."),
        ("weight_J", "1000.5", "A weight can be at most 1000."),
        ("questionnaire", "no-such-questionnaire", "Choose a questionnaire from the library."),
        ("questionnaire", "../questionnaires/ai-deployment-partner", "Choose a questionnaire from the library."),
        ("industry", "space_travel", "Choose an industry from the list."),
        ("size_band", "enormous", "Choose a company size from the list."),
    ],
)
def test_bad_settings_get_a_message_beside_the_field_and_nothing_is_written(client, db, owner, field, value, message):
    response = client.post("/evaluations/new", data=valid_settings(**{field: value}))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in field_errors(page, field)
    assert "Please correct the following" in page
    assert store.list_evaluations(db) == []


def test_a_weight_of_1000_and_a_deadline_of_today_are_accepted(client, db, owner):
    response = client.post("/evaluations/new", data=valid_settings(weight_A="1000", deadline=TODAY.isoformat()))
    assert response.status_code == 302
    assert store.list_evaluations(db)[0]["weights"]["A"] == 1000


def test_what_was_typed_is_kept_after_an_error(client, owner):
    page = client.post("/evaluations/new", data=valid_settings(title="", weight_A="abc", weight_B="7.5")).get_data(
        as_text=True
    )
    assert re.search(r'value="abc"[^>]*|id="weight_A"[^>]*value="abc"', page)
    assert 'value="7.5"' in page


@pytest.fixture
def two_questionnaires(tmp_path):
    """An app whose library holds the default questionnaire and the every-type fixture."""
    from app import create_app

    folder = tmp_path / "library"
    folder.mkdir()
    shutil.copy(Path(__file__).parent.parent / "questionnaires" / "ai-deployment-partner.yaml", folder)
    shutil.copy(FIXTURES / "every-type.yaml", folder)
    (folder / "broken.yaml").write_text("id: broken\nsections: 3\n", encoding="utf-8")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "DATABASE": str(tmp_path / "library.sqlite3"),
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "QUESTIONNAIRE_FOLDER": str(folder),
            "WTF_CSRF_ENABLED": False,
        }
    )
    database = store.open_db(app.config["DATABASE"])
    from views.auth import hash_password

    user_id = store.create_user(database, "owner@example.com", hash_password(PASSWORD))
    store.set_membership(database, store.create_team(database, "Procurement", "test"), user_id, "owner", "test")
    client = app.test_client()
    client.post("/login", data={"email": "owner@example.com", "password": PASSWORD})
    yield client, database
    database.close()


def test_choosing_another_questionnaire_shows_its_sections_before_creating(two_questionnaires):
    client, db = two_questionnaires
    page = client.get("/evaluations/new").get_data(as_text=True)
    assert "Every type (version 2)" in page and 'name="action" value="choose"' in page
    assert "broken" not in page  # an invalid library file is left out, not a crash
    assert 'id="weight_A"' in page
    chosen = client.post(
        "/evaluations/new", data={"title": "Two step", "questionnaire": "every-type", "action": "choose"}
    ).get_data(as_text=True)
    assert 'id="weight_S1"' in chosen and 'id="weight_A"' not in chosen
    assert 'value="Two step"' in chosen
    assert store.list_evaluations(db) == []
    # Creating while the page still shows the other questionnaire's sections only switches.
    switched = client.post(
        "/evaluations/new",
        data=valid_settings(questionnaire="every-type", shown="ai-deployment-partner"),
    )
    assert switched.status_code == 200
    assert "These are the sections of the questionnaire you chose" in switched.get_data(as_text=True)
    assert store.list_evaluations(db) == []
    created = client.post(
        "/evaluations/new",
        data={"title": "Two step", "questionnaire": "every-type", "shown": "every-type", "weight_S1": "4"},
    )
    assert created.status_code == 302
    (evaluation,) = store.list_evaluations(db)
    assert evaluation["questionnaire_id"] == "every-type"
    assert evaluation["weights"]["S1"] == 4


def test_a_get_for_an_unknown_questionnaire_shows_the_first_one(two_questionnaires):
    client, _db = two_questionnaires
    assert client.get("/evaluations/new?questionnaire=../../etc").status_code == 200


# --- editing an evaluation ------------------------------------------------------------------------


def test_edit_shows_the_current_settings_and_saves_new_ones(client, db, owner, make_evaluation):
    evaluation_id = make_evaluation(buyer_profile={"industry": "healthcare"})
    page = client.get(f"/evaluations/{evaluation_id}/edit").get_data(as_text=True)
    assert 'value="Claims automation partner"' in page
    assert re.search(r'<option selected value="healthcare">|<option value="healthcare" selected>', page)
    deadline = (TODAY + timedelta(days=5)).isoformat()
    data = valid_settings(title="Renamed", deadline=deadline, weight_C="3", industry="", size_band="over_10k")
    response = client.post(f"/evaluations/{evaluation_id}/edit", data=data)
    assert response.status_code == 302
    assert response.location == f"/evaluations/{evaluation_id}"
    evaluation = store.get_evaluation(db, evaluation_id)
    assert evaluation["title"] == "Renamed"
    assert evaluation["deadline"] == deadline
    assert evaluation["weights"]["C"] == 3
    assert evaluation["buyer_profile"] == {"size_band": "over_10k"}
    assert "evaluation_changed" in audit_actions(db, evaluation_id)


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("title", "", "Enter a title."),
        ("deadline", "31/12/2030", "Enter a date as YYYY-MM-DD."),
        ("weight_B", "0", "A weight must be more than 0."),
        ("industry", "nope", "Choose an industry from the list."),
    ],
)
def test_bad_edits_are_refused_beside_the_field(client, db, owner, make_evaluation, field, value, message):
    evaluation_id = make_evaluation()
    response = client.post(f"/evaluations/{evaluation_id}/edit", data=valid_settings(**{field: value}))
    assert response.status_code == 422
    assert message in field_errors(response.get_data(as_text=True), field)
    assert store.get_evaluation(db, evaluation_id)["title"] == "Claims automation partner"


def test_a_deadline_already_passed_can_be_kept_but_not_newly_set(client, db, owner, make_evaluation):
    evaluation_id = make_evaluation(deadline="2020-01-31")
    kept = client.post(f"/evaluations/{evaluation_id}/edit", data=valid_settings(title="Kept", deadline="2020-01-31"))
    assert kept.status_code == 302
    moved = client.post(f"/evaluations/{evaluation_id}/edit", data=valid_settings(deadline="2020-01-30"))
    assert moved.status_code == 422
    assert store.get_evaluation(db, evaluation_id)["deadline"] == "2020-01-31"


def test_moving_the_deadline_later_extends_live_links(client, db, owner, make_evaluation):
    evaluation_id = make_evaluation()
    client.post(f"/evaluations/{evaluation_id}/vendors", data={"name": "Northwind"})
    deadline = (TODAY + timedelta(days=400)).isoformat()
    client.post(f"/evaluations/{evaluation_id}/edit", data=valid_settings(deadline=deadline))
    (row,) = store.list_vendors(db, evaluation_id)
    assert row["expires_at"] == f"{deadline}T23:59:59+00:00"
    assert "links_extended" in audit_actions(db, evaluation_id)


# --- the evaluation page and vendors --------------------------------------------------------------


def test_the_evaluation_page_shows_settings_and_each_vendors_state(
    client, db, as_role, make_vendor, make_evaluation, stage4_answers
):
    evaluation_id = make_evaluation(buyer_profile={"industry": "insurance"})
    make_vendor(name="Active Co", evaluation_id=evaluation_id)
    revoked = make_vendor(name="Revoked Co", evaluation_id=evaluation_id)
    store.revoke_invitations(db, revoked["vendor_id"], "test")
    make_vendor(name="Expired Co", evaluation_id=evaluation_id, expires_at="2020-01-01T00:00:00+00:00")
    make_vendor(name="Done Co", evaluation_id=evaluation_id, answers=stage4_answers, submit=True)
    as_role("evaluator")
    page = client.get(f"/evaluations/{evaluation_id}").get_data(as_text=True)
    assert "Industry: Insurance" in page
    rows = {
        re.sub(r"<[^>]+>", "", name): cells
        for name, cells in re.findall(r'<tr id="vendor-\d+">\s*<th scope="row">(.*?)</th>(.*?)</tr>', page, re.S)
    }
    assert "Active</span>" in rows["Active Co"] and "no expiry date" in rows["Active Co"]
    assert "Revoked</span>" in rows["Revoked Co"]
    assert "Expired</span>" in rows["Expired Co"] and "January 1, 2020" in rows["Expired Co"]
    # 33 required in 1.0, 20 more in 1.1 (H10 is not applicable)
    assert "Submitted" in rows["Done Co"] and "53 / 53" in rows["Done Co"]
    assert "Reissue" not in page and "Add a vendor" not in page  # an evaluator only reads


def test_owners_see_the_actions_that_fit_each_vendor(client, db, owner, make_vendor, stage4_answers):
    submitted = make_vendor(name="Done Co", answers=stage4_answers, submit=True)
    page = client.get(f"/evaluations/{submitted['evaluation_id']}").get_data(as_text=True)
    assert f"/vendors/{submitted['vendor_id']}/reopen" in page
    assert f"/vendors/{submitted['vendor_id']}/revoke" in page
    assert "Add a vendor" in page


def test_adding_a_vendor_shows_their_link_once_and_it_opens_the_form(client, db, owner, make_evaluation):
    evaluation_id = make_evaluation()
    response = client.post(
        f"/evaluations/{evaluation_id}/vendors", data={"name": "  Northwind  ", "contact_email": "bids@nw.example"}
    )
    assert response.status_code == 302
    (row,) = store.list_vendors(db, evaluation_id)
    assert row["name"] == "Northwind" and row["contact_email"] == "bids@nw.example"
    first = client.get(f"/evaluations/{evaluation_id}")
    assert first.headers["Cache-Control"] == "no-store"
    (link,) = shown_links(first.get_data(as_text=True))
    assert "Northwind was added." in first.get_data(as_text=True)
    assert db["issued_links"].count == 0  # the token left the database once shown
    assert client.get(urlsplit(link).path).status_code == 200
    again = client.get(f"/evaluations/{evaluation_id}").get_data(as_text=True)
    assert shown_links(again) == []
    assert audit_actions(db, evaluation_id)[-2:] == ["vendor_added", "link_issued"]


def test_a_link_expires_after_the_valid_days_or_at_the_deadline_whichever_is_later(
    client, db, app, owner, make_evaluation
):
    soon = make_evaluation(deadline=(TODAY + timedelta(days=3)).isoformat())
    late_deadline = (TODAY + timedelta(days=200)).isoformat()
    late = make_evaluation(title="Late", deadline=late_deadline)
    before = datetime.now(UTC).replace(microsecond=0)
    client.post(f"/evaluations/{soon}/vendors", data={"name": "A"})
    client.post(f"/evaluations/{late}/vendors", data={"name": "B"})
    expires = datetime.fromisoformat(store.list_vendors(db, soon)[0]["expires_at"])
    days = timedelta(days=app.config["LINK_VALID_DAYS"])
    assert before + days <= expires <= datetime.now(UTC) + days
    assert store.list_vendors(db, late)[0]["expires_at"] == f"{late_deadline}T23:59:59+00:00"


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("name", "", "Enter the vendor's name."),
        ("name", "   ", "Enter the vendor's name."),
        ("name", "x" * 201, "Use at most 200 characters."),
        ("name", "tab\there", "Use a single line"),
        ("contact_email", "not an e-mail", "Enter an e-mail address such as name@example.com."),
        ("contact_email", "a@" + "b" * 320 + ".example", "Use at most 320 characters."),
    ],
)
def test_bad_vendor_input_is_refused_beside_the_field(client, db, owner, make_evaluation, field, value, message):
    evaluation_id = make_evaluation()
    data = {"name": "Northwind", "contact_email": ""} | {field: value}
    response = client.post(f"/evaluations/{evaluation_id}/vendors", data=data)
    assert response.status_code == 422
    assert message in field_errors(response.get_data(as_text=True), field)
    assert store.list_vendors(db, evaluation_id) == []


def test_a_duplicate_vendor_name_is_refused_with_a_clear_message(client, db, owner, vendor):
    evaluation_id = vendor["evaluation_id"]
    response = client.post(f"/evaluations/{evaluation_id}/vendors", data={"name": "Northwind"})
    assert response.status_code == 422
    assert "A vendor with this name is already in this evaluation." in field_errors(
        response.get_data(as_text=True), "name"
    )
    assert len(store.list_vendors(db, evaluation_id)) == 1


def test_the_same_vendor_name_may_be_in_another_evaluation(client, db, owner, vendor, make_evaluation):
    other = make_evaluation(title="Other")
    assert client.post(f"/evaluations/{other}/vendors", data={"name": "Northwind"}).status_code == 302


def test_hostile_html_in_titles_and_names_is_shown_escaped(client, db, owner):
    client.post("/evaluations/new", data=valid_settings(title=HOSTILE))
    (evaluation,) = store.list_evaluations(db)
    assert evaluation["title"] == HOSTILE  # stored as typed
    client.post(f"/evaluations/{evaluation['id']}/vendors", data={"name": HOSTILE + " Corp"})
    (row,) = store.list_vendors(db, evaluation["id"])
    pages = [
        client.get("/").get_data(as_text=True),
        client.get(f"/evaluations/{evaluation['id']}").get_data(as_text=True),
        client.get(f"/evaluations/{evaluation['id']}/edit").get_data(as_text=True),
        client.get(f"/evaluations/{evaluation['id']}/vendors/{row['id']}/reissue").get_data(as_text=True),
    ]
    for page in pages:
        assert HOSTILE not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_reissue_asks_first_then_the_old_link_is_gone_and_the_new_one_works(client, db, owner, vendor):
    e, v = vendor["evaluation_id"], vendor["vendor_id"]
    confirm = client.get(f"/evaluations/{e}/vendors/{v}/reissue").get_data(as_text=True)
    assert "stops working" in confirm and 'name="csrf_token"' in confirm
    assert client.get(f"/v/{vendor['token']}").status_code == 200  # asking changed nothing
    response = client.post(f"/evaluations/{e}/vendors/{v}/reissue")
    assert response.status_code == 302
    page = client.get(f"/evaluations/{e}").get_data(as_text=True)
    (link,) = shown_links(page)
    assert "the old one no longer works" in page
    assert client.get(f"/v/{vendor['token']}").status_code == 410
    assert client.get(urlsplit(link).path).status_code == 200
    assert "link_reissued" in audit_actions(db, e)


def test_revoke_asks_first_then_the_link_is_closed_and_answers_are_kept(client, db, owner, make_vendor):
    vendor = make_vendor(name="Northwind", answers={"A2": 4})
    e, v = vendor["evaluation_id"], vendor["vendor_id"]
    assert "can no longer open" in client.get(f"/evaluations/{e}/vendors/{v}/revoke").get_data(as_text=True)
    assert client.post(f"/evaluations/{e}/vendors/{v}/revoke").status_code == 302
    assert client.get(f"/v/{vendor['token']}").status_code == 410
    assert store.load_answers(db, vendor["response_id"]) == {"A2": 4}
    assert "link_revoked" in audit_actions(db, e)
    page = client.get(f"/evaluations/{e}").get_data(as_text=True)
    assert "Revoked</span>" in page
    # A second revoke has nothing left to do and says so.
    client.post(f"/evaluations/{e}/vendors/{v}/revoke")
    assert "had no working link" in client.get(f"/evaluations/{e}").get_data(as_text=True)


def test_reopen_unlocks_a_submitted_response_and_the_vendor_can_save_again(
    client, db, owner, make_vendor, stage4_answers
):
    outside_a = {qid: value for qid, value in stage4_answers.items() if not qid.startswith("A")}
    vendor = make_vendor(name="Northwind", answers=outside_a, submit=True)
    e, v, token = vendor["evaluation_id"], vendor["vendor_id"], vendor["token"]
    client.post(f"/v/{token}/s/A", data={"A2": "3", "base_versions": "{}"})
    assert "A2" not in store.load_answers(db, vendor["response_id"])  # locked while submitted
    response = client.post(f"/evaluations/{e}/vendors/{v}/reopen")
    assert response.status_code == 302
    assert store.get_vendor(db, v)["status"] == "reopened"
    assert "response_reopened" in audit_actions(db, e)
    assert "is open again" in client.get(f"/evaluations/{e}").get_data(as_text=True)
    saved = client.post(f"/v/{token}/s/A", data={"A2": "3", "base_versions": "{}"})
    assert saved.status_code == 302
    assert store.load_answers(db, vendor["response_id"])["A2"] == 3


def test_only_a_submitted_response_can_be_reopened(client, db, owner, vendor):
    e, v = vendor["evaluation_id"], vendor["vendor_id"]
    client.post(f"/evaluations/{e}/vendors/{v}/reopen")
    assert store.get_vendor(db, v)["status"] == "invited"
    assert "Only a submitted response can be reopened." in client.get(f"/evaluations/{e}").get_data(as_text=True)


def test_reopen_after_the_deadline_says_the_deadline_must_move(
    client, db, owner, make_vendor, make_evaluation, stage4_answers
):
    evaluation_id = make_evaluation(deadline="2020-01-31")
    vendor = make_vendor(name="Late", evaluation_id=evaluation_id, answers=stage4_answers, submit=True)
    client.post(f"/evaluations/{evaluation_id}/vendors/{vendor['vendor_id']}/reopen")
    assert "The deadline has passed" in client.get(f"/evaluations/{evaluation_id}").get_data(as_text=True)


# --- CSRF on ---------------------------------------------------------------------------------------


@pytest.fixture
def csrf_client(tmp_path, questionnaire, stage4_answers):
    """A client logged in as an owner of an app with CSRF on, with one submitted vendor."""
    from app import create_app
    from stagefour import evaluations
    from stagefour.response import Response

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "DATABASE": str(tmp_path / "csrf.sqlite3"),
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "WTF_CSRF_ENABLED": True,
        }
    )
    db = store.open_db(app.config["DATABASE"])
    user_id = store.create_user(db, "owner@example.com", "unused")
    team_id = store.create_team(db, "Procurement", "test")
    store.set_membership(db, team_id, user_id, "owner", "test")
    evaluation_id = evaluations.start_evaluation(db, questionnaire, "CSRF", user_id=user_id, team_id=team_id)
    vendor_id, _token = evaluations.invite(db, evaluation_id, "Northwind", None, "test")
    evaluations.import_response(db, vendor_id, Response("ai-deployment-partner", "N", stage4_answers), "t", True)
    client = app.test_client()
    with client.session_transaction() as session:
        session.update(session_for(store.get_user(db, user_id), clock()))
    yield client, db, evaluation_id, vendor_id
    db.close()


def test_a_post_without_a_csrf_token_is_refused_when_csrf_is_on(csrf_client):
    client, db, evaluation_id, vendor_id = csrf_client
    refused = [
        client.post("/evaluations/new", data=valid_settings()),
        client.post(f"/evaluations/{evaluation_id}/vendors", data={"name": "Brightline"}),
        client.post(f"/evaluations/{evaluation_id}/vendors/{vendor_id}/revoke"),
        client.post(f"/evaluations/{evaluation_id}/vendors/{vendor_id}/reopen"),
    ]
    assert [r.status_code for r in refused] == [400] * 4
    assert len(store.list_evaluations(db)) == 1
    assert [v["name"] for v in store.list_vendors(db, evaluation_id)] == ["Northwind"]
    assert store.get_vendor(db, vendor_id)["status"] == "submitted"
    page = client.get("/evaluations/new").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    accepted = client.post("/evaluations/new", data=valid_settings(csrf_token=token))
    assert accepted.status_code == 302
    assert len(store.list_evaluations(db)) == 2


def test_every_state_changing_form_carries_a_csrf_token(csrf_client):
    client, _db, e, v = csrf_client
    for url in [
        f"/evaluations/{e}",
        "/evaluations/new",
        f"/evaluations/{e}/edit",
        f"/evaluations/{e}/vendors/{v}/reissue",
        f"/evaluations/{e}/vendors/{v}/revoke",
    ]:
        page = client.get(url).get_data(as_text=True)
        forms = re.findall(r'<form method="post".*?</form>', page, re.S)
        assert forms, url
        for form in forms:
            assert re.search(r'name="csrf_token"[^>]*value="[^"]+"', form), (url, form[:200])
