"""No traps for vendors (issue 12): pick lists from saved rows, the problems a vendor can fix on the
review page, the summary of every answer and the confirmation before submit."""

import copy
import html as htmllib
import re

import pytest

from stagefour import store

from .conftest import AS_OF
from .test_vendor import answers
from .test_vendor import field_error
from .test_vendor import save
from .test_vendor import section_url


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def boxes(html: str, name: str) -> list[tuple[str, bool]]:
    """(value, ticked) of each checkbox called `name`, in page order."""
    found = re.findall(rf'<input type="checkbox" name="{re.escape(name)}" value="([^"]*)"( checked)?', html)
    return [(htmllib.unescape(v), bool(c)) for v, c in found]


def text(fragment: str) -> str:
    return htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def element(html: str, tag: str, id_: str) -> str:
    """The element with this id, up to its first closing tag (enough for these flat elements)."""
    match = re.search(rf'<{tag}[^>]* id="{re.escape(id_)}"[^>]*>.*?</{tag}>', html, re.S)
    assert match, f"no <{tag} id={id_}>"
    return match.group(0)


def test_deployment_engineers_are_ticked_from_the_saved_roster(client, db, make_vendor):
    v = make_vendor(answers={"C1": [{"id": "e1", "name": "Jane Doe"}, {"id": "e2", "name": "Ravi Patel"}]})
    save(client, v, "B", {"B1-0-id": "d1", "B1-0-engineer_ids": ["e2", "e1"]})
    assert answers(db, v)["B1"] == [{"id": "d1", "engineer_ids": ["e2", "e1"]}]
    html = page(client, section_url(v, "B"))
    assert boxes(html, "B1-0-engineer_ids") == [("e1", True), ("e2", True)]
    assert "e1 — Jane Doe" in text(element(html, "span", "B1-0-engineer_ids"))
    note = element(html, "p", "B1-0-engineer_ids-picks")
    assert f'<a href="/v/{v["token"]}/s/C#q-C1">' in note and "Picked from the rows saved in C1" in text(note)
    # unticking every box clears the list
    save(client, v, "B", {"B1-0-id": "d1"})
    assert answers(db, v)["B1"] == [{"id": "d1"}]


def test_an_empty_roster_says_where_the_list_comes_from_and_links_to_it(client, db, make_vendor):
    v = make_vendor(answers={"B1": [{"id": "d1"}]})
    html = page(client, section_url(v, "B"))
    assert boxes(html, "B1-0-engineer_ids") == []
    note = element(html, "p", "B1-0-engineer_ids-picks")
    assert "No rows are saved in C1" in text(note) and f'<a href="/v/{v["token"]}/s/C#q-C1">' in note


def test_an_old_typed_id_stays_selected_and_is_marked_not_in_the_roster(client, db, make_vendor):
    roster = [{"id": "e1", "name": "Jane Doe"}]
    v = make_vendor(answers={"C1": roster, "B1": [{"id": "d1", "engineer_ids": ["e1", "E9"]}]})
    html = page(client, section_url(v, "B"))
    assert boxes(html, "B1-0-engineer_ids") == [("e1", True), ("E9", True)]
    kept = re.search(r'<label class="not-in-list">.*?</label>', html, re.S).group(0)
    assert 'value="E9" checked' in kept and "not in your list in C1" in text(kept)
    # saving the page unchanged keeps it: nothing is lost by the switch to a pick list
    save(client, v, "B", {"B1-0-id": "d1", "B1-0-engineer_ids": ["e1", "E9"]})
    assert answers(db, v)["B1"][0]["engineer_ids"] == ["e1", "E9"]


