"""The questionnaire loader: the model it builds and every error it reports, with paths."""

import copy

import pytest

from stagefour.questionnaire import QuestionnaireError
from stagefour.questionnaire import answer_reference
from stagefour.questionnaire import load_questionnaire
from stagefour.questionnaire import localize
from stagefour.questionnaire import parse_questionnaire
from stagefour.questionnaire import parse_yaml

from .conftest import FIXTURES

BASE = {
    "id": "mini",
    "version": "1",
    "title": {"en": "Mini", "de": "Mini DE"},
    "languages": ["en", "de", "fr"],
    "sections": [
        {
            "id": "A",
            "title": "A",
            "weight": 1,
            "questions": [
                {"id": "Q1", "type": "yes_no", "prompt": "Q1?", "scoring": {"kind": "points", "points": {"yes": 5}}},
                {
                    "id": "Q2",
                    "type": "single",
                    "prompt": "Q2",
                    "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}],
                },
                {"id": "Q3", "type": "number", "prompt": "Q3", "min": 0, "max": 10},
            ],
        }
    ],
}


def errors_for(mutate) -> list[str]:
    data = copy.deepcopy(BASE)
    mutate(data)
    with pytest.raises(QuestionnaireError) as info:
        parse_questionnaire(data)
    return info.value.errors


def q(data, index):
    return data["sections"][0]["questions"][index]


def test_fixture_with_every_type_loads():
    questionnaire = load_questionnaire(FIXTURES / "every-type.yaml")
    types = {question.type for section in questionnaire.sections for question in section.questions}
    assert types == {
        "text",
        "long_text",
        "yes_no",
        "single",
        "multi",
        "number",
        "date",
        "url",
        "email",
        "file",
        "group",
        "computed",
    }
    kinds = {question.scoring.kind for section in questionnaire.sections for question in section.questions}
    assert kinds == {"none", "manual", "points", "per_option", "share", "bands", "age", "metric"}
    rows = questionnaire.question("rows")
    assert [f.type for f in rows.fields] == ["text", "number", "id_list"]
    assert rows.max_rows == 3
    assert questionnaire.question("days").unit["de"] == "Tage"


def test_translation_falls_back_to_english():
    questionnaire = load_questionnaire(FIXTURES / "every-type.yaml")
    colour = questionnaire.question("colour")
    assert colour.option_label("red", "fr") == "Rouge"
    assert colour.option_label("blue", "de") == "Blue"
    assert localize(questionnaire.title, "de") == "Jeder Typ"
    assert localize(questionnaire.title, "fr") == "Every type"
    assert localize(questionnaire.sections[0].title, "de") == "Basics"
    assert localize(questionnaire.sections[0].title, "fr") == "Bases"


def test_hash_ignores_layout_but_not_content():
    text = (FIXTURES / "every-type.yaml").read_text()
    a = parse_questionnaire(parse_yaml(text))
    b = parse_questionnaire(parse_yaml("# a comment\n" + text.replace("max_rows: 3", "max_rows:    3")))
    c = parse_questionnaire(parse_yaml(text.replace("max_rows: 3", "max_rows: 4")))
    assert a.hash == b.hash
    assert a.hash != c.hash
    assert len(a.hash) == 64


