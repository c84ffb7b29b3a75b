"""The vendor's page without traps (issue 12, item 7): resume, file limit, undo, a link closed while typing."""

import io
import re
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from stagefour import store

from .conftest import complete_answers
from .conftest import load_response_json
from .test_vendor import answers
from .test_vendor import save


def resume_button(client, v) -> tuple[str, str]:
    html = client.get(f"/v/{v['token']}").get_data(as_text=True)
    href, text = re.search(r'<a class="button primary" href="([^"]+)" id="resume">([^<]+)</a>', html).groups()
    return href, text


def section_answers(questionnaire, full: dict, section_ids: str) -> dict:
    keep = {q.id for s in questionnaire.sections if s.id in section_ids for q in s.questions}
    return {k: v for k, v in full.items() if k in keep}


def test_a_new_vendor_starts_with_the_first_section(client, make_vendor):
    v = make_vendor()
    assert resume_button(client, v) == (f"/v/{v['token']}/s/A", "Start with section A")


def test_coming_back_resumes_at_the_first_section_with_a_required_answer_missing(client, make_vendor, questionnaire):
    full = load_response_json("stage4-deployer")["answers"]
    v = make_vendor(answers=section_answers(questionnaire, full, "AB"))
    href, text = resume_button(client, v)
    assert text == "Continue with section C" and href == f"/v/{v['token']}/s/C"
    # a gap left behind is where the vendor goes back to, before the later sections
    gap = make_vendor("Gap Co", answers=section_answers(questionnaire, full, "ACD"))
    assert resume_button(client, gap)[1] == "Continue with section B"


def test_with_every_required_answer_given_the_button_leads_to_review_and_submit(client, make_vendor):
    v = make_vendor(answers=complete_answers("stage4-deployer"))
    assert resume_button(client, v) == (f"/v/{v['token']}/review", "Review and submit")


# --- the file limit, stated before any upload ------------------------------------------------------


def test_every_file_field_states_the_types_and_the_limit_from_the_config(app, client, make_vendor):
    v = make_vendor()
    html = client.get(f"/v/{v['token']}/s/B").get_data(as_text=True)
    # B5 on its own and each evidence field of B1 rows: the limit is read out with the field
    assert re.search(
        r'<p class="help file-limit" id="B5-limit">Accepted: PDF, PNG, [^<]*; up to 10 MB per file.</p>', html
    )
    assert re.search(r'<input type="file" id="B5" name="B5" aria-describedby="[^"]*B5-limit"', html)
    assert 'data-max-bytes="10485760"' in html
    app.config["MAX_FILE_BYTES"] = 2_500_000
    other = make_vendor("Vendor B")
    html = client.get(f"/v/{other['token']}/s/B").get_data(as_text=True)
    assert "up to 2 MB per file." in html and 'data-max-bytes="2500000"' in html


def test_the_limit_is_written_in_the_vendors_language(client, make_vendor):
    v = make_vendor()
    client.post(f"/v/{v['token']}/language", data={"language": "de", "next": f"/v/{v['token']}/s/B"})
    html = client.get(f"/v/{v['token']}/s/B").get_data(as_text=True)
    assert "10\u00a0MB" in html and "Accepted:" not in html


# --- remove a row, then undo, without JavaScript -----------------------------------------------------

ROWS = [{"id": "e1", "name": "Ana Ruiz"}, {"id": "e2", "name": "Ben Ode"}, {"id": "e3", "name": "Cai Wen"}]


def posted_rows(rows) -> dict:
    return {f"C1-{i}-{k}": v for i, r in enumerate(rows) for k, v in r.items()}


def hidden_undo_fields(html: str) -> dict:
    return dict(re.findall(r'<input type="hidden" name="(_undo-[^"]+)" value="([^"]*)">', html))


def test_a_removed_row_comes_back_where_it_was_with_undo(client, db, make_vendor):
    v = make_vendor(answers={"C1": ROWS})
    removed = save(client, v, "C", {**posted_rows(ROWS), "action": "remove:C1:1"})
    html = removed.get_data(as_text=True)
    assert removed.status_code == 200
    assert answers(db, v)["C1"] == [ROWS[0], ROWS[2]]  # the removal is saved at once
    assert "Row 2 of C1 removed." in html
    assert '<button type="submit" name="action" value="undo:C1:1"' in html
    carried = hidden_undo_fields(html)
    assert carried == {"_undo-C1-1-id": "e2", "_undo-C1-1-name": "Ben Ode"}
    undone = save(client, v, "C", {**posted_rows([ROWS[0], ROWS[2]]), **carried, "action": "undo:C1:1"})
    assert undone.status_code == 302 and undone.headers["Location"].endswith("/s/C#C1")
    assert answers(db, v)["C1"] == ROWS
    page = client.get(f"/v/{v['token']}/s/C").get_data(as_text=True)
    assert "undo:C1" not in page  # the offer is gone once used (or once the vendor moves on)


