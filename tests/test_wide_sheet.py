"""The buyer's wide sheet (issue 16 item 3): an evaluation as .xlsx, by URL and by `flask export`."""

from __future__ import annotations

import copy
import csv
import io
import re
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from openpyxl import load_workbook

import export_command
from stagefour import evaluations
from stagefour import export
from stagefour import report
from stagefour import store
from stagefour import wide_sheet
from stagefour import xlsx
from stagefour.library import load_by_id
from stagefour.questionnaire import load_questionnaire
from stagefour.questionnaire import localize

from .conftest import AS_OF
from .conftest import FIXTURES
from .conftest import app_config
from .conftest import load_response_json

HOSTILE = {
    "C5": '=HYPERLINK("http://evil.example","click")',
    "C4": "+cmd|' /C calc'!A0",
    "B1.customer_type": "@SUM(1+1)*cmd",
}
ROOT = Path(__file__).resolve().parent.parent
RTL_EMOJI = "شركة الذكاء الاصطناعي 🚀 עברית"


def read(body: bytes):
    """The workbook as an office program sees it (not through the app's upload checks: formulas are looked for)."""
    return load_workbook(io.BytesIO(body))


def columns(ws) -> dict[str, int]:
    """Header text -> column number of the first row."""
    return {cell.value: cell.column for cell in ws[1] if cell.value is not None}


def find_row(ws, question_id: str, prompt_start: str = "") -> int:
    """The row of a question id (column B), optionally the one whose label starts with `prompt_start`."""
    for row in ws.iter_rows(min_row=2):
        if row[1].value == question_id and str(row[2].value or "").startswith(prompt_start):
            return row[0].row
    raise AssertionError(f"no row {question_id} {prompt_start!r}")


def label_row(ws, label: str) -> int:
    """The row whose label column (C) says `label`."""
    for row in ws.iter_rows(min_row=2):
        if row[2].value == label:
            return row[0].row
    raise AssertionError(f"no row {label!r}")


def no_formulas(book) -> None:
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula: {cell.value!r}"


# --- the demo evaluation, exported once --------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo's seven vendors, exported in English and German: {lang: bytes}, the gathered data, answers."""
    from app import create_app

    folder = tmp_path_factory.mktemp("wide-demo")
    app = create_app(app_config(folder, JOBS_IN_PROCESS=False))
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    db = store.open_db(app.config["DATABASE"])
    try:
        [evaluation] = store.list_evaluations(db)
        data = export.gather(db, evaluation["id"], AS_OF)
    finally:
        db.close()
    bodies = {lang: wide_sheet.to_xlsx(data, lang) for lang in ("en", "de")}
    return {"bodies": bodies, "data": data, "books": {lang: read(body) for lang, body in bodies.items()}}


def test_the_demo_sheet_has_one_column_per_vendor_in_rank_order(demo):
    book = demo["books"]["en"]
    assert book.sheetnames == ["Comparison", "Points", "Red flags", "Manual scores", "About"]
    ws = book["Comparison"]
    names = [r.vendor["name"] for r in demo["data"].comparison.reviews]
    assert len(names) == 7
    assert [c.value for c in ws[1]] == ["Section", "ID", "Question", *names]
    assert ws.freeze_panes == "D2"
    assert all(c.font.bold for c in ws[1])
    section_a = ws[find_row(ws, "A1") - 1]
    assert [c.value for c in section_a[:3]] == ["A", None, "Engagement"]
    assert all(c.font.bold and c.fill.fgColor.rgb.endswith("DDE4EE") for c in section_a)
    assert not ws.cell(find_row(ws, "A1"), 4).font.bold
    ranks = [c.value for c in ws[label_row(ws, "Rank")][3:]]
    assert ranks == [1, 2, 3, 4, 5, 6, 7]


def test_known_answers_land_in_their_vendors_cells(demo):
    ws = demo["books"]["en"]["Comparison"]
    q = demo["data"].questionnaire
    column = columns(ws)
    for review in demo["data"].comparison.reviews:
        answers = review.answers
        col = column[review.vendor["name"]]
        assert ws.cell(find_row(ws, "A2"), col).value == answers.get("A2")  # a number stays a number
        a1 = answers.get("A1")
        assert ws.cell(find_row(ws, "A1"), col).value == (q.questions["A1"].option_label(a1) if a1 else None)
        first_go_live = answers["B1"][0]["go_live"]
        cell = ws.cell(find_row(ws, "B1[1]", "B1 · deployment 1 · Go-live"), col)
        assert cell.is_date and cell.value.date() == date.fromisoformat(first_go_live)
        assert ws.cell(find_row(ws, "B1[1]", "B1 · deployment 1 · Deployment"), col).value == answers["B1"][0]["id"]
    # Northwind's exact words, to be sure the lookup above is not circular
    northwind = column["Northwind Applied AI"]
    assert ws.cell(find_row(ws, "B1[3]", "B1 · deployment 3 · Deployment"), northwind).value == "d3"


