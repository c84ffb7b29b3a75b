"""The commercials block and the data-location line (questionnaire 1.1) on the comparison page and in the PDF."""

from __future__ import annotations

import copy
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from stagefour import evaluations
from stagefour import report
from stagefour.comparison import Entry
from stagefour.comparison import browser_inputs
from stagefour.questionnaire import load_questionnaire
from tests.conftest import AS_OF
from tests.test_translations import compiled_catalogues  # noqa: F401 (autouse: the .mo files the PDF reads)

FIXTURES = Path(__file__).parent / "fixtures"
PROFILE = {"currency": "EUR", "monthly_tasks": 60000, "data_regions": ["eu_eea"]}

# The contract's worked example (QUESTIONNAIRE.md, "Response JSON and `flask score` (1.1)") plus A3.
EXAMPLE = {
    "A1": "We deploy claims agents.",
    "A3": 12,
    "H6": [
        {"id": "s1", "name": "Microsoft Ireland, Azure OpenAI, Sweden Central", "service": "model_api",
         "data": ["prompts_outputs", "personal_data"], "regions": ["eu_eea"], "retention_days": 0},
        {"id": "s2", "name": "Example Ltd", "service": "vendor_self", "data": ["traces_logs"],
         "regions": ["eu_eea", "uk"], "retention_days": 30},
    ],
    "K1": "fixed_price", "K2": 180000, "K3": 9000, "K4": 42.5, "K5": "passthrough_at_cost", "K6": 5000000,
}  # fmt: skip
MARGIN = {
    "A1": "We resell the model.",
    "A3": 10,
    "H6": [
        {"id": "m1", "name": "Global LLM Inc", "service": "model_api", "data": ["prompts_outputs"],
         "regions": ["us", "global"], "retention_days": 30},
        {"id": "m2", "name": "Our support desk", "service": "human_review", "data": ["files_documents"]},
        {"id": "m3", "name": "Metrics SaaS", "service": "observability_evals", "data": ["metadata_only"],
         "regions": ["asia_pacific"]},
    ],
    "K1": "time_and_materials", "K2": 150000, "K3": 12000, "K4": 30, "K5": "resold_with_margin", "K6": 2000000,
}  # fmt: skip
# K2, K6, A3 and H6 unanswered; K4 given but included in K3.
BUNDLE = {"A1": "All in one fee.", "K1": "outcome_based", "K3": 20000, "K4": 99, "K5": "included_in_fees"}
VENDORS = (("Example Ltd", EXAMPLE), ("Margin AI", MARGIN), ("Bundle Co", BUNDLE))


class Cells(HTMLParser):
    """The commercials table as {row class: [cell text per vendor]}, and the data-location lines."""

    def __init__(self):
        super().__init__()
        self.rows: dict[str, list[str]] = {}
        self.caption = ""
        self.locations: list[str] = []
        self.heads: list[str] = []
        self._in = None  # "caption", "cell", "head", "location"
        self._row = None
        self._table = False
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("id") == "commercials":
            self._table = True
        elif self._table and tag == "caption":
            self._in = "caption"
        elif self._table and tag == "tr" and (a.get("class") or "").startswith("row-"):
            self._row = a["class"][4:]
            self.rows[self._row] = []
        elif self._table and self._row and tag == "td":
            self._in = "cell"
            self.rows[self._row].append("")
        elif self._table and not self._row and tag == "th" and a.get("data-vendor"):
            self._in = "head"
            self.heads.append("")
        elif tag == "p" and "data-location" in (a.get("class") or ""):
            self._in = "location"
            self.locations.append("")

    def handle_endtag(self, tag):
        if tag == "table" and self._table:
            self._table = False
            self._row = None
        elif tag in ("caption", "td", "th", "p"):
            self._in = None

    def handle_data(self, data):
        text = " ".join(data.split())
        if not text:
            return
        if self._in == "caption":
            self.caption += " " + text
        elif self._in == "cell":
            self.rows[self._row][-1] = (self.rows[self._row][-1] + " " + text).strip()
        elif self._in == "head":
            self.heads[-1] += text
        elif self._in == "location":
            self.locations[-1] = (self.locations[-1] + " " + text).strip()


