"""The committee's decision (issue 12): recording it, what it closes, reopening, the PDF and its key."""

from __future__ import annotations

import html
import json
import re
import subprocess
from datetime import UTC
from datetime import datetime

import pytest

from stagefour import report
from stagefour import store

from .test_access import snapshot

HOSTILE = "<script>alert(1)</script>"
TODAY = datetime.now(UTC).date()


@pytest.fixture
def as_role(make_user, login):
    """Log in with a role of the test team: as_role("owner") -> user dict."""
    return lambda role, **kw: login(make_user(role, **kw))


@pytest.fixture
def decided(make_evaluation, make_vendor, stage4_answers):
    """An evaluation with two vendors (one submitted, one not started): its id and the vendors."""
    evaluation_id = make_evaluation(title="Claims partner")
    a = make_vendor(name="Alpha Corp", evaluation_id=evaluation_id, answers=stage4_answers, submit=True)
    b = make_vendor(name="Beta Corp", evaluation_id=evaluation_id)
    return evaluation_id, a, b


def good_form(a: dict, b: dict, **overrides) -> dict:
    """A complete decision: award Alpha, reject Beta."""
    data = {
        f"outcome_{a['vendor_id']}": "award",
        f"rationale_{a['vendor_id']}": "Named production deployments and engineers.",
        f"outcome_{b['vendor_id']}": "reject",
        f"rationale_{b['vendor_id']}": "Did not answer.",
        "approvers": "Ada Lovelace, Grace Hopper",
    }
    return data | overrides


def field_error(page: str, field_id: str) -> str:
    """The error text shown next to a field (or a group of choices) whose control has id `field_id`."""
    match = re.search(rf'<ul class="errors" id="{re.escape(field_id)}-error">(.*?)</ul>', page, re.S)
    return html.unescape(" ".join(re.findall(r"<li>(.*?)</li>", match.group(1), re.S))) if match else ""


# --- store -----------------------------------------------------------------------------------------


def test_recording_a_decision_closes_the_evaluation_and_audits_each_outcome(db, decided, make_user):
    evaluation_id, a, b = decided
    user_id = make_user("owner", email="chair@example.com")
    outcomes = {a["vendor_id"]: ("award", "best"), b["vendor_id"]: ("reject", "silent")}
    store.record_decision(db, evaluation_id, outcomes, "Ada", user_id)
    assert store.is_closed(db, evaluation_id)
    current = store.current_decisions(db, evaluation_id)
    assert {v: (d["outcome"], d["rationale"], d["approvers"]) for v, d in current.items()} == {
        a["vendor_id"]: ("award", "best", "Ada"),
        b["vendor_id"]: ("reject", "silent", "Ada"),
    }
    assert current[a["vendor_id"]]["decided_by"] == "chair@example.com"
    actions = [e["action"] for e in store.audit_entries(db, evaluation_id)]
    assert actions[:3] == ["evaluation_closed", "decision_recorded", "decision_recorded"]
    with pytest.raises(store.EvaluationClosed):
        store.record_decision(db, evaluation_id, outcomes, "Ada", user_id)


@pytest.mark.parametrize(
    "outcomes",
    [
        lambda a, b: {a: ("award", "x")},  # a vendor left out
        lambda a, b: {a: ("award", "x"), b: ("maybe", "x")},  # not an outcome
        lambda a, b: {a: ("award", "x"), b: ("reject", "x"), 99999: ("reject", "x")},  # not a vendor of it
    ],
)
def test_a_decision_that_does_not_name_every_vendor_with_an_outcome_writes_nothing(db, decided, make_user, outcomes):
    evaluation_id, a, b = decided
    before = snapshot(db)
    with pytest.raises(store.StoreError):
        store.record_decision(db, evaluation_id, outcomes(a["vendor_id"], b["vendor_id"]), "", make_user("owner"))
    after = snapshot(db)
    assert {t: r for t, r in after.items() if t not in ("users", "memberships", "audit_log")} == {
        t: r for t, r in before.items() if t not in ("users", "memberships", "audit_log")
    }
    assert not store.is_closed(db, evaluation_id)


