"""Exports: the whole evaluation as JSON and CSV, by URL and by `flask export`."""

from __future__ import annotations

import copy
import csv
import io
import json
from datetime import UTC
from datetime import datetime

import pytest

import export_command
from stagefour import export
from stagefour import store
from stagefour.profiles.ai_deployment_partner.metrics import deployment_fingerprint
from stagefour.response import parse_response
from stagefour.scoring import score_response

from .conftest import AS_OF
from .conftest import load_response_json

GENERATED_AT = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
PROFILE = {"industry": "insurance", "size_band": "1k_10k"}
HOSTILE_NAMES = ('=HYPERLINK("http://evil","x")', "+cmd", "@SUM(1)", "-2+3")
RTL = "شركة الذكاء الاصطناعي"
UNICODE_NAME = f"{RTL} 🚀 Zürich Café"
COMBINING = "Cafe\u0301 — naïve façade 🧪 עברית"


@pytest.fixture
def demo(db, make_evaluation, make_vendor, make_user):
    """An evaluation with the three demo vendors, a manual score, a verification and a clarification thread."""
    evaluation_id = make_evaluation(title="Claims automation partner", deadline="2026-12-31", buyer_profile=PROFILE)
    vendors = {}
    for name, submit in (("stage4-deployer", True), ("pilots-only", True), ("stage-inflation", False)):
        data = load_response_json(name)
        vendors[name] = make_vendor(data["vendor"], evaluation_id, data["answers"], submit=submit)
    evaluator = make_user("evaluator", "eva@example.com")
    northwind = vendors["stage4-deployer"]
    store.set_manual_score(db, northwind["response_id"], "C5", evaluator, 4, "Named the claims director and the DPO.")
    checked = deployment_fingerprint(load_response_json("stage4-deployer")["answers"], "d1")
    store.set_verification(db, northwind["response_id"], "d1", True, True, "Spoke to their CIO.", evaluator, checked)
    thread = store.open_clarification(db, northwind["response_id"], "B1", "Who signs off d2?", evaluator)
    store.add_clarification_message(
        db, northwind["response_id"], thread, f"vendor:{northwind['vendor_id']}", "Their COO, in writing."
    )
    return {"evaluation_id": evaluation_id, "vendors": vendors, "evaluator": evaluator}


@pytest.fixture
def cli(app, runner):
    """The runner, with `flask export` registered whether or not commands.register() has it yet."""
    if "export" not in app.cli.commands:
        app.cli.add_command(export_command.export)
    return runner


def gathered(db, evaluation_id, questionnaire=None):
    return export.gather(db, evaluation_id, AS_OF, questionnaire)


def exported_json(db, evaluation_id) -> dict:
    return json.loads(export.to_json(gathered(db, evaluation_id), GENERATED_AT))


def read_csv(body: bytes) -> list[dict]:
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 byte-order mark for Excel"
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def audit_exports(db, evaluation_id) -> list[dict]:
    return [e for e in store.audit_entries(db, evaluation_id) if e["action"] == "export_made"]


# --- JSON ----------------------------------------------------------------------------------