def test_valid_base_loads():
    questionnaire = parse_questionnaire(copy.deepcopy(BASE))
    assert [q.id for q in questionnaire.sections[0].questions] == ["Q1", "Q2", "Q3"]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: q(d, 1).update(id="Q1"), 'sections[0].questions[1].id: duplicate question id "Q1"'),
        (
            lambda d: d["sections"].append(
                dict(d["sections"][0], questions=[{"id": "Z", "type": "text", "prompt": "Z"}])
            ),
            'sections[1].id: duplicate section id "A"',
        ),
        (lambda d: q(d, 0).update(type="slider"), 'sections[0].questions[0].type: unknown type "slider"'),
        (lambda d: q(d, 0).update(scoring="maybe"), 'sections[0].questions[0].scoring: unknown option "maybe"'),
        (
            lambda d: q(d, 0).update(scoring={"kind": "points", "points": {"maybe": 5}}),
            'sections[0].questions[0].scoring.points.maybe: unknown option "maybe"',
        ),
        (
            lambda d: q(d, 1).update(scoring={"kind": "points", "points": {"c": 5}}),
            'sections[0].questions[1].scoring.points.c: unknown option "c"',
        ),
        (lambda d: d["sections"][0].update(weight=0), "sections[0].weight: must be positive, got 0"),
        (lambda d: d["sections"][0].update(weight=-3), "sections[0].weight: must be positive, got -3"),
        (lambda d: d["sections"][0].update(weight="heavy"), "sections[0].weight: expected a number, got a string"),
        (
            lambda d: q(d, 2).update(visible_if={"question": "Q9", "equals": True}),
            'sections[0].questions[2].visible_if.question: unknown question "Q9"',
        ),
        (
            lambda d: q(d, 2).update(visible_if={"question": "Q2", "equals": "c"}),
            'sections[0].questions[2].visible_if: unknown option "c" of "Q2"',
        ),
        (
            lambda d: q(d, 2).update(visible_if={"question": "Q1", "equals": "yes"}),
            "sections[0].questions[2].visible_if: \"Q1\" is yes/no: expected true or false, got 'yes'",
        ),
        (
            lambda d: q(d, 2).update(visible_if={"question": "Q3", "equals": 1}),
            "sections[0].questions[2].visible_if.question: a question cannot depend on itself",
        ),
        (lambda d: q(d, 0).update(colour="red"), "sections[0].questions[0].colour: unknown key"),
        (lambda d: q(d, 0).pop("prompt"), "sections[0].questions[0].prompt: required"),
        (
            lambda d: q(d, 1).update(options=[]),
            "sections[0].questions[1].options: expected a non-empty list of options",
        ),
        (
            lambda d: q(d, 1)["options"].append({"value": "a", "label": "again"}),
            'sections[0].questions[1].options[2].value: duplicate option "a"',
        ),
        (lambda d: q(d, 2).update(min=5, max=1), "sections[0].questions[2].max: max 1 is below min 5"),
        (lambda d: q(d, 0).update(max_length=10), "sections[0].questions[0].max_length: only text questions"),
        (
            lambda d: q(d, 2).update(scoring={"kind": "metric", "metric": "vibes", "scale": 5}),
            'sections[0].questions[2].scoring.metric: unknown metric "vibes"',
        ),
        (
            lambda d: q(d, 2).update(scoring={"kind": "bands", "bands": [{"min": 1, "points": 9}]}),
            "sections[0].questions[2].scoring.bands[0].points: expected points from 0 to 5, got 9",
        ),
        (
            lambda d: q(d, 2).update(scoring={"kind": "bands", "bands": [{"points": 1}]}),
            "sections[0].questions[2].scoring.bands[0]: a band needs at least one of min, max, above, below",
        ),
        (
            lambda d: q(d, 0).update(scoring={"kind": "bands", "bands": [{"min": 1, "points": 1}]}),
            'sections[0].questions[0].scoring.kind: "bands" does not apply to a yes_no question',
        ),
        (
            lambda d: q(d, 2).update(
                scoring={
                    "kind": "bands",
                    "bands": [{"min": 1, "points": 1}],
                    "bonus": [{"question": "nope", "min": 1, "points": 1}],
                }
            ),
            'sections[0].questions[2].scoring.bonus[0].question: unknown question "nope"',
        ),
        (
            lambda d: q(d, 2).update(type="computed", scoring="none"),
            "sections[0].questions[2].scoring: a computed item needs a metric rule",
        ),
        (
            lambda d: q(d, 2).update(type="group", fields=[{"id": "x", "type": "group", "prompt": "x"}], min=None),
            'sections[0].questions[2].fields[0].type: unknown type "group"',
        ),
        (
            lambda d: q(d, 2).update(
                type="group", fields=[{"id": "x", "type": "id_list", "prompt": "x", "refers_to": "Q1"}]
            ),
            'sections[0].questions[2].fields[0].refers_to: "Q1" is not a group question',
        ),
        (lambda d: d.update(title={"de": "nur Deutsch"}), "title.en: required (the English text)"),
        (lambda d: d.update(title={"en": "x", "xx": "y"}), 'title.xx: unknown language "xx"'),
        (lambda d: d.update(languages=["de", "fr"]), 'languages: must include "en"'),
        (lambda d: d.update(checks="astrology"), 'checks: unknown option "astrology"'),
        (lambda d: d.pop("sections"), "sections: required"),
        (lambda d: d.update(sections=[]), "sections: expected a non-empty list of sections"),
        (lambda d: d.update(id="Not A Slug"), "id: expected a slug"),
        (lambda d: q(d, 0).update(row_label="row"), "sections[0].questions[0].row_label: only group questions"),
        (lambda d: d["sections"][0].update(vendor_help=5), "sections[0].vendor_help: expected a string"),
    ],
)
def test_loader_reports_each_error_with_its_path(mutate, expected):
    errors = errors_for(mutate)
    assert any(e.startswith(expected) for e in errors), errors