def test_reopening_keeps_the_old_decision_and_a_new_one_replaces_it(db, decided, make_user):
    evaluation_id, a, b = decided
    user_id = make_user("owner")
    store.record_decision(db, evaluation_id, {a["vendor_id"]: ("award", "v1"), b["vendor_id"]: ("reject", "v1")}, "",
                          user_id)  # fmt: skip
    assert store.reopen_evaluation(db, evaluation_id, "new reference check", user_id)
    assert not store.is_closed(db, evaluation_id) and store.current_decisions(db, evaluation_id) == {}
    assert not store.reopen_evaluation(db, evaluation_id, "twice", user_id)
    store.record_decision(
        db, evaluation_id, {a["vendor_id"]: ("shortlist", "v2"), b["vendor_id"]: ("reject", "v2")}, "", user_id
    )
    assert store.current_decisions(db, evaluation_id)[a["vendor_id"]]["outcome"] == "shortlist"
    assert [(d["vendor_name"], d["outcome"], d["rationale"]) for d in store.past_decisions(db, evaluation_id)] == [
        ("Alpha Corp", "award", "v1"),
        ("Beta Corp", "reject", "v1"),
    ]
    log = store.audit_entries(db, evaluation_id)
    reopened = [e for e in log if e["action"] == "evaluation_reopened"]
    assert [e["detail"]["reason"] for e in reopened] == ["new reference check"]
    recorded = [(e["detail"]["outcome"], e["detail"]["rationale"]) for e in log if e["action"] == "decision_recorded"]
    assert ("award", "v1") in recorded and ("shortlist", "v2") in recorded


# --- the decision page -----------------------------------------------------------------------------


def test_the_owner_records_the_decision_on_its_page_and_sees_it(client, db, decided, as_role):
    evaluation_id, a, b = decided
    user = as_role("owner", email="chair@example.com")
    page = client.get(f"/evaluations/{evaluation_id}/decision").get_data(as_text=True)
    assert "Alpha Corp" in page and "Beta Corp" in page and f'name="outcome_{a["vendor_id"]}"' in page
    response = client.post(f"/evaluations/{evaluation_id}/decision", data=good_form(a, b))
    assert response.status_code == 302 and response.location.endswith(f"/evaluations/{evaluation_id}/decision")
    decision = store.current_decisions(db, evaluation_id)
    assert decision[a["vendor_id"]]["outcome"] == "award" and decision[a["vendor_id"]]["decided_by"] == user["email"]
    assert decision[a["vendor_id"]]["approvers"] == "Ada Lovelace, Grace Hopper"
    for url in (f"/evaluations/{evaluation_id}/decision", f"/evaluations/{evaluation_id}",
                f"/evaluations/{evaluation_id}/compare"):  # fmt: skip
        page = client.get(url).get_data(as_text=True)
        assert "Named production deployments and engineers." in page, url
        assert "Ada Lovelace, Grace Hopper; recorded by chair@example.com" in page, url
        assert "closed to changes" in page, url


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("outcome", None, "Choose award, shortlist or reject."),
        ("outcome", "", "Choose award, shortlist or reject."),
        ("outcome", "maybe", "Choose award, shortlist or reject."),
        ("outcome", HOSTILE, "Choose award, shortlist or reject."),
        ("rationale", "", "Give the reasons for this outcome."),
        ("rationale", "   ", "Give the reasons for this outcome."),
        ("rationale", "x" * 2001, "Use at most 2000 characters."),
        ("approvers", "y" * 501, "Use at most 500 characters."),
        ("approvers", "Ada\nGrace", "Use a single line without tabs or control characters."),
    ],
)
def test_bad_decisions_are_refused_next_to_the_field_and_nothing_changes(
    client, db, decided, as_role, field, value, message
):
    evaluation_id, a, b = decided
    as_role("owner")
    name = "approvers" if field == "approvers" else f"{field}_{b['vendor_id']}"
    data = good_form(a, b)
    if value is None:
        del data[name]
    else:
        data[name] = value
    before = snapshot(db)
    response = client.post(f"/evaluations/{evaluation_id}/decision", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, name) == message
    assert HOSTILE not in page
    # what was typed is still there
    assert "Named production deployments and engineers." in page
    assert snapshot(db) == before


