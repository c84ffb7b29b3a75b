"""Response JSON: every question type accepted and refused, each error with its path."""

import json

import pytest

from stagefour.response import ResponseError
from stagefour.response import parse_response
from stagefour.response import read_response


def errors(q, answers, **top):
    data = {"questionnaire": "ai-deployment-partner", "vendor": "V", "answers": answers, **top}
    with pytest.raises(ResponseError) as info:
        parse_response(q, data)
    return info.value.errors


def ok(questionnaire, answers):
    return parse_response(questionnaire, {"questionnaire": "ai-deployment-partner", "answers": answers}).answers


def test_the_contract_example_is_valid(questionnaire):
    example = {
        "questionnaire": "ai-deployment-partner",
        "vendor": "Example Ltd",
        "answers": {
            "A1": "boutique",
            "A2": 2,
            "A4": True,
            "E3": ["timeouts", "circuit_breaker"],
            "B1": [
                {
                    "id": "d1",
                    "go_live": "2026-08-03",
                    "stage": 4,
                    "in_production": True,
                    "vendor_role": "built_operates",
                    "engineer_ids": ["e1"],
                    "downstream_teams": 3,
                    "daily_volume": 12000,
                    "reference_available": True,
                }
            ],
            "C1": [
                {
                    "id": "e1",
                    "name": "Dana Ruiz",
                    "class": "fde",
                    "months_embedded": 14,
                    "proposed": True,
                    "allocation_pct": 80,
                }
            ],
            "D1": [
                {
                    "id": "f1",
                    "deployment_id": "d1",
                    "category": "degraded_upstream",
                    "detected_by": "alert",
                    "automated_recovery": True,
                }
            ],
        },
    }
    response = parse_response(questionnaire, example)
    assert response.vendor == "Example Ltd"
    assert response.answers["B1"][0]["stage"] == 4


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"B1": [{"stage": 5}]}, "answers.B1[0].stage: expected an integer from 1 to 4, got 5"),
        ({"B1": [{"stage": 3.5}]}, "answers.B1[0].stage: expected an integer from 1 to 4, got 3.5"),
        ({"B1": [{"stage": "4"}]}, 'answers.B1[0].stage: expected an integer from 1 to 4, got "4"'),
        ({"B1": [{"stage": True}]}, "answers.B1[0].stage: expected an integer from 1 to 4, got true"),
        ({"B1": [{"industry": "mining"}]}, "answers.B1[0].industry: expected one of financial_services"),
        ({"B1": [{"go_live": "03/08/2026"}]}, 'answers.B1[0].go_live: expected a date as YYYY-MM-DD, got "03/08/2026"'),
        ({"B1": [{"go_live": "2026-02-30"}]}, "answers.B1[0].go_live: not a real date: 2026-02-30"),
        ({"B1": [{"colour": "red"}]}, "answers.B1[0].colour: unknown field"),
        ({"B1": [{"engineer_ids": "e1"}]}, "answers.B1[0].engineer_ids: expected a list of ids from C1"),
        ({"B1": ["d1"]}, "answers.B1[0]: expected an object, got text"),
        ({"B1": {"id": "d1"}}, "answers.B1: expected a list of rows, got an object"),
        ({"B1": [{}] * 201}, "answers.B1: too many rows: 201, at most 200"),
        ({"Z9": 1}, "answers.Z9: unknown question"),
        ({"B2": 3}, "answers.B2: computed from other answers; it cannot be answered"),
        (
            {"A1": "startup"},
            'answers.A1: expected one of lab_arm, lab_jv, consultancy, boutique, independent, got "startup"',
        ),
        ({"A1": ["boutique"]}, "answers.A1: expected one of lab_arm"),
        ({"A2": -1}, "answers.A2: expected an integer from 0 to 500, got -1"),
        ({"A2": 1e999}, "answers.A2: expected an integer from 0 to 500"),
        ({"A4": "yes"}, "answers.A4: expected true or false, got text"),
        ({"A4": 1}, "answers.A4: expected true or false, got a number"),
        ({"E3": "timeouts"}, "answers.E3: expected a list of timeouts"),
        ({"E3": ["timeouts", "prayer"]}, "answers.E3[1]: expected one of timeouts"),
        ({"E3": ["timeouts", "timeouts"]}, "answers.E3: an option is listed twice"),
        ({"C4": 42}, "answers.C4: expected text, got a number"),
        ({"C4": "x" * 10_001}, "answers.C4: too long: 10001 characters, at most 10000"),
        ({"C4": "nul\x00byte"}, "answers.C4: contains a NUL character"),
        ({"G4": "yesterday"}, 'answers.G4: expected a date as YYYY-MM-DD, got "yesterday"'),
        ({"B5": [{"path": "/etc/passwd"}]}, "answers.B5[0]: expected a file name or an object with a name"),
        ({"B5": [{"name": "a.pdf", "url": "http://evil"}]}, "answers.B5[0].url: unknown key"),
        ({"B5": [f"f{i}.pdf" for i in range(11)]}, "answers.B5: too many files: 11, at most 10"),
    ],
)
def test_bad_answers_are_reported_with_their_path(questionnaire, answers, expected):
    found = errors(questionnaire, answers)
    assert any(e.startswith(expected) for e in found), found