def test_loader_reports_every_error_at_once():
    def many(d):
        q(d, 0).update(type="slider")
        q(d, 1).update(id="Q3")
        d["sections"][0].update(weight=0)
        d.update(checks="astrology")

    errors = errors_for(many)
    assert len(errors) >= 4
    joined = "\n".join(errors)
    for part in ("questions[0].type", 'duplicate question id "Q3"', "weight: must be positive", "checks:"):
        assert part in joined


def test_bad_yaml_names_its_line():
    with pytest.raises(QuestionnaireError) as info:
        parse_yaml("id: x\nsections:\n  - id: A\n    title: [unclosed\n")
    assert info.value.errors[0].startswith("line ")


def test_duplicate_yaml_key_is_an_error_with_its_line():
    with pytest.raises(QuestionnaireError) as info:
        parse_yaml("id: x\nversion: 1\nid: y\n")
    assert "line 3" in info.value.errors[0]
    assert "duplicate key 'id'" in info.value.errors[0]


def test_yaml_tags_that_build_objects_are_refused():
    with pytest.raises(QuestionnaireError) as info:
        parse_yaml("id: !!python/object/apply:os.system ['echo pwned']\n")
    assert "line 1" in info.value.errors[0]


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire(tmp_path / "absent.yaml")
    assert "cannot read file" in info.value.errors[0]


def test_top_level_not_a_mapping():
    with pytest.raises(QuestionnaireError) as info:
        parse_questionnaire(["a", "list"])
    assert info.value.errors[0] == "(top): expected a mapping, got a list"


# --- pick lists: `choices_from` (issue 12) ---

ROSTER = {
    "id": "R1",
    "type": "group",
    "prompt": "Roster",
    "fields": [
        {"id": "id", "type": "text", "prompt": "Id"},
        {"id": "name", "type": "text", "prompt": "Name"},
        {"id": "months", "type": "number", "prompt": "Months"},
    ],
}


def with_picker(**field) -> dict:
    """BASE plus a roster group R1 and a group P1 whose field `who` is `field`."""
    data = copy.deepcopy(BASE)
    picker = {"id": "P1", "type": "group", "prompt": "Projects", "fields": [{"id": "who", "prompt": "Who", **field}]}
    data["sections"][0]["questions"] += [copy.deepcopy(ROSTER), picker]
    return data


def test_choices_from_loads_on_text_and_id_list_fields():
    ids = parse_questionnaire(with_picker(type="id_list", refers_to="R1", choices_from="R1.id", choice_label="name"))
    one = parse_questionnaire(with_picker(type="text", choices_from="R1.id"))
    field = ids.question("P1").field_by_id("who")
    assert (field.choices_from, field.choice_label) == ("R1.id", "name")
    assert one.question("P1").field_by_id("who").choices_from == "R1.id"


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ({"type": "text", "choices_from": "Q1.id"}, '.choices_from: "Q1" is not a group question'),
        ({"type": "text", "choices_from": "Z9.id"}, '.choices_from: "Z9" is not a group question'),
        ({"type": "text", "choices_from": "R1.nope"}, '.choices_from: "R1" has no text field "nope"'),
        ({"type": "text", "choices_from": "R1.months"}, '.choices_from: "R1" has no text field "months"'),
        ({"type": "text", "choices_from": "P1.who"}, ".choices_from: a field cannot pick from the rows of its own"),
        ({"type": "text", "choices_from": "R1"}, ".choices_from: expected GROUP.FIELD such as C1.id, got 'R1'"),
        ({"type": "text", "choices_from": ["R1.id"]}, ".choices_from: expected GROUP.FIELD such as C1.id"),
        ({"type": "text", "choices_from": "R1.id; DROP"}, ".choices_from: expected GROUP.FIELD such as C1.id"),
        ({"type": "number", "choices_from": "R1.id"}, ".choices_from: only text and id_list fields pick from rows"),
        (
            {"type": "id_list", "refers_to": "Q3", "choices_from": "R1.id"},
            ".choices_from: picks from R1 but refers_to names Q3",
        ),
        ({"type": "text", "choices_from": "R1.id", "choice_label": "nope"}, '.choice_label: "R1" has no field "nope"'),
        ({"type": "text", "choice_label": "name"}, ".choice_label: only a field with choices_from has a choice_label"),
    ],
)
def test_loader_refuses_a_bad_choices_from_with_its_path(field, expected):
    with pytest.raises(QuestionnaireError) as info:
        parse_questionnaire(with_picker(**field))
    assert any(e.startswith("sections[0].questions[4].fields[0]" + expected) for e in info.value.errors), (
        info.value.errors
    )


