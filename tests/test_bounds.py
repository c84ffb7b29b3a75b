"""Everything an outsider controls is bounded (issue 10, item 2): caches, rows, numbers, ids,
query strings, stored values, uploads, the audit log and the questionnaire loader."""

import copy
import html as html_module
import io
import json
import math
import re
from pathlib import Path

import pytest
from markupsafe import Markup
from werkzeug.datastructures import FileStorage
from werkzeug.routing import IntegerConverter

from stagefour import evaluations
from stagefour import report
from stagefour import store
from stagefour.changes import answer_change
from stagefour.numbers import readable_number
from stagefour.numbers import readable_percent
from stagefour.questionnaire import DEFAULT_NUMBER_BOUND
from stagefour.questionnaire import MAX_NUMBER_BOUND
from stagefour.questionnaire import MAX_YAML_BYTES
from stagefour.questionnaire import QuestionnaireError
from stagefour.questionnaire import load_questionnaire
from stagefour.questionnaire import parse_questionnaire
from stagefour.questionnaire import parse_yaml
from stagefour.response import ResponseError
from stagefour.response import check_value
from stagefour.response import read_response

from .conftest import AS_OF
from .conftest import load_response_json
from .test_questionnaire import BASE

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


# --- helpers -----------------------------------------------------------------------------------


def section_url(v, sid="A"):
    return f"/v/{v['token']}/s/{sid}"


def page_versions(client, url):
    html = client.get(url.split("?")[0]).get_data(as_text=True)
    return re.search(r'name="base_versions" value="([^"]*)"', html).group(1).replace("&#34;", '"')


def save(client, v, sid, data, multipart=False):
    """Post a section as the browser does, with the versions of the page it shows."""
    url = section_url(v, sid)
    data = {"base_versions": page_versions(client, url), **data}
    return client.post(url, data=data, content_type="multipart/form-data" if multipart else None)


def field_error(html: str, name: str) -> str:
    match = re.search(rf'<ul class="errors" id="{re.escape(name)}-error">(.*?)</ul>', html, re.S)
    return html_module.unescape(re.sub(r"<[^>]+>", " ", match.group(1)).strip()) if match else ""


def answers(db, v):
    return store.load_answers(db, v["response_id"])


def upload(name="evidence.pdf", content=PDF):
    return FileStorage(io.BytesIO(content), filename=name)


def stored_files(app) -> set[str]:
    return {p.name for p in Path(app.config["UPLOAD_FOLDER"]).iterdir()}


def attachment_ids(db, v) -> set[str]:
    return {r["id"] for r in db.query("SELECT id FROM attachments WHERE response_id = ?", [v["response_id"]])}


def number_fields(questionnaire):
    """Every number a vendor can type: (section, question or group, field or None, the Question)."""
    for s in questionnaire.sections:
        for q in s.questions:
            if q.type == "number":
                yield s.id, q, None, q
            elif q.type == "group":
                for f in q.fields:
                    if f.type == "number":
                        yield s.id, q, f, f


@pytest.fixture
def vendor(make_vendor):
    return make_vendor()


@pytest.fixture
def owner(login, make_user):
    return login(make_user("owner"))


# --- 7. the YAML loader ------------------------------------------------------------------------

LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


@pytest.mark.parametrize(
    "text",
    [
        LAUGHS,  # nested aliases: 9^9 strings once expanded
        "id: &x mini\ntitle: mini\n",  # one anchor, never used
        "base: &b {weight: 1}\nsection: {<<: *b}\n",  # a merge key is an alias too
        "a: [1]\nb: *undefined\n",  # an alias of nothing
        "- &seq [1, 2]\n",  # an anchor on a sequence
    ],
    ids=["billion-laughs", "anchor", "merge-key", "dangling-alias", "anchored-sequence"],
)
def test_yaml_with_anchors_or_aliases_is_refused_before_anything_is_expanded(tmp_path, runner, text):
    with pytest.raises(QuestionnaireError) as info:
        parse_yaml(text, "q.yaml")
    assert "anchors and aliases (&name, *name) are not allowed" in str(info.value)
    assert re.search(r"line \d+, column \d+", str(info.value))
    path = tmp_path / "q.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(QuestionnaireError):
        load_questionnaire(path)
    result = runner.invoke(args=["check-questionnaire", str(path)])
    assert result.exit_code == 1
    assert "anchors and aliases" in result.output
    assert "Traceback" not in result.output


