"""The buyer profile's 1.1 fields on the evaluation form: offered where the questionnaire uses them, checked, kept."""

from __future__ import annotations

import html
import re
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest

from stagefour import evaluations
from stagefour import store
from stagefour.questionnaire import load_questionnaire

from .conftest import FIXTURES

TODAY = datetime.now(UTC).date()
QUESTIONNAIRE_1_0 = FIXTURES / "questionnaires" / "ai-deployment-partner-1.0.0.yaml"


def settings(**overrides) -> dict:
    """A complete, valid evaluation form for questionnaire 1.1 with every new profile field set."""
    data = {
        "title": "Claims automation partner",
        "questionnaire": "ai-deployment-partner",
        "deadline": (TODAY + timedelta(days=30)).isoformat(),
        "industry": "insurance",
        "size_band": "1k_10k",
        "data_regions": ["uk", "eu_eea"],
        "ai_act_class": "high_risk",
        "currency": "gbp",
        "monthly_tasks": "60000",
    }
    data |= {f"weight_{sid}": "10" for sid in "ABCDEFGHIJK"}
    return data | overrides


def field_errors(page: str, field_id: str) -> str:
    """The error text shown in the field block that holds the input `field_id` ('' if none)."""
    for block in re.findall(r'<div class="field has-error"[^>]*>(.*?)</div>', page, re.S):
        if f'id="{field_id}' in block:
            return html.unescape(" ".join(re.findall(r"<li>(.*?)</li>", block, re.S)))
    return ""


@pytest.fixture
def owner(make_user, login):
    """A logged-in owner."""
    return login(make_user("owner"))


def test_the_create_page_offers_the_four_fields_with_the_questionnaires_region_labels(client, owner):
    page = client.get("/evaluations/new").get_data(as_text=True)
    assert 'name="data_regions" type="checkbox" value="eu_eea"' in page
    assert 'value="global"' not in page  # a buyer cannot allow "anywhere"
    assert re.search(r'<option value="high_risk">High-risk', page)
    assert re.search(r'id="currency"[^>]*value="EUR"|value="EUR"[^>]*id="currency"', page)
    assert 'id="monthly_tasks"' in page
    assert '<option value="CHF">' in page


def test_create_stores_the_new_fields_normalised_and_shows_them(client, db, owner):
    response = client.post("/evaluations/new", data=settings())
    assert response.status_code == 302
    (evaluation,) = store.list_evaluations(db)
    assert evaluation["buyer_profile"] == {
        "industry": "insurance",
        "size_band": "1k_10k",
        "data_regions": ["eu_eea", "uk"],
        "ai_act_class": "high_risk",
        "currency": "GBP",
        "monthly_tasks": 60000,
    }
    page = html.unescape(client.get(response.location).get_data(as_text=True))
    assert "Where your data may go: EU / EEA, United Kingdom" in page
    assert "Currency: GBP (British Pound)" in page
    assert "Tasks a month: 60,000" in page
    assert "AI Act class, your reading: High-risk" in page


def test_empty_new_fields_leave_the_profile_as_before_and_eur_is_the_default(client, db, owner):
    data = settings(ai_act_class="", currency="EUR", monthly_tasks="", industry="", size_band="")
    del data["data_regions"]
    assert client.post("/evaluations/new", data=data).status_code == 302
    (evaluation,) = store.list_evaluations(db)
    assert evaluation["buyer_profile"] == {}
    page = client.get(f"/evaluations/{evaluation['id']}").get_data(as_text=True)
    assert "Currency: EUR (Euro)" in html.unescape(page)


def test_zero_tasks_a_month_is_kept(client, db, owner):
    assert client.post("/evaluations/new", data=settings(monthly_tasks="0")).status_code == 302
    assert store.list_evaluations(db)[0]["buyer_profile"]["monthly_tasks"] == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("data_regions", ["eu_eea", "global"], "Choose regions from the list."),
        ("data_regions", ["<script>alert(1)</script>"], "Choose regions from the list."),
        ("ai_act_class", "high_risk_buyer_provider", "Choose a class from the list, or Not specified."),
        ("currency", "EURO", "Enter a three-letter ISO 4217 code, such as EUR, USD or GBP."),
        ("currency", "ZZZ", "Enter a three-letter ISO 4217 code, such as EUR, USD or GBP."),
        ("currency", "€", "Enter a three-letter ISO 4217 code, such as EUR, USD or GBP."),
        ("currency", "x" * 100_000, "Enter a three-letter ISO 4217 code, such as EUR, USD or GBP."),
        ("monthly_tasks", "-1", "Enter a number from 0 to 1,000,000,000,000."),
        ("monthly_tasks", "1e13", "Enter a number from 0 to 1,000,000,000,000."),
        ("monthly_tasks", "inf", "Enter a number from 0 to 1,000,000,000,000."),
        ("monthly_tasks", "sixty thousand", "Enter a number of tasks, such as 60000."),
        ("monthly_tasks", "9" * 100_000, "Enter a number of tasks, such as 60000."),
    ],
)
def test_bad_profile_values_get_a_message_beside_the_field_and_nothing_is_written(
    client, db, owner, field, value, message
):
    response = client.post("/evaluations/new", data=settings(**{field: value}))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in html.unescape(page)
    assert "Please correct the following" in page
    assert 'value="Claims automation partner"' in page  # nothing typed is lost
    if field != "monthly_tasks":
        assert 'value="60000"' in page
    assert store.list_evaluations(db) == []
    assert "<script>alert(1)</script>" not in page


