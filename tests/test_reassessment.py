"""Re-assessment (issue 16, item 4): next year's evaluation from a decided one, carried-over answers
that the vendor confirms or changes, and what changed since last time."""

from __future__ import annotations

import copy
import html
import re

import pytest

from forms.vendor import display_values
from stagefour import reassessment
from stagefour import store
from stagefour.questionnaire import parse_questionnaire

from .conftest import complete_answers


@pytest.fixture
def decided(db, make_user, make_evaluation, make_vendor):
    """A decided evaluation with two vendors (one submitted, one not); returns (owner id, evaluation id, vendors)."""
    owner = make_user("owner")
    evaluation_id = make_evaluation(user_id=owner, weights=None)
    a = make_vendor("Alpha Corp", evaluation_id, complete_answers("stage4-deployer"), submit=True)
    b = make_vendor("Beta Corp", evaluation_id, {"A1": "consultancy", "A3": 12})
    store.record_decision(db, evaluation_id, {a["vendor_id"]: ("award", "Best."), b["vendor_id"]: ("reject", "No.")},
                          "", owner)  # fmt: skip
    return owner, evaluation_id, (a, b)


def _start(client, evaluation_id, **data):
    return client.post(
        f"/evaluations/{evaluation_id}/reassess", data={"title": "Claims 2027", "version": "same"} | data
    )


def test_owner_starts_a_reassessment_with_the_vendors_and_their_answers(client, db, login, decided):
    owner, evaluation_id, (a, b) = decided
    login(owner)
    page = client.get(f"/evaluations/{evaluation_id}/reassess")
    assert page.status_code == 200
    response = _start(client, evaluation_id)
    assert response.status_code == 302
    new_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    new = store.get_evaluation(db, new_id)
    assert new["previous_evaluation_id"] == evaluation_id and new["title"] == "Claims 2027"
    old = store.get_evaluation(db, evaluation_id)
    assert new["team_id"] == old["team_id"] and new["weights"] == old["weights"]
    vendors = store.list_vendors(db, new_id)
    assert [v["name"] for v in vendors] == ["Alpha Corp", "Beta Corp"]
    assert all(v["status"] == "invited" and v["invitation_id"] for v in vendors)
    assert store.load_answers(db, vendors[1]["response_id"]) == {"A1": "consultancy", "A3": 12}
    carried = store.carried_answers(db, [vendors[1]["response_id"]])[vendors[1]["response_id"]]
    assert sorted(carried) == ["A1", "A3"] and not any(r["confirmed_at"] for r in carried.values())
    page = client.get(f"/evaluations/{new_id}").get_data(as_text=True)
    assert page.count("/v/") == 2  # each new link shown once
    assert "Claims automation partner" in page  # the previous evaluation, linked
    assert f"/evaluations/{new_id}" in client.get(f"/evaluations/{evaluation_id}").get_data(as_text=True)
    actions = [e["action"] for e in store.audit_entries(db, new_id)]
    assert "evaluation_reassessed" in actions and actions.count("answers_carried") == 2
    assert "evaluation_reassessed" in [e["action"] for e in store.audit_entries(db, evaluation_id)]


def _reassess(db, evaluation_id, questionnaire, owner):
    """Start the re-assessment in the core: (new evaluation id, {vendor name: (vendor id, response id, token)})."""
    previous = store.get_evaluation(db, evaluation_id)
    new_id, links, _carried = reassessment.start_reassessment(db, previous, questionnaire, "Next", owner, None)
    vendors = {v["id"]: v for v in store.list_vendors(db, new_id)}
    return new_id, {vendors[vid]["name"]: (vid, vendors[vid]["response_id"], token) for vid, token in links}


def _section_post(page: str, section, answers: dict) -> dict:
    """What a browser posts back from a section page of flat questions, left as it is."""
    base = re.search(r'name="base_versions" value="([^"]*)"', page).group(1)
    shown = {k: v for k, v in display_values(section, answers).items() if v not in ("", [], None)}
    return {"base_versions": html.unescape(base)} | shown


