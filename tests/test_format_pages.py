"""The format of issue 15 in the pages: the vendor form, the review page and the comparison."""

import re
from pathlib import Path

import pytest

from stagefour import evaluations
from stagefour import store
from stagefour.questionnaire import load_questionnaire
from stagefour.response import Response

from .conftest import FIXTURES
from .test_vendor import field_error
from .test_vendor import save

ARTIFACTS = Path(__file__).parent / "artifacts"

QUESTIONNAIRE = load_questionnaire(FIXTURES / "security-baseline.yaml")
GOOD = {
    "GOV_01": True,
    "GOV_02": "yearly",
    "GOV_03": ["iso27001", "other"],
    "GOV_03.other": "CSA STAR level 2",
    "ACC_01": "password",
    "ACC_02": 45,
    "ACC_03": "na",
}


@pytest.fixture
def evaluation(db, team):
    return evaluations.start_evaluation(
        db, QUESTIONNAIRE, title="Hosting supplier", deadline=None, buyer_profile={}, team_id=team
    )


def invite(db, evaluation_id, name="Vendor A", answers=None):
    vendor_id, token = evaluations.invite(db, evaluation_id, name, None, "test")
    if answers is not None:
        evaluations.import_response(db, vendor_id, Response("security-baseline", name, answers), "test", submit=True)
    vendor = store.get_vendor(db, vendor_id)
    return {"vendor_id": vendor_id, "response_id": vendor["response_id"], "token": token}


def test_the_vendor_form_shows_numbers_headings_notes_markdown_and_specify_boxes(client, db, evaluation):
    v = invite(db, evaluation)
    html = client.get(f"/v/{v['token']}/s/GOV").get_data(as_text=True)
    assert '<span class="sid">1</span> Governance' in html
    assert '<span class="qid">1.1</span>' in html and '<span class="qid">GOV_01</span>' not in html
    order = [html.index(s) for s in ('<h2 class="subheading">Policies', "1.1</span>", "1.2</span>", 'class="note"')]
    assert order == sorted(order)
    assert "<em>current</em>" in html  # the note's Markdown
    assert '<a href="https://example.com/policy" rel="noopener noreferrer">security policy</a>' in html
    assert 'name="GOV_03.other"' in html  # shown without script, next to its option
    assert "specify.js" in html