def test_edit_shows_the_saved_fields_changes_them_and_audits(client, db, owner, make_evaluation):
    evaluation_id = make_evaluation(
        buyer_profile={
            "data_regions": ["eu_eea"],
            "ai_act_class": "minimal_risk",
            "currency": "CHF",
            "monthly_tasks": 2.5,
        }
    )
    page = client.get(f"/evaluations/{evaluation_id}/edit").get_data(as_text=True)
    assert re.search(r'checked[^>]*value="eu_eea"|value="eu_eea"[^>]*checked', page)
    assert re.search(r'<option selected value="minimal_risk">|<option value="minimal_risk" selected>', page)
    assert 'value="CHF"' in page and 'value="2.5"' in page
    data = settings(data_regions=["switzerland", "other"], ai_act_class="", currency="usd", monthly_tasks="1000")
    response = client.post(f"/evaluations/{evaluation_id}/edit", data=data)
    assert response.status_code == 302
    profile = store.get_evaluation(db, evaluation_id)["buyer_profile"]
    assert profile == {
        "industry": "insurance",
        "size_band": "1k_10k",
        "data_regions": ["switzerland", "other"],
        "currency": "USD",
        "monthly_tasks": 1000,
    }
    (entry,) = [e for e in store.audit_entries(db, evaluation_id) if e["action"] == "evaluation_changed"]
    assert "USD" in str(entry) and "switzerland" in str(entry)


def test_a_bad_edit_changes_nothing(client, db, owner, make_evaluation):
    evaluation_id = make_evaluation(buyer_profile={"currency": "CHF"})
    before = store.get_evaluation(db, evaluation_id)
    response = client.post(f"/evaluations/{evaluation_id}/edit", data=settings(title="Renamed", currency="XYZ"))
    assert response.status_code == 422
    assert "Enter a three-letter ISO 4217 code" in field_errors(response.get_data(as_text=True), "currency")
    after = store.get_evaluation(db, evaluation_id)
    assert after["title"] == before["title"] and after["buyer_profile"] == {"currency": "CHF"}


def test_a_1_0_evaluation_is_offered_none_of_the_new_fields_and_keeps_its_profile(client, db, owner, team):
    old = load_questionnaire(QUESTIONNAIRE_1_0)
    evaluation_id = evaluations.start_evaluation(
        db, old, "Old one", deadline=None, buyer_profile={"industry": "insurance"}, team_id=team
    )
    page = client.get(f"/evaluations/{evaluation_id}/edit").get_data(as_text=True)
    for name in ("data_regions", "ai_act_class", "currency", "monthly_tasks"):
        assert f'name="{name}"' not in page, name
    data = settings(title="Old one, renamed") | {f"weight_{sid}": "10" for sid in "ABCDEFGHIJ"}
    del data["weight_K"]
    assert client.post(f"/evaluations/{evaluation_id}/edit", data=data).status_code == 302
    # The fields it was not offered are not stored, whatever the request carried.
    assert store.get_evaluation(db, evaluation_id)["buyer_profile"] == {"industry": "insurance", "size_band": "1k_10k"}
    summary = html.unescape(client.get(f"/evaluations/{evaluation_id}").get_data(as_text=True))
    assert "Currency:" not in summary


def test_the_errors_and_the_summary_follow_the_interface_language(client, db, owner):
    client.post("/language", data={"language": "de", "next": "/"})
    page = html.unescape(client.post("/evaluations/new", data=settings(monthly_tasks="-1")).get_data(as_text=True))
    assert "Geben Sie eine Zahl von 0 bis 1.000.000.000.000 ein." in page
    assert "Hochrisiko (Anhang I oder III der KI-Verordnung)" in page
    assert client.post("/evaluations/new", data=settings()).status_code == 302
    (evaluation,) = store.list_evaluations(db)
    summary = html.unescape(client.get(f"/evaluations/{evaluation['id']}").get_data(as_text=True))
    assert "Währung: GBP (Britisches Pfund)" in summary and "Aufgaben pro Monat: 60.000" in summary