def test_a_hostile_rationale_is_kept_as_text_and_shown_escaped(client, db, decided, as_role):
    evaluation_id, a, b = decided
    as_role("owner")
    client.post(
        f"/evaluations/{evaluation_id}/decision", data=good_form(a, b, **{f"rationale_{a['vendor_id']}": HOSTILE})
    )
    assert store.current_decisions(db, evaluation_id)[a["vendor_id"]]["rationale"] == HOSTILE
    for url in (f"/evaluations/{evaluation_id}/decision", f"/evaluations/{evaluation_id}/compare"):
        page = client.get(url).get_data(as_text=True)
        assert HOSTILE not in page and html.escape(HOSTILE) in page


@pytest.mark.parametrize("role", ["viewer", "evaluator"])
def test_only_owners_record_or_reopen_a_decision(client, db, decided, as_role, make_user, role):
    evaluation_id, a, b = decided
    as_role(role)
    before = snapshot(db)
    assert client.get(f"/evaluations/{evaluation_id}/decision").status_code == 403
    assert client.post(f"/evaluations/{evaluation_id}/decision", data=good_form(a, b)).status_code == 403
    store.record_decision(db, evaluation_id, {a["vendor_id"]: ("award", "x"), b["vendor_id"]: ("reject", "x")}, "",
                          make_user("owner"))  # fmt: skip
    assert client.post(f"/evaluations/{evaluation_id}/reopen", data={"reason": "x"}).status_code == 403
    assert store.is_closed(db, evaluation_id)
    assert before["evaluations"] != snapshot(db)["evaluations"]  # only the direct store call changed it


def test_an_owner_of_another_team_gets_404_and_changes_nothing(client, db, decided, make_user, make_team, login):
    evaluation_id, a, b = decided
    login(make_user("owner", team_id=make_team("Rivals")))
    before = snapshot(db)
    assert client.get(f"/evaluations/{evaluation_id}/decision").status_code == 404
    assert client.post(f"/evaluations/{evaluation_id}/decision", data=good_form(a, b)).status_code == 404
    assert client.post(f"/evaluations/{evaluation_id}/reopen", data={"reason": "x"}).status_code == 404
    after = snapshot(db)
    assert {t: r for t, r in after.items() if t not in ("sessions",)} == {
        t: r for t, r in before.items() if t not in ("sessions",)
    }


def test_reopen_needs_a_reason_and_is_audited(client, db, decided, as_role):
    evaluation_id, a, b = decided
    as_role("owner")
    client.post(f"/evaluations/{evaluation_id}/decision", data=good_form(a, b))
    for reason, error in (("", "Say why the evaluation is reopened."), ("z" * 1001, "Use at most 1000 characters.")):
        response = client.post(f"/evaluations/{evaluation_id}/reopen", data={"reason": reason})
        assert response.status_code == 422
        assert field_error(response.get_data(as_text=True), "reason") == error
        assert store.is_closed(db, evaluation_id)
    response = client.post(f"/evaluations/{evaluation_id}/reopen", data={"reason": "The CFO wants a second look."})
    assert response.status_code == 302 and not store.is_closed(db, evaluation_id)
    [entry] = [e for e in store.audit_entries(db, evaluation_id) if e["action"] == "evaluation_reopened"]
    assert entry["detail"]["reason"] == "The CFO wants a second look."
    page = client.get(f"/evaluations/{evaluation_id}/decision").get_data(as_text=True)
    assert "Earlier decisions" in page and "Named production deployments and engineers." in page
    # open again: the form is back, and writes work again
    assert f'name="outcome_{a["vendor_id"]}"' in page
    assert client.post(f"/evaluations/{evaluation_id}/vendors", data={"name": "Gamma Corp"}).status_code == 302


# --- a closed evaluation refuses every write -----------------------------------------------------

