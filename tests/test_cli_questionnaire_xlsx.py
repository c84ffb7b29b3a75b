"""`flask export-questionnaire` and `flask import-questionnaire` (issue 16 item 5): workbooks out and
into a team's library, exit status 2 with every problem and nothing imported on bad input."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from stagefour import questionnaire_xlsx as qx
from stagefour import store
from stagefour import xlsx
from stagefour.library import load_by_id

from .conftest import TEST_TEAM


def test_export_writes_the_shipped_questionnaire_with_its_hash(runner, tmp_path):
    out = tmp_path / "q.xlsx"
    result = runner.invoke(args=["export-questionnaire", "ai-deployment-partner", "--output", str(out)])
    assert result.exit_code == 0, result.output
    expected = load_by_id("ai-deployment-partner")
    assert result.output == f"{out}: ai-deployment-partner version 1.1.0, hash {expected.hash}\n"
    assert qx.load_xlsx(out.read_bytes()).hash == expected.hash


def test_export_of_an_unknown_questionnaire_fails_clearly(runner, tmp_path):
    result = runner.invoke(args=["export-questionnaire", "nothing-here", "--output", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 1
    assert 'no questionnaire "nothing-here"' in result.output
    assert not (tmp_path / "x.xlsx").exists()


def test_import_adds_a_workbook_to_the_library_and_export_gets_it_back(runner, db, make_user, make_team, tmp_path):
    team = make_team()
    make_user("owner", email="owner@example.com")
    file = tmp_path / "template.xlsx"
    file.write_bytes(qx.template_xlsx())
    args = ["import-questionnaire", str(file), "--team", TEST_TEAM, "--by", "owner@example.com"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert result.output == f"my-questionnaire version 0.1.0 added to the library of {TEST_TEAM}\n"
    entry = store.team_library(db, team)[0]
    assert (entry["questionnaire_id"], entry["version"], entry["file_name"]) == (
        "my-questionnaire",
        "0.1.0",
        "template.xlsx",
    )
    assert "already in (nothing changed)" in runner.invoke(args=args).output
    out = tmp_path / "back.xlsx"
    result = runner.invoke(args=["export-questionnaire", "my-questionnaire", "--team", TEST_TEAM, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert qx.load_xlsx(out.read_bytes()).hash == entry["hash"]


def test_import_of_a_bad_workbook_exits_2_with_every_problem_and_imports_nothing(
    runner, db, make_user, make_team, tmp_path
):
    team = make_team()
    make_user("owner", email="owner@example.com")
    book = load_workbook(io.BytesIO(qx.template_xlsx()))
    book["Questions"]["E3"] = "=1+1"
    book["Sections"]["A9"] = "=2+2"
    file = tmp_path / "bad.xlsx"
    file.write_bytes(xlsx.to_bytes(book))
    result = runner.invoke(args=["import-questionnaire", str(file), "--team", TEST_TEAM, "--by", "owner@example.com"])
    assert result.exit_code == 2
    assert f"{file}: 2 problem(s), nothing imported:" in result.output
    assert "  Questions!E3: This cell is a formula." in result.output
    assert "  Sections!A9: This cell is a formula." in result.output
    assert store.team_library(db, team) == []


def test_check_questionnaire_reads_a_workbook_too(runner, tmp_path):
    good, bad = tmp_path / "good.xlsx", tmp_path / "bad.xlsx"
    good.write_bytes(qx.template_xlsx())
    book = load_workbook(io.BytesIO(qx.template_xlsx()))
    book["Options"]["B3"] = "Else Where"
    bad.write_bytes(xlsx.to_bytes(book))
    result = runner.invoke(args=["check-questionnaire", str(good)])
    assert result.exit_code == 0 and "OK — my-questionnaire version 0.1.0" in result.output
    result = runner.invoke(args=["check-questionnaire", str(bad)])
    assert result.exit_code == 1
    assert "Options!B3: expected a slug of lower-case letters, digits, - and _" in result.output