def test_a_failure_picks_its_deployment_from_b1_and_keeps_an_unknown_one(client, db, make_vendor):
    v = make_vendor(
        answers={
            "B1": [{"id": "d1", "customer_type": "Regional insurer"}, {"id": "d2"}],
            "D1": [{"id": "f1", "deployment_id": "dX"}],
        }
    )
    html = page(client, section_url(v, "D"))
    select = element(html, "select", "D1-0-deployment_id")
    options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select)
    assert [(v_, bool(s_), htmllib.unescape(t)) for v_, s_, t in options][1:] == [
        ("d1", False, "d1 — Regional insurer"),
        ("d2", False, "d2"),
        ("dX", True, "dX (not in your list in B1)"),
    ]
    assert f'<a href="/v/{v["token"]}/s/B#q-B1">' in element(html, "p", "D1-0-deployment_id-picks")
    save(client, v, "D", {"D1-0-id": "f1", "D1-0-deployment_id": "d2"})
    assert answers(db, v)["D1"] == [{"id": "f1", "deployment_id": "d2"}]


def test_a_pick_list_follows_the_roster_saved_on_another_page(client, db, make_vendor):
    v = make_vendor(answers={"C1": [{"id": "e1"}], "B1": [{"id": "d1"}]})
    assert boxes(page(client, section_url(v, "B")), "B1-0-engineer_ids") == [("e1", False)]
    save(client, v, "C", {"C1-0-id": "e1", "C1-1-id": "e7", "C1-1-name": "New Person"})
    assert boxes(page(client, section_url(v, "B")), "B1-0-engineer_ids") == [("e1", False), ("e7", False)]


# --- the problems a vendor can fix ---


def problems_of(questionnaire, answers) -> list[tuple[str, str, dict]]:
    from stagefour.scoring import vendor_problems

    return [(p.kind, p.path, p.params) for p in vendor_problems(questionnaire, answers, AS_OF)]


def test_a_consistent_response_has_no_problem(questionnaire, stage4_answers):
    assert problems_of(questionnaire, stage4_answers) == []
    assert problems_of(questionnaire, {}) == []


@pytest.mark.parametrize(
    ("change", "expected", "fixed"),
    [
        (
            lambda a: a["B1"][0].update(engineer_ids=["e1", "E9"]),
            ("unknown_engineer", "B1[0].engineer_ids[1]", {"row": "d1", "id": "E9"}),
            lambda a: a["B1"][0].update(engineer_ids=["e1", "e2"]),
        ),
        (
            lambda a: a["D1"][0].update(deployment_id="d9"),
            ("unknown_deployment", "D1[0].deployment_id", {"row": "f1", "id": "d9"}),
            lambda a: a["D1"][0].update(deployment_id="d2"),
        ),
        (
            lambda a: a["C1"][3].update(id="e1"),
            ("duplicate_id", "C1[3].id", {"id": "e1", "group": "C1"}),
            lambda a: a["C1"][3].update(id="e4"),
        ),
        (
            lambda a: a["B1"][1].update(go_live="2027-03-01"),
            ("future_go_live", "B1[1].go_live", {"row": "d2", "date": "2027-03-01"}),
            lambda a: a["B1"][1].update(go_live="2026-11-21"),  # today is not the future
        ),
        (
            lambda a: a["B1"][0].update(stage=3, in_production=True),
            ("production_below_stage_4", "B1[0].stage", {"row": "d1", "stage": 3}),
            lambda a: a["B1"][0].update(stage=3, in_production=False),
        ),
        (
            lambda a: [e.update(name="Dana Ruiz", allocation_pct=60) for e in a["C1"][:2]],
            ("over_allocated", "C1[1].allocation_pct", {"row": "e2", "name": "Dana Ruiz"}),
            lambda a: [e.update(name="Dana Ruiz", allocation_pct=50) for e in a["C1"][:2]],
        ),
    ],
    ids=["unknown-engineer", "unknown-deployment", "duplicate-id", "future-go-live", "stage-below-4", "over-100"],
)
def test_each_problem_is_raised_on_its_example_and_silent_on_its_counter_example(
    questionnaire, stage4_answers, change, expected, fixed
):
    broken = copy.deepcopy(stage4_answers)
    change(broken)
    assert expected in problems_of(questionnaire, broken)
    change(stage4_answers)
    fixed(stage4_answers)
    assert [p for p in problems_of(questionnaire, stage4_answers) if p[0] == expected[0]] == []