# Every POST route of the app that changes an evaluation or a response, with the form it sends
# (vendor routes: the token of Alpha Corp). The test below checks this table against the URL map,
# so a new write route cannot be forgotten here.
BUYER_WRITES = {
    "buyer.edit_evaluation": (
        "/evaluations/{e}/edit",
        {"title": "Renamed", **{f"weight_{s}": "10" for s in "ABCDEFGHIJ"}},
    ),
    "buyer.add_vendor": ("/evaluations/{e}/vendors", {"name": "Gamma Corp"}),
    "buyer.reissue_link": ("/evaluations/{e}/vendors/{a}/reissue", {}),
    "buyer.revoke_link": ("/evaluations/{e}/vendors/{a}/revoke", {}),
    "buyer.reopen_response": ("/evaluations/{e}/vendors/{a}/reopen", {}),
    "scoring.score": ("/evaluations/{e}/vendors/{a}/scores", {"question_id": "C5", "score": "4", "comment": ""}),
    "scoring.assignments": ("/evaluations/{e}/assignments", {}),
    "buyer.vendor_deadline": ("/evaluations/{e}/vendors/{a}/deadline", {}),
    "review.verify": ("/evaluations/{e}/vendors/{a}/verifications", {"deployment_id": "d1", "reference_checked": "y"}),
    "review.ask": ("/evaluations/{e}/vendors/{a}/clarifications", {"question_id": "C5", "body": "Which CAB?"}),
    "review.reply": ("/evaluations/{e}/vendors/{a}/clarifications/{t}/reply", {"body": "And?"}),
    "review.close": ("/evaluations/{e}/vendors/{a}/clarifications/{t}/close", {}),
    "decision.record": ("/evaluations/{e}/decision", {}),
}
VENDOR_WRITES = {
    "vendor.save_section": ("/v/{token}/s/C", {"C4": "changed after the decision", "action": "save"}),
    "vendor.autosave": ("/v/{token}/s/C/autosave", {"C4": "changed after the decision", "changed": "C4"}),
    "vendor.submit": ("/v/{token}/submit", {}),
    "vendor.reply": ("/v/{token}/clarifications/{t}/reply", {"body": "a late answer"}),
    # answers from a workbook (issue 16): refused before the file is read, and nothing held is applied
    "offline.upload": ("/v/{token}/offline", {"note": "changed after the decision"}),
    "offline.confirm": ("/v/{token}/offline/confirm", {"digest": "changed after the decision"}),
}
# POST routes that change nothing of an evaluation's judgment: a language, the reopening itself,
# report and export requests (reads), and everything about accounts, teams and sessions.
# Re-assessment (issue 16) reads a decided evaluation and writes a new one: it needs the decision.
NOT_WRITES = {"vendor.language", "decision.reopen", "reassess.start"}


def test_the_tables_of_write_routes_cover_every_post_route_of_an_evaluation_or_a_link(app):
    posts = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and ("evaluation_id" in rule.arguments or "token" in rule.arguments)
    }
    posts -= {e for e in posts if e.startswith(("reports.", "exports.", "audit."))}
    assert posts == set(BUYER_WRITES) | set(VENDOR_WRITES) | NOT_WRITES


def test_a_decided_evaluation_refuses_every_write_with_a_clear_message(client, db, decided, as_role, make_user):
    evaluation_id, a, b = decided
    chair = as_role("owner")
    thread = store.open_clarification(db, a["response_id"], "C5", "Which CAB?", chair["id"])
    store.set_response_status(db, a["response_id"], "reopened", "test", expect=("submitted",))
    store.record_decision(db, evaluation_id, {a["vendor_id"]: ("award", "x"), b["vendor_id"]: ("reject", "x")}, "",
                          chair["id"])  # fmt: skip
    before = snapshot(db)
    ids = {"e": evaluation_id, "a": a["vendor_id"], "t": thread, "token": a["token"]}
    for endpoint, (path, data) in BUYER_WRITES.items():
        response = client.post(path.format(**ids), data=data)
        assert response.status_code == 409, endpoint
        assert "closed to changes" in response.get_data(as_text=True), endpoint
    vendor = client.application.test_client()
    for endpoint, (path, data) in VENDOR_WRITES.items():
        response = vendor.post(path.format(**ids), data=data)
        text = response.get_data(as_text=True)
        if endpoint == "vendor.autosave":
            assert response.status_code == 409 and "closed this evaluation" in response.get_json()["error"]
        else:
            assert response.status_code == 302, endpoint
            assert "closed this evaluation" in vendor.get(response.location).get_data(as_text=True), endpoint
        assert "changed after the decision" not in text
    assert snapshot(db) == before
    # the vendor still reads their answers, and is told why they cannot change them
    page = vendor.get(f"/v/{a['token']}/s/C").get_data(as_text=True)
    assert "The buyer has closed this evaluation" in page and 'value="save"' not in page