def test_yaml_over_the_size_cap_is_refused_unread(tmp_path, runner):
    path = tmp_path / "big.yaml"
    path.write_bytes(b"# " + b"x" * MAX_YAML_BYTES + b"\n")
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire(path)
    assert f"too large: more than {MAX_YAML_BYTES} bytes" in str(info.value)
    with pytest.raises(QuestionnaireError, match="too large"):
        parse_yaml("#" * (MAX_YAML_BYTES + 1))
    result = runner.invoke(args=["check-questionnaire", str(path)])
    assert result.exit_code == 1
    assert "too large" in result.output


def test_the_default_questionnaire_has_no_anchors_and_fits_the_cap(questionnaire):
    path = Path(__file__).parent.parent / "questionnaires" / "ai-deployment-partner.yaml"
    assert path.stat().st_size < MAX_YAML_BYTES
    assert load_questionnaire(path).hash == questionnaire.hash


# --- 2. every number question has finite bounds ------------------------------------------------


def test_every_number_in_the_default_questionnaire_has_finite_bounds(questionnaire):
    found = list(number_fields(questionnaire))
    assert len(found) == 26  # 18 questions and 8 fields of groups (1.1 adds G7, H7, K2–K4, K6–K11 and H6's retention)
    for _sid, _q, _f, number in found:
        assert number.min is not None and number.max is not None, number.id
        assert math.isfinite(number.min) and math.isfinite(number.max)
        assert -MAX_NUMBER_BOUND <= number.min <= number.max <= MAX_NUMBER_BOUND
    assert questionnaire.question("E6").max == DEFAULT_NUMBER_BOUND  # documented default, not in the YAML
    assert questionnaire.question("D4").max == DEFAULT_NUMBER_BOUND


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        ({}, (-DEFAULT_NUMBER_BOUND, DEFAULT_NUMBER_BOUND)),
        ({"min": 0}, (0, DEFAULT_NUMBER_BOUND)),
        ({"max": 7}, (-DEFAULT_NUMBER_BOUND, 7)),
        ({"min": -(10**15), "max": 10**15}, (-(10**15), 10**15)),
    ],
)
def test_a_number_question_without_bounds_gets_the_documented_default(limits, expected):
    data = copy.deepcopy(BASE)
    data["sections"][0]["questions"][2] = {"id": "Q3", "type": "number", "prompt": "Q3", **limits}
    q3 = parse_questionnaire(data).question("Q3")
    assert (q3.min, q3.max) == expected


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("max", 10**15 + 1, "must be within ±1,000,000,000,000,000"),
        ("min", -(10**16), "must be within ±1,000,000,000,000,000"),
        ("max", 1e300, "must be within ±1,000,000,000,000,000"),
        ("max", float("inf"), "expected a number"),
        ("min", float("nan"), "expected a number"),
        ("max", 10**400, "must be within"),
    ],
)
def test_a_number_bound_beyond_the_limit_is_refused_by_the_loader(key, value, message):
    data = copy.deepcopy(BASE)
    q3 = data["sections"][0]["questions"][2]
    q3.pop(key)
    q3[key] = value
    if key == "min":
        q3.pop("max")
    with pytest.raises(QuestionnaireError) as info:
        parse_questionnaire(data)
    assert any(e.startswith(f"sections[0].questions[2].{key}: {message}") for e in info.value.errors), info.value.errors


HUGE = [1e27, 1e308, -1e308, 10**30, 10**400, -(10**400), 10**4200, float("inf"), float("-inf"), float("nan")]


@pytest.mark.parametrize("value", HUGE, ids=lambda v: f"{v!r}"[:20])
def test_every_number_field_refuses_huge_and_non_finite_values(questionnaire, value):
    for _sid, _q, _f, number in number_fields(questionnaire):
        problems: list[str] = []
        check_value(number, value, number.id, problems)
        assert len(problems) == 1, (number.id, problems)
        assert problems[0].startswith(f"{number.id}: expected ")
        assert len(problems[0]) < 200  # never the 4,200 digits back