def test_json_export_holds_the_whole_evaluation(db, demo, questionnaire):
    data = exported_json(db, demo["evaluation_id"])
    assert list(data) == [
        "format",
        "format_version",
        "generated_at",
        "as_of",
        "evaluation",
        "ranking",
        "stability",
        "vendors",
        "questionnaire",
    ]
    assert data["generated_at"] == "2026-11-21T09:30:00+00:00"
    assert data["as_of"] == "2026-11-21"
    settings = data["evaluation"]
    assert settings["title"] == "Claims automation partner"
    assert settings["deadline"] == "2026-12-31"
    assert settings["buyer_profile"] == PROFILE
    assert list(settings["weights"]) == list("ABCDEFGHIJK")
    assert settings["weights"]["B"] == 22
    snapshot = data["questionnaire"]
    assert (snapshot["id"], snapshot["version"], snapshot["hash"]) == (
        "ai-deployment-partner",
        questionnaire.version,
        questionnaire.hash,
    )
    evaluation = store.get_evaluation(db, demo["evaluation_id"])
    assert snapshot["snapshot_id"] == evaluation["snapshot_id"]
    assert snapshot["definition"] == store.get_snapshot(db, evaluation["snapshot_id"])["definition"]
    assert snapshot["definition"]["sections"][0]["questions"][0]["id"] == "A1"

    names = [r["vendor"] for r in data["ranking"]]
    assert names == ["Northwind Applied AI", *names[1:]]
    assert [v["name"] for v in data["vendors"]] == names
    assert [v["rank"] for v in data["vendors"]] == [1, 2, 3]

    northwind = data["vendors"][0]
    assert northwind["status"] == "submitted"
    assert northwind["submitted_at"]
    assert northwind["verdict"]["code"] == "stage4_verified"  # d1 was checked
    assert northwind["verdict"] == northwind["result"]["verdict"]
    assert [f["code"] for f in northwind["red_flags"]] == ["R3"]
    assert northwind["overall"] == northwind["result"]["overall"]
    assert northwind["result"]["items"]["C5"]["manual_scores"] == [4.0]
    assert northwind["manual_scores"] == [
        {
            "question_id": "C5",
            "evaluator": "eva@example.com",
            "score": 4,
            "comment": "Named the claims director and the DPO.",
            "updated_at": northwind["manual_scores"][0]["updated_at"],
        }
    ]
    assert northwind["verifications"] == {
        "d1": {
            "reference_checked": True,
            "evidence_reviewed": True,
            "note": "Spoke to their CIO.",
            "fingerprint": deployment_fingerprint(load_response_json("stage4-deployer")["answers"], "d1"),
            "changed_since_verified": False,
        }
    }
    (thread,) = northwind["clarifications"]
    assert (thread["question_id"], thread["status"], thread["created_by"]) == ("B1", "open", "eva@example.com")
    assert [(m["author_name"], m["body"]) for m in thread["messages"]] == [
        ("eva@example.com", "Who signs off d2?"),
        ("Northwind Applied AI", "Their COO, in writing."),
    ]
    in_progress = next(v for v in data["vendors"] if v["name"] == "Apex Transformation Partners")
    assert in_progress["status"] != "submitted"
    assert in_progress["submitted_at"] is None


def test_json_ranking_follows_the_comparison(db, demo, questionnaire):
    from stagefour.evaluations import compare

    evaluation = store.get_evaluation(db, demo["evaluation_id"])
    ranked = [r.vendor["name"] for r in compare(db, evaluation, questionnaire, AS_OF).reviews]
    assert [r["vendor"] for r in exported_json(db, demo["evaluation_id"])["ranking"]] == ranked


def test_json_export_is_byte_for_byte_repeatable(db, demo):
    first = export.to_json(gathered(db, demo["evaluation_id"]), GENERATED_AT)
    second = export.to_json(gathered(db, demo["evaluation_id"]), GENERATED_AT)
    assert first == second


def test_exported_answers_follow_questionnaire_and_field_order(db, demo, questionnaire):
    response = exported_json(db, demo["evaluation_id"])["vendors"][0]["response"]
    order = list(questionnaire.questions)
    assert list(response["answers"]) == sorted(response["answers"], key=order.index)
    fields = [f.id for f in questionnaire.question("B1").fields]
    for row in response["answers"]["B1"]:
        assert list(row) == sorted(row, key=fields.index)


def test_each_exported_response_revalidates_and_scores_the_same(db, demo, questionnaire):
    data = exported_json(db, demo["evaluation_id"])
    for vendor in data["vendors"]:
        response = parse_response(questionnaire, vendor["response"])
        assert response.vendor == vendor["name"]
        stored = store.load_answers(db, store.get_vendor(db, vendor["id"])["response_id"])
        assert response.answers == stored
        manual: dict[str, list[int]] = {}
        for m in vendor["manual_scores"]:
            manual.setdefault(m["question_id"], []).append(m["score"])
        again = score_response(
            questionnaire,
            response.answers,
            AS_OF,
            buyer_profile=data["evaluation"]["buyer_profile"],
            manual_scores=manual,
            verifications=vendor["verifications"],
            weights=data["evaluation"]["weights"],
        )
        assert again.overall == vendor["overall"]
        assert again.to_dict() == vendor["result"]