def test_a_questionnaire_without_the_check_set_has_no_problems(questionnaire, stage4_answers):
    from dataclasses import replace

    plain = replace(questionnaire, checks=None)
    stage4_answers["B1"][0]["engineer_ids"] = ["E9"]
    assert problems_of(plain, stage4_answers) == []


# --- the review page: problems with links, the summary, the confirmation ---


def review(client, v) -> str:
    return page(client, f"/v/{v['token']}/review")


def test_review_lists_each_problem_with_a_link_to_the_answer_and_never_says_all_is_fine(
    client, make_vendor, stage4_answers
):
    stage4_answers["B1"][0]["engineer_ids"] = ["e1", "E9"]
    stage4_answers["D1"][0]["deployment_id"] = "d9"
    stage4_answers["B1"][1]["go_live"] = "2099-01-01"
    v = make_vendor(answers=stage4_answers)
    html = review(client, v)
    problems = re.search(r'<ul class="problems">(.*?)</ul>', html, re.S).group(1)
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', problems)
    assert [(url, htmllib.unescape(t)) for url, t in links] == [
        (f"/v/{v['token']}/s/B#B1-0-engineer_ids", "Deployment d1 names engineer E9, who is not in your roster (C1)."),
        (f"/v/{v['token']}/s/B#B1-1-go_live", "Deployment d2 has a go-live date in the future (January 1, 2099)."),
        (
            f"/v/{v['token']}/s/D#D1-0-deployment_id",
            "Failure mode f1 names deployment d9, which is not in your deployments (B1).",
        ),
    ]
    assert "3 answers need checking." in html
    assert "Every required answer is given." not in html
    assert "Every required answer is given, but some answers above still need checking." in html
    # every anchor exists on the page it points at
    for url, _ in links:
        path, anchor = url.split("#")
        assert f'id="{anchor}"' in page(client, path)


def test_the_vendor_pages_never_show_scores_flag_codes_or_severities(client, make_vendor, stage4_answers):
    stage4_answers["B1"][0].update(engineer_ids=["E9"], stage=3)
    stage4_answers["C1"][3]["id"] = "e1"
    v = make_vendor(answers=stage4_answers)
    for url in (f"/v/{v['token']}/review", section_url(v, "B"), section_url(v, "C"), f"/v/{v['token']}"):
        html = page(client, url)
        shown = text(re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S))
        assert not re.search(r"\bR\d{1,2}\b", shown), url
        for word in ("red flag", "severity", "verdict", "score", "points", "medium"):
            assert word not in shown.casefold(), (url, word)
        # "high" only as the EU AI Act's "high-risk" class of H9 (1.1), never a flag's severity
        assert not re.search(r"\bhigh\b(?!-risk)", shown.casefold()), url


def test_review_shows_every_answer_read_only_with_change_links(client, make_vendor, stage4_answers):
    v = make_vendor(answers=stage4_answers)
    html = review(client, v)
    summary = html[html.index("Your answers") :]
    assert "<input" not in summary.split('id="submit"')[0] and "<textarea" not in summary
    assert f'<a href="/v/{v["token"]}/s/B">Change the answers of section B</a>' in summary
    shown = text(summary)
    assert "Dana Ruiz" in shown and "Regional insurer" in shown  # rows
    assert "Specialist AI boutique" in shown or "Independent engineering firm" in shown  # an option's label
    evidence = [f["name"] for r in stage4_answers["B1"] for f in r.get("evidence", [])]
    assert evidence and all(name in shown for name in evidence)  # files by name
    assert "Not answered" not in shown