def test_vendor_sees_carried_marks_and_cannot_submit_before_confirming(client, db, decided, questionnaire):
    owner, evaluation_id, (a, b) = decided
    _new, vendors = _reassess(db, evaluation_id, questionnaire, owner)
    _vid, rid, token = vendors["Alpha Corp"]
    page = client.get(f"/v/{token}/s/A").get_data(as_text=True)
    assert "Carried over, please confirm." in page and 'name="confirm" value="A1"' in page
    before = store.get_response(db, rid)
    response = client.post(f"/v/{token}/submit", data={"confirm": "yes"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/v/{token}/review")
    assert store.get_response(db, rid)["status"] == before["status"] == "invited"
    review = client.get(f"/v/{token}/review").get_data(as_text=True)
    assert "Carried-over answers to confirm" in review and "#carried-A1" in review


def test_confirming_a_section_and_changing_an_answer_confirm_them(client, db, decided, questionnaire):
    owner, evaluation_id, (a, b) = decided
    _new, vendors = _reassess(db, evaluation_id, questionnaire, owner)
    _vid, rid, token = vendors["Beta Corp"]
    page = client.get(f"/v/{token}/s/A").get_data(as_text=True)
    assert 'name="confirm" value="A3"' in page
    # Changing A3 confirms it; nothing ticked confirms nothing else.
    response = client.post(
        f"/v/{token}/s/A",
        data=_section_post(page, questionnaire.sections[0], store.load_answers(db, rid))
        | {"A3": "14", "action": "save"},
    )
    assert response.status_code == 302
    states = store.carried_answers(db, [rid])[rid]
    assert states["A3"]["confirmed_how"] == "changed" and store.load_answers(db, rid)["A3"] == 14
    assert 'name="confirm" value="A3"' not in client.get(f"/v/{token}/s/A").get_data(as_text=True)


def test_confirm_all_in_a_section_confirms_only_that_section(client, db, decided, questionnaire):
    owner, evaluation_id, (a, b) = decided
    _new, vendors = _reassess(db, evaluation_id, questionnaire, owner)
    _vid, rid, token = vendors["Alpha Corp"]
    page = client.get(f"/v/{token}/s/A").get_data(as_text=True)
    answers_before = store.load_answers(db, rid)
    response = client.post(
        f"/v/{token}/s/A",
        data=_section_post(page, questionnaire.sections[0], store.load_answers(db, rid)) | {"action": "confirm_all"},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/s/A")
    states = store.carried_answers(db, [rid])[rid]
    section_a = {q.id for q in questionnaire.sections[0].questions}
    confirmed = {q for q, r in states.items() if r["confirmed_at"]}
    assert confirmed and confirmed <= section_a
    assert all(r["confirmed_how"] == "confirmed" for q, r in states.items() if q in confirmed)
    assert store.load_answers(db, rid) == answers_before  # confirming wrote no answer
    entry = [e for e in store.audit_entries(db) if e["action"] == "answers_confirmed"]
    assert len(entry) == 1 and entry[0]["response_id"] == rid


@pytest.mark.parametrize(
    "confirm",
    [["C3"], ["NOPE"], ["A1' OR 1=1 --"], ["x" * 100_000], [""]],
    ids=["another-section", "unknown", "hostile", "huge", "empty"],
)
def test_a_section_post_confirms_nothing_outside_its_own_carried_answers(client, db, decided, questionnaire, confirm):
    owner, evaluation_id, (a, b) = decided
    _new, vendors = _reassess(db, evaluation_id, questionnaire, owner)
    _vid, rid, token = vendors["Alpha Corp"]
    page = client.get(f"/v/{token}/s/A").get_data(as_text=True)
    response = client.post(
        f"/v/{token}/s/A",
        data=_section_post(page, questionnaire.sections[0], store.load_answers(db, rid))
        | {"action": "save", "confirm": confirm},
    )
    assert response.status_code == 302
    assert not any(r["confirmed_at"] for r in store.carried_answers(db, [rid])[rid].values())


def test_a_vendor_link_cannot_confirm_another_vendors_answers(client, db, decided, questionnaire):
    owner, evaluation_id, (a, b) = decided
    _new, vendors = _reassess(db, evaluation_id, questionnaire, owner)
    _a_vid, a_rid, a_token = vendors["Alpha Corp"]
    _b_vid, b_rid, b_token = vendors["Beta Corp"]
    # A's old link (the previous evaluation's) opens the closed evaluation, not the new response.
    response = client.post(f"/v/{a['token']}/s/A", data={"action": "confirm_all"})
    assert response.status_code in (302, 409)
    assert not any(r["confirmed_at"] for r in store.carried_answers(db, [a_rid])[a_rid].values())
    response = client.post(f"/v/{'Zz' * 22}/s/A", data={"action": "confirm_all"})
    assert response.status_code == 404
    # B's link confirms B's answers only.
    page = client.get(f"/v/{b_token}/s/A").get_data(as_text=True)
    posted = _section_post(page, questionnaire.sections[0], store.load_answers(db, b_rid))
    client.post(f"/v/{b_token}/s/A", data=posted | {"action": "confirm_all"})
    assert not any(r["confirmed_at"] for r in store.carried_answers(db, [a_rid])[a_rid].values())
    assert any(r["confirmed_at"] for r in store.carried_answers(db, [b_rid])[b_rid].values())


def test_comparison_shows_what_changed_since_the_previous_evaluation(client, db, login, decided, questionnaire):
    owner, evaluation_id, (a, b) = decided
    new_id, vendors = _reassess(db, evaluation_id, questionnaire, owner)
    _vid, rid, token = vendors["Beta Corp"]
    page = client.get(f"/v/{token}/s/A").get_data(as_text=True)
    posted = _section_post(page, questionnaire.sections[0], store.load_answers(db, rid))
    client.post(f"/v/{token}/s/A", data=posted | {"A3": "40", "action": "save"})
    login(owner)
    plain = client.get(f"/evaluations/{new_id}/compare").get_data(as_text=True)
    assert "Changed since" not in plain and "changes=1" in plain
    shown = client.get(f"/evaluations/{new_id}/compare?changes=1")
    assert shown.status_code == 200
    soup = shown.get_data(as_text=True)
    assert "Changed since Claims automation partner" in soup
    beta = soup[soup.index('id="changes-' + str(_vid)) :]
    beta = beta[: beta.index("</section>")]
    assert "A3" in beta and "A1" not in beta.split("differ")[1]  # only the changed answer is listed
    alpha = soup[soup.index('id="changes-' + str(vendors["Alpha Corp"][0])) :]
    alpha = alpha[: alpha.index("</section>")]
    # Alpha changed nothing; only its evidence files, which never carry over, differ (and cost it points).
    listed = set(re.findall(r'<span class="qid">([A-Z0-9_]+)</span>', alpha))
    with_files = {
        q.id for q in questionnaire.questions.values() if q.type == "file" or any(f.type == "file" for f in q.fields)
    }
    assert listed and listed <= with_files
    assert 'class="delta down"' in alpha
    review = client.get(f"/evaluations/{new_id}/vendors/{_vid}").get_data(as_text=True)
    states = review[review.index("carried-states") :]
    states = states[: states.index("</dl>")]
    assert "Changed by the vendor</dt><dd>A3</dd>" in states and "Not confirmed yet</dt><dd>A1</dd>" in states


def _next_version(questionnaire):
    """Version 1.2.0 of the questionnaire in which A5 is gone and A3 allows at most 10 weeks."""
    source = copy.deepcopy(questionnaire.source)
    source["version"] = "1.2.0"
    first = source["sections"][0]
    first["questions"] = [q for q in first["questions"] if q["id"] != "A5"]
    next(q for q in first["questions"] if q["id"] == "A3")["max"] = 10
    return parse_questionnaire(source, "test 1.2.0")


def test_the_current_library_version_drops_removed_and_invalid_answers_and_says_which(
    client, db, login, decided, questionnaire, team
):
    owner, evaluation_id, (a, b) = decided
    newer = _next_version(questionnaire)
    store.add_to_library(db, team, newer.id, newer.version, newer.hash, newer.source, "v12.yaml", owner)
    login(owner)
    assert "1.2.0" in client.get(f"/evaluations/{evaluation_id}/reassess").get_data(as_text=True)
    response = _start(client, evaluation_id, version="current")
    assert response.status_code == 302
    new_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    new = store.get_evaluation(db, new_id)
    assert store.get_snapshot(db, new["snapshot_id"])["version"] == "1.2.0"
    vendors = {v["name"]: v for v in store.list_vendors(db, new_id)}
    alpha, beta = vendors["Alpha Corp"]["response_id"], vendors["Beta Corp"]["response_id"]
    states = store.carried_answers(db, [alpha, beta])
    assert states[beta]["A3"]["carried"] == 0 and states[beta]["A3"]["reason"] == reassessment.INVALID  # 12 > 10
    assert "A3" not in store.load_answers(db, beta) and store.load_answers(db, beta)["A1"] == "consultancy"
    assert states[alpha]["A5"]["carried"] == 0 and states[alpha]["A5"]["reason"] == reassessment.REMOVED
    assert store.load_answers(db, alpha)["A3"] == 7  # still within 10: carried
    page = client.get(f"/evaluations/{new_id}").get_data(as_text=True)
    assert "the answer does not fit the new version of the question" in page
    assert "the question is no longer in the questionnaire" in page
    [entry] = [e for e in store.audit_entries(db, new_id) if e["action"] == "answers_carried" and e["vendor_id"] ==
               vendors["Beta Corp"]["id"]]  # fmt: skip
    assert entry["detail"]["dropped"] == {"A3": "invalid"}


def test_repeating_groups_carry_every_row_and_files_stay_behind(db, decided, questionnaire):
    owner, evaluation_id, (a, b) = decided
    before = store.load_answers(db, a["response_id"])
    _new, vendors = _reassess(db, evaluation_id, questionnaire, owner)
    after = store.load_answers(db, vendors["Alpha Corp"][1])
    assert after["C1"] == before["C1"] and len(after["B1"]) == len(before["B1"]) > 1
    assert not [q for q in after if questionnaire.questions[q].type == "file"]
    states = store.carried_answers(db, [vendors["Alpha Corp"][1]])[vendors["Alpha Corp"][1]]
    assert {q for q, s in states.items() if s["reason"] == reassessment.FILE} == {
        q for q in before if questionnaire.questions[q].type == "file"
    }


def test_changing_a_carried_answer_through_any_write_path_confirms_it(db, decided, questionnaire):
    owner, evaluation_id, (a, b) = decided
    _new, vendors = _reassess(db, evaluation_id, questionnaire, owner)
    _vid, rid, _token = vendors["Alpha Corp"]
    versions = store.answer_versions(db, rid)
    store.save_answers(db, rid, {"A2": 4, "A3": None}, versions, "vendor:test")
    states = store.carried_answers(db, [rid])[rid]
    assert states["A2"]["confirmed_how"] == states["A3"]["confirmed_how"] == "changed"
    assert states["A1"]["confirmed_at"] is None


@pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("evaluator", 403)])
def test_only_an_owner_starts_a_reassessment(client, db, login, make_user, decided, role, status):
    _owner, evaluation_id, _vendors = decided
    count = len(store.list_evaluations(db))
    login(make_user(role))
    assert client.get(f"/evaluations/{evaluation_id}/reassess").status_code == status
    assert _start(client, evaluation_id).status_code == status
    assert len(store.list_evaluations(db)) == count


def test_another_teams_owner_gets_404(client, db, login, make_user, make_team, decided):
    _owner, evaluation_id, _vendors = decided
    login(make_user("owner", team_id=make_team("Another team")))
    assert _start(client, evaluation_id).status_code == 404
    assert client.get(f"/evaluations/{evaluation_id}/reassess").status_code == 404
    assert len(store.list_evaluations(db)) == 1


def test_an_evaluation_without_a_decision_cannot_be_reassessed(client, db, login, make_user, make_evaluation):
    owner = make_user("owner")
    evaluation_id = make_evaluation(user_id=owner)
    login(owner)
    page = client.get(f"/evaluations/{evaluation_id}/reassess")
    assert page.status_code == 200 and "Record the committee's decision first" in page.get_data(as_text=True)
    assert _start(client, evaluation_id).status_code == 409
    assert len(store.list_evaluations(db)) == 1


@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        ({"title": ""}, "Enter a title."),
        ({"title": "x" * 201}, "Use at most 200 characters."),
        ({"title": "Two\nlines"}, None),
        ({"version": "ancient"}, "Not a valid choice."),
    ],
    ids=["empty", "huge", "two-lines", "unknown-version"],
)
def test_a_bad_form_is_refused_beside_its_field_and_creates_nothing(client, db, login, decided, data, field_error):
    owner, evaluation_id, _vendors = decided
    login(owner)
    before = (len(store.list_evaluations(db)), len(store.audit_entries(db)))
    response = _start(client, evaluation_id, **data)
    assert response.status_code == 422
    if field_error:
        assert field_error in response.get_data(as_text=True)
    assert (len(store.list_evaluations(db)), len(store.audit_entries(db))) == before