def test_scores_and_money_are_number_cells_with_a_number_format(demo):
    ws = demo["books"]["en"]["Comparison"]
    reviews = demo["data"].comparison.reviews
    overall = ws[label_row(ws, "Overall score")][3:]
    assert [c.value for c in overall] == [r.result.overall for r in reviews]
    assert {(c.data_type, c.number_format) for c in overall} == {("n", "0.0")}
    section_b = ws[label_row(ws, "Production track record")][3:]
    assert [c.value for c in section_b] == [next(s.score for s in r.result.sections if s.id == "B") for r in reviews]
    assert all(c.number_format == "0.0" for c in section_b if c.value is not None)
    completeness = ws[label_row(ws, "Completeness")][3:]
    assert [c.value for c in completeness] == [pytest.approx(r.result.completeness / 100) for r in reviews]
    assert {c.number_format for c in completeness} == {"0.0%"}
    run_cost = ws[label_row(ws, "Monthly run cost")][3:]
    assert {c.number_format for c in run_cost if c.value is not None} == {'#,##0.00 "EUR"'}
    assert all(isinstance(c.value, int | float) for c in run_cost if c.value is not None)
    k2 = ws[find_row(ws, "K2")][3:]
    assert {c.number_format for c in k2 if c.value is not None} == {'#,##0.00 "EUR"'}
    points = demo["books"]["en"]["Points"]
    a1 = points[find_row(points, "A1")][3:]
    assert [c.value for c in a1] == [r.result.items["A1"].points for r in reviews]


def test_flags_and_verdicts_are_written_out(demo):
    book = demo["books"]["en"]
    reviews = demo["data"].comparison.reviews
    flags = book["Red flags"]
    listed = [(row[1].value, row[2].value) for row in flags.iter_rows(min_row=2)]
    assert listed == [(r.vendor["name"], f.code) for r in reviews for f in r.result.red_flags]
    assert any(code == "R19" for _, code in listed)
    ws = book["Comparison"]
    summary = [c.value for c in ws[label_row(ws, "Red flags")][3:]]
    for review, text in zip(reviews, summary, strict=True):
        for flag in review.result.red_flags:
            assert f"{flag.code} {flag.message.render(report.translations('en'), 'en')}" in text
    verdicts = [c.value for c in ws[label_row(ws, "Verdict")][3:]]
    assert all(v.startswith(str(r.result.verdict.label)) for v, r in zip(verdicts, reviews, strict=True))


def test_the_demo_sheet_holds_no_formula(demo):
    for book in demo["books"].values():
        no_formulas(book)


def test_the_sheet_passes_the_apps_own_upload_checks(demo):
    # The seam refuses formulas, oversized sheets and macros: what we write must pass what we would read.
    xlsx.open_workbook(demo["bodies"]["en"])


def test_german_export_uses_german_prompts_and_words(demo):
    book = demo["books"]["de"]
    q = demo["data"].questionnaire
    assert book.sheetnames == ["Vergleich", "Punkte", "Warnsignale", "Manuelle Punktzahlen", "Über diese Datei"]
    ws = book["Vergleich"]
    assert [c.value for c in ws[1]][:3] == ["Abschnitt", "ID", "Frage"]
    assert ws.cell(find_row(ws, "A1"), 3).value == localize(q.questions["A1"].prompt, "de")
    assert ws.cell(find_row(ws, "A1"), 3).value != localize(q.questions["A1"].prompt, "en")
    assert label_row(ws, "Gesamtpunktzahl")
    assert {c.value for c in ws[label_row(ws, "Vorläufig")][3:]} <= {"ja", "nein"}
    verdicts = [c.value for c in ws[label_row(ws, "Einstufung")][3:]]
    english = [c.value for c in demo["books"]["en"]["Comparison"][label_row(ws, "Einstufung")][3:]]
    assert verdicts != english


# --- hostile and edge-case evaluations -----------------------------------------------------------


