"""Big questionnaires (issue 15, scale): a section of 100 scored items in the comparison page and
PDF, section tables that stay readable (split, or turned when ids are long), the generator."""

import re
import subprocess
from datetime import date

import pytest

from bench.bigquestionnaire import big_questionnaire
from bench.bigquestionnaire import responses
from bench.bigquestionnaire import small_variant
from bench.bigquestionnaire import to_yaml
from stagefour import evaluations
from stagefour import report
from stagefour import store
from stagefour.questionnaire import load_yaml_bytes
from stagefour.questionnaire import parse_questionnaire
from stagefour.response import parse_response

AS_OF = date(2026, 11, 30)


def start(db, team: int, data: dict, vendors: int = 2) -> tuple[int, object]:
    """An evaluation of `data` with `vendors` submitted vendors."""
    questionnaire = load_yaml_bytes(to_yaml(data).encode(), "big.yaml")
    evaluation_id = evaluations.start_evaluation(db, questionnaire, "Big section", team_id=team)
    for body in responses(data, vendors):
        response = parse_response(questionnaire, body)
        vendor_id, _ = evaluations.invite(db, evaluation_id, response.vendor, None, "test")
        evaluations.import_response(db, vendor_id, response, "test", submit=True)
    return evaluation_id, questionnaire


def pdf_lines(db, evaluation_id: int, questionnaire, tmp_path) -> list[str]:
    """The comparison PDF's text lines as Poppler reads them."""
    evaluation = store.get_evaluation(db, evaluation_id)
    comparison = evaluations.compare(db, evaluation, questionnaire, AS_OF)
    model = report.comparison_model(comparison, evaluation, questionnaire)
    path = tmp_path / "big.pdf"
    path.write_bytes(report.render_pdf(report.comparison_html(model, questionnaire, "en")).pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    return text.stdout.splitlines()


def test_the_generated_questionnaires_load_with_their_shapes():
    big = parse_questionnaire(big_questionnaire(20, 50))
    assert len(big.questions) == 1000 and len(big.sections) == 20
    assert big.sections[0].id == "INFORMATION_SECURITY_GOVERNANCE"
    assert big.questions["INFORMATION_SECURITY_GOVERNANCE_Q001"].shown_number == "ISG.01"
    small = parse_questionnaire(small_variant())
    assert [len(s.questions) for s in small.sections] == [100, 6, 6]
    assert all(q.scoring.scored for q in small.sections[0].questions)
    # The YAML text goes through the loader's own checks (no anchors, under its size cap).
    assert load_yaml_bytes(to_yaml(big_questionnaire(20, 50)).encode()).hash == big.hash


def test_item_points_fit_one_table_split_into_several_or_turn_by_count_and_id_length():
    small = parse_questionnaire(small_variant())
    few = [q for q in small.sections[1].questions if q.scoring.scored]
    assert report.item_layout(few) == {"turned": False, "per_table": len(few)}
    hundred = list(small.sections[0].questions)
    layout = report.item_layout(hundred)
    assert not layout["turned"] and report.ITEMS_AT_LEAST <= layout["per_table"] < 100
    data = small_variant()
    for q in data["sections"][0]["questions"]:
        del q["number"]  # ids like INFORMATION_SECURITY_GOVERNANCE_Q001: too long for columns
    long_ids = list(parse_questionnaire(data).sections[0].questions)
    assert report.item_layout(long_ids)["turned"]
    assert report.item_layout([]) == {"turned": False, "per_table": 1}


def test_a_100_item_section_prints_its_points_in_split_tables_with_whole_ids(db, team, tmp_path):
    evaluation_id, questionnaire = start(db, team, small_variant())
    lines = pdf_lines(db, evaluation_id, questionnaire, tmp_path)
    per_table = report.item_layout(list(questionnaire.sections[0].questions))["per_table"]
    heads = [line for line in lines if re.match(r"\s*Vendor\s+(Section score\s+)?ISG\.\d+", line)]
    ids = [token for line in heads for token in re.findall(r"ISG\.\d+", line)]
    # Every item once, in order, in tables of at most `per_table` columns: never 100 across a page.
    assert ids == [f"ISG.{n:02d}" for n in range(1, 101)]
    assert len(heads) == -(-100 // per_table)
    assert max(len(re.findall(r"ISG\.\d+", line)) for line in heads) == per_table
    assert "Section score" in heads[0] and "Section score" not in heads[1]
    # The answers: a row per question, each with its rule beside it and never in the method twice.
    text = "\n".join(lines)
    assert text.count("The rule of each question is printed beside its answers in this section.") == 1
    assert "ISG.100" in text or "ISG.99" in text


def test_long_item_ids_turn_the_table_items_as_rows_never_broken(db, team, tmp_path):
    data = small_variant()
    for q in data["sections"][0]["questions"]:
        del q["number"]
    evaluation_id, questionnaire = start(db, team, data)
    lines = pdf_lines(db, evaluation_id, questionnaire, tmp_path)
    rows = [line for line in lines if re.match(r"\s*INFORMATION_SECURITY_GOVERNANCE_Q\d{3}\s+\S", line)]
    # One row per item in the turned table, each id whole on its line, with both vendors' points.
    turned = [line for line in rows if re.search(r"\d\s*/\s*5|n/a|pending", line)]
    found = {re.match(r"\s*(\S+)", line).group(1) for line in turned}
    assert {f"INFORMATION_SECURITY_GOVERNANCE_Q{n:03d}" for n in range(1, 101)} <= found
    assert any(re.match(r"\s*Question\s+1\. Vendor", line) for line in lines)


def test_the_comparison_page_of_a_100_item_section_renders(client, db, team, make_user, login):
    evaluation_id, _ = start(db, team, small_variant(), vendors=3)
    login(make_user("viewer"))
    reply = client.get(f"/evaluations/{evaluation_id}/compare")
    assert reply.status_code == 200
    page = reply.get_data(as_text=True)
    assert page.count('<td class="heat ') == 3 * 3
    assert 'title="Information security governance and management oversight"><span class="cut">ISG</span>' in page
    assert page.count("ISG.100") >= 1 or page.count("ISG.99") >= 1


@pytest.mark.parametrize("count", [1, 20, 21])
def test_answer_runs_put_consecutive_questions_in_one_table(count):
    data = big_questionnaire(sections=1, per_section=count)
    section = parse_questionnaire(data).sections[0]
    runs = report.answer_runs(section)
    assert [kind for kind, _ in runs] == ["rows"]
    assert [q.id for q in runs[0][1]] == [q.id for q in section.questions]