def response_text(**answers) -> str:
    data = load_response_json("stage4-deployer")
    data["answers"].update(answers)
    return json.dumps(data)


@pytest.mark.parametrize(
    ("literal", "message"),
    [
        ("1" + "0" * 400, "answers.A2: expected an integer from 0 to 500, got a number of about 401 digits"),
        ("-" + "9" * 4000, "answers.A2: expected an integer from 0 to 500"),
        ("9" * 5000, "(file): not valid JSON"),  # past Python's 4,300-digit limit for int()
        ("1e400", "answers.A2: expected an integer from 0 to 500"),  # JSON reads it as inf
        ("1e27", "answers.A2: expected an integer from 0 to 500"),
    ],
)
def test_response_json_with_a_huge_number_is_an_error_with_its_path(questionnaire, literal, message):
    text = response_text(A2=0).replace('"A2": 0', f'"A2": {literal}')
    with pytest.raises(ResponseError) as info:
        read_response(questionnaire, text)
    assert any(e.startswith(message) for e in info.value.errors), info.value.errors


def test_a_huge_row_number_in_response_json_is_an_error_on_its_row(questionnaire):
    data = load_response_json("stage4-deployer")
    data["answers"]["B1"][0]["daily_volume"] = 10**400
    data["answers"]["E6"] = 1e27
    with pytest.raises(ResponseError) as info:
        read_response(questionnaire, json.dumps(data))
    assert sorted(e.split(":")[0] for e in info.value.errors) == ["answers.B1[0].daily_volume", "answers.E6"]


@pytest.mark.parametrize("literal", ["1" + "0" * 400, "1e27", "9" * 5000])
def test_flask_score_and_import_response_on_a_huge_number_fail_clearly(tmp_path, runner, db, make_vendor, literal):
    path = tmp_path / "response.json"
    path.write_text(response_text(A2=0).replace('"A2": 0', f'"A2": {literal}'), encoding="utf-8")
    scored = runner.invoke(args=["score", str(path)])
    assert scored.exit_code == 1
    assert isinstance(scored.exception, SystemExit)  # a ClickException, never a traceback
    assert scored.output.startswith("Error: ") and "Traceback" not in scored.output
    v = make_vendor()
    imported = runner.invoke(
        args=["import-response", str(v["evaluation_id"]), str(path), "--vendor-id", str(v["vendor_id"])]
    )
    assert imported.exit_code == 1
    assert isinstance(imported.exception, SystemExit)
    assert store.load_answers(db, v["response_id"]) == {}  # nothing was written


HOSTILE_TYPED = ["1e27", "1e400", "-1e400", "inf", "-inf", "nan", "9" * 4000, "-" + "9" * 4000, "9" * 5000]


@pytest.mark.parametrize("typed", HOSTILE_TYPED, ids=lambda t: t[:12] + (f"…{len(t)}" if len(t) > 12 else ""))
def test_every_number_field_of_the_vendor_form_refuses_huge_values_beside_the_field(
    client, db, make_vendor, questionnaire, typed
):
    v = make_vendor(answers=load_response_json("stage4-deployer")["answers"])
    before = answers(db, v)
    for sid, q, f, _number in number_fields(questionnaire):
        name = q.id if f is None else f"{q.id}-0-{f.id}"
        data = {name: typed}
        if f is not None:  # the rest of row 0 as stored, so only this cell is wrong
            # a group the stored answers leave empty (H6 of 1.1 in a 1.0 file) gets a row of just an id
            for key, value in (before.get(q.id) or [{"id": "r1"}])[0].items():
                if key != f.id and not isinstance(value, list | dict):
                    data[f"{q.id}-0-{key}"] = str(value).lower() if isinstance(value, bool) else str(value)
        # the page's script: only this question is sent, and nothing at all changes
        autosaved = client.post(f"{section_url(v, sid)}/autosave", data={**data, "changed": q.id})
        assert autosaved.status_code == 422, (name, autosaved.status_code)
        assert autosaved.get_json()["errors"][name], name
        assert answers(db, v) == before, name
        # the form without script: a message beside the field, and the question keeps its answer
        stored = answers(db, v)
        response = save(client, v, sid, data)
        assert response.status_code == 422, (name, response.status_code)
        assert field_error(response.get_data(as_text=True), name), name
        assert answers(db, v).get(q.id) == stored.get(q.id), name
        versions = store.answer_versions(db, v["response_id"])
        store.save_answers(
            db, v["response_id"], before, versions, "restore"
        )  # the next field starts from the same answers