def test_hostile_answers_arrive_as_text_exactly(db, make_evaluation, make_vendor, stage4_answers):
    evaluation_id = make_evaluation()
    answers = copy.deepcopy(stage4_answers)
    answers["C5"] = HOSTILE["C5"]
    answers["C4"] = HOSTILE["C4"]
    answers["B1"][0]["customer_type"] = HOSTILE["B1.customer_type"]
    vendor = make_vendor('=HYPERLINK("http://evil.example","Vendor")', evaluation_id, answers)
    rtl = make_vendor(RTL_EMOJI, evaluation_id, copy.deepcopy(stage4_answers))
    # Old or imported data past today's limits: longer than a cell can hold, and control characters.
    huge = "x" * 40_000
    changes = {"C5": huge, "C4": "bell\x07and\x00nul\ttab"}
    saved = store.save_answers(db, rtl["response_id"], changes, store.answer_versions(db, rtl["response_id"]), "test")
    assert not saved.conflicts
    body = wide_sheet.to_xlsx(export.gather(db, evaluation_id, AS_OF))
    book = read(body)
    no_formulas(book)
    # and in the file itself, whatever a reader makes of it: no formula element, the answer an inline string
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        for name in sheets:
            assert not re.search(rb"<f[ >]", archive.read(name)), name
        first = archive.read("xl/worksheets/sheet1.xml")
        assert b'<is><t>=HYPERLINK("http://evil.example","click")</t></is>' in first
    ws = book["Comparison"]
    column = columns(ws)
    assert '=HYPERLINK("http://evil.example","Vendor")' in column and RTL_EMOJI in column
    hostile_col, rtl_col = column['=HYPERLINK("http://evil.example","Vendor")'], column[RTL_EMOJI]
    for where, row in (("C5", find_row(ws, "C5")), ("C4", find_row(ws, "C4"))):
        cell = ws.cell(row, hostile_col)
        assert (cell.data_type, cell.value) == ("s", HOSTILE[where])
    group = ws.cell(find_row(ws, "B1[1]", "B1 · deployment 1 · Customer"), hostile_col)
    assert (group.data_type, group.value) == ("s", HOSTILE["B1.customer_type"])
    long_cell = ws.cell(find_row(ws, "C5"), rtl_col)
    assert long_cell.value == huge[: xlsx.MAX_CELL_CHARS]
    assert ws.cell(find_row(ws, "C4"), rtl_col).value == "bell\ufffdand\ufffdnul\ttab"
    assert ws.cell(1, rtl_col).value == RTL_EMOJI
    assert book["Red flags"].max_row >= 1
    vendors = {v["id"]: v for v in store.list_vendors(db, evaluation_id)}
    assert store.load_answers(db, vendors[vendor["vendor_id"]]["response_id"])["C5"] == HOSTILE["C5"]  # unchanged


def test_an_evaluation_with_no_vendors_exports_its_questions(db, make_evaluation, questionnaire):
    evaluation_id = make_evaluation()
    book = read(wide_sheet.to_xlsx(export.gather(db, evaluation_id, AS_OF)))
    ws = book["Comparison"]
    assert [c.value for c in ws[1]] == ["Section", "ID", "Question"]
    assert ws.cell(find_row(ws, "A1"), 3).value == localize(questionnaire.questions["A1"].prompt, "en")
    assert book["Red flags"].max_row == 1 and book["Manual scores"].max_row == 1


def test_a_vendor_with_no_answers_has_an_empty_column(db, make_evaluation, make_vendor, stage4_answers):
    evaluation_id = make_evaluation()
    make_vendor("Answered", evaluation_id, stage4_answers, submit=True)
    make_vendor("Silent", evaluation_id)
    book = read(wide_sheet.to_xlsx(export.gather(db, evaluation_id, AS_OF)))
    ws = book["Comparison"]
    silent = columns(ws)["Silent"]
    first_question = find_row(ws, "A1")
    assert all(ws.cell(r, silent).value is None for r in range(first_question, ws.max_row + 1) if ws.cell(r, 2).value)
    assert ws.cell(label_row(ws, "Status"), silent).value == "Invited"
    assert ws.cell(label_row(ws, "Completeness"), silent).value == 0


def test_a_1_0_evaluation_exports_without_commercials(db, make_vendor, team):
    old = load_questionnaire(FIXTURES / "questionnaires" / "ai-deployment-partner-1.0.0.yaml")
    evaluation_id = evaluations.start_evaluation(db, old, "Old", deadline=None, buyer_profile={}, team_id=team)
    response = load_response_json("stage4-deployer")
    make_vendor(response["vendor"], evaluation_id, response["answers"], submit=True)
    book = read(wide_sheet.to_xlsx(export.gather(db, evaluation_id, AS_OF)))
    ws = book["Comparison"]
    assert [c.value for c in ws[1]] == ["Section", "ID", "Question", response["vendor"]]
    labels = {row[2].value for row in ws.iter_rows(min_row=2)}
    assert "Monthly run cost" not in labels and "K2" not in {row[1].value for row in ws.iter_rows(min_row=2)}
    about = {row[0].value: row[1].value for row in book["About"].iter_rows() if row[0].value}
    assert about["Version"] == "1.0.0"
    assert ws.cell(find_row(ws, "A2"), 4).value == response["answers"]["A2"]