def test_flask_score_reads_an_exported_response(db, demo, questionnaire, runner, tmp_path):
    vendor = exported_json(db, demo["evaluation_id"])["vendors"][1]
    path = tmp_path / "response.json"
    path.write_text(json.dumps(vendor["response"], ensure_ascii=False), encoding="utf-8")
    args = ["score", str(path), "--as-of", AS_OF.isoformat(), "--buyer-industry", "insurance", "--buyer-size", "1k_10k"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    expected = score_response(questionnaire, vendor["response"]["answers"], AS_OF, buyer_profile=PROFILE)
    assert json.loads(result.output)["overall"] == expected.overall
    assert json.loads(result.output)["vendor"] == vendor["name"]


# --- CSV -----------------------------------------------------------------------------------


def test_csv_has_one_row_per_vendor_and_question_plus_group_rows(db, demo, questionnaire):
    data = gathered(db, demo["evaluation_id"])
    rows = read_csv(export.to_csv(data))
    assert list(rows[0]) == list(export.CSV_COLUMNS)
    for review in data.comparison.reviews:
        mine = [r for r in rows if r["vendor"] == review.vendor["name"]]
        group_rows = sum(len(review.answers.get(g, [])) for g in ("B1", "C1", "D1"))
        assert len(mine) == len(questionnaire.questions) + group_rows
        assert [r["question_id"] for r in mine if not r["row"]] == list(questionnaire.questions)
    ranked = [r.vendor["name"] for r in data.comparison.reviews]
    assert [r["vendor"] for r in rows if r["question_id"] == "A1"] == ranked
    assert [r["rank"] for r in rows if r["question_id"] == "A1"] == ["1", "2", "3"]


def test_csv_cells_read_like_a_person_would(db, demo):
    data = gathered(db, demo["evaluation_id"])
    rows = read_csv(export.to_csv(data))
    northwind = {(r["question_id"], r["row"]): r for r in rows if r["vendor"] == "Northwind Applied AI"}
    a1 = northwind[("A1", "")]
    assert a1["prompt"] == "What type of firm are you?"
    assert a1["answer"] == "Specialist AI boutique"
    assert (a1["status"], a1["points"], a1["max"]) == ("unscored", "", "")
    assert a1["rank"] == "1"
    assert a1["verdict"] == data.comparison.reviews[0].result.verdict.label
    assert float(a1["overall"]) == data.comparison.reviews[0].result.overall
    assert (a1["section"], a1["section_title"]) == ("A", "Engagement")
    a4 = northwind[("A4", "")]
    assert (a4["answer"], a4["points"], a4["max"], a4["status"]) == ("yes", "5", "5", "scored")
    assert a4["why"].startswith("5:")
    assert northwind[("A2", "")]["answer"] == "3"
    b1 = northwind[("B1", "")]
    assert b1["answer"] == "3 rows"
    assert b1["red_flags"] == "R3"
    first = northwind[("B1", "1")]
    assert first["answer"].startswith("Deployment id: d1; Customer: Regional insurer, claims operations; ")
    assert "Industry: Insurance" in first["answer"]
    assert "Go-live date: 2026-07-14" in first["answer"]
    assert "In production today?: yes" in first["answer"]
    assert first["points"] == first["status"] == first["red_flags"] == ""
    assert northwind[("B1", "3")]["red_flags"] == "R3"
    assert northwind[("C5", "")]["evaluator_scores"] == "eva@example.com: 4 — Named the claims director and the DPO."
    assert northwind[("B1", "")]["clarifications"] == (
        "[open]\neva@example.com: Who signs off d2?\nNorthwind Applied AI: Their COO, in writing."
    )
    points = sum(float(r["points"]) for r in northwind.values() if r["points"])
    assert points == sum(i.points or 0 for i in data.comparison.reviews[0].result.items.values())


def test_csv_in_another_language(db, demo):
    rows = read_csv(export.to_csv(gathered(db, demo["evaluation_id"]), "de"))
    a1 = next(r for r in rows if r["vendor"] == "Northwind Applied AI" and r["question_id"] == "A1")
    assert a1["prompt"] == "Welcher Anbietertyp trifft auf Sie zu?"
    a4 = next(r for r in rows if r["vendor"] == "Northwind Applied AI" and r["question_id"] == "A4")
    assert a4["answer"] == "ja"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("+cmd", "'+cmd"),
        ("@SUM(1)", "'@SUM(1)"),
        ("-2+3", "'-2+3"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("  =1+1", "'  =1+1"),
        ("-3", "'-3"),
        ("a = b", "a = b"),
        ("Café", "Café"),
        (-3, "-3"),
        (-2.5, "-2.5"),
        (4.0, "4"),
        (None, ""),
    ],
)
def test_csv_cells_never_start_a_formula_but_numbers_stay_numbers(value, cell):
    assert export.csv_cell(value) == cell


