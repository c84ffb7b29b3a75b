"""Money answers (questionnaire 1.1): shown with the evaluation's currency, formatted by Babel, never converted;
and what vendors see of the buyer profile (the currency at K, the regions at H6, never the AI Act class)."""

from __future__ import annotations

import html
import json
import re

import pytest

from stagefour import evaluations
from stagefour import report
from stagefour import store
from stagefour.evaluations import compare
from stagefour.numbers import readable_money

from .conftest import AS_OF
from .conftest import FIXTURES

EXAMPLE = json.loads((FIXTURES / "responses" / "contract-example-1.1.json").read_text(encoding="utf-8"))


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize(
    ("value", "currency", "locale", "shown"),
    [
        (180000, "EUR", "en", "€180,000.00"),
        (180000, "EUR", "de", "180.000,00\xa0€"),
        (42.5, "GBP", "fr", "42,50\xa0£GB"),
        (0, "CHF", "es", "0,00\xa0CHF"),
        (10**16, "EUR", "en", "1E16 EUR"),
        (float("inf"), "EUR", "en", "∞ EUR"),
        ("old text", "EUR", "en", "old text"),
        (None, "EUR", "en", "—"),
    ],
)
def test_an_amount_is_written_with_its_currency_in_the_readers_locale_and_never_raises(value, currency, locale, shown):
    assert readable_money(value, currency, locale) == shown


@pytest.fixture
def priced(db, make_evaluation, make_vendor):
    """An evaluation in GBP, with the buyer's regions and AI Act class set, and the contract's example vendor."""
    profile = {"currency": "GBP", "data_regions": ["eu_eea", "uk"], "ai_act_class": "transparency_only"}
    evaluation_id = make_evaluation(buyer_profile=profile)
    vendor = make_vendor("Example Ltd", evaluation_id, EXAMPLE["answers"], submit=False)
    return evaluation_id, vendor


def test_the_vendor_form_gives_the_currency_at_k_and_as_the_unit_of_each_amount(client, priced):
    _evaluation_id, vendor = priced
    page = text(client.get(f"/v/{vendor['token']}/s/K"))
    assert "Give every amount in this section in GBP (British Pound), excluding VAT." in page
    for qid in ("K2", "K3", "K4", "K6"):
        assert re.search(rf'id="{qid}"[^>]*>\s*<span class="unit">GBP</span>', page), qid
    # K8 is a number of minutes, not money: no currency beside it
    assert not re.search(r'id="K8"[^>]*>\s*<span class="unit">GBP', page)


def test_the_vendor_form_shows_the_buyers_regions_above_h6(client, priced):
    _evaluation_id, vendor = priced
    page = text(client.get(f"/v/{vendor['token']}/s/H"))
    note = re.search(r'<p class="note buyer-regions" id="H6-buyer-regions">(.*?)</p>', page, re.S)
    assert note and "EU / EEA, United Kingdom" in note.group(1)
    assert page.index("H6-buyer-regions") < page.index('id="q-H6"')


def test_without_regions_the_vendor_sees_no_region_note_and_eur_by_default(client, make_vendor):
    vendor = make_vendor("Example Ltd", answers=EXAMPLE["answers"])
    assert "buyer-regions" not in text(client.get(f"/v/{vendor['token']}/s/H"))
    assert "in EUR (Euro)" in text(client.get(f"/v/{vendor['token']}/s/K"))


def _vendor_pages(client, token) -> str:
    pages = [f"/v/{token}", f"/v/{token}/review", *(f"/v/{token}/s/{sid}" for sid in "ABCDEFGHIJK")]
    out = []
    for path in pages:
        body = text(client.get(path))
        out.append(re.sub(r'name="(page_id|csrf_token)" value="[^"]*"', "", body))
    return "\n".join(out)


def test_the_buyers_ai_act_class_is_never_shown_to_vendors(client, db, priced):
    evaluation_id, vendor = priced
    with_class = _vendor_pages(client, vendor["token"])
    evaluation = store.get_evaluation(db, evaluation_id)
    profile = {k: v for k, v in evaluation["buyer_profile"].items() if k != "ai_act_class"}
    store.update_evaluation(
        db, evaluation_id, "test", evaluation["title"], evaluation["deadline"], evaluation["weights"], profile
    )
    # the same pages, byte for byte, whether the buyer set a class or not
    assert _vendor_pages(client, vendor["token"]) == with_class
    assert "transparency duties (Art. 50)" not in with_class  # the buyer form's label of the class


def test_the_vendors_review_page_shows_amounts_with_the_currency(client, priced):
    _evaluation_id, vendor = priced
    page = text(client.get(f"/v/{vendor['token']}/review"))
    assert "£180,000.00" in page and "£42.50" in page and "£5,000,000.00" in page


def test_buyer_pages_show_amounts_in_the_readers_locale(client, make_user, login, priced):
    evaluation_id, vendor = priced
    login(make_user("viewer"))
    response_page = text(client.get(f"/evaluations/{evaluation_id}/vendors/{vendor['vendor_id']}"))
    assert "£180,000.00" in response_page and "£9,000.00" in response_page
    assert "£42.50" in text(client.get(f"/evaluations/{evaluation_id}/compare"))
    client.post("/language", data={"language": "de", "next": "/"})
    assert "180.000,00\xa0£" in text(client.get(f"/evaluations/{evaluation_id}/vendors/{vendor['vendor_id']}"))


def test_the_pdfs_answer_appendix_and_receipt_show_amounts_with_the_currency(db, priced, questionnaire):
    evaluation_id, vendor = priced
    evaluation = store.get_evaluation(db, evaluation_id)
    model = report.comparison_model(compare(db, evaluation, questionnaire, AS_OF), evaluation, questionnaire)
    appendix = html.unescape(report.comparison_html(model, questionnaire, "fr", "a4", "2026-11-21T08:00:00+00:00"))
    assert "180\u202f000,00\xa0£GB" in appendix
    receipt = html.unescape(
        report.receipt_html(store.get_vendor(db, vendor["vendor_id"]), evaluation, EXAMPLE["answers"], questionnaire)
    )
    assert "£180,000.00" in receipt


def test_the_receipts_cache_key_follows_the_currency(db, priced, questionnaire):
    evaluation_id, vendor = priced
    evaluation = store.get_evaluation(db, evaluation_id)
    row = store.get_vendor(db, vendor["vendor_id"])
    gbp = report.receipt_key(row, evaluation, EXAMPLE["answers"], questionnaire, "en", "a4")
    eur = report.receipt_key(row, evaluation | {"buyer_profile": {}}, EXAMPLE["answers"], questionnaire, "en", "a4")
    assert gbp != eur


def test_a_1_0_evaluation_shows_numbers_as_before(db, make_vendor, team):
    from stagefour.questionnaire import load_questionnaire

    old = load_questionnaire(FIXTURES / "questionnaires" / "ai-deployment-partner-1.0.0.yaml")
    assert not any(q.money for q in old.questions.values())
    evaluation_id = evaluations.start_evaluation(db, old, "Old", deadline=None, buyer_profile={}, team_id=team)
    assert store.get_evaluation(db, evaluation_id)["buyer_profile"] == {}
