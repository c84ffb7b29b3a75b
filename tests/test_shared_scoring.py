"""Shared scoring (issue 12, item 5): assignments, the queue, and scores saved with or without JavaScript."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from stagefour import assignments as shared
from stagefour import evaluations
from stagefour import store
from stagefour.library import load_by_id

from .conftest import app_config
from .conftest import load_response_json

JSON = {"Accept": "application/json"}
# The manual items of the default questionnaire, in questionnaire order.
MANUAL = ["B5", "C4", "C5", "E8", "F2", "G2", "I3", "J2"]


@pytest.fixture
def world(db, make_user, make_evaluation, make_vendor):
    """Two submitted vendors, an owner, two evaluators and a viewer of the test team."""
    evaluation_id = make_evaluation()
    vendors = {}
    for key, name in (("a", "stage4-deployer"), ("b", "pilots-only")):
        data = load_response_json(name)
        vendors[key] = make_vendor(data["vendor"], evaluation_id, answers=data["answers"], submit=True)
    return {
        "evaluation": evaluation_id,
        "a": vendors["a"],
        "b": vendors["b"],
        "owner": make_user("owner"),
        "ann": make_user("evaluator", email="ann@example.com"),
        "bob": make_user("evaluator", email="bob@example.com"),
        "viewer": make_user("viewer"),
    }


def answered_manual(db, vendor) -> list[str]:
    """The manual items this vendor answered, in questionnaire order."""
    answers = store.load_answers(db, vendor["response_id"])
    return [q for q in MANUAL if answers.get(q) not in (None, "", [])]


def snapshot(db) -> dict:
    """What a refused write must leave alone."""
    return {t: list(db.query(f"SELECT * FROM {t}")) for t in ("manual_scores", "assignments", "audit_log")}


def scores(db, vendor) -> dict:
    """(evaluator id, question id) -> score of one vendor."""
    return {(r["evaluator_id"], r["question_id"]): r["score"] for r in store.manual_scores(db, [vendor["response_id"]])}


def score_url(w, key="a") -> str:
    return f"/evaluations/{w['evaluation']}/vendors/{w[key]['vendor_id']}/scores"


def queue_next(client, w) -> tuple[str, str] | None:
    """(vendor id, question id) of the item the queue page offers, or None."""
    html = client.get(f"/evaluations/{w['evaluation']}/queue").get_data(as_text=True)
    form = re.search(r'action="/evaluations/\d+/vendors/(\d+)/scores".*?name="question_id" value="(\w+)"', html, re.S)
    return (form.group(1), form.group(2)) if form else None


# --- assignments ---------------------------------------------------------------------------


def test_the_owner_assigns_evaluators_to_sections_and_vendors_and_it_is_audited(client, db, login, world):
    w = world
    login(w["owner"])
    url = f"/evaluations/{w['evaluation']}/assignments"
    page = client.get(url).get_data(as_text=True)
    assert "ann@example.com" in page and f'value="{w["ann"]}:section:C"' in page
    assert f'value="{w["viewer"]}:' not in page  # a viewer is no candidate
    assert "does not stop anyone else from scoring" in page
    cells = [f"{w['ann']}:section:C", f"{w['bob']}:vendor:{w['b']['vendor_id']}"]
    response = client.post(url, data={"cell": cells})
    assert response.status_code == 302 and response.location.endswith("saved=1")
    assert store.assignments(db, w["evaluation"]) == [
        {"user_id": w["ann"], "scope": "section", "target": "C"},
        {"user_id": w["bob"], "scope": "vendor", "target": str(w["b"]["vendor_id"])},
    ]
    [entry] = [e for e in store.audit_entries(db, w["evaluation"]) if e["action"] == "assignments_changed"]
    assert entry["actor"] == f"user:{w['owner']}" and len(entry["detail"]["added"]) == 2
    log = client.get(f"/evaluations/{w['evaluation']}/audit").get_data(as_text=True)
    assert "Assignments changed: 2 added, 0 removed" in log
    page = client.get(url + "?saved=1").get_data(as_text=True)
    assert "The assignments were saved." in page and f'value="{w["ann"]}:section:C" id' in page
    assert re.search(rf'value="{w["ann"]}:section:C"[^>]*checked', page)
    # Saving the same grid again changes nothing and logs nothing.
    client.post(url, data={"cell": cells})
    assert [e["action"] for e in store.audit_entries(db, w["evaluation"])].count("assignments_changed") == 1


@pytest.mark.parametrize("who", ["ann", "viewer"])
def test_only_the_owner_changes_assignments(client, db, login, world, who):
    w = world
    login(w[who])
    before = snapshot(db)
    url = f"/evaluations/{w['evaluation']}/assignments"
    assert client.post(url, data={"cell": [f"{w['ann']}:section:C"]}).status_code == 403
    assert snapshot(db) == before
    page = client.get(url)
    assert page.status_code == (200 if who == "ann" else 403)
    if who == "ann":
        assert 'type="checkbox"' not in page.get_data(as_text=True)  # read only


@pytest.mark.parametrize(
    "cell",
    [
        "{viewer}:section:C",  # a viewer
        "{outsider}:section:C",  # an evaluator of another team
        "{nobody}:section:C",  # an account of no team
        "999999:section:C",  # no such account
        "99999999999999999999999999:section:C",  # past any row id
        "abc:section:C",
        "<script>:section:C",
        "{ann}:section:Z",  # no such section
        "{ann}:section:A",  # a section without manual items
        "{ann}:vendor:{other_vendor}",  # a vendor of another evaluation
        "{ann}:vendor:abc",
        "{ann}:team:1",
        "{ann}",
        "",
    ],
)
def test_only_evaluators_who_can_see_the_evaluation_can_be_assigned(
    client, db, login, world, make_user, make_team, make_vendor, cell
):
    w = world
    outsider = make_user("evaluator", team_id=make_team("Another team"))
    nobody = make_user(None)
    other_vendor = make_vendor("Elsewhere")["vendor_id"]
    cell = cell.format(viewer=w["viewer"], outsider=outsider, nobody=nobody, ann=w["ann"], other_vendor=other_vendor)
    login(w["owner"])
    url = f"/evaluations/{w['evaluation']}/assignments"
    client.post(url, data={"cell": [f"{w['bob']}:section:B"]})
    before = snapshot(db)
    response = client.post(url, data={"cell": [f"{w['ann']}:section:C", cell]})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Nothing was changed." in html and 'id="assignments-error"' in html
    assert "<script>:" not in html
    assert re.search(rf'value="{w["ann"]}:section:C"[^>]*checked', html)  # what was ticked is kept
    assert snapshot(db) == before


def test_too_many_cells_are_refused(client, db, login, world):
    w = world
    login(w["owner"])
    before = snapshot(db)
    response = client.post(f"/evaluations/{w['evaluation']}/assignments", data={"cell": ["x"] * 10_001})
    assert response.status_code == 400 and "Too many assignments" in response.get_data(as_text=True)
    assert snapshot(db) == before


def test_a_member_who_left_or_became_a_viewer_is_no_longer_counted_as_assigned(client, db, login, world, team):
    w = world
    login(w["owner"])
    url = f"/evaluations/{w['evaluation']}/assignments"
    client.post(url, data={"cell": [f"{w['ann']}:section:C", f"{w['bob']}:section:B"]})
    store.remove_membership(db, team, w["ann"], "test")
    store.set_membership(db, team, w["bob"], "viewer", "test")
    evaluation = store.get_evaluation(db, w["evaluation"])
    assert shared.current_assignments(db, evaluation) == []  # ignored at once
    assert len(store.assignments(db, w["evaluation"])) == 2  # the rows stay until the grid is saved
    assert "ann@example.com" not in client.get(url).get_data(as_text=True)
    client.post(url, data={})
    assert store.assignments(db, w["evaluation"]) == []  # and saving the grid drops them


def test_a_restricted_evaluation_offers_only_its_named_members(client, db, login, world):
    w = world
    store.set_evaluation_access(db, w["evaluation"], True, [w["owner"], w["bob"]], "test")
    login(w["owner"])
    url = f"/evaluations/{w['evaluation']}/assignments"
    assert "ann@example.com" not in client.get(url).get_data(as_text=True)
    assert client.post(url, data={"cell": [f"{w['ann']}:section:C"]}).status_code == 400
    assert client.post(url, data={"cell": [f"{w['bob']}:section:C"]}).status_code == 302


# --- the queue -----------------------------------------------------------------------------


def test_the_queue_puts_assigned_items_first_then_items_waiting_for_a_score(client, db, login, world):
    w = world
    login(w["owner"])
    client.post(f"/evaluations/{w['evaluation']}/assignments", data={"cell": [f"{w['ann']}:section:C",
                f"{w['ann']}:vendor:{w['b']['vendor_id']}"]})  # fmt: skip
    evaluation = store.get_evaluation(db, w["evaluation"])
    questionnaire = load_by_id("ai-deployment-partner")
    reviews = evaluations.review_vendors(db, evaluation, questionnaire, date.today())
    held = shared.current_assignments(db, evaluation)
    a, b = w["a"]["vendor_id"], w["b"]["vendor_id"]
    queue = shared.queue(questionnaire, reviews, held, w["ann"])
    order = [(i.vendor_id, i.question_id, i.assigned) for i in queue.items]
    assigned = [(v, q) for v, q, mine in order if mine]
    rest = [(v, q) for v, q, mine in order if not mine]
    items = {a: answered_manual(db, w["a"]), b: answered_manual(db, w["b"])}
    by_vendor = [r.vendor["id"] for r in reviews]  # the evaluation's vendor order (by name)
    assert set(by_vendor) == {a, b}
    assert assigned == [(v, q) for v in by_vendor for q in items[v] if v == b or q.startswith("C")]
    assert rest == [(a, q) for q in items[a] if not q.startswith("C")]
    assert order[: len(assigned)] == [(v, q, True) for v, q in assigned]  # assigned ones first
    assert queue.left_in_total == len(items[a]) + len(items[b])
    # Bob has nothing assigned: the waiting items nobody else is assigned to, in questionnaire order.
    bobs = shared.queue(questionnaire, reviews, held, w["bob"])
    assert [(i.vendor_id, i.question_id) for i in bobs.items] == rest
    # Once Ann has scored one of hers, nobody else is left to score it, and it waits no longer.
    store.save_manual_score(db, w["b"]["response_id"], items[b][0], w["ann"], 3, "")
    reviews = evaluations.review_vendors(db, evaluation, questionnaire, date.today())
    assert shared.queue(questionnaire, reviews, held, w["ann"]).left_for_you == queue.left_for_you - 1
    assert shared.queue(questionnaire, reviews, held, w["bob"]).left_in_total == queue.left_in_total - 1
    assert [(i.vendor_id, i.question_id) for i in shared.pending_manual_items(questionnaire, reviews)] == [
        (v, q) for v in by_vendor for q in items[v] if (v, q) != (b, items[b][0])
    ]


def test_two_evaluators_split_the_work_through_the_queue_without_javascript(client, db, login, world):
    w = world
    login(w["owner"])
    cells = [f"{w['ann']}:vendor:{w['a']['vendor_id']}", f"{w['bob']}:vendor:{w['b']['vendor_id']}"]
    client.post(f"/evaluations/{w['evaluation']}/assignments", data={"cell": cells})
    own = {"ann": answered_manual(db, w["a"]), "bob": answered_manual(db, w["b"])}
    total = len(own["ann"]) + len(own["bob"])
    done = {"ann": [], "bob": []}
    while True:  # they take turns, one item each, until neither has anything left
        moved = False
        for who, vendor in (("ann", "a"), ("bob", "b")):
            login(w[who])
            if (item := queue_next(client, w)) is None:
                continue
            vendor_id, question_id = item
            page = client.get(f"/evaluations/{w['evaluation']}/queue").get_data(as_text=True)
            assert f"{total - len(done['ann']) - len(done['bob'])} left in total" in page
            # Only their own vendor's items: the other's are the other's to score.
            assert int(vendor_id) == w[vendor]["vendor_id"] and "Assigned to you" in page
            response = client.post(
                f"/evaluations/{w['evaluation']}/vendors/{vendor_id}/scores",
                data={"question_id": question_id, "score": "3", "version": "0", "next": "queue"},
            )
            assert response.status_code == 302
            assert response.location.endswith(f"/queue?saved={vendor_id}-{question_id}")
            done[who].append(question_id)
            assert f"Your score on {question_id} of" in client.get(response.location).get_data(as_text=True)
            moved = True
        if not moved:
            break
    # Every item scored once, by the one it was assigned to: the work was split, not done twice.
    assert done == own
    assert scores(db, w["a"]) == {(w["ann"], q): 3 for q in own["ann"]}
    assert scores(db, w["b"]) == {(w["bob"], q): 3 for q in own["bob"]}
    page = client.get(f"/evaluations/{w['evaluation']}/queue").get_data(as_text=True)
    assert "Nothing left for you to score" in page and "0 items left for you · 0 left in total" in page
    assert f'href="/evaluations/{w["evaluation"]}"' in page


def test_a_third_opinion_puts_the_item_back_in_the_queue_of_those_who_have_not_scored_it(
    client, db, login, world, make_user
):
    w = world
    item = answered_manual(db, w["a"])[0]
    for who, value in (("ann", 1), ("bob", 4)):
        store.save_manual_score(db, w["a"]["response_id"], item, w[who], value, "why")
    # Everything else is scored, so only the disagreement is left.
    for vendor in ("a", "b"):
        for q in answered_manual(db, w[vendor]):
            if (vendor, q) != ("a", item):
                store.save_manual_score(db, w[vendor]["response_id"], q, w["bob"], 3, "")
    carol = make_user("evaluator")
    login(carol)
    assert queue_next(client, w) == (str(w["a"]["vendor_id"]), item)
    page = client.get(f"/evaluations/{w['evaluation']}/queue").get_data(as_text=True)
    assert "a third opinion is needed" in page and "1 item left for you · 1 left in total" in page
    login(w["ann"])
    assert queue_next(client, w) is None  # Ann gave one of the two opinions


def test_viewers_have_no_queue(client, login, world):
    login(world["viewer"])
    assert client.get(f"/evaluations/{world['evaluation']}/queue").status_code == 403


def test_drafts_wait_for_submission_before_they_enter_the_queue(client, db, login, world, make_vendor):
    w = world
    draft = make_vendor("Draft Ltd", w["evaluation"], answers=load_response_json("stage4-deployer")["answers"])
    login(w["ann"])
    html = client.get(f"/evaluations/{w['evaluation']}/queue").get_data(as_text=True)
    assert f"/vendors/{draft['vendor_id']}/scores" not in html
    total = len(answered_manual(db, w["a"])) + len(answered_manual(db, w["b"]))
    assert f"{total} left in total" in html


def test_the_response_page_says_what_is_assigned_and_how_much_is_left(client, db, login, world):
    w = world
    login(w["owner"])
    client.post(f"/evaluations/{w['evaluation']}/assignments", data={"cell": [f"{w['ann']}:section:C"]})
    login(w["ann"])
    html = client.get(f"/evaluations/{w['evaluation']}/vendors/{w['a']['vendor_id']}").get_data(as_text=True)
    assert "Assigned to you</span> section C" in html
    c_items = [q for q in answered_manual(db, w["a"]) if q.startswith("C")]
    assert html.count('<span class="badge">Assigned to you</span>') == 1 + len(c_items)
    assert f'href="/evaluations/{w["evaluation"]}/queue"' in html
    login(w["viewer"])
    html = client.get(f"/evaluations/{w['evaluation']}/vendors/{w['a']['vendor_id']}").get_data(as_text=True)
    assert "left in total" not in html and "/scores" not in html


# --- saving a score: HTML and JSON ---------------------------------------------------------


def test_a_score_without_javascript_returns_to_the_item_and_says_it_was_saved(client, db, login, world):
    w = world
    login(w["ann"])
    response = client.post(score_url(w), data={"question_id": "C5", "score": "4", "comment": "ok", "version": "0"})
    assert response.status_code == 302
    assert response.location.endswith(f"/vendors/{w['a']['vendor_id']}?saved=C5#a-C5")
    html = client.get(response.location).get_data(as_text=True)
    block = html[html.index(f'id="manual-{w["a"]["vendor_id"]}-C5"') :]
    assert block.index("Your score was saved.") < block.index("</form>")
    assert re.search(r'name="version" value="1"', block)
    assert scores(db, w["a"]) == {(w["ann"], "C5"): 4}


def test_a_score_with_javascript_comes_back_as_json_with_the_item_rendered(client, db, login, world):
    w = world
    login(w["ann"])
    before = len(answered_manual(db, w["a"]))  # the response page counts its own vendor's items
    response = client.post(score_url(w), data={"question_id": "C5", "score": "4", "version": "0"}, headers=JSON)
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["ok"] is True and body["left_in_total"] == before - 1 and body["left_for_you"] == before - 1
    assert body["counts"] == f"For this vendor: {before - 1} items left for you · {before - 1} left in total"
    assert body["html"].startswith(f'<div class="manual-item" id="manual-{w["a"]["vendor_id"]}-C5">')
    assert "<strong>4 / 5</strong>" in body["html"] and "Your score was saved." in body["html"]
    assert 'name="version" value="1"' in body["html"]
    assert scores(db, w["a"]) == {(w["ann"], "C5"): 4}


def test_save_and_next_with_javascript_answers_with_the_next_item(client, db, login, world):
    w = world
    login(w["ann"])
    first = queue_next(client, w)
    response = client.post(
        f"/evaluations/{w['evaluation']}/vendors/{first[0]}/scores",
        data={"question_id": first[1], "score": "2", "version": "0", "next": "queue"},
        headers=JSON,
    )
    body = response.get_json()
    assert response.status_code == 200 and body["ok"]
    assert body["html"].startswith('<div id="queue-panel"')
    assert f"Your score on {first[1]} of" in body["html"]
    second = re.search(r'name="question_id" value="(\w+)"', body["html"]).group(1)
    assert second != first[1] and queue_next(client, w)[1] == second


HOSTILE = "<script>alert(1)</script>"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"score": "6"}, "score", "Choose a score from 0 to 5."),
        ({"score": "-1"}, "score", "Choose a score from 0 to 5."),
        ({"score": "2.5"}, "score", "Choose a score from 0 to 5."),
        ({"score": ""}, "score", "Choose a score from 0 to 5."),
        ({}, "score", "Choose a score from 0 to 5."),
        ({"score": "9" * 5000}, "score", "Choose a score from 0 to 5."),
        ({"score": HOSTILE}, "score", "Choose a score from 0 to 5."),
        ({"score": "3", "comment": "x" * 2001}, "comment", "A comment is at most 2,000 characters long."),
        ({"score": "3", "comment": "x" * 500_000}, "comment", "A comment is at most 2,000 characters long."),
        ({"score": "3", "version": "abc"}, "score", "This page is out of date"),
        ({"score": "3", "version": "-1"}, "score", "This page is out of date"),
        ({"score": "3", "version": "9" * 40}, "score", "This page is out of date"),
        ({"score": "3", "next": "elsewhere"}, "score", "This page is out of date"),
    ],
)
@pytest.mark.parametrize("how", ["html", "json"])
def test_a_bad_score_is_refused_at_its_field_and_nothing_changes(client, db, login, world, data, field, message, how):
    w = world
    login(w["ann"])
    before = snapshot(db)
    comment = data.get("comment", f"typed {HOSTILE}")
    form = {"question_id": "C5", "comment": comment} | data
    response = client.post(score_url(w), data=form, headers=JSON if how == "json" else {})
    assert response.status_code == 400
    assert snapshot(db) == before
    if how == "json":
        body = response.get_json()
        assert body["ok"] is False
        html = body["html"]
    else:
        assert response.mimetype == "text/html"
        html = response.get_data(as_text=True)
        assert 'class="flash' not in html  # not a banner: at the field
    uid = f"{w['a']['vendor_id']}-C5"
    error = re.search(rf'<p class="errors" id="{field}-error-{uid}">([^<]*)</p>', html)
    assert error and message in error.group(1)
    assert f'aria-describedby="{field}-error-{uid}"' in html
    assert HOSTILE not in html
    if "comment" not in data:
        assert "typed &lt;script&gt;alert(1)&lt;/script&gt;</textarea>" in html  # kept, escaped
    elif len(comment) <= 2001:
        assert f">{comment.replace('<', '&lt;').replace('>', '&gt;')}</textarea>" in html


def test_a_score_far_from_another_needs_a_comment(client, db, login, world):
    w = world
    store.save_manual_score(db, w["a"]["response_id"], "C5", w["bob"], 1, "vague")
    login(w["ann"])
    before = snapshot(db)
    for comment in ("", "   "):
        response = client.post(score_url(w), data={"question_id": "C5", "score": "4", "comment": comment})
        assert response.status_code == 400
        assert "say why in a comment" in response.get_data(as_text=True)
    assert snapshot(db) == before
    assert client.post(score_url(w), data={"question_id": "C5", "score": "2", "comment": ""}).status_code == 302
    response = client.post(score_url(w), data={"question_id": "C5", "score": "4", "comment": "names the CAB"})
    assert response.status_code == 302
    assert scores(db, w["a"])[w["ann"], "C5"] == 4


@pytest.mark.parametrize("how", ["html", "json"])
def test_a_score_changed_elsewhere_is_not_overwritten_blind(client, db, login, world, how):
    w = world
    login(w["ann"])
    headers = JSON if how == "json" else {}
    # Another tab saved 5 after this page showed no score of Ann's (version 0).
    store.save_manual_score(db, w["a"]["response_id"], "C5", w["ann"], 5, "from the other tab")
    before = snapshot(db)
    response = client.post(score_url(w), data={"question_id": "C5", "score": "2", "version": "0"}, headers=headers)
    assert response.status_code == 409
    assert snapshot(db) == before
    html = response.get_json()["html"] if how == "json" else response.get_data(as_text=True)
    assert "You changed this score elsewhere since this page was shown: it is now 5." in html
    assert re.search(r'name="score" value="2"\s+checked', html)  # what was chosen is kept
    version = re.search(rf'id="manual-{w["a"]["vendor_id"]}-C5".*?name="version" value="(\d+)"', html, re.S).group(1)
    assert version == "1"
    again = client.post(score_url(w), data={"question_id": "C5", "score": "2", "version": version}, headers=headers)
    assert again.status_code == (200 if how == "json" else 302)
    assert scores(db, w["a"])[w["ann"], "C5"] == 2


@pytest.mark.parametrize("question", ["A2", "Z9", "", HOSTILE])
def test_only_manual_items_take_scores_as_json_too(client, login, world, question):
    login(world["ann"])
    response = client.post(score_url(world), data={"question_id": question, "score": "3"}, headers=JSON)
    assert response.status_code == 404


def test_a_viewer_cannot_score_as_json(client, db, login, world):
    login(world["viewer"])
    before = snapshot(db)
    response = client.post(score_url(world), data={"question_id": "C5", "score": "3"}, headers=JSON)
    assert response.status_code == 403
    assert snapshot(db) == before


# --- CSRF holds for the script's post ------------------------------------------------------


@pytest.fixture
def csrf_world(tmp_path):
    """An app with CSRF on, an evaluator logged in on a response page; (client, db, score url, page)."""
    from app import create_app
    from stagefour import evaluations
    from stagefour.library import load_by_id
    from stagefour.response import Response
    from views.auth import hash_password

    from .conftest import PASSWORD

    app = create_app(app_config(tmp_path, WTF_CSRF_ENABLED=True))
    db = store.open_db(app.config["DATABASE"])
    team = store.create_team(db, "Team", "test")
    user = store.create_user(db, "ann@example.com", hash_password(PASSWORD))
    store.set_membership(db, team, user, "evaluator", "test")
    evaluation_id = evaluations.start_evaluation(db, load_by_id("ai-deployment-partner"), title="T", deadline=None,
                                                 buyer_profile={}, team_id=team)  # fmt: skip
    vendor_id, _token = evaluations.invite(db, evaluation_id, "Alpha", None, "test")
    data = load_response_json("stage4-deployer")
    evaluations.import_response(db, vendor_id, Response("ai-deployment-partner", "Alpha", data["answers"]), "test",
                                submit=True)  # fmt: skip
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_page).group(1)
    client.post("/login", data={"email": "ann@example.com", "password": PASSWORD, "csrf_token": token})
    page = f"/evaluations/{evaluation_id}/vendors/{vendor_id}"
    yield client, db, page + "/scores", page
    db.close()


def test_the_scripts_post_needs_the_token_and_a_same_origin_browser(csrf_world):
    client, db, url, page = csrf_world
    html = client.get(page).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    form = {"question_id": "C5", "score": "4", "version": "0"}
    browser = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin", "Accept": "application/json"}
    before = snapshot(db)
    assert client.post(url, data=form, headers=browser).status_code == 400  # no token
    foreign = browser | {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
    assert client.post(url, data=form | {"csrf_token": token}, headers=foreign).status_code == 400
    assert snapshot(db) == before
    response = client.post(url, data=form | {"csrf_token": token}, headers=browser)
    assert response.status_code == 200 and json.loads(response.data)["ok"] is True
    assert [r["score"] for r in store.manual_scores(db, [1])] == [4]