def parse(html: str) -> Cells:
    cells = Cells()
    cells.feed(html)
    return cells


def pdf_text(pdf: bytes, tmp_path: Path, first: int = 2, last: int = 2) -> str:
    """pdftotext of pages `first`–`last`, layout kept (a table's row reads as one line)."""
    path = tmp_path / "c.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", "-f", str(first), "-l", str(last), str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


@pytest.fixture
def three(make_evaluation, make_vendor):
    """A 1.1 evaluation of three vendors with the profile set: its id."""
    evaluation_id = make_evaluation(buyer_profile=dict(PROFILE))
    for name, answers in VENDORS:
        make_vendor(name, evaluation_id, answers=copy.deepcopy(answers), submit=True)
    return evaluation_id


def comparison_of(db, evaluation_id, questionnaire, weights=None):
    from stagefour import store

    evaluation = store.get_evaluation(db, evaluation_id)
    return evaluation, evaluations.compare(db, evaluation, questionnaire, AS_OF, weights)


# --- the model ----------------------------------------------------------------------------------


def test_the_model_carries_each_vendors_commercials_and_the_marks_in_ranking_order(db, three, questionnaire):
    _, comparison = comparison_of(db, three, questionnaire)
    block = comparison.commercials
    assert [c["name"] for c in block["columns"]] == [r.vendor["name"] for r in comparison.reviews]
    by_name = {c["name"]: c for c in block["columns"]}
    assert by_name["Example Ltd"]["values"]["monthly_run_cost"] == 11550
    assert by_name["Example Ltd"]["values"]["go_live_plus_12_months"] == 318600
    assert by_name["Margin AI"]["values"]["monthly_run_cost"] == 13800
    assert by_name["Bundle Co"]["values"]["monthly_run_cost"] == 20000  # K3 alone: K4 is in it
    assert by_name["Bundle Co"]["values"]["go_live_plus_12_months"] is None  # no K2
    assert sorted(by_name["Example Ltd"]["marked"]) == ["K3", "K6", "monthly_run_cost"]
    assert sorted(by_name["Margin AI"]["marked"]) == ["K2", "K4", "go_live_plus_12_months"]
    assert by_name["Bundle Co"]["marked"] == []
    assert (block["currency"], block["monthly_tasks"]) == ("EUR", 60000)


def test_commercials_move_neither_the_ranking_nor_the_sensitivity(db, make_evaluation, make_vendor, questionnaire):
    """Two evaluations whose vendors differ only in K1–K6 rank, score and weigh the same."""
    cheap = {"K1": "fixed_price", "K2": 1, "K3": 0, "K4": 0.01, "K5": "buyer_account", "K6": 10**9}
    dear = {"K1": "time_and_materials", "K2": 10**9, "K3": 10**8, "K4": 10**6, "K5": "resold_with_margin", "K6": 0}
    outcomes = []
    for first, second in ((cheap, dear), (dear, cheap)):
        evaluation_id = make_evaluation(buyer_profile=dict(PROFILE))
        make_vendor("Example Ltd", evaluation_id, answers=EXAMPLE | first)
        make_vendor("Margin AI", evaluation_id, answers=MARGIN | second)
        _, comparison = comparison_of(db, evaluation_id, questionnaire)
        entries = [Entry(r.vendor["id"], r.vendor["name"], r.result) for r in comparison.reviews]
        inputs = browser_inputs(entries, comparison.weights)
        for v in inputs["vendors"]:
            v.pop("id")
        outcomes.append(
            (
                [(r.vendor["name"], r.result.overall) for r in comparison.reviews],
                [(s.section_id, s.lower, s.lower_winner, s.higher, s.higher_winner) for s in comparison.sensitivities],
                inputs,
            )
        )
    assert outcomes[0] == outcomes[1]


def test_a_1_0_evaluation_has_no_block_and_no_data_location(db, team, make_vendor, client, login, make_user):
    old = load_questionnaire(FIXTURES / "questionnaires" / "ai-deployment-partner-1.0.0.yaml")
    assert "K1" not in old.questions
    evaluation_id = evaluations.start_evaluation(db, old, "Old one", buyer_profile=dict(PROFILE), team_id=team)
    make_vendor("Example Ltd", evaluation_id, answers={"A1": "Old answers.", "A3": 12})
    _, comparison = comparison_of(db, evaluation_id, old)
    assert comparison.commercials is None and comparison.locations is None
    login(make_user("viewer"))
    html = client.get(f"/evaluations/{evaluation_id}/compare").get_data(as_text=True)
    assert 'id="ranking"' in html
    assert 'id="commercials"' not in html and "data-location" not in html and "excl. VAT" not in html


