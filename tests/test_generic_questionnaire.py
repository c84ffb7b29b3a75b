"""A questionnaire without `checks:` has no profile: no word about stages, deployments or verification (issue 15).

Two generic questionnaires: a plain one (no verdict, no warnings) and one with the format's own `verdict:`
thresholds and answer `warnings:` (tests/fixtures/security-baseline.yaml).
"""

import io
import re
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from stagefour import evaluations
from stagefour import report
from stagefour import store
from stagefour.profiles import profile_for
from stagefour.questionnaire import load_questionnaire
from stagefour.response import Response
from stagefour.scoring import score_response

FIXTURES = Path(__file__).parent / "fixtures"
GENERIC = load_questionnaire(FIXTURES / "supplier-security.yaml")
BASELINE = load_questionnaire(FIXTURES / "security-baseline.yaml")
AS_OF = date(2026, 11, 30)
ANSWERS = {
    "Alpha Secure": {"A1": True, "A2": 1, "B1": "day", "B2": "We reviewed a phishing attempt in October."},
    "Beta Systems": {"A1": False, "A2": 14, "B1": "later"},
}
BASELINE_ANSWERS = {
    "Alpha Secure": {"GOV_01": True, "GOV_02": "yearly", "GOV_03": ["iso27001"], "ACC_01": "mfa_all", "ACC_02": 1},
    "Beta Systems": {"GOV_01": False, "GOV_02": "never", "ACC_01": "password", "ACC_02": 45, "ACC_03": "na"},
}
CASES = {"plain": (GENERIC, ANSWERS), "verdict-and-warnings": (BASELINE, BASELINE_ANSWERS)}
# What only the AI deployment partner profile talks about, in English and German.
AI_WORDS = {
    "en": ("stage", "deployment", "qualifying", "verification", "verified", "reference check", "track record", "pilot"),
    "de": ("stufe", "deployment", "qualifizier", "verifizier", "referenzprüfung", "nachweisprüfung", "pilot"),
}


def ai_words_in(text: str, lang: str) -> set[str]:
    """The AI-only words (lower case, whitespace folded) that `text` contains."""
    folded = re.sub(r"\s+", " ", text.lower()).replace("stagefour", "")  # the product's name is no stage
    # a German word starts with "Stufe" (stage); "Einstufung" is the verdict every questionnaire may have
    return {word for word in AI_WORDS[lang] if re.search(("\\b" if word == "stufe" else "") + re.escape(word), folded)}


