"""The format grows (issue 15): not-applicable answers, "please specify", display numbers,
headings and notes, the safe Markdown subset, answer warnings and the generic verdict."""

import copy
import json
import re
from datetime import date

import pytest
import yaml

from stagefour import richtext
from stagefour.questionnaire import QuestionnaireError
from stagefour.questionnaire import load_questionnaire
from stagefour.questionnaire import parse_questionnaire
from stagefour.response import ResponseError
from stagefour.response import read_response
from stagefour.response import validate_answers
from stagefour.scoring import completeness
from stagefour.scoring import score_response

from .conftest import FIXTURES

AS_OF = date(2026, 11, 30)
FILE = FIXTURES / "security-baseline.yaml"
GOOD = {
    "GOV_01": True,
    "GOV_02": "yearly",
    "GOV_03": ["iso27001", "other"],
    "GOV_03.other": "CSA STAR level 2",
    "ACC_01": "mfa_all",
    "ACC_02": 1,
    "ACC_03": "segmented",
}


@pytest.fixture(scope="module")
def baseline():
    return load_questionnaire(FILE)


def raw() -> dict:
    return yaml.safe_load(FILE.read_text(encoding="utf-8"))


def errors_for(mutate) -> list[str]:
    data = copy.deepcopy(raw())
    mutate(data)
    with pytest.raises(QuestionnaireError) as info:
        parse_questionnaire(data)
    return info.value.errors


def item(data, section, index) -> dict:
    return data["sections"][section]["questions"][index]


def score(questionnaire, **changes):
    return score_response(questionnaire, {**GOOD, **changes}, AS_OF)


# --- 1. not applicable as an answer ---


def test_a_not_applicable_answer_leaves_the_section_denominator_instead_of_scoring_zero(baseline):
    # ACC: ACC_01 5/5, ACC_02 5/5 (1 day), ACC_03 segmented 5/5 → 100; "flat" 0/5 → 66.7
    assert score(baseline).to_dict()["sections"]["ACC"] == 100.0
    assert score(baseline, ACC_03="flat").to_dict()["sections"]["ACC"] == 66.7
    assert score(baseline, ACC_01="mfa_admin", ACC_03="flat").to_dict()["sections"]["ACC"] == 53.3
    # N/A: only ACC_01 and ACC_02 count — (3 + 5) / 10 = 80, where 0 points would give 53.3
    result = score(baseline, ACC_01="mfa_admin", ACC_03="na").to_dict()
    assert result["sections"]["ACC"] == 80.0
    assert result["items"]["ACC_03"]["status"] == "not_applicable"
    assert result["items"]["ACC_03"]["points"] is None
    assert "N/A — we do not process card data" in result["items"]["ACC_03"]["why"]


def test_a_not_applicable_answer_counts_as_answered_for_completeness(baseline):
    data = raw()
    item(data, 1, 2)["required"] = True
    questionnaire = parse_questionnaire(data)
    assert completeness(questionnaire, {**GOOD, "ACC_03": "na"}).percent == 100.0
    without = {k: v for k, v in GOOD.items() if k != "ACC_03"}
    assert completeness(questionnaire, without).missing == ("ACC_03",)


def test_loader_refuses_not_applicable_on_a_multi_option_and_points_for_it():
    def multi(data):
        item(data, 0, 4)["options"][0]["not_applicable"] = True

    assert any("sections[0].questions[4].options: only a single-choice" in e for e in errors_for(multi))

    def points(data):
        item(data, 1, 2)["scoring"]["points"]["na"] = 2

    assert "sections[1].questions[2].scoring.points.na: a not_applicable option earns no points" in errors_for(points)

    def not_bool(data):
        item(data, 1, 2)["options"][2]["not_applicable"] = "yes"

    assert "sections[1].questions[2].options[2].not_applicable: expected true or false" in errors_for(not_bool)


# --- 2. other — please specify ---


def test_a_specify_text_is_stored_beside_the_answer_and_round_trips_through_response_json(baseline):
    text = json.dumps({"questionnaire": "security-baseline", "vendor": "Acme", "answers": GOOD})
    response = read_response(baseline, text)
    assert response.answers["GOV_03"] == ["iso27001", "other"]
    assert response.answers["GOV_03.other"] == "CSA STAR level 2"
    again = read_response(baseline, json.dumps({"questionnaire": "security-baseline", "answers": response.answers}))
    assert again.answers == response.answers