# --- 3. formatting any stored value never raises -----------------------------------------------

STORED = [1e27, 1e300, -1e300, 10**30, -(10**40), 1e-300, "lots", "", [1, 2], {"a": 1}, True, None]


@pytest.mark.parametrize("value", [*STORED, float("inf"), float("-inf"), float("nan")], ids=repr)
@pytest.mark.parametrize("lang", ["en", "de", "fr"])
def test_formatting_any_value_gives_readable_text(value, lang):
    for text in (
        readable_number(value, lang),
        readable_number(value, lang, "#,##0.##"),
        readable_percent(value, lang),
        report.Formats(lang).number(value),
        report.Formats(lang).percent(value),
    ):
        assert isinstance(text, str) and text and len(text) <= 80


def test_huge_numbers_are_written_in_scientific_form():
    assert readable_number(1e27, "en") == "1E27"
    assert readable_number(10**30, "de") == "1E30"
    assert readable_number(float("inf"), "en") == "∞"
    assert readable_number(123456.7, "de") == "123.456,7"


def store_everywhere(db, v, questionnaire, value):
    """Write `value` into every number question and every number cell of every row, as stored data."""
    current = answers(db, v)
    changes = {}
    for _sid, q, f, _number in number_fields(questionnaire):
        if f is None:
            changes[q.id] = value
        else:
            rows = changes.get(q.id, copy.deepcopy(current.get(q.id) or [{}]))
            for row in rows:
                row[f.id] = value
            changes[q.id] = rows
    versions = store.answer_versions(db, v["response_id"])
    store.save_answers(db, v["response_id"], changes, versions, "test")
    return changes