def test_choices_from_is_not_a_top_level_key():
    data = copy.deepcopy(BASE)
    q(data, 0)["choices_from"] = "R1.id"
    with pytest.raises(QuestionnaireError) as info:
        parse_questionnaire(data)
    assert "sections[0].questions[0].choices_from: unknown key" in info.value.errors


def test_pick_lists_come_from_saved_rows_with_labels_once_each():
    from stagefour.questionnaire import pick_lists

    questionnaire = parse_questionnaire(
        with_picker(type="id_list", refers_to="R1", choices_from="R1.id", choice_label="name")
    )
    rows = [
        {"id": "e1", "name": "Jane Doe"},
        {"id": "e2"},
        {"id": "e1", "name": "Again"},
        {"name": "No id"},
        {"id": " "},
    ]
    (picks,) = pick_lists(questionnaire, {"R1": rows}).values()
    assert picks["who"].source == "R1"
    assert picks["who"].choices == (("e1", "e1 — Jane Doe"), ("e2", "e2"))
    assert pick_lists(questionnaire, {})["P1"]["who"].choices == ()


# --- answer references in words --------------------------------------------------------------


@pytest.fixture(scope="module")
def partner():
    return load_questionnaire("questionnaires/ai-deployment-partner.yaml")


DEPLOYMENTS = {
    "B1": [{"id": "d1"}, {"id": "d2", "engineer_ids": ["e1", "e7"]}, {"id": "d3"}, {"id": "  "}],
    "C1": [{"name": "Priya Raman"}],
}


@pytest.mark.parametrize(
    ("path", "lang", "expected"),
    [
        ("B1[2].go_live", "en", "deployment d3, Go-live date"),
        ("B1[2].go_live", "de", "Deployment d3, Go-live-Datum"),
        ("B1[0].id", "en", "deployment d1"),  # the id is the row's name already
        ("B1[3].stage", "en", "deployment 4, Stage (1–4)"),  # a blank id: the row's 1-based number
        ("B1[9].stage", "en", "deployment 10, Stage (1–4)"),  # a row the answers no longer have
        ("C1[0]", "en", "engineer 1"),
        ("B1[1].engineer_ids[1]", "en", "deployment d2, Engineers on the ground: e7"),
        ("B1[0].engineer_ids[2]", "en", "deployment d1, Engineers on the ground 3"),
        ("C1[0].allocation_pct", "fr", "ingénieur 1, Affectation à notre mission"),
        ("D1", "en", "D1"),  # a whole question keeps the id the PDF and pages head it with
        ("E7b", "en", "E7b"),
        ("B1[1].unknown_field", "en", "deployment d2, unknown_field"),
        ("Z9[0].x", "en", "Z9[0].x"),  # not this questionnaire's: unchanged, never a raise
        ("<b>B1[0]</b>", "en", "<b>B1[0]</b>"),
    ],
)
def test_answer_path_becomes_a_reference_in_words(partner, path, lang, expected):
    assert answer_reference(partner, path, DEPLOYMENTS, lang) == expected


def test_a_group_without_row_label_is_referred_to_by_its_question_id():
    data = copy.deepcopy(BASE)
    q(data, 2).clear()
    q(data, 2).update(id="G1", type="group", prompt="Rows", fields=[{"id": "x", "type": "text", "prompt": "X"}])
    assert answer_reference(parse_questionnaire(data), "G1[1].x", {"G1": "not rows"}) == "G1 2, X"


def test_section_help_for_the_vendor_is_kept_apart(partner):
    f = next(s for s in partner.sections if s.id == "F")
    assert "If you answer No to F1" in f.vendor_help["en"]
    assert all("F1" not in text for text in f.help.values())