def test_a_chosen_specify_option_needs_its_text_and_an_unchosen_one_takes_none(baseline):
    errors: list[str] = []
    validate_answers(baseline, {"ACC_01": "other"}, errors)
    assert errors == ["answers.ACC_01.other: required: say what 'other' is"]
    errors = []
    validate_answers(baseline, {"ACC_01": "other", "ACC_01.other": "   "}, errors)
    assert errors == ["answers.ACC_01.other: required: say what 'other' is"]
    errors = []
    clean = validate_answers(baseline, {"ACC_01": "mfa_all", "ACC_01.other": "Smart cards"}, errors)
    assert errors == ["answers.ACC_01.other: only given when ACC_01 is answered 'other'"]
    assert "ACC_01.other" not in clean
    errors = []
    validate_answers(baseline, {"ACC_01": "other", "ACC_01.other": "x" * 501}, errors)
    assert errors == ["answers.ACC_01.other: expected at most 500 characters of text"]
    errors = []
    validate_answers(baseline, {"ACC_01": "other", "ACC_01.other": 7}, errors)
    assert errors == ["answers.ACC_01.other: expected text, got a number"]


def test_a_specify_key_of_an_option_without_specify_is_an_unknown_question(baseline):
    with pytest.raises(ResponseError) as info:
        read_response(baseline, json.dumps({"questionnaire": "security-baseline", "answers": {"ACC_01.mfa_all": "x"}}))
    assert info.value.errors == ["answers.ACC_01.mfa_all: unknown question"]


def test_a_specify_text_changes_no_score(baseline):
    assert score(baseline).to_dict() == score(baseline, **{"GOV_03.other": "something else"}).to_dict()


# --- 3. display numbers ---


def test_display_numbers_are_kept_apart_from_the_ids(baseline):
    assert baseline.question("GOV_01").number == "1.1"
    assert baseline.question("GOV_01").shown_number == "1.1"
    assert baseline.sections[1].shown_number == "2"
    data = raw()
    del item(data, 0, 1)["number"]
    assert parse_questionnaire(data).question("GOV_01").shown_number == "GOV_01"


def test_loader_refuses_a_duplicate_or_unquoted_display_number():
    def duplicate(data):
        item(data, 1, 0)["number"] = "1.2"

    assert 'sections[1].questions[0].number: duplicate number "1.2" (first at sections[0].questions[2].number)' in (
        errors_for(duplicate)
    )

    def same_as_section(data):
        item(data, 0, 1)["number"] = "2"

    assert 'sections[1].number: duplicate number "2" (first at sections[0].questions[1].number)' in errors_for(
        same_as_section
    )

    def unquoted(data):
        item(data, 0, 1)["number"] = 2.1

    assert errors_for(unquoted) == [
        'sections[0].questions[1].number: expected a quoted string such as "2.1.1", got a number 2.1'
    ]

    def spaces(data):
        item(data, 0, 1)["number"] = "1 1"

    assert errors_for(spaces)[0].startswith("sections[0].questions[1].number: expected up to 24 letters")


# --- 4. headings and notes ---


def test_headings_and_notes_keep_their_place_and_are_never_questions(baseline):
    section = baseline.sections[0]
    assert [getattr(i, "id", i.type) for i in section.items] == ["heading", "GOV_01", "GOV_02", "note", "GOV_03"]
    assert [q.id for q in section.questions] == ["GOV_01", "GOV_02", "GOV_03"]
    result = score(baseline).to_dict()
    assert set(result["items"]) == {"GOV_01", "GOV_02", "GOV_03", "ACC_01", "ACC_02", "ACC_03"}


def test_loader_reports_a_bad_heading_with_its_place_in_the_list():
    def bad(data):
        item(data, 0, 0)["id"] = "H1"
        del item(data, 0, 3)["text"]

    assert errors_for(bad) == ["sections[0].questions[0].id: unknown key", "sections[0].questions[3].text: required"]

    def only_headings(data):
        data["sections"][1]["questions"] = [{"type": "heading", "text": "Alone"}]

    assert "sections[1].questions: needs at least one question besides headings and notes" in errors_for(only_headings)


# --- 5. the safe Markdown subset ---


def test_markdown_renders_paragraphs_lists_emphasis_and_links():
    html = str(richtext.markdown("Use *MFA*, **always**.\n\n- one\n- two\n\n[Guide](https://example.com/g)"))
    assert "<p>Use <em>MFA</em>, <strong>always</strong>.</p>" in html
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in html
    assert '<a href="https://example.com/g" rel="noopener noreferrer">Guide</a>' in html
    assert str(richtext.markdown("[mail](mailto:sec@example.com)", inline=True)) == (
        '<a href="mailto:sec@example.com" rel="noopener noreferrer">mail</a>'
    )
    assert str(richtext.markdown("- a", inline=True)) == "- a"  # a label never holds a list


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "<img src=x onerror=alert(1)>",
        "![logo](https://evil.example/x.png)",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        '<iframe src="https://evil.example"></iframe>',
        "[x](vbscript:msgbox)",
    ],
)
def test_markdown_lets_no_script_raw_html_or_image_through(hostile):
    for inline in (False, True):
        html = str(richtext.markdown(hostile, inline=inline))
        assert "<script" not in html and "<img" not in html and "<iframe" not in html
        assert all(href.startswith(("http:", "https:", "mailto:")) for href in re.findall(r'<a href="([^"]*)"', html))
        assert set(re.findall(r"<(\w+)", html)) <= {"p", "a"}