def test_reassessing_needs_a_csrf_token(tmp_path, db, make_user, decided):
    from app import create_app

    from .conftest import PASSWORD
    from .conftest import app_config

    owner, evaluation_id, _vendors = decided
    app = create_app(app_config(tmp_path, WTF_CSRF_ENABLED=True))
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    email = store.get_user(db, owner)["email"]
    assert client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token}).status_code == 302
    assert _start(client, evaluation_id).status_code == 400
    assert len(store.list_evaluations(db)) == 1


def test_carry_answers_keeps_what_still_fits_and_names_the_rest(questionnaire):
    previous = {
        "A1": "consultancy",  # carried
        "A2": 9999,  # above the maximum: invalid
        "B2": 3,  # computed: never answered
        "B5": [{"name": "cert.pdf", "sha256": "0" * 64, "size": 3, "content_type": "application/pdf", "id": "x"}],
        "Z9": "a question that is gone",
        "C4": None,  # unanswered: nothing to carry or drop
    }
    carried = reassessment.carry_answers(questionnaire, previous)
    assert carried.answers == {"A1": "consultancy"}
    reasons = {d.question_id: d.reason for d in carried.dropped}
    assert reasons == {"A2": "invalid", "B2": "computed", "B5": "file", "Z9": "removed"}
    assert "from 0 to 500" in next(d.detail for d in carried.dropped if d.question_id == "A2")
