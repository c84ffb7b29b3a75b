"""The vendor's pages through the test client: the link, every field type, rows, files,
concurrency, review and submit, languages, closed links."""

import io
import json
import re
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import EnvironBuilder
from werkzeug.test import encode_multipart

from stagefour import store
from stagefour.response import digest

from .conftest import complete_answers

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def section_url(v, sid="A"):
    return f"/v/{v['token']}/s/{sid}"


def page_versions(client, url):
    """The base_versions a browser would send: what the page was rendered with."""
    html = client.get(url.split("?")[0]).get_data(as_text=True)
    return re.search(r'name="base_versions" value="([^"]*)"', html).group(1).replace("&#34;", '"')


def save(client, v, sid="A", data=None, **kwargs):
    """Post a section as the browser does: with the versions of the page it shows."""
    url = section_url(v, sid)
    data = dict(data or {})
    if "base_versions" not in data:
        data["base_versions"] = page_versions(client, url)
    return client.post(url, data=data, **kwargs)


def answers(db, v):
    return store.load_answers(db, v["response_id"])


def field_error(html: str, name: str) -> str:
    match = re.search(rf'<ul class="errors" id="{re.escape(name)}-error">(.*?)</ul>', html, re.S)
    return re.sub(r"<[^>]+>", " ", match.group(1)).strip() if match else ""


@pytest.fixture
def vendor(make_vendor):
    return make_vendor()