def test_markdown_of_huge_input_is_bounded():
    html = str(richtext.markdown("*a* " * 100_000))
    assert len(html) < 200_000
    assert str(richtext.markdown("")) == "" and str(richtext.markdown(None)) == ""


# --- 6. warnings raised by answers ---


def test_warnings_are_raised_by_the_answers_that_meet_them(baseline):
    assert score(baseline).to_dict()["red_flags"] == []
    flags = score(baseline, GOV_01=False, ACC_02=45, GOV_02="never").to_dict()["red_flags"]
    assert [(f["code"], f["severity"], f["message"], f["answers"]) for f in flags] == [
        ("1.1/1", "high", "No approved security policy.", ["GOV_01"]),
        ("1.2/1", "medium", "The policy is never reviewed on a schedule.", ["GOV_02"]),
        ("2.2/1", "medium", "Leavers keep access for more than 30 days.", ["ACC_02"]),
    ]
    assert score(baseline, ACC_02=30).to_dict()["red_flags"] == []  # above: 30 is exclusive


def test_a_warning_message_is_shown_in_the_readers_language(baseline):
    from stagefour.report import translations

    flag = score(baseline, GOV_01=False).red_flags[0]
    assert flag.message.render(translations("de"), "de") == "Keine genehmigte Sicherheitsrichtlinie."
    assert flag.message.render(translations("fr"), "fr") == "No approved security policy."  # falls back to English


def test_loader_checks_warnings():
    def bad(data):
        item(data, 0, 1)["warnings"] = [
            {"when": {"equals": "maybe"}, "severity": "critical", "message": "x"},
            {"when": {"question": "GOV_02", "equals": True}, "severity": "low", "message": "x"},
            {"when": "no", "severity": "low"},
        ]

    assert errors_for(bad) == [
        'sections[0].questions[1].warnings[0].severity: unknown option "critical" (known: high, medium, low)',
        "sections[0].questions[1].warnings[1].when.question: a warning tests its own question's answer: leave it out",
        "sections[0].questions[1].warnings[2].message: required",
        "sections[0].questions[1].warnings[2].when: expected a condition such as {equals: no}, got a string",
        "sections[0].questions[1].warnings[0].when: \"GOV_01\" is yes/no: expected true or false, got 'maybe'",
    ]


# --- 7. the generic verdict ---


def test_generic_verdict_levels(baseline):
    assert score(baseline).verdict.code == "meets"
    # one high warning: not "meets", still within "with conditions" (overall ≥ 50, at most 1 high)
    assert score(baseline, ACC_01="password").verdict.code == "meets_with_conditions"
    assert score(baseline, ACC_01="password", GOV_01=False).verdict.code == "does_not_meet"
    low = score(baseline, ACC_01="mfa_admin", ACC_02=5, ACC_03="flat")  # ACC = 40: under its 60; overall 60
    assert low.verdict.code == "meets_with_conditions"
    assert str(low.verdict.label) == "Meets the requirements with conditions"


def test_a_questionnaire_without_verdict_or_checks_has_none(baseline):
    data = raw()
    del data["verdict"]
    assert score(parse_questionnaire(data)).verdict is None


def test_loader_checks_the_verdict():
    def with_checks(data):
        data["checks"] = "ai-deployment-partner"

    assert 'verdict: a questionnaire with checks "ai-deployment-partner" has its verdict from them: remove one' in (
        errors_for(with_checks)
    )

    def bad(data):
        data["verdict"]["meets"] = {"overall": 170, "sections": {"NOPE": 5}, "warnings": {"high": -1}}
        data["verdict"]["fails"] = {}

    assert errors_for(bad) == [
        "verdict.fails: unknown key",
        "verdict.meets.overall: expected a score from 0 to 100, got 170",
        "verdict.meets.sections.NOPE: unknown key",
        "verdict.meets.warnings.high: expected an integer ≥ 0, got -1",
    ]


def test_exports_keep_the_specify_text_beside_its_answer(baseline):
    from types import SimpleNamespace

    from stagefour import export

    review = SimpleNamespace(vendor={"name": "Acme", "language": "de"}, answers=dict(reversed(list(GOOD.items()))))
    data = export.response_json(baseline, review)
    keys = list(data["answers"])
    assert keys.index("GOV_03.other") == keys.index("GOV_03") + 1
    assert read_response(baseline, json.dumps(data)).answers == GOOD
    question = baseline.question("GOV_03")
    assert (
        export.describe(question, GOOD["GOV_03"], "en", GOOD)
        == "ISO/IEC 27001; Other — please specify: CSA STAR level 2"
    )
    assert export.describe(question, GOOD["GOV_03"], "en") == "ISO/IEC 27001; Other — please specify"