# --- the page -----------------------------------------------------------------------------------


def test_the_page_shows_values_marks_and_not_given_in_the_contracts_row_order(client, login, make_user, three):
    login(make_user("viewer"))
    response = client.get(f"/evaluations/{three}/compare")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = parse(html)
    assert "EUR" in page.caption and "excl. VAT" in page.caption
    assert list(page.rows) == ["K1", "K2", "A3", "K3", "K4", "K5", "monthly_run_cost", "go_live_plus_12_months", "K6"]
    # the block sits under the ranking (verdicts, overlays) and above the red flags and answers
    assert html.index('id="ranking"') < html.index('id="commercials"') < html.index('class="flag-columns"')
    col = {name: i for i, name in enumerate(page.heads)}
    ex, mg, bd = col["Example Ltd"], col["Margin AI"], col["Bundle Co"]
    rows = page.rows
    assert rows["K1"][ex] == "Fixed price"
    assert rows["K2"][ex] == "€180,000.00"
    assert rows["K2"][mg] == "€150,000.00 lowest"
    assert rows["K2"][bd] == "not given"  # never 0
    assert rows["A3"][ex] == "12 weeks" and rows["A3"][bd] == "not given"
    assert rows["K3"][ex] == "€9,000.00 lowest"
    assert rows["K4"][mg] == "€30.00 lowest" and rows["K4"][bd] == "included in K3"
    assert rows["K5"][mg].endswith("margin on model usage")
    assert rows["monthly_run_cost"][ex] == "€11,550.00 lowest"
    assert rows["monthly_run_cost"][bd] == "€20,000.00"
    assert rows["go_live_plus_12_months"][ex] == "€318,600.00"
    assert rows["go_live_plus_12_months"][mg] == "€315,600.00 lowest"
    assert rows["go_live_plus_12_months"][bd] == "—"
    assert rows["K6"][ex] == "€5,000,000.00 highest cover" and rows["K6"][bd] == "not given"
    # marked in words only: no heat-map colours in the block
    table = html[html.index('id="commercials"') : html.index("</table>", html.index('id="commercials"'))]
    assert "heat" not in table
    assert '<caption id="commercials-caption">' in table and 'scope="row"' in table and 'scope="col"' in table
    assert "60,000 tasks a month" in html


def test_the_data_location_line_marks_regions_outside_ours_and_unstated_ones(client, login, make_user, three):
    login(make_user("viewer"))
    lines = parse(client.get(f"/evaluations/{three}/compare").get_data(as_text=True)).locations
    assert len(lines) == 3
    joined = "\n".join(lines)
    example = next(line for line in lines if "United Kingdom" in line)
    assert "outside your data regions" in example  # the UK, for a buyer in the EU/EEA
    assert example.count("outside your data regions") == 1
    margin = next(line for line in lines if "region not stated" in line)
    assert margin.count("outside your data regions") == 2  # US and global; the metadata-only row is not content
    assert "Asia" not in margin
    assert "Data location: not given" in joined  # Bundle Co left H6 unanswered


def test_without_monthly_tasks_the_run_cost_lines_are_dashes_that_point_to_the_settings(
    client, login, make_user, make_evaluation, make_vendor
):
    evaluation_id = make_evaluation(buyer_profile={"data_regions": ["eu_eea"]})
    for name, answers in VENDORS:
        make_vendor(name, evaluation_id, answers=copy.deepcopy(answers))
    login(make_user("owner"))
    html = client.get(f"/evaluations/{evaluation_id}/compare").get_data(as_text=True)
    rows = parse(html).rows
    assert rows["monthly_run_cost"] == ["—"] * 3 and rows["go_live_plus_12_months"] == ["—"] * 3
    assert "need the tasks a month" in html
    assert f'href="/evaluations/{evaluation_id}/edit#monthly_tasks"' in html
    assert "€180,000.00" in html  # the answers themselves still show