def test_formula_injection_is_neutralised_in_names_and_answers(db, make_evaluation, make_vendor, stage4_answers):
    evaluation_id = make_evaluation()
    for i, name in enumerate(HOSTILE_NAMES):
        answers = copy.deepcopy(stage4_answers)
        answers["C5"] = HOSTILE_NAMES[(i + 1) % 4]
        answers["C4"] = "\t=1+1"
        answers["B1"][0]["customer_type"] = "=cmd|' /C calc'!A0"
        make_vendor(name, evaluation_id, answers, submit=True)
    data = gathered(db, evaluation_id)
    raw = list(csv.reader(io.StringIO(export.to_csv(data).decode("utf-8-sig"), newline="")))
    for row in raw:
        for cell in row:
            if cell.lstrip(" \t\r\n").startswith(("=", "+", "@", "-")) or cell.startswith(("\t", "\r")):
                assert cell.startswith("'"), cell
    rows = read_csv(export.to_csv(data))
    assert {r["vendor"] for r in rows} == {"'" + n for n in HOSTILE_NAMES}
    assert {r["answer"] for r in rows if r["question_id"] == "C5"} == {"'" + n for n in HOSTILE_NAMES}
    assert {r["answer"] for r in rows if r["question_id"] == "C4"} == {"'\t=1+1"}
    # The JSON is data, not a sheet: it keeps every name and answer exactly as given.
    document = json.loads(export.to_json(data, GENERATED_AT))
    assert {v["name"] for v in document["vendors"]} == set(HOSTILE_NAMES)
    assert {v["response"]["answers"]["C5"] for v in document["vendors"]} == set(HOSTILE_NAMES)


def test_unicode_survives_both_formats(db, make_evaluation, make_vendor, stage4_answers):
    evaluation_id = make_evaluation(title="Évaluation für Zürich 🚀")
    stage4_answers["C5"] = COMBINING
    stage4_answers["B1"][0]["customer_type"] = RTL
    make_vendor(UNICODE_NAME, evaluation_id, stage4_answers, submit=True)
    data = gathered(db, evaluation_id)
    body = export.to_csv(data, "fr")
    rows = read_csv(body)
    assert {r["vendor"] for r in rows} == {UNICODE_NAME}
    assert next(r for r in rows if r["question_id"] == "C5")["answer"] == COMBINING
    assert RTL in next(r for r in rows if r["question_id"] == "B1" and r["row"] == "1")["answer"]
    assert "Quel type de prestataire êtes-vous\u202f?" in body.decode("utf-8-sig")
    raw = export.to_json(data, GENERATED_AT)
    assert UNICODE_NAME.encode("utf-8") in raw  # written as UTF-8, not as \u escapes
    document = json.loads(raw)
    assert document["vendors"][0]["response"]["answers"]["C5"] == COMBINING
    assert document["evaluation"]["title"] == "Évaluation für Zürich 🚀"
    assert export.file_name(data, "csv") == f"stagefour-{evaluation_id}-evaluation-fur-zurich-2026-11-21.csv"