@pytest.mark.parametrize(
    ("text", "title"),
    [("Comparison", "Comparison"), ("a/b:c*d?[e]\\f", "a b c d  e  f"), ("x" * 40, "x" * 31), ("[]", "Sheet")],
)
def test_sheet_titles_are_ones_excel_accepts(text, title):
    assert wide_sheet.sheet_title(text) == title


@pytest.mark.parametrize(
    ("currency", "number_format"),
    [("EUR", '#,##0.00 "EUR"'), ("CHF", '#,##0.00 "CHF"'), ('"];@', "#,##0.00"), ("", "#,##0.00")],
)
def test_money_format_takes_only_an_iso_code(currency, number_format):
    assert wide_sheet.money_format(currency) == number_format


# --- the route -----------------------------------------------------------------------------------


@pytest.fixture
def small(db, make_evaluation, make_vendor):
    """An evaluation of two submitted vendors."""
    evaluation_id = make_evaluation(title="Claims automation partner")
    for name in ("stage4-deployer", "pilots-only"):
        data = load_response_json(name)
        make_vendor(data["vendor"], evaluation_id, data["answers"], submit=True)
    return evaluation_id


@pytest.mark.parametrize("role", ["viewer", "evaluator", "owner"])
def test_every_buyer_role_downloads_the_wide_sheet_and_it_is_audited(client, db, small, make_user, login, role):
    user = login(make_user(role))
    response = client.get(f"/evaluations/{small}/export.xlsx?as_of=2026-11-21&lang=fr")
    assert response.status_code == 200
    assert response.mimetype == xlsx.XLSX_MIMETYPE
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert f"stagefour-{small}-claims-automation-partner-2026-11-21.xlsx" in disposition
    assert response.headers["Cache-Control"] == "no-store"
    book = read(response.data)
    assert book.sheetnames[0] == "Comparaison"
    assert [c.value for c in book.worksheets[0][1]][3:] == ["Northwind Applied AI", "Brightline AI Labs"]
    [entry] = [e for e in store.audit_entries(db, small) if e["action"] == "export_made"]
    assert entry["actor"] == f"user:{user['id']}"
    assert (entry["detail"]["format"], entry["detail"]["language"], entry["detail"]["vendors"]) == ("xlsx", "fr", 2)


def test_the_comparison_page_links_the_wide_sheet(client, small, make_user, login):
    login(make_user("viewer"))
    page = client.get(f"/evaluations/{small}/compare").get_data(as_text=True)
    assert f'href="/evaluations/{small}/export.xlsx"' in page


def test_anonymous_is_sent_to_login(client, small):
    response = client.get(f"/evaluations/{small}/export.xlsx")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_viewer_of_another_team_gets_404_and_nothing_is_logged(client, db, small, make_user, make_team, login):
    login(make_user("viewer", team_id=make_team("Another team")))
    assert client.get(f"/evaluations/{small}/export.xlsx").status_code == 404
    assert [e for e in store.audit_entries(db, small) if e["action"] == "export_made"] == []


@pytest.mark.parametrize(("query", "status"), [("lang=xx", 400), ("as_of=tomorrow", 400), ("as_of=0001-01-01", 400)])
def test_bad_parameters_are_refused(client, db, small, make_user, login, query, status):
    login(make_user("viewer"))
    assert client.get(f"/evaluations/{small}/export.xlsx?{query}").status_code == status
    assert [e for e in store.audit_entries(db, small) if e["action"] == "export_made"] == []


def test_unknown_evaluation_is_404(client, make_user, login):
    login(make_user("viewer"))
    assert client.get("/evaluations/999/export.xlsx").status_code == 404


# --- the command line ----------------------------------------------------------------------------


@pytest.fixture
def cli(app, runner):
    """The runner, with `flask export` registered."""
    if "export" not in app.cli.commands:
        app.cli.add_command(export_command.export)
    return runner


def test_cli_writes_a_valid_xlsx_file(cli, db, small, tmp_path):
    out = tmp_path / "exports" / "wide.xlsx"
    out.parent.mkdir()
    args = ["export", str(small), "--format", "xlsx", "--output", str(out), "--lang", "de", "--as-of", "2026-11-21"]
    result = cli.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert str(out) in result.output
    book = read(out.read_bytes())
    assert book.sheetnames[0] == "Vergleich"
    no_formulas(book)
    assert list(out.parent.iterdir()) == [out]  # no temporary file left behind
    [entry] = [e for e in store.audit_entries(db, small) if e["action"] == "export_made"]
    assert (entry["actor"], entry["detail"]["format"], entry["detail"]["language"]) == ("cli", "xlsx", "de")