def test_posting_the_removal_page_again_removes_nothing_more(client, db, make_vendor):
    v = make_vendor(answers={"C1": ROWS})
    data = {**posted_rows(ROWS), "action": "remove:C1:0"}
    save(client, v, "C", data)
    again = save(client, v, "C", {**posted_rows(ROWS[1:]), "action": "save"})
    assert again.status_code == 302 and answers(db, v)["C1"] == ROWS[1:]


def test_undo_fields_of_another_row_or_group_are_ignored_and_hostile_values_are_checked(client, db, make_vendor):
    v = make_vendor(answers={"C1": ROWS[:1]})
    stray = {"_undo-C1-5-id": "zz", "_undo-B1-0-id": "d9", "_undo-C1-0-months_embedded": "lots"}
    assert save(client, v, "C", {**posted_rows(ROWS[:1]), **stray, "action": "undo:C1:0"}).status_code == 422
    assert answers(db, v)["C1"] == ROWS[:1]  # the restored row failed its checks: nothing changed
    assert (
        save(client, v, "C", {**posted_rows(ROWS[:1]), "_undo-C1-5-id": "zz", "action": "undo:C1:0"}).status_code == 302
    )
    assert answers(db, v)["C1"] == ROWS[:1]
    hostile = '"><script>alert(1)</script>'
    assert (
        save(client, v, "C", {**posted_rows([{"id": "e1", "name": hostile}]), "action": "remove:C1:0"}).status_code
        == 200
    )
    html = client.post(
        f"/v/{v['token']}/s/C", data={"base_versions": "{}", "C1-0-name": hostile, "action": "remove:C1:0"}
    )
    assert "<script>alert(1)" not in html.get_data(as_text=True)


def test_a_removed_rows_files_are_said_to_be_gone(client, db, make_vendor):
    v = make_vendor(answers={"B1": [{"id": "d1"}]})
    pdf = (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "runbook.pdf")
    save(client, v, "B", {"B1-0-id": "d1", "B1-0-evidence": pdf}, content_type="multipart/form-data")
    [ref] = answers(db, v)["B1"][0]["evidence"]
    html = save(client, v, "B", {"B1-0-id": "d1", "B1-0-evidence-keep": ref["id"], "action": "remove:B1:0"}).get_data(
        as_text=True
    )
    assert "Its files were deleted: attach them again after Undo." in html
    assert ref["id"] not in hidden_undo_fields(html).values()


# --- a link closed while the vendor types --------------------------------------------------------------


def test_a_save_on_a_revoked_link_says_the_changes_were_not_saved_and_gives_them_back(client, db, make_vendor):
    v = make_vendor(answers={"A2": 3})
    store.revoke_invitations(db, v["vendor_id"], "test")
    response = save(client, v, "A", {"A2": "4", "A1": "Our <b>typed</b> answer", "base_versions": "{}"})
    html = response.get_data(as_text=True)
    assert response.status_code == 410
    assert "NOT saved" in html and "Nothing you saved is lost" not in html
    assert "A1: Our &lt;b&gt;typed&lt;/b&gt; answer" in html and "A2: 4" in html
    assert "csrf_token:" not in html and "base_versions:" not in html
    assert answers(db, v) == {"A2": 3}


def test_an_autosave_on_a_closed_link_is_final_and_saves_nothing(client, db, make_vendor):
    v = make_vendor(answers={"A2": 3})
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat(timespec="seconds")
    db.execute("UPDATE invitations SET expires_at = ? WHERE vendor_id = ?", [past, v["vendor_id"]])
    db.conn.commit()
    response = client.post(f"/v/{v['token']}/s/A/autosave", data={"A2": "4", "changed": "A2"})
    assert response.status_code == 410
    assert response.json["final"] is True and response.json["closed"] == "expired"
    assert answers(db, v) == {"A2": 3}
    store.revoke_invitations(db, v["vendor_id"], "test")
    assert client.post(f"/v/{v['token']}/s/A/autosave", data={"A2": "4"}).json["closed"] == "revoked"