def test_the_settings_and_link_pages_still_open_while_closed(client, db, decided, as_role):
    evaluation_id, a, b = decided
    as_role("owner")
    client.post(f"/evaluations/{evaluation_id}/decision", data=good_form(a, b))
    for path in ("/edit", f"/vendors/{a['vendor_id']}/reissue", f"/vendors/{a['vendor_id']}/revoke"):
        assert client.get(f"/evaluations/{evaluation_id}{path}").status_code == 200, path


# --- the PDF ---------------------------------------------------------------------------------------


def pdf_text(pdf: bytes, tmp_path) -> str:
    """The PDF's text as pdftotext reads it, whitespace collapsed."""
    path = tmp_path / "comparison.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True)
    return " ".join(out.stdout.split())


def test_the_pdf_summary_carries_the_decision_and_its_key_changes_with_it(db, decided, make_user, questionnaire,
                                                                         tmp_path):  # fmt: skip
    evaluation_id, a, b = decided
    evaluation = store.get_evaluation(db, evaluation_id)
    key = report.comparison_key(report.comparison_inputs(db, evaluation), questionnaire, TODAY, "en", "a4")
    text = pdf_text(report.make_comparison(db, evaluation, questionnaire, TODAY).pdf, tmp_path)
    assert "No decision recorded" in text
    user_id = make_user("owner", email="chair@example.com")
    store.record_decision(
        db, evaluation_id,
        {a["vendor_id"]: ("award", "Named deployments."), b["vendor_id"]: ("reject", "No answers.")},
        "Ada Lovelace", user_id,
    )  # fmt: skip
    evaluation = store.get_evaluation(db, evaluation_id)
    decided_key = report.comparison_key(report.comparison_inputs(db, evaluation), questionnaire, TODAY, "en", "a4")
    assert decided_key != key
    text = pdf_text(report.make_comparison(db, evaluation, questionnaire, TODAY).pdf, tmp_path)
    assert "Decision" in text and "No decision recorded" not in text
    for words in ("Award", "Named deployments.", "Reject", "No answers.", "Ada Lovelace; recorded by",
                  "chair@example.com"):  # fmt: skip
        assert words in text, words
    store.reopen_evaluation(db, evaluation_id, "again", user_id)
    reopened_key = report.comparison_key(report.comparison_inputs(db, evaluation), questionnaire, TODAY, "en", "a4")
    assert reopened_key not in (decided_key,)


def test_no_writer_changes_the_answers_of_a_decided_evaluation(
    db, runner, decided, make_user, stage4_answers, tmp_path
):
    evaluation_id, a, b = decided
    store.record_decision(db, evaluation_id, {a["vendor_id"]: ("award", "x"), b["vendor_id"]: ("reject", "x")}, "",
                          make_user("owner"))  # fmt: skip
    before = snapshot(db)
    with pytest.raises(store.NotEditable):
        store.save_answers(db, b["response_id"], {"A2": 5}, {}, "test")
    path = tmp_path / "beta.json"
    path.write_text(
        json.dumps({"questionnaire": "ai-deployment-partner", "vendor": "Beta Corp", "answers": stage4_answers}),
        encoding="utf-8",
    )
    result = runner.invoke(args=["import-response", str(evaluation_id), str(path), "--vendor-id", str(b["vendor_id"])])
    assert result.exit_code == 1 and "closes this evaluation to changes" in result.output
    assert "Traceback" not in result.output
    assert snapshot(db) == before