def test_cli_writes_xlsx_to_a_pipe(cli, small):
    result = cli.invoke(args=["export", str(small), "--format", "xlsx"])
    assert result.exit_code == 0, result.output
    assert read(result.stdout_bytes).sheetnames[0] == "Comparison"


def test_cli_refuses_to_print_xlsx_on_a_terminal(cli, db, small, monkeypatch):
    monkeypatch.setattr(export_command, "_stdout_is_terminal", lambda: True)
    result = cli.invoke(args=["export", str(small), "--format", "xlsx"])
    assert result.exit_code == 2
    assert "give --output FILE" in result.output
    assert not result.stdout_bytes.startswith(b"PK")
    assert [e for e in store.audit_entries(db, small) if e["action"] == "export_made"] == []


# --- a real office program -----------------------------------------------------------------------


@pytest.mark.skipif(
    shutil.which("soffice") is None,
    reason="LibreOffice (soffice) is not installed here; CI installs libreoffice-calc and runs this",
)
def test_libreoffice_reads_the_wide_sheet(demo, tmp_path):
    source = tmp_path / "wide.xlsx"
    source.write_bytes(demo["bodies"]["en"])
    profile = tmp_path / "profile"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    rows = list(csv.reader(io.StringIO((tmp_path / "wide.csv").read_text(encoding="utf-8"))))
    names = [r.vendor["name"] for r in demo["data"].comparison.reviews]
    assert rows[0] == ["Section", "ID", "Question", *names]
    a2 = next(r for r in rows if r[1] == "A2")
    first = demo["data"].comparison.reviews[0].answers["A2"]
    assert float(a2[3]) == first
    c5 = next(r for r in rows if r[1] == "C5")
    assert c5[3] == (demo["data"].comparison.reviews[0].answers.get("C5") or "")


def test_the_default_questionnaire_is_the_one_exported(demo):
    # The demo fixture reads the library's questionnaire: the sheet's About says which and which version.
    about = {row[0].value: row[1].value for row in demo["books"]["en"]["About"].iter_rows() if row[0].value}
    library = load_by_id("ai-deployment-partner")
    assert (about["Questionnaire"], about["Version"]) == (library.id, library.version)
    assert about["Scores as of"].date() == AS_OF
    assert about["Time zone"] == "UTC"  # of the Submitted row's date and time


def test_manual_scores_and_the_buyer_profile_are_in_their_sheets(db, make_evaluation, make_vendor, make_user):
    hostile = {"data_regions": ['=HYPERLINK("http://evil","x")', "uk"], "ai_act_class": "@SUM(1)", "currency": "CHF"}
    evaluation_id = make_evaluation(title="=cmd|' /C calc'!A0", buyer_profile=hostile)
    data = load_response_json("stage4-deployer")
    vendor = make_vendor(data["vendor"], evaluation_id, data["answers"], submit=True)
    evaluator = make_user("evaluator", "eva@example.com")
    store.set_manual_score(db, vendor["response_id"], "C5", evaluator, 4, "=1+1 named the DPO")
    book = read(wide_sheet.to_xlsx(export.gather(db, evaluation_id, AS_OF)))
    no_formulas(book)
    manual = book["Manual scores"]
    [row] = list(manual.iter_rows(min_row=2, values_only=True))
    assert row[:7] == (1, data["vendor"], "C5", row[3], "eva@example.com", 4, "=1+1 named the DPO")
    assert row[3].startswith("From one B1 deployment")  # the prompt, in the export language
    about = {r[0].value: r[1] for r in book["About"].iter_rows() if r[0].value}
    assert (about["Evaluation"].data_type, about["Evaluation"].value) == ("s", "=cmd|' /C calc'!A0")
    assert about["data_regions"].value == '=HYPERLINK("http://evil","x"); uk'
    assert about["ai_act_class"].value == "@SUM(1)"
    assert about["Currency"].value == "CHF"


@pytest.mark.parametrize("language", ["de", "fr", "es"])
def test_every_word_of_the_sheet_is_translated(language):
    with (ROOT / "translations" / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalogue = read_po(po)
    for key, message in wide_sheet.WORDS.items():
        entry = catalogue.get(message.msgid)
        assert entry is not None and entry.string and not entry.fuzzy, (language, key)