def test_link_opens_the_overview_with_every_section(client, vendor):
    page = client.get(f"/v/{vendor['token']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Vendor A" in html
    for sid in "ABCDEFGHIJK":
        assert f'href="/v/{vendor["token"]}/s/{sid}"' in html
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("token", ["x", "a" * 43, "../../etc/passwd", "A" * 500, "%00" * 20])
def test_unknown_or_malformed_tokens_are_not_found(client, vendor, token):
    assert client.get(f"/v/{token}").status_code == 404
    assert client.post(f"/v/{token}/s/A", data={"A2": "3"}).status_code in (404, 405)


def test_the_vendor_reads_the_instructions_meant_for_them_that_the_buyers_pdf_leaves_out(client, vendor):
    # F's section help speaks to the vendor in `vendor_help` (issue 13): on the form, not in the PDF.
    html = client.get(section_url(vendor, "F")).get_data(as_text=True)
    assert "Only for systems where agents delegate to sub-agents" in html
    assert "If you answer No to F1, the rest of this section does not apply and does not count." in html


def test_every_section_renders_and_unknown_sections_do_not(client, vendor):
    for sid in "ABCDEFGHIJK":
        assert client.get(section_url(vendor, sid)).status_code == 200
    assert client.get(section_url(vendor, "Z")).status_code == 404
    assert client.get(section_url(vendor, "<script>")).status_code == 404


def test_saving_a_section_stores_each_type_and_redirects(client, db, vendor):
    data = {"A1": "boutique", "A2": "3", "A3": "7.5", "A4": "yes", "A5": "40", "base_versions": "{}"}
    response = save(client, vendor, "A", data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(section_url(vendor))
    assert answers(db, vendor) == {"A1": "boutique", "A2": 3, "A3": 7.5, "A4": True, "A5": 40}
    assert store.get_vendor(db, vendor["vendor_id"])["status"] == "in_progress"
    page = client.get(section_url(vendor)).get_data(as_text=True)
    assert 'value="3"' in page and 'value="boutique" checked' in page and "Saved at" in page


def test_save_and_continue_goes_to_the_next_section_then_review(client, vendor):
    assert save(client, vendor, "A", {"action": "next"}).headers["Location"].endswith("/s/B")
    assert save(client, vendor, "J", {"action": "next"}).headers["Location"].endswith("/s/K")
    assert save(client, vendor, "K", {"action": "next"}).headers["Location"].endswith("/review")


@pytest.mark.parametrize(
    ("sid", "field", "value", "message"),
    [
        ("A", "A2", "abc", "Not a valid integer value"),
        ("A", "A2", "2.5", "Not a valid integer value"),
        ("A", "A2", "-1", "Number must be between 0 and 500"),
        ("A", "A2", "1e9", "Not a valid integer value"),
        ("A", "A5", "101", "Number must be between 0 and 100"),
        ("A", "A5", "NaN", "Number must be between 0 and 100"),
        ("D", "D4", "inf", "Number must be between 0 and 1000000000000"),  # D4 has the default max (issue 10)
        ("A", "A1", "startup", "Not a valid choice"),
        ("A", "A4", "maybe", "Not a valid choice"),
        ("C", "C4", "x" * 10_001, "Field cannot be longer than 10000 characters"),
        ("E", "E3", "prayer", "is not a valid choice"),
        ("G", "G4", "31/12/2026", "Not a valid date value"),
        ("G", "G4", "2026-02-30", "Not a valid date value"),
    ],
)
def test_bad_values_get_a_message_beside_the_field_and_are_not_saved(client, db, vendor, sid, field, value, message):
    response = client.post(section_url(vendor, sid), data={field: value})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in field_error(html, field)
    assert field not in answers(db, vendor)
    assert 'class="error-summary"' in html


def test_a_bad_value_never_loses_the_good_ones_or_what_was_typed(client, db, vendor):
    response = save(client, vendor, "A", {"A2": "three", "A3": "6", "A1": "independent"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="three"' in html  # what the vendor typed is still in the field
    assert answers(db, vendor) == {"A3": 6, "A1": "independent"}


def test_hostile_text_is_stored_as_typed_and_shown_escaped(client, db, vendor):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)> =HYPERLINK("http://evil") مرحبا 👩🏽‍💻 é'
    save(client, vendor, "C", {"C4": hostile})
    assert answers(db, vendor)["C4"] == hostile
    html = client.get(section_url(vendor, "C")).get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "مرحبا 👩🏽‍💻 é" in html


def test_clearing_an_answer_makes_it_unanswered(client, db, vendor):
    save(client, vendor, "A", {"A2": "3"})
    save(client, vendor, "A", {"A2": ""})
    assert "A2" not in answers(db, vendor)


def test_multi_choice_with_none_of_these(client, db, vendor):
    save(client, vendor, "E", {"E3": ["timeouts", "backoff"]})
    assert answers(db, vendor)["E3"] == ["timeouts", "backoff"]
    save(client, vendor, "E", {"E3": ["_none"]})
    assert answers(db, vendor)["E3"] == []
    response = save(client, vendor, "E", {"E3": ["_none", "backoff"]})
    assert response.status_code == 422
    assert "not both" in field_error(response.get_data(as_text=True), "E3")
    assert answers(db, vendor)["E3"] == []


def row(prefix, i, **cells):
    return {f"{prefix}-{i}-{k}": v for k, v in cells.items()}


def test_rows_are_added_saved_and_removed_without_javascript(client, db, vendor):
    url = section_url(vendor, "B")
    added = client.post(url, data={"action": "add:B1"})
    assert added.status_code == 302 and "add=B1" in added.headers["Location"]
    page = client.get(url + "?add=B1").get_data(as_text=True)
    assert 'name="B1-0-stage"' in page
    data = {
        **row("B1", 0, id="d1", stage="4", in_production="yes", go_live="2026-09-01", vendor_role="built_operates",
              engineer_ids=["e1", "e2"]),  # ticked in the roster pick list (issue 12)
        **row("B1", 1, id="d2", stage="3", in_production="no"),
        **row("B1", 2, id=""),  # an empty row is dropped
    }  # fmt: skip
    assert save(client, vendor, "B", data).status_code == 302
    saved = answers(db, vendor)["B1"]
    assert saved == [
        {"id": "d1", "go_live": "2026-09-01", "stage": 4, "in_production": True, "vendor_role": "built_operates",
         "engineer_ids": ["e1", "e2"]},
        {"id": "d2", "stage": 3, "in_production": False},
    ]  # fmt: skip
    removed = save(client, vendor, "B", {**data, "action": "remove:B1:0"})
    assert removed.status_code == 200  # the page with the removed row's Undo (tests/test_vendor_ux.py)
    assert answers(db, vendor)["B1"] == [{"id": "d2", "stage": 3, "in_production": False}]


def test_a_bad_cell_is_reported_on_its_row_and_the_group_keeps_its_stored_rows(client, db, vendor):
    save(client, vendor, "B", row("B1", 0, id="d1", stage="4"))
    response = save(client, vendor, "B", {**row("B1", 0, id="d1", stage="9"), "B3": "2"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "between 1 and 4" in field_error(html, "B1-0-stage")
    stored = answers(db, vendor)
    assert stored["B1"] == [{"id": "d1", "stage": 4}]
    assert stored["B3"] == 2


def test_none_to_list_is_an_answer_and_conflicts_with_rows(client, db, vendor):
    save(client, vendor, "D", {"D1_none": "none"})
    assert answers(db, vendor)["D1"] == []
    response = save(client, vendor, "D", {"D1_none": "none", **row("D1", 0, id="f1")})
    assert response.status_code == 422
    assert answers(db, vendor)["D1"] == []


def test_too_many_rows_are_refused_with_a_clear_message(client, db, vendor):
    data = {}
    for i in range(201):
        data.update(row("B1", i, id=f"d{i}"))
    response = save(client, vendor, "B", data)
    assert response.status_code == 422
    assert "Too many rows: at most 200" in response.get_data(as_text=True)
    assert "B1" not in answers(db, vendor)


def post_multipart(client, url, data):
    """POST multipart data from memory (the test client spools large bodies to files it never closes)."""
    boundary, body = encode_multipart(data)
    builder = EnvironBuilder(
        path=url,
        method="POST",
        input_stream=io.BytesIO(body),
        content_length=len(body),
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    return client.open(builder)


def upload(name, content):
    return FileStorage(io.BytesIO(content), filename=name)


def test_file_evidence_is_stored_under_a_random_name_and_downloaded_as_attachment(client, db, app, vendor):
    response = save(client, vendor, "B", {"B5": upload("../../etc/arch diagram.pdf", PDF)},
                           content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 302
    [ref] = answers(db, vendor)["B5"]
    assert ref["name"] == "arch diagram.pdf"
    assert ref["content_type"] == "application/pdf"
    assert re.fullmatch(r"[A-Za-z0-9_-]{24}", ref["id"])
    stored = [p.name for p in Path(app.config["UPLOAD_FOLDER"]).iterdir()]
    assert stored == [ref["id"]]
    download = client.get(f"/v/{vendor['token']}/files/{ref['id']}")
    assert download.status_code == 200
    assert download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    download.close()
    # keeping it on the next save, and removing it by unticking
    save(client, vendor, "B", {"B5-keep": ref["id"]})
    assert answers(db, vendor)["B5"] == [ref]
    save(client, vendor, "B", {})
    assert "B5" not in answers(db, vendor)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("diagram.pdf", PNG, "does not match the .pdf extension"),
        ("notes.txt", PDF.replace(b"%PDF", b"\x00PDF"), "not plain text"),
        ("malware.exe", b"MZ\x90\x00", "not accepted"),
        ("empty.pdf", b"", "empty"),
        ("huge.pdf", b"%PDF-1.4\n" + b"0" * (20 * 1024 * 1024), "over the limit"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_else_is_lost(client, db, vendor, name, content, message):
    versions = page_versions(client, section_url(vendor, "B"))
    data = {"B5": upload(name, content), "B3": "4", "base_versions": versions}
    response = post_multipart(client, section_url(vendor, "B"), data)
    assert response.status_code == 422
    assert message in field_error(response.get_data(as_text=True), "B5")
    assert answers(db, vendor) == {"B3": 4}


def test_a_request_over_the_size_limit_gets_a_clear_413(client, vendor):
    body = b"--x\r\n" + b"0" * (26 * 1024 * 1024)
    builder = EnvironBuilder(
        path=section_url(vendor, "B"),
        method="POST",
        input_stream=io.BytesIO(body),
        content_length=len(body),
        content_type="multipart/form-data; boundary=x",
    )
    response = client.open(builder)
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_a_vendor_cannot_keep_or_download_another_vendors_file(client, db, make_vendor, make_evaluation):
    evaluation_id = make_evaluation()
    a = make_vendor("Vendor A", evaluation_id)
    b = make_vendor("Vendor B", evaluation_id)
    save(client, b, "B", {"B5": upload("b-secret.pdf", PDF)}, content_type="multipart/form-data")
    [ref] = answers(db, b)["B5"]
    assert client.get(f"/v/{a['token']}/files/{ref['id']}").status_code == 404
    save(client, a, "B", {"B5-keep": ref["id"]})
    assert "B5" not in answers(db, a)
    assert "b-secret" not in client.get(section_url(a, "B")).get_data(as_text=True)


def test_a_whole_section_post_only_writes_what_the_vendor_changed(client, db, vendor):
    stale = page_versions(client, section_url(vendor))  # colleague 2 opens the page, A2 empty
    save(client, vendor, "A", {"A2": "4"})  # colleague 1 answers A2
    response = client.post(section_url(vendor), data={"A2": "", "A3": "9", "base_versions": stale})
    assert response.status_code == 302  # colleague 2 left A2 as shown: not a change, no conflict
    assert answers(db, vendor) == {"A2": 4, "A3": 9}


def test_two_colleagues_never_overwrite_each_other_silently(client, db, vendor):
    url = section_url(vendor, "A")
    client.post(url, data={"A2": "2", "A3": "5"})
    versions = store.answer_versions(db, vendor["response_id"])
    stale = json.dumps(versions)
    # colleague 1 changes A2
    assert client.post(url, data={"A2": "4", "A3": "5", "base_versions": stale}).status_code == 302
    # colleague 2 still has the page from before: changes A3, and sends the old A2 back
    response = client.post(url, data={"A2": "2", "A3": "8", "base_versions": stale})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "A colleague saved a different answer: 4" in html
    assert answers(db, vendor) == {"A2": 4, "A3": 8}  # A3 saved, A2 kept as colleague 1 left it
    # saving again from the conflict page keeps colleague 2's value on purpose
    fresh = re.search(r'name="base_versions" value="([^"]*)"', html).group(1).replace("&#34;", '"')
    assert client.post(url, data={"A2": "2", "A3": "8", "base_versions": fresh}).status_code == 302
    assert answers(db, vendor)["A2"] == 2


def test_autosave_saves_only_the_changed_questions_and_answers_json(client, db, vendor):
    url = section_url(vendor, "A") + "/autosave"
    response = client.post(url, data={"A2": "3", "A3": "9", "changed": "A2", "base_versions": "{}"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["saved"] == ["A2"] and body["versions"] == {"A2": [1, digest(3)]}
    assert body["saved_at_text"].startswith("Saved at")
    assert answers(db, vendor) == {"A2": 3}
    bad = client.post(url, data={"A2": "x", "changed": "A2", "base_versions": json.dumps(body["versions"])})
    assert bad.status_code == 422
    assert "A2" in bad.get_json()["errors"]
    assert answers(db, vendor) == {"A2": 3}


def test_autosave_reports_conflicts_with_their_version(client, db, vendor):
    url = section_url(vendor, "A") + "/autosave"
    client.post(url, data={"A2": "3", "changed": "A2"})
    client.post(url, data={"A2": "4", "changed": "A2", "base_versions": '{"A2": 1}'})
    stale = client.post(url, data={"A2": "5", "changed": "A2", "base_versions": '{"A2": 1}'})
    assert stale.status_code == 422
    body = stale.get_json()
    assert "A2" in body["conflicts"] and body["conflict_versions"] == {"A2": [2, digest(4)]}
    keep_mine = client.post(
        url, data={"A2": "5", "changed": "A2", "base_versions": json.dumps(body["conflict_versions"])}
    )
    assert keep_mine.status_code == 200
    assert answers(db, vendor)["A2"] == 5


@pytest.mark.parametrize("versions", ["not json", "[1, 2]", '{"A2": "x"}', "{" * 5000])
def test_garbage_base_versions_are_treated_as_seen_nothing(client, db, vendor, versions):
    save(client, vendor, "A", {"A2": "3"})
    response = save(client, vendor, "A", {"A2": "3", "A3": "4", "base_versions": versions})
    assert response.status_code == 302
    assert answers(db, vendor) == {"A2": 3, "A3": 4}


def test_review_lists_missing_answers_with_links_then_submit_locks(client, db, make_vendor):
    full = complete_answers("stage4-deployer")
    partial = {k: v for k, v in full.items() if k not in ("C5", "J2")}
    v = make_vendor(answers=partial)
    html = client.get(f"/v/{v['token']}/review").get_data(as_text=True)
    assert f'href="/v/{v["token"]}/s/C#q-C5"' in html and f'href="/v/{v["token"]}/s/J#q-J2"' in html
    refused = client.post(f"/v/{v['token']}/submit")
    assert refused.headers["Location"].endswith("/review")
    assert store.get_vendor(db, v["vendor_id"])["status"] == "in_progress"
    save(client, v, "C", {"C5": full["C5"], "base_versions": "{}"})
    save(client, v, "J", {"J2": full["J2"]})
    done = client.post(f"/v/{v['token']}/submit", data={"confirm": "yes"})
    assert done.headers["Location"].endswith("/receipt")
    vendor = store.get_vendor(db, v["vendor_id"])
    assert vendor["status"] == "submitted" and vendor["submitted_at"]
    assert "submitted" in client.get(f"/v/{v['token']}/receipt").get_data(as_text=True)
    # locked: a save changes nothing; a second submit is harmless
    locked = save(client, v, "A", {"A2": "99"})
    assert locked.status_code == 302
    assert store.load_answers(db, v["response_id"])["A2"] == 3
    assert client.post(f"/v/{v['token']}/submit").headers["Location"].endswith("/receipt")
    assert client.post(section_url(v, "A") + "/autosave", data={"A2": "9", "changed": "A2"}).status_code == 409
    actions = [e["action"] for e in store.audit_entries(db, v["evaluation_id"])]
    assert actions.count("response_submitted") == 1


def test_sub_agents_no_makes_their_questions_not_required(client, db, make_vendor):
    full = complete_answers("stage4-deployer")
    v = make_vendor(answers={k: val for k, val in full.items() if k not in ("F1", "F2", "F3", "F4")})
    html = client.get(f"/v/{v['token']}/review").get_data(as_text=True)
    assert "#q-F1" in html and "#q-F2" in html
    save(client, v, "F", {"F1": "no"})
    html = client.get(f"/v/{v['token']}/review").get_data(as_text=True)
    assert "#q-F1" not in html and "#q-F2" not in html


def test_language_switch_changes_interface_and_questionnaire_text(client, db, vendor):
    response = client.post(f"/v/{vendor['token']}/language", data={"language": "de", "next": section_url(vendor)})
    assert response.headers["Location"].endswith(section_url(vendor))
    html = client.get(section_url(vendor)).get_data(as_text=True)
    assert '<html lang="de">' in html
    assert "Wie viele" in html  # A2's German prompt
    assert store.get_vendor(db, vendor["vendor_id"])["language"] == "de"
    evil = client.post(f"/v/{vendor['token']}/language", data={"language": "xx", "next": "https://evil.example/"})
    assert evil.headers["Location"] == f"/v/{vendor['token']}"
    assert store.get_vendor(db, vendor["vendor_id"])["language"] == "de"


def test_revoked_and_expired_links_get_a_clear_page_and_lose_nothing(client, db, make_vendor):
    v = make_vendor()
    save(client, v, "A", {"A2": "3"})
    store.revoke_invitations(db, v["vendor_id"], "test")
    for path in ("", "/s/A", "/review"):
        page = client.get(f"/v/{v['token']}{path}")
        assert page.status_code == 410
        assert "withdrawn" in page.get_data(as_text=True)
    assert save(client, v, "A", {"A2": "4", "base_versions": "{}"}).status_code == 410
    assert answers(db, v) == {"A2": 3}
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat(timespec="seconds")
    expired = make_vendor("Vendor B", expires_at=past)
    page = client.get(f"/v/{expired['token']}")
    assert page.status_code == 410 and "expired" in page.get_data(as_text=True)


def test_after_the_deadline_answers_are_shown_but_not_changed(client, db, make_vendor, make_evaluation):
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    v = make_vendor(evaluation_id=make_evaluation(deadline=yesterday), answers={"A2": 3})
    html = client.get(section_url(v)).get_data(as_text=True)
    assert "deadline" in html and "has passed" in html
    assert 'value="3"' in html and "disabled" in html
    assert save(client, v, "A", {"A2": "4"}).status_code == 302
    assert answers(db, v) == {"A2": 3}


def test_a_link_opens_only_its_own_response(client, db, make_vendor, make_evaluation):
    evaluation_id = make_evaluation()
    a = make_vendor("Alpha Corp", evaluation_id, answers={"C4": "alpha's secret plan"})
    b = make_vendor("Beta Corp", evaluation_id, answers={"C4": "beta's secret plan"})
    for path in ("", "/s/C", "/review"):
        html = client.get(f"/v/{a['token']}{path}").get_data(as_text=True)
        assert "Beta Corp" not in html and "beta's secret" not in html
    save(client, a, "C", {"C4": "changed by alpha"})
    assert answers(db, b)["C4"] == "beta's secret plan"


def test_a_pages_own_autosave_still_in_flight_is_not_a_conflict(client, db, vendor):
    url = section_url(vendor, "A")
    seen = page_versions(client, url)  # the page as loaded: A2 empty
    # the page's autosave of a half-typed answer lands after the page has posted its form...
    client.post(url + "/autosave", data={"A2": "1", "changed": "A2", "base_versions": seen, "page_id": "page-1"})
    # ...so the form carries the versions from before that autosave: same page, no conflict
    response = client.post(url, data={"A2": "12", "base_versions": seen, "page_id": "page-1"})
    assert response.status_code == 302
    assert answers(db, vendor)["A2"] == 12
    # another page with the same stale view is told
    other = client.post(url, data={"A2": "7", "base_versions": seen, "page_id": "page-2"})
    assert other.status_code == 422
    assert answers(db, vendor)["A2"] == 12


def test_a_late_autosave_never_undoes_the_same_pages_later_save(client, db, vendor):
    url = section_url(vendor, "A")
    seen = page_versions(client, url)
    page = {"base_versions": seen, "page_id": "page-1"}
    client.post(url, data={"A2": "12", "seq": "2000", **page})  # the form, posted at t=2000
    late = client.post(url + "/autosave", data={"A2": "1", "changed": "A2", "seq": "1000", **page})  # sent at t=1000
    assert late.status_code == 200
    assert answers(db, vendor)["A2"] == 12


def _section_list(html: str) -> dict[str, tuple[str, bool]]:
    """The section list of a vendor page: section id -> (its progress text, whether it is marked current)."""
    nav = re.search(r'<nav class="sections".*?</nav>', html, re.S).group(0)
    item = r'<li( class="current")?>\s*<a href="[^"]*/s/(\w+)"[^>]*>.*?'
    item += r'<span class="progress-count[^"]*">(.*?)</span>\s*</li>'
    items = re.findall(item, nav, re.S)
    return {sid: (re.sub(r"<[^>]+>", " ", text).split(), bool(current)) for current, sid, text in items}


def test_the_section_list_follows_saves_the_page_the_link_and_the_language(client, vendor, make_vendor):
    """The list is kept between requests (views/vendor.py): each step changes one thing it shows."""
    on_a = _section_list(client.get(section_url(vendor, "A")).get_data(as_text=True))
    assert set(on_a) == set("ABCDEFGHIJK") and on_a["A"][1] and not on_a["B"][1]
    on_b = _section_list(client.get(section_url(vendor, "B")).get_data(as_text=True))
    assert on_b["B"][1] and not on_b["A"][1]  # the page it is on, with the same progress
    other = make_vendor("Vendor B", evaluation_id=vendor["evaluation_id"])
    theirs = client.get(section_url(other, "B")).get_data(as_text=True)
    nav = re.search(r'<nav class="sections".*?</nav>', theirs, re.S).group(0)
    assert other["token"] in nav and vendor["token"] not in theirs  # same progress, their own link
    done, _, required, *_ = on_b["A"][0]
    assert save(client, vendor, "A", {"A1": "boutique", "A2": "3"}).status_code == 302
    saved = _section_list(client.get(section_url(vendor, "B")).get_data(as_text=True))
    assert saved["A"][0][0] == str(int(done) + 2) and saved["A"][0][2] == required
    client.post(f"/v/{vendor['token']}/language", data={"language": "de"})
    german = client.get(section_url(vendor, "B")).get_data(as_text=True)
    assert _section_list(german)["A"][0] != saved["A"][0] and "Abschnitte" in german