def test_every_error_is_reported_at_once(questionnaire):
    found = errors(questionnaire, {"A1": "x", "A2": "two", "B1": [{"stage": 9}, {"go_live": "soon"}], "Q": 1})
    assert len(found) == 5


@pytest.mark.parametrize(
    ("top", "expected"),
    [
        ({"questionnaire": "other"}, "questionnaire: expected \"ai-deployment-partner\", got 'other'"),
        ({"vendor": 7}, "vendor: expected a name of at most 200 characters"),
        ({"language": "xx"}, "language: expected one of en, de, fr"),
        ({"extra": 1}, "extra: unknown key"),
        ({"answers": []}, "answers: expected an object, got a list"),
    ],
)
def test_bad_top_level_keys(questionnaire, top, expected):
    found = errors(questionnaire, top.pop("answers", {}), **top)
    assert any(e.startswith(expected) for e in found), found


def test_null_and_missing_are_unanswered_but_empty_groups_are_answers(questionnaire):
    answers = ok(questionnaire, {"A1": None, "B1": [], "E3": [], "C4": "   ", "B5": []})
    assert answers == {"B1": [], "E3": []}


def test_values_are_kept_exactly_including_unicode(questionnaire):
    text = 'مرحبا — 👩🏽‍💻 e\u0301 <script>alert(1)</script> =HYPERLINK("x")'
    answers = ok(questionnaire, {"C4": text, "B1": [{"id": "d1", "customer_type": text}]})
    assert answers["C4"] == text
    assert answers["B1"][0]["customer_type"] == text


def test_integral_floats_become_integers_for_integer_questions(questionnaire):
    answers = ok(questionnaire, {"A2": 3.0, "B1": [{"stage": 4.0}]})
    assert answers["A2"] == 3 and isinstance(answers["A2"], int)
    assert isinstance(answers["B1"][0]["stage"], int)


def test_file_answers_accept_names_and_objects(questionnaire):
    answers = ok(questionnaire, {"B5": ["a.pdf", {"name": "b.pdf", "sha256": "00" * 32}]})
    assert answers["B5"] == [{"name": "a.pdf"}, {"name": "b.pdf", "sha256": "00" * 32}]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{not json", "(file): not valid JSON"),
        ('{"questionnaire": "ai-deployment-partner", "answers": {"A2": NaN}}', "(file): not valid JSON"),
        ("[1, 2]", "(top): expected an object, got a list"),
        ("[" * 100_000 + "]" * 100_000, "(file): not valid JSON"),
    ],
)
def test_read_response_refuses_bad_json(questionnaire, text, expected):
    with pytest.raises(ResponseError) as info:
        read_response(questionnaire, text)
    assert info.value.errors[0].startswith(expected)


def test_read_response_refuses_huge_files(questionnaire):
    big = json.dumps({"questionnaire": "ai-deployment-partner", "answers": {"C4": "x" * 6_000_000}})
    with pytest.raises(ResponseError) as info:
        read_response(questionnaire, big)
    assert "too large" in info.value.errors[0]


def test_example_responses_are_valid(questionnaire):
    from .conftest import RESPONSES

    for path in sorted(RESPONSES.glob("*.json")):
        response = read_response(questionnaire, path.read_text())
        assert response.vendor