def test_submit_without_confirmation_is_refused_beside_the_box_and_nothing_changes(
    client, db, make_vendor, stage4_answers
):
    v = make_vendor(answers=stage4_answers)
    before = answers(db, v)
    refused = client.post(f"/v/{v['token']}/submit", data={"confirm": "no"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert '<ul class="errors" id="confirm-error"><li>Tick the box to confirm you have checked your answers.' in html
    assert 'aria-describedby="confirm-error"' in html
    assert client.post(f"/v/{v['token']}/submit").status_code == 422
    assert store.get_vendor(db, v["vendor_id"])["status"] != "submitted"
    assert answers(db, v) == before
    assert "response_submitted" not in [e["action"] for e in store.audit_entries(db, v["evaluation_id"])]
    # still editable
    assert save(client, v, "A", {"A2": "4"}).status_code == 302
    assert answers(db, v)["A2"] == 4


def test_submit_with_confirmation_locks_the_response(client, db, make_vendor, stage4_answers):
    v = make_vendor(answers=stage4_answers)
    done = client.post(f"/v/{v['token']}/submit", data={"confirm": "yes"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/receipt")
    assert store.get_vendor(db, v["vendor_id"])["status"] == "submitted"
    assert [e["action"] for e in store.audit_entries(db, v["evaluation_id"])].count("response_submitted") == 1


def test_confirmation_is_offered_only_when_nothing_required_is_missing(client, make_vendor, stage4_answers):
    del stage4_answers["C5"]
    v = make_vendor(answers=stage4_answers)
    html = review(client, v)
    assert 'name="confirm"' not in html and "#q-C5" in html
    refused = client.post(f"/v/{v['token']}/submit", data={"confirm": "yes"})
    assert refused.status_code == 302 and refused.headers["Location"].endswith("/review")


def test_the_summary_leaves_out_questions_that_do_not_apply_and_survives_odd_stored_values(
    client, db, make_vendor, stage4_answers
):
    stage4_answers.update(F1=False)
    v = make_vendor(answers=stage4_answers)
    # written by hand, past validation: the page must still show, never a 500
    store.save_answers(db, v["response_id"], {"B1": ["not a row", {"id": "d1", "stage": "four"}]}, {}, "test")
    html = review(client, v)
    assert '<span class="qid">F1</span>' in html and '<span class="qid">F2</span>' not in html
    assert "Row 1: d1" in text(html)


def test_a_ticked_id_with_a_space_or_comma_is_kept_whole(client, db, make_vendor):
    v = make_vendor(answers={"C1": [{"id": "Jane Doe"}, {"id": "e,2"}]})
    save(client, v, "B", {"B1-0-id": "d1", "B1-0-engineer_ids": ["Jane Doe", "e,2", "Jane Doe"]})
    assert answers(db, v)["B1"] == [{"id": "d1", "engineer_ids": ["Jane Doe", "e,2"]}]
    assert boxes(page(client, section_url(v, "B")), "B1-0-engineer_ids") == [("Jane Doe", True), ("e,2", True)]


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ([f"e{i}" for i in range(101)], "too many ids: 101, at most 100"),
        (["x" * 41], "expected a list of ids from C1"),
    ],
    ids=["101 ids", "an id of 41 characters"],
)
def test_a_hostile_pick_is_refused_beside_the_field_and_nothing_changes(client, db, make_vendor, posted, message):
    v = make_vendor(answers={"C1": [{"id": "e1"}], "B1": [{"id": "d1", "engineer_ids": ["e1"]}]})
    before = answers(db, v)
    refused = save(client, v, "B", {"B1-0-id": "d1", "B1-0-engineer_ids": posted})
    assert refused.status_code == 422
    assert message in field_error(refused.get_data(as_text=True), "B1-0-engineer_ids")
    assert answers(db, v) == before


def test_a_row_without_an_id_is_named_by_its_number(questionnaire, stage4_answers):
    stage4_answers["B1"].append({"stage": 2, "in_production": True})
    assert ("production_below_stage_4", "B1[3].stage", {"row": "#4", "stage": 2}) in problems_of(
        questionnaire, stage4_answers
    )