def test_a_chosen_other_needs_its_text_and_is_saved_beside_the_answer(client, db, evaluation):
    v = invite(db, evaluation)
    response = save(client, v, "ACC", {"ACC_01": "other", "ACC_02": "3", "action": "save"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Please specify" in field_error(html, "ACC_01")
    stored = store.load_answers(db, v["response_id"])
    assert stored == {"ACC_02": 3}  # the rest is saved; the answer without its text is not
    response = save(
        client, v, "ACC", {"ACC_01": "other", "ACC_01.other": " Smart cards ", "ACC_02": "3", "action": "save"}
    )
    assert response.status_code == 302
    assert store.load_answers(db, v["response_id"]) == {"ACC_01": "other", "ACC_01.other": "Smart cards", "ACC_02": 3}
    html = client.get(f"/v/{v['token']}/s/ACC").get_data(as_text=True)
    assert re.search(r'name="ACC_01.other" value="Smart cards"', html)
    # another option: the text is cleared with it
    assert (
        save(
            client, v, "ACC", {"ACC_01": "mfa_all", "ACC_01.other": "Smart cards", "ACC_02": "3", "action": "save"}
        ).status_code
        == 302
    )
    assert store.load_answers(db, v["response_id"]) == {"ACC_01": "mfa_all", "ACC_02": 3}


def test_a_specify_text_over_the_limit_is_refused_and_nothing_is_saved_for_that_question(client, db, evaluation):
    v = invite(db, evaluation)
    response = save(client, v, "ACC", {"ACC_01": "other", "ACC_01.other": "x" * 501, "action": "save"})
    assert response.status_code == 422
    assert store.load_answers(db, v["response_id"]) == {}


def test_a_not_applicable_answer_completes_the_item(client, db, evaluation):
    v = invite(db, evaluation)
    assert save(client, v, "ACC", {"ACC_03": "na", "action": "save"}).status_code == 302
    assert store.load_answers(db, v["response_id"]) == {"ACC_03": "na"}


def test_review_page_shows_numbers_warnings_verdict_and_specify_text(client, db, evaluation, login, make_user):
    v = invite(db, evaluation, answers=GOOD)
    login(make_user())
    html = client.get(f"/evaluations/{evaluation}/vendors/{v['vendor_id']}").get_data(as_text=True)
    assert '<span class="verdict tier-0">Does not meet the requirements</span>' in html
    assert "Staff sign in with a password alone." in html
    assert '<a href="#a-ACC_01">2.1</a>' in html  # the flag names the answer by its display number
    assert "Leavers keep access for more than 30 days." in html
    assert "CSA STAR level 2" in html
    assert '<span class="qid">1.1</span>' in html
    assert html.count("Does not meet the requirements") == 1  # the badge says it all
    assert "deployments" not in html  # the AI questionnaire's verification part is not shown


def test_comparison_page_shows_the_generic_verdict_and_warnings(client, db, evaluation, login, make_user):
    invite(db, evaluation, "Vendor A", answers=GOOD)
    invite(db, evaluation, "Vendor B", answers={**GOOD, "ACC_01": "mfa_all", "ACC_02": 1})
    login(make_user())
    html = client.get(f"/evaluations/{evaluation}/compare").get_data(as_text=True)
    assert '<span class="verdict tier-5">Meets the requirements</span>' in html
    assert '<span class="verdict tier-0">Does not meet the requirements</span>' in html
    assert "meets, then meets with conditions" in html
    assert "stage 4" not in html
    assert "CSA STAR level 2" in html
    assert "Staff sign in with a password alone." in html


def test_the_comparison_pdf_shows_numbers_headings_notes_warnings_the_verdict_and_specify_texts(db, evaluation):
    from stagefour import report
    from tests.conftest import AS_OF
    from tests.test_report import flat
    from tests.test_report import pages_text

    invite(db, evaluation, "Vendor A", answers=GOOD)
    invite(db, evaluation, "Vendor B", answers={**GOOD, "ACC_01": "mfa_all", "ACC_02": 1})
    rendered = report.make_comparison(db, store.get_evaluation(db, evaluation), QUESTIONNAIRE, AS_OF)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "security-baseline-comparison.pdf").write_bytes(rendered.pdf)  # to look at (git-ignored)
    text = flat(" ".join(pages_text(rendered.pdf)))
    for words in (
        "Meets the requirements",
        "Does not meet the requirements",
        "Staff sign in with a password alone.",
        "Leavers keep access for more than 30 days.",
        "Policies",  # the heading
        "Certifications count only when current.",  # the note, its Markdown emphasis rendered
        "CSA STAR level 2",
        "1.1 Do you have a written information security policy",
        "overall score at least 70",
        "“N/A — we do not process card data” makes the question not applicable.",
    ):
        assert flat(words) in text, words
    assert "GOV_01" not in text
    assert "*current*" not in text


def test_an_autosave_waits_for_the_specify_text_without_an_error(client, db, evaluation):
    v = invite(db, evaluation)
    url = f"/v/{v['token']}/s/ACC/autosave"
    data = {"ACC_01": "other", "ACC_02": "3", "changed": "ACC_01,ACC_02", "base_versions": "{}"}
    response = client.post(url, data=data)
    assert response.status_code == 200, response.json
    assert response.json["saved"] == ["ACC_02"]
    assert store.load_answers(db, v["response_id"]) == {"ACC_02": 3}
    response = client.post(url, data={**data, "ACC_01.other": "Smart cards", "changed": "ACC_01"})
    assert sorted(response.json["saved"]) == ["ACC_01", "ACC_01.other"]
    assert store.load_answers(db, v["response_id"]) == {"ACC_01": "other", "ACC_01.other": "Smart cards", "ACC_02": 3}


def test_hostile_markdown_in_a_questionnaire_is_shown_harmless_in_the_form_and_the_pdf(client, db, team):
    import yaml

    from stagefour import report
    from stagefour.questionnaire import parse_questionnaire
    from tests.conftest import AS_OF

    data = yaml.safe_load((FIXTURES / "security-baseline.yaml").read_text(encoding="utf-8"))
    hostile = (
        "<script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)> ![i](https://e.example/i.png)"
    )
    data["sections"][0]["help"] = hostile
    data["sections"][0]["questions"][1]["prompt"] = f"Policy? {hostile}"
    data["sections"][0]["questions"][3]["text"] = hostile + "\n\n" + "*long* " * 5000
    questionnaire = parse_questionnaire(data)
    evaluation = evaluations.start_evaluation(db, questionnaire, "Hostile", team_id=team)
    v = invite(db, evaluation, answers=GOOD)
    invite(db, evaluation, "Vendor B")
    html = client.get(f"/v/{v['token']}/s/GOV").get_data(as_text=True)
    evaluation_row = store.get_evaluation(db, evaluation)
    comparison = evaluations.compare(db, evaluation_row, questionnaire, AS_OF)
    pdf_html = report.comparison_html(report.comparison_model(comparison, evaluation_row, questionnaire), questionnaire)
    for page in (html, pdf_html):
        assert (
            "<script>alert" not in page
            and "<img" not in page
            and "javascript:" not in page.replace("[x](javascript:alert(2))", "")
        )
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