@pytest.mark.parametrize("value", [v for v in STORED if v is not None], ids=repr)
def test_any_stored_number_value_shows_on_every_page_and_in_both_pdfs(
    app, client, db, make_vendor, owner, questionnaire, value
):
    v = make_vendor(answers=load_response_json("stage4-deployer")["answers"])
    other = make_vendor("Vendor B", v["evaluation_id"], load_response_json("pilots-only")["answers"])
    changes = store_everywhere(db, v, questionnaire, value)
    assert answers(db, v)["E6"] == changes["E6"]  # stored as is: old data can be anything
    e = v["evaluation_id"]
    urls = [
        f"/evaluations/{e}",
        f"/evaluations/{e}/vendors/{v['vendor_id']}",
        f"/evaluations/{e}/vendors/{other['vendor_id']}",
        f"/evaluations/{e}/compare",
        f"/evaluations/{e}/export.json",
        f"/evaluations/{e}/export.csv",
        f"/evaluations/{e}/export.xlsx",
        f"/evaluations/{e}/audit",
        f"/evaluations/{e}/audit.csv",
        f"/v/{v['token']}",
        f"/v/{v['token']}/review",
        *[section_url(v, s.id) for s in questionnaire.sections],
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        response.close()
    evaluation = store.get_evaluation(db, e)
    model = report.comparison_model(
        evaluations.compare(db, evaluation, questionnaire, AS_OF), evaluation, questionnaire
    )
    vendor_row = store.get_vendor(db, v["vendor_id"])
    for lang in ("en", "de", "fr"):
        assert "<html" in report.comparison_html(model, questionnaire, lang)
        assert "<html" in report.receipt_html(vendor_row, evaluation, answers(db, v), questionnaire, lang)
    if value == 1e27:  # the case, through WeasyPrint too
        assert report.render_pdf(report.comparison_html(model, questionnaire, "de")).pdf.startswith(b"%PDF")
        html = report.receipt_html(vendor_row, evaluation, answers(db, v), questionnaire, "fr")
        assert report.render_pdf(html).pdf.startswith(b"%PDF")


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")], ids=repr)
def test_the_store_writes_no_nan_or_infinity_and_reads_old_ones_as_text(app, client, db, vendor, owner, value):
    with pytest.raises(store.StoreError, match="E6: not a finite number"):
        store.save_answers(db, vendor["response_id"], {"E6": value, "A2": 3}, {}, "test")
    assert answers(db, vendor) == {}  # the whole save is refused
    # A row written by an older version: SQLite's JSON refuses it, the pages do not.
    store.save_answers(db, vendor["response_id"], {"E6": 30}, {}, "test")
    db.execute("UPDATE answers SET value = ? WHERE question_id = 'E6'", [json.dumps(value)])
    assert answers(db, vendor)["E6"] == json.dumps(value)
    for url in (f"/v/{vendor['token']}", section_url(vendor, "E"), f"/evaluations/{vendor['evaluation_id']}/compare"):
        assert client.get(url).status_code == 200, url


# --- 4. ids beyond SQLite's range, and query strings -------------------------------------------

HUGE_IDS = [2**63, 2**64, 10**23, 10**100]


def int_routes(app):
    for rule in app.url_map.iter_rules():
        if any(type(c).__name__ == "RowIdConverter" for c in rule._converters.values()):
            yield rule


def test_every_int_in_the_url_map_is_bounded_to_sqlite(app):
    routes = list(int_routes(app))
    assert len(routes) >= 20
    for rule in app.url_map.iter_rules():
        for converter in rule._converters.values():
            if isinstance(converter, IntegerConverter):
                assert type(converter).__name__ == "RowIdConverter", rule.rule
                assert converter.max == 2**63 - 1


@pytest.mark.parametrize("huge", HUGE_IDS, ids=lambda n: f"{len(str(n))}-digits")
def test_every_route_with_an_id_answers_404_to_ids_beyond_sqlite(app, client, db, make_vendor, owner, huge):
    v = make_vendor()
    store.save_answers(db, v["response_id"], {"A2": 3}, {}, "test")
    before = (store.audit_count(db, store.AuditFilter()), answers(db, v))
    checked = 0
    for rule in int_routes(app):
        for position in [n for n, c in rule._converters.items() if type(c).__name__ == "RowIdConverter"]:
            values = {"evaluation_id": v["evaluation_id"], "vendor_id": v["vendor_id"], "thread_id": 1, "team_id": 1}
            values |= {"user_id": 1, "questionnaire_id": "ai-deployment-partner"}
            values |= {"token": v["token"], "section_id": "A", "attachment_id": "x" * 24, position: huge}
            url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m, values=values: str(values[m[1]]), rule.rule)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client.open(url, method=method)
                assert response.status_code == 404, (method, url, response.status_code)
                checked += 1
    assert checked >= 20
    assert (store.audit_count(db, store.AuditFilter()), answers(db, v)) == before


def test_the_largest_sqlite_id_still_reaches_the_view(client, owner):
    assert client.get(f"/evaluations/{2**63 - 1}").status_code == 404  # the view's own "no such evaluation"
    assert client.get(f"/evaluations/{2**63 - 1}/audit").status_code == 404


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("export.json", "as_of=0001-01-01"),
        ("export.json", "as_of=9999-12-31"),
        ("export.csv", "as_of=0001-01-01"),
        ("export.json", "as_of=1969-12-31"),
        ("export.json", "as_of=not-a-day"),
        ("export.json", "as_of=" + "9" * 5000),
        ("export.json", "lang=xx"),
        ("export.csv", "lang=" + "e" * 5000),
        ("export.xlsx", "as_of=0001-01-01"),
        ("export.xlsx", "lang=" + "e" * 5000),
        ("audit", "page=0"),
        ("audit", "page=-1"),
        ("audit", "page=" + "9" * 30),
        ("audit", "vendor=" + "9" * 30),
        ("audit", "vendor=-1"),
        ("audit", "from=0001-13-01"),
        ("audit", "to=99999-01-01"),
        ("audit", "actor=root"),
        ("audit", "action=" + "x" * 5000),
        ("audit.csv", "vendor=" + str(2**63)),
        ("audit.csv", "from=2026-02-30"),
        ("report.pdf", "size=a0"),
        ("report.pdf", "lang=xx"),
        ("report.pdf", "size=" + "a" * 5000),
    ],
)
def test_a_bad_query_string_parameter_is_a_400_never_a_500(client, db, vendor, owner, path, query):
    before = store.audit_count(db, store.AuditFilter())
    response = client.get(f"/evaluations/{vendor['evaluation_id']}/{path}?{query}")
    assert response.status_code == 400
    assert store.audit_count(db, store.AuditFilter()) == before  # nothing was made, nothing logged