@pytest.mark.parametrize(
    "hostile",
    [
        {"K2": 10**30, "K3": 1e300, "K4": 10**400, "K6": -5},
        {"K2": "180000", "K3": "lots", "K4": [1, 2], "K6": {"x": 1}, "K1": 7, "K5": ["x"], "A3": "soon"},
        {"K1": "<script>alert(1)</script>", "K5": "<b>bold</b>", "H6": "not rows", "A3": 10**40},
        {"H6": [{"regions": "eu_eea", "data": "x"}, None, 5, {"regions": [1, "<i>mars</i>"]}]},
    ],
)
def test_hostile_answers_never_break_the_page_or_the_pdf(client, login, make_user, make_evaluation, db, questionnaire,
                                                         hostile):  # fmt: skip
    """Answers of the wrong type or size (old data can be anything) are shown as text or "not given"."""
    from stagefour import store

    evaluation_id = make_evaluation(buyer_profile=dict(PROFILE))
    for name, answers in VENDORS[:2]:
        vendor_id, _ = evaluations.invite(db, evaluation_id, name, None, "test")
        vendor = store.get_vendor(db, vendor_id)
        # written straight to the store: the import would refuse most of these
        store.save_answers(db, vendor["response_id"], answers | hostile, {}, "test")
    login(make_user("viewer"))
    response = client.get(f"/evaluations/{evaluation_id}/compare")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<i>mars</i>" not in html and "<b>bold</b>" not in html
    evaluation, comparison = comparison_of(db, evaluation_id, questionnaire)
    model = report.comparison_model(comparison, evaluation, questionnaire)
    pdf = report.render_pdf(report.comparison_html(model, questionnaire, "en")).pdf
    assert pdf.startswith(b"%PDF")


# --- the PDF ------------------------------------------------------------------------------------


@pytest.fixture
def model(db, three, questionnaire):
    evaluation, comparison = comparison_of(db, three, questionnaire)
    return report.comparison_model(comparison, evaluation, questionnaire)


def line_of(text: str, label: str) -> str:
    return next(line for line in text.splitlines() if label in line)


def test_the_pdf_summary_repeats_the_block_and_the_data_location_on_one_page(model, questionnaire, tmp_path):
    html = report.comparison_html(model, questionnaire, "en", "a4", "2026-11-21T08:00:00+00:00", "a@b.c")
    pdf = report.render_pdf(html).pdf
    summary = pdf_text(pdf, tmp_path)
    assert "Commercials in EUR, excl. VAT" in summary
    assert "Section scores" in summary  # the chart still fits on the summary page
    assert "€180,000.00" in line_of(summary, "Fees to first go-live")
    assert "lowest" in line_of(summary, "Fees to first go-live")
    assert "not given" in line_of(summary, "Fees to first go-live")
    assert "€11,550.00" in line_of(summary, "Estimated monthly run cost")
    assert "€318,600.00" in summary and "highest cover" in summary and "included in K3" in summary
    assert "margin on model usage" in summary
    assert "outside your data regions" in summary and "region not stated" in summary
    page_three = pdf_text(pdf, tmp_path, 3, 3)
    assert "Commercials in" not in page_three  # the summary did not spill over


def test_the_german_pdf_and_page_use_german_words_and_number_formats(model, questionnaire, tmp_path, client, login,
                                                                     make_user, three):  # fmt: skip
    html = report.comparison_html(model, questionnaire, "de", "a4", "2026-11-21T08:00:00+00:00", "a@b.c")
    summary = pdf_text(report.render_pdf(html).pdf, tmp_path).replace("\xa0", " ")
    assert "180.000,00 €" in summary and "11.550,00 €" in summary
    assert "zzgl. MwSt." in summary and "niedrigster" in summary and "nicht angegeben" in summary
    login(make_user("viewer"))
    page = client.get(f"/evaluations/{three}/compare", headers={"Accept-Language": "de"}).get_data(as_text=True)
    page = page.replace("\xa0", " ")
    assert "180.000,00 €" in page and "Konditionen" in page and "zzgl. MwSt." in page
    assert "60.000 Aufgaben im Monat" in page