# --- routes --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_anonymous_is_sent_to_login(client, demo, fmt):
    response = client.get(f"/evaluations/{demo['evaluation_id']}/export.{fmt}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("role", ["viewer", "evaluator", "owner"])
def test_every_buyer_role_downloads_both_formats(client, demo, make_user, login, role):
    login(make_user(role))
    evaluation_id = demo["evaluation_id"]
    response = client.get(f"/evaluations/{evaluation_id}/export.json?as_of=2026-11-21")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert f"stagefour-{evaluation_id}-claims-automation-partner-2026-11-21.json" in disposition
    assert response.headers["Cache-Control"] == "no-store"
    assert [v["name"] for v in response.get_json()["vendors"]][0] == "Northwind Applied AI"
    response = client.get(f"/evaluations/{evaluation_id}/export.csv?as_of=2026-11-21")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "claims-automation-partner-2026-11-21.csv" in response.headers["Content-Disposition"]
    rows = read_csv(response.data)
    assert rows[0]["vendor"] == "Northwind Applied AI"


def test_csv_route_takes_a_language(client, demo, make_user, login):
    login(make_user("viewer"))
    response = client.get(f"/evaluations/{demo['evaluation_id']}/export.csv?lang=fr")
    rows = read_csv(response.data)
    assert rows[0]["prompt"] == "Quel type de prestataire êtes-vous\u202f?"


@pytest.mark.parametrize("query", ["lang=xx", "as_of=tomorrow"])
def test_bad_parameters_are_refused(client, demo, make_user, login, query):
    login(make_user("viewer"))
    assert client.get(f"/evaluations/{demo['evaluation_id']}/export.csv?{query}").status_code == 400


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_unknown_evaluation_is_404(client, make_user, login, fmt):
    login(make_user("viewer"))
    assert client.get(f"/evaluations/999/export.{fmt}").status_code == 404


def test_each_download_is_in_the_audit_log(client, db, demo, make_user, login):
    user = login(make_user("viewer"))
    evaluation_id = demo["evaluation_id"]
    client.get(f"/evaluations/{evaluation_id}/export.json")
    client.get(f"/evaluations/{evaluation_id}/export.csv?lang=de")
    entries = audit_exports(db, evaluation_id)
    assert [(e["actor"], e["detail"]["format"], e["detail"]["language"]) for e in reversed(entries)] == [
        (f"user:{user['id']}", "json", None),
        (f"user:{user['id']}", "csv", "de"),
    ]
    assert entries[0]["detail"]["vendors"] == 3


# --- CLI -----------------------------------------------------------------------------------


def test_cli_prints_json_to_stdout(cli, db, demo):
    result = cli.invoke(args=["export", str(demo["evaluation_id"]), "--format", "json", "--as-of", "2026-11-21"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout_bytes)
    assert data["as_of"] == "2026-11-21"
    assert [v["name"] for v in data["vendors"]][0] == "Northwind Applied AI"
    (entry,) = audit_exports(db, demo["evaluation_id"])
    assert (entry["actor"], entry["detail"]["format"], entry["detail"]["output"]) == ("cli", "json", "stdout")


def test_cli_writes_csv_to_a_file(cli, demo, tmp_path):
    out = tmp_path / "exports" / "export.csv"
    out.parent.mkdir()
    args = ["export", str(demo["evaluation_id"]), "--format", "csv", "--output", str(out), "--lang", "de"]
    result = cli.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert str(out) in result.output
    rows = read_csv(out.read_bytes())
    assert rows[0]["prompt"] == "Welcher Anbietertyp trifft auf Sie zu?"
    assert list(out.parent.iterdir()) == [out]  # no temporary file left behind


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["999"], "no evaluation 999"),
        (["{id}", "--output", "{tmp}/missing/export.json"], "cannot write"),
        (["{id}", "--format", "xml"], "'xml' is not one of"),
        (["{id}", "--lang", "xx"], "expected one of en, de, fr"),
        (["{id}", "--as-of", "soon"], "does not match the format '%Y-%m-%d'"),
        (["abc"], "'abc' is not a valid integer"),
    ],
)
def test_cli_fails_with_a_message_never_a_traceback(cli, db, demo, tmp_path, args, message):
    args = [a.format(id=demo["evaluation_id"], tmp=tmp_path) for a in args]
    result = cli.invoke(args=["export", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    assert audit_exports(db, demo["evaluation_id"]) == []