@pytest.mark.parametrize("query", ["as_of=1970-01-01", "as_of=2026-11-21", "as_of=9000-12-31"])
def test_as_of_within_the_range_is_served(client, vendor, owner, query):
    assert client.get(f"/evaluations/{vendor['evaluation_id']}/export.json?{query}").status_code == 200


@pytest.mark.parametrize(
    "query",
    ["w_A=1e400", "w_A=nan", "w_A=-inf", "w_A=" + "9" * 5000, "w_A=x", "w_A=" + "1" * 400],
    ids=lambda q: q[:14],
)
def test_a_bad_weight_on_the_comparison_is_refused_with_a_message_never_a_500(client, make_vendor, owner, query):
    vendor = make_vendor(answers={"A2": 3})  # a ranking (and its weights) shows once a vendor has answered
    response = client.get(f"/evaluations/{vendor['evaluation_id']}/compare?{query}")
    assert response.status_code in (200, 400)
    assert "A weight is a number from 0 to" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "rows"),
    [
        ("add=B1", 1),
        ("add=B1&add=B1", 2),  # each `add` counts
        ("&".join(["add=B1"] * 500), 200),  # capped at the group's max_rows
        ("&".join(["add=B1"] * 500 + ["add=B5", "add=XX", "add=" + "B1" * 2000]), 200),  # not groups: ignored
    ],
)
def test_add_rows_counts_each_add_and_stops_at_max_rows(client, db, vendor, query, rows):
    response = client.get(f"{section_url(vendor, 'B')}?{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert len(set(re.findall(r'name="B1-(\d+)-id"', html))) == rows
    assert answers(db, vendor) == {}  # a GET writes nothing


# --- 1. caches are bounded by bytes ------------------------------------------------------------


def test_300_add_requests_never_grow_the_fragment_cache_past_its_byte_budget(client, monkeypatch, vendor):
    from views import vendor as vendor_views

    budget = 2 * 1024 * 1024
    cache = vendor_views.KeptHtml(budget)
    monkeypatch.setattr(vendor_views, "_fragments", cache)
    largest = 0
    for i in range(300):
        adds = "&".join(["add=B1"] * (1 + i % 250))  # each a page state never seen before (up to 200)
        response = client.get(f"{section_url(vendor, 'B')}?{adds}")
        assert response.status_code == 200
        held = sum(len(html) + vendor_views.KEY_BYTES for html in cache.items.values())
        assert held == cache.size <= budget
        largest = max(largest, cache.size)
    assert largest > budget // 2  # the budget, not a lack of traffic, is what held it


@pytest.mark.parametrize("budget", [1, 300, 10_000])
def test_kept_html_holds_at_most_its_budget_and_drops_the_least_recently_used(budget):
    from views.vendor import KEY_BYTES
    from views.vendor import KeptHtml

    cache = KeptHtml(budget)
    for i in range(1000):
        cache.put(("k", i % 37), Markup("x" * (i % 500)))
        if i % 3 == 0:
            cache.get(("k", (i * 7) % 37))
        assert cache.size == sum(len(h) + KEY_BYTES for h in cache.items.values()) <= budget
    cache.clear()
    assert cache.size == 0 and not cache.items


def test_kept_html_keeps_the_most_recently_used():
    from views.vendor import KEY_BYTES
    from views.vendor import KeptHtml

    cache = KeptHtml(3 * (10 + KEY_BYTES))
    for key in "abc":
        cache.put(key, Markup("x" * 10))
    assert cache.get("a") == "x" * 10  # a is now the most recently used
    cache.put("d", Markup("y" * 10))
    assert list(cache.items) == ["c", "a", "d"]  # b, the least recently used, went


def test_the_shipped_caches_are_budgeted_in_bytes():
    from views import vendor as vendor_views

    assert vendor_views._fragments.budget == 16 * 1024 * 1024
    assert vendor_views._navs.budget == 2 * 1024 * 1024


# --- 5. a storage quota per response; no upload outlives its answer ----------------------------


def test_a_refused_save_keeps_none_of_its_uploads(app, client, db, vendor):
    rows = {"B1-0-id": "d1", "B1-0-stage": "9"}  # stage 9: refused, and the whole group with it
    for attempt in range(5):
        response = save(client, vendor, "B", {**rows, "B1-0-evidence": upload(f"big{attempt}.pdf")}, multipart=True)
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert f"big{attempt}.pdf was not kept because this answer was not saved" in field_error(html, "B1-0-evidence")
    assert stored_files(app) == set()
    assert attachment_ids(db, vendor) == set()
    assert answers(db, vendor) == {}


def test_a_conflicting_save_keeps_none_of_its_uploads(app, client, db, make_vendor):
    v = make_vendor()
    stale = page_versions(client, section_url(v, "B"))
    assert save(client, v, "B", {"B5": upload("mine.pdf")}, multipart=True).status_code == 302
    mine = answers(db, v)["B5"][0]["id"]
    # a colleague's page from before that save uploads another file to the same question
    response = client.post(
        section_url(v, "B"),
        data={"base_versions": stale, "B5": upload("theirs.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert stored_files(app) == {mine}
    assert attachment_ids(db, v) == {mine}


def test_a_replaced_or_cleared_file_is_deleted_unless_another_answer_refers_to_it(app, client, db, vendor):
    assert save(client, vendor, "B", {"B5": upload("first.pdf")}, multipart=True).status_code == 302
    first = answers(db, vendor)["B5"][0]["id"]
    # replaced: the new one only
    assert save(client, vendor, "B", {"B5": upload("second.pdf")}, multipart=True).status_code == 302
    second = answers(db, vendor)["B5"][0]["id"]
    assert stored_files(app) == {second} and attachment_ids(db, vendor) == {second}
    # the same file also kept by a row's evidence: clearing B5 leaves it
    data = {"B5-keep": second, "B1-0-id": "d1", "B1-0-evidence-keep": second}
    assert save(client, vendor, "B", data).status_code == 302
    assert save(client, vendor, "B", {"B1-0-id": "d1", "B1-0-evidence-keep": second}).status_code == 302
    assert "B5" not in answers(db, vendor)
    assert stored_files(app) == {second}
    # and once nothing refers to it, it goes
    assert save(client, vendor, "B", {"B1-0-id": "d1"}).status_code == 302
    assert stored_files(app) == set() and attachment_ids(db, vendor) == set()
    assert first not in stored_files(app)
    removed = [e for e in store.audit_entries(db) if e["action"] == "files_removed"]
    assert [e["detail"]["count"] for e in removed] == [1, 1]


def test_uploads_past_the_response_quota_are_refused_beside_the_field(app, client, db, vendor):
    app.config["RESPONSE_QUOTA_BYTES"] = 2 * len(PDF) + 10
    assert save(client, vendor, "B", {"B5": [upload("one.pdf"), upload("two.pdf")]}, multipart=True).status_code == 302
    kept = stored_files(app)
    assert len(kept) == 2
    both = {"B5-keep": sorted(kept)}
    data = {**both, "B1-0-id": "d1", "B1-0-evidence": upload("three.pdf")}
    response = save(client, vendor, "B", data, multipart=True)
    assert response.status_code == 422
    message = field_error(response.get_data(as_text=True), "B1-0-evidence")
    assert "three.pdf was not stored: this response's files would take more than" in message
    assert stored_files(app) == kept
    assert attachment_ids(db, vendor) == kept
    # removing a file frees its room
    keep_one = sorted(kept)[0]
    assert save(client, vendor, "B", {"B5-keep": keep_one}).status_code == 302
    response = save(client, vendor, "B", {"B5-keep": keep_one, "B5": upload("three.pdf")}, multipart=True)
    assert response.status_code == 302
    assert len(stored_files(app)) == 2


def test_the_default_quota_is_a_hundred_megabytes(app):
    assert app.config["RESPONSE_QUOTA_BYTES"] == 100 * 1024 * 1024


# --- 6. the audit log keeps a bounded diff -----------------------------------------------------


def big_rows(count=200, letter="a"):
    return [{"id": f"d{i}", "customer": letter * 400, "stage": 4} for i in range(count)]


def test_five_one_letter_edits_of_a_big_group_write_a_few_kb_each(db, vendor):
    rows = big_rows()
    store.save_answers(db, vendor["response_id"], {"B1": rows}, {}, "test")
    for i in range(5):
        rows = copy.deepcopy(rows)
        rows[17 + i]["customer"] = rows[17 + i]["customer"][:-1] + "b"
        store.save_answers(
            db, vendor["response_id"], {"B1": rows}, store.answer_versions(db, vendor["response_id"]), "t"
        )
    entries = [r for r in db.query("SELECT detail FROM audit_log WHERE action = 'answer_saved'")]
    assert len(entries) == 6
    for entry in entries:
        assert len(entry["detail"].encode()) < 4096
    last = json.loads(entries[-1]["detail"])
    assert last["changes"] == [
        {"row": 21, "field": "customer", "before": last["changes"][0]["before"], "after": last["changes"][0]["after"]}
    ]
    assert last["changes"][0]["after"]["start"].endswith("a")  # cut short, with its size and hash
    assert last["changes"][0]["after"]["bytes"] == 402
    assert last["before"]["truncated"] and last["after"]["bytes"] > 80_000
    assert last["rows"] == [200, 200]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (big_rows(200), big_rows(200, "z")),  # every cell changed
        (big_rows(200), []),  # cleared to none
        (None, big_rows(200)),  # first answer
        ("x" * 10_000, "x" * 5_000 + "y" + "x" * 4_999),  # one letter in a long text
        ("a" * 10_000, "b" * 10_000),
        ([{"id": "d1"}] * 3, ["text"] * 300),  # not rows at all
        ({"k": "v" * 50_000}, 5),
    ],
    ids=["all-cells", "cleared", "first", "long-text", "whole-text", "not-rows", "object"],
)
def test_an_audit_change_is_bounded_whatever_the_answer(before, after):
    detail = answer_change(before, after)
    assert len(json.dumps(detail, ensure_ascii=False).encode()) < 6144


def test_a_small_answer_is_logged_whole(db, vendor):
    store.save_answers(db, vendor["response_id"], {"A2": 3, "A1": "independent"}, {}, "test")
    details = [e["detail"] for e in store.audit_entries(db) if e["action"] == "answer_saved"]
    assert sorted((d["question"], d["before"], d["after"]) for d in details) == [
        ("A1", None, "independent"),
        ("A2", None, 3),
    ]


def test_a_long_text_change_says_where_it_changed(db, vendor):
    text = "x" * 5000
    assert answer_change(text, text[:2500] + "CHANGED" + text[2500:])["changes"] == [
        {"at": 2500, "removed": "", "added": "CHANGED"}
    ]


def test_the_audit_page_shows_a_summarised_answer_readably(client, db, vendor, owner):
    store.save_answers(db, vendor["response_id"], {"B1": big_rows()}, {}, "test")
    html = client.get(f"/evaluations/{vendor['evaluation_id']}/audit").get_data(as_text=True)
    assert re.search(r"bytes\)", html)
    assert "sha256" not in html


def test_the_audit_csv_streams(client, db, vendor, owner):
    for i in range(50):
        store.save_answers(
            db, vendor["response_id"], {"A2": i % 5}, store.answer_versions(db, vendor["response_id"]), "t"
        )
    response = client.get(f"/evaluations/{vendor['evaluation_id']}/audit.csv")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbfid,at,actor")
    lines = body.decode("utf-8-sig").splitlines()
    exported = [e for e in store.audit_entries(db) if e["action"] == "audit_exported"]
    assert exported[0]["detail"]["entries"] == len(lines) - 1
    assert len(lines) - 1 >= 50


def test_audit_stream_reads_one_entry_at_a_time(db, vendor):
    store.save_answers(db, vendor["response_id"], {"A2": 1}, {}, "test")
    stream = store.audit_stream(db, store.AuditFilter())
    assert not isinstance(stream, list)
    assert next(stream)["action"] == "answer_saved"