def pdf_text(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def visible_text(html: bytes) -> str:
    """A page's text without its tags, scripts and attributes (class names are no words to the reader)."""
    page = re.sub(rb"(?s)<(script|style)\b.*?</\1>", b" ", html)
    return re.sub(r"<[^>]+>", " ", page.decode())


@pytest.fixture(params=sorted(CASES))
def generic(request, db, team, make_user, login):
    """An evaluation of a generic questionnaire with two answered vendors, its owner logged in."""
    questionnaire, answers_by_vendor = CASES[request.param]
    evaluation_id = evaluations.start_evaluation(db, questionnaire, "Supplier security 2026", team_id=team)
    vendors = {}
    for name, answers in answers_by_vendor.items():
        vendor_id, token = evaluations.invite(db, evaluation_id, name, None, "test")
        evaluations.import_response(db, vendor_id, Response(questionnaire.id, name, answers), "test", submit=True)
        vendors[name] = (vendor_id, token)
    login(make_user("owner"))
    return evaluation_id, vendors, questionnaire


def test_a_questionnaire_without_checks_or_verdict_has_no_profile_verdict_or_red_flags():
    result = score_response(GENERIC, ANSWERS["Beta Systems"], AS_OF)
    assert profile_for(GENERIC) is None
    assert result.verdict is None and result.red_flags == () and result.verified_share is None
    assert result.overall is not None


def test_without_a_profile_the_verdict_and_warnings_come_from_the_questionnaire_alone():
    good = score_response(BASELINE, BASELINE_ANSWERS["Alpha Secure"], AS_OF)
    poor = score_response(BASELINE, BASELINE_ANSWERS["Beta Systems"], AS_OF)
    assert profile_for(BASELINE) is None
    assert good.verdict.code == "meets" and good.red_flags == ()
    assert poor.verdict.code == "does_not_meet"
    assert [f.severity for f in poor.red_flags][:1] == ["high"] and poor.verified_share is None


@pytest.mark.parametrize("lang", ["en", "de"])
def test_generic_comparison_and_review_pages_say_nothing_of_stages_deployments_or_verification(client, generic, lang):
    evaluation_id, vendors, questionnaire = generic
    headers = {"Accept-Language": lang}
    compare = client.get(f"/evaluations/{evaluation_id}/compare", headers=headers)
    assert compare.status_code == 200
    text = visible_text(compare.data)
    assert "Alpha Secure" in text and "Beta Systems" in text
    assert ai_words_in(text, lang) == set()
    if questionnaire.verdict:  # the format's own verdict ranks first; a warning names its answer
        assert ("Meets the requirements" if lang == "en" else "Erfüllt die Anforderungen") in text
    else:
        assert ("Ranked by overall score" if lang == "en" else "Sortiert nach Gesamtpunktzahl") in text
        assert ("Verdict" if lang == "en" else "Einstufung") not in text
    for url in ("/", f"/evaluations/{evaluation_id}"):  # the dashboard and the evaluation's own page
        page = client.get(url, headers=headers)
        assert page.status_code == 200 and "Supplier security 2026" in page.data.decode(), url
        assert ai_words_in(visible_text(page.data), lang) == set(), url
    for vendor_id, token in vendors.values():
        review = client.get(f"/evaluations/{evaluation_id}/vendors/{vendor_id}", headers=headers)
        assert review.status_code == 200
        assert ai_words_in(visible_text(review.data), lang) == set()
        assert 'id="verification"' not in review.data.decode()
        first_section = questionnaire.sections[0].id
        for url in (f"/v/{token}", f"/v/{token}/s/{first_section}", f"/v/{token}/review"):
            vendor_page = client.get(url, headers=headers)
            assert vendor_page.status_code == 200, url
            assert ai_words_in(visible_text(vendor_page.data), lang) == set(), url


def test_generic_evaluation_refuses_a_verification_it_has_no_deployments_for(client, db, generic):
    evaluation_id, vendors, _ = generic
    vendor_id, _ = vendors["Alpha Secure"]
    before = store.audit_entries(db, evaluation_id)
    response = client.post(
        f"/evaluations/{evaluation_id}/vendors/{vendor_id}/verifications",
        data={"deployment_id": "d1", "reference_checked": "y"},
    )
    assert response.status_code == 404
    assert db.execute("SELECT COUNT(*) FROM verifications").fetchone()[0] == 0
    assert store.audit_entries(db, evaluation_id) == before


@pytest.mark.parametrize("lang", ["en", "de"])
def test_generic_comparison_pdf_summary_and_method_say_nothing_of_stages_deployments_or_verification(db, generic, lang):
    evaluation_id, _, questionnaire = generic
    rendered = report.make_comparison(db, store.get_evaluation(db, evaluation_id), questionnaire, AS_OF, lang=lang)
    text = pdf_text(rendered.pdf)
    assert "Alpha Secure" in text and "Beta Systems" in text
    assert ai_words_in(text, lang) == set()


def test_the_ai_evaluation_still_says_them(db, client, questionnaire, stage4_answers, team, make_user, login):
    evaluation_id = evaluations.start_evaluation(db, questionnaire, "Claims automation partner", team_id=team)
    vendor_id, _ = evaluations.invite(db, evaluation_id, "Deployer Ltd", None, "test")
    evaluations.import_response(db, vendor_id, Response(questionnaire.id, "Deployer Ltd", stage4_answers), "test")
    login(make_user("owner"))
    compare = visible_text(client.get(f"/evaluations/{evaluation_id}/compare").data)
    assert "Ranked by verdict first (stage 4 evidence above any stage 3)" in compare
    review = visible_text(client.get(f"/evaluations/{evaluation_id}/vendors/{vendor_id}").data)
    assert {"deployment", "reference check", "verified"} <= ai_words_in(review, "en")
    rendered = report.make_comparison(db, store.get_evaluation(db, evaluation_id), questionnaire, AS_OF)
    assert {"stage", "deployment", "verified", "reference check"} <= ai_words_in(pdf_text(rendered.pdf), "en")
