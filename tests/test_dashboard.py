"""The dashboard (issue 12): each vendor's true state, verdict and score, and what needs attention."""

from __future__ import annotations

import html
import re
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest

from stagefour import dashboard
from stagefour import evaluations
from stagefour import store
from stagefour.profiles.ai_deployment_partner.metrics import deployment_fingerprint

TODAY = datetime.now(UTC).date()


@pytest.fixture
def viewer(make_user, login):
    """A logged-in viewer of the test team."""
    return login(make_user("viewer"))


def rows_of(page: str) -> dict[str, str]:
    """Each vendor row of the dashboard by vendor name, as text."""
    out = {}
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        name = re.search(r'<th scope="row">(.*?)</th>', row, re.S)
        if name:
            out[html.unescape(re.sub(r"<[^>]+>", "", name.group(1)).strip())] = " ".join(
                html.unescape(re.sub(r"<[^>]+>", " ", row)).split()
            )
    return out


def attention_of(page: str) -> list[str]:
    """The "Needs attention" list, item by item, as text."""
    section = re.search(r'<section class="attention".*?</section>', page, re.S).group(0)
    return [
        " ".join(html.unescape(re.sub(r"<[^>]+>", " ", li)).split()) for li in re.findall(r"<li.*?</li>", section, re.S)
    ]


def cell(row: str, page: str, vendor: str, label: str) -> str:
    """The text of one cell (by its data-label) of a vendor's row."""
    for tr in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        if f">{vendor}</a></th>" in tr:
            match = re.search(rf'<td data-label="{label}"[^>]*>(.*?)</td>', tr, re.S)
            return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())
    raise AssertionError(f"no row for {vendor}")


def test_each_vendor_shows_its_true_state(client, db, viewer, make_evaluation, make_vendor, stage4_answers):
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat(timespec="seconds")
    evaluation_id = make_evaluation(title="Open one", deadline=(TODAY + timedelta(days=5)).isoformat())
    make_vendor(name="Done Co", evaluation_id=evaluation_id, answers=stage4_answers, submit=True)
    make_vendor(name="Busy Co", evaluation_id=evaluation_id, answers={"A2": 3})
    make_vendor(name="Quiet Co", evaluation_id=evaluation_id)
    revoked = make_vendor(name="Revoked Co", evaluation_id=evaluation_id, answers={"A2": 3})
    store.revoke_invitations(db, revoked["vendor_id"], "test")
    make_vendor(name="Expired Co", evaluation_id=evaluation_id, expires_at=past)
    again = make_vendor(name="Again Co", evaluation_id=evaluation_id, answers=stage4_answers, submit=True)
    store.set_response_status(db, again["response_id"], "reopened", "test", expect=("submitted",))
    late = make_evaluation(title="Late one", deadline=(TODAY - timedelta(days=2)).isoformat())
    make_vendor(name="Late Co", evaluation_id=late, answers={"A2": 3})
    extended = make_vendor(name="Extended Co", evaluation_id=late, answers={"A2": 3})
    store.set_vendor_deadline(db, extended["vendor_id"], (TODAY + timedelta(days=3)).isoformat(), "test")
    page = client.get("/").get_data(as_text=True)
    states = {name: cell(row, page, name, "State") for name, row in rows_of(page).items()}
    assert states["Done Co"].startswith("Submitted")
    assert states["Busy Co"].startswith("In progress")
    assert states["Quiet Co"].startswith("Not started")
    assert states["Revoked Co"].startswith("Link revoked")
    assert states["Expired Co"].startswith("Link expired")
    assert states["Again Co"].startswith("Reopened")
    assert states["Late Co"].startswith("Overdue")
    assert states["Extended Co"].startswith("In progress")  # their own, later deadline has not passed
    assert "5 days left" in page and "2 days past the deadline" in page
    needs = attention_of(page)
    assert "Revoked Co (Open one): link revoked" in needs
    assert "Expired Co (Open one): link expired" in needs
    assert "Late Co (Late one): deadline passed, not submitted" in needs
    assert "Late one: the deadline has passed and no decision is recorded" in needs
    assert not any(n.startswith(("Busy Co", "Quiet Co")) for n in needs)
    assert [n for n in needs if n.startswith("Done Co")] == [
        f"Done Co (Open one): {cell('', page, 'Done Co', 'Scores pending')} manual scores pending"
    ]


def test_verdict_and_score_are_the_comparisons(client, db, viewer, make_evaluation, make_vendor, stage4_answers,
                                               questionnaire):  # fmt: skip
    evaluation_id = make_evaluation(title="Scored")
    make_vendor(name="Done Co", evaluation_id=evaluation_id, answers=stage4_answers, submit=True)
    make_vendor(name="Busy Co", evaluation_id=evaluation_id, answers={"A2": 3, "B1": []})
    page = client.get("/").get_data(as_text=True)
    comparison = evaluations.compare(db, store.get_evaluation(db, evaluation_id), questionnaire, TODAY)
    compare_page = client.get(f"/evaluations/{evaluation_id}/compare").get_data(as_text=True)
    for review in comparison.reviews:
        name = review.vendor["name"]
        compare_row = next(r for r in re.findall(r"<tr data-vendor.*?</tr>", compare_page, re.S) if f">{name}</a>" in r)
        overall = re.search(r'<td class="overall">(.*?)</td>', compare_row, re.S).group(1)
        assert cell("", page, name, "Score") == " ".join(html.unescape(re.sub(r"<[^>]+>", " ", overall)).split())
        verdict = re.search(r'<span class="verdict tier-\d">(.*?)</span>', compare_row).group(1)
        assert verdict in cell("", page, name, "Verdict")
        pending = dashboard.pending_count(review.result)
        assert cell("", page, name, "Scores pending") == str(pending)
    assert cell("", page, "Done Co", "Scores pending") != "0"  # the stage 4 answers have manual items to score


def test_the_figures_follow_answers_weights_manual_scores_and_verifications(
    client, db, viewer, make_user, make_evaluation, make_vendor, stage4_answers, questionnaire
):
    evaluation_id = make_evaluation(title="Moving")
    v = make_vendor(name="Done Co", evaluation_id=evaluation_id, answers=stage4_answers, submit=True)

    def shown() -> tuple[str, str, str]:
        page = client.get("/").get_data(as_text=True)
        return (cell("", page, "Done Co", "Score"), cell("", page, "Done Co", "Scores pending"),
                cell("", page, "Done Co", "Verdict"))  # fmt: skip

    def expected() -> tuple[str, str, str]:
        page = client.get(f"/evaluations/{evaluation_id}/compare").get_data(as_text=True)
        row = re.search(r"<tr data-vendor.*?</tr>", page, re.S).group(0)
        overall = re.search(r'<td class="overall">(.*?)</td>', row, re.S).group(1)
        [review] = evaluations.compare(db, store.get_evaluation(db, evaluation_id), questionnaire, TODAY).reviews
        verdict = re.search(r'<span class="verdict tier-\d">(.*?)</span>', row).group(1)
        return (" ".join(html.unescape(re.sub(r"<[^>]+>", " ", overall)).split()),
                str(dashboard.pending_count(review.result)), verdict)  # fmt: skip

    first = shown()
    assert first[0] == expected()[0]
    steps = []
    # an evaluator scores a manual item: pending drops, the score moves
    store.set_manual_score(db, v["response_id"], "C5", make_user("evaluator"), 5, "")
    steps.append(shown())
    # the buyer checks a deployment: the verdict becomes verified
    answers = store.load_answers(db, v["response_id"])
    store.set_verification(db, v["response_id"], "d1", True, True, "", make_user("evaluator"),
                           deployment_fingerprint(answers, "d1"))  # fmt: skip
    steps.append(shown())
    # the weights change
    evaluation = store.get_evaluation(db, evaluation_id)
    store.update_evaluation(db, evaluation_id, "test", evaluation["title"], None,
                            dict(evaluation["weights"], A=0.0, C=50.0), {})  # fmt: skip
    steps.append(shown())
    # the vendor's answer changes (reopened, then a save): no deployments any more
    store.set_response_status(db, v["response_id"], "reopened", "test", expect=("submitted",))
    store.save_answers(db, v["response_id"], {"B1": []}, store.answer_versions(db, v["response_id"]), "test")
    steps.append(shown())
    before = first
    for step in steps:
        assert step != before, steps
        before = step
    now_expected = expected()
    assert steps[-1][0] == now_expected[0] and steps[-1][1] == now_expected[1]
    assert now_expected[2] in steps[-1][2]
    assert int(steps[0][1]) == int(first[1]) - 1


def test_a_summary_is_dropped_by_every_write_scoring_reads(db, make_user, make_vendor, stage4_answers, questionnaire):
    v = make_vendor(name="Done Co", answers=stage4_answers)
    evaluation = store.get_evaluation(db, v["evaluation_id"])

    def summarised() -> bool:
        rows = store.dashboard_vendors(db, [evaluation["id"]])[evaluation["id"]]
        dashboard.fresh_summaries(db, evaluation, questionnaire, rows, TODAY)
        return store.dashboard_vendors(db, [evaluation["id"]])[evaluation["id"]][0]["summary_as_of"] is not None

    def dropped_by(write) -> bool:
        assert summarised()
        write()
        return store.dashboard_vendors(db, [evaluation["id"]])[evaluation["id"]][0]["summary_as_of"] is None

    user = make_user("evaluator")
    rid = v["response_id"]
    assert dropped_by(lambda: store.save_answers(db, rid, {"A2": 1}, store.answer_versions(db, rid), "test"))
    assert dropped_by(lambda: store.set_manual_score(db, rid, "C5", user, 3, ""))
    assert dropped_by(lambda: store.set_manual_score(db, rid, "C5", user, 4, ""))  # an update
    assert dropped_by(lambda: store.set_verification(db, rid, "d1", True, False, "", user, None))
    # a new day, or other settings, make the stored row stale without any write
    rows = store.dashboard_vendors(db, [evaluation["id"]])[evaluation["id"]]
    assert dashboard.fresh_summaries(db, evaluation, questionnaire, rows, TODAY)[0]["as_of"] == TODAY.isoformat()
    tomorrow = TODAY + timedelta(days=1)
    rows = store.dashboard_vendors(db, [evaluation["id"]])[evaluation["id"]]
    assert dashboard.fresh_summaries(db, evaluation, questionnaire, rows, tomorrow)[0]["as_of"] == tomorrow.isoformat()
    other = dict(evaluation, weights=dict(evaluation["weights"], A=99.0))
    assert dashboard.settings_key(other) != dashboard.settings_key(evaluation)


def test_clarification_replies_awaiting_the_buyer_are_counted_and_listed(
    client, db, viewer, make_user, make_evaluation, make_vendor
):
    evaluation_id = make_evaluation(title="Questions")
    v = make_vendor(name="Asked Co", evaluation_id=evaluation_id, answers={"A2": 3})
    buyer = make_user("evaluator")
    first = store.open_clarification(db, v["response_id"], "A2", "Why 3?", buyer)
    second = store.open_clarification(db, v["response_id"], "A2", "And since when?", buyer)
    page = client.get("/").get_data(as_text=True)
    assert cell("", page, "Asked Co", "Replies to read") == "0"  # the buyer asked: the vendor's turn
    store.add_clarification_message(db, v["response_id"], first, f"vendor:{v['vendor_id']}", "Because.")
    store.add_clarification_message(db, v["response_id"], second, f"vendor:{v['vendor_id']}", "2024.")
    page = client.get("/").get_data(as_text=True)
    assert cell("", page, "Asked Co", "Replies to read") == "2"
    assert "Asked Co (Questions): 2 clarification replies await you" in attention_of(page)
    store.add_clarification_message(db, v["response_id"], first, f"user:{buyer}", "Thanks.")
    store.close_clarification(db, v["response_id"], second, buyer)
    page = client.get("/").get_data(as_text=True)
    assert cell("", page, "Asked Co", "Replies to read") == "0"
    assert not any("clarification" in n for n in attention_of(page))


def test_pending_scores_of_submitted_responses_need_attention(
    client, db, viewer, make_evaluation, make_vendor, stage4_answers
):
    evaluation_id = make_evaluation(title="To score")
    make_vendor(name="Done Co", evaluation_id=evaluation_id, answers=stage4_answers, submit=True)
    page = client.get("/").get_data(as_text=True)
    pending = int(cell("", page, "Done Co", "Scores pending"))
    assert f"Done Co (To score): {pending} manual scores pending" in attention_of(page)


def test_a_decided_evaluation_needs_no_attention_and_shows_each_outcome(
    client, db, viewer, make_user, make_evaluation, make_vendor
):
    evaluation_id = make_evaluation(title="Settled", deadline=(TODAY - timedelta(days=3)).isoformat())
    v = make_vendor(name="Late Co", evaluation_id=evaluation_id, answers={"A2": 3})
    store.record_decision(db, evaluation_id, {v["vendor_id"]: ("reject", "late")}, "", make_user("owner"))
    page = client.get("/").get_data(as_text=True)
    assert attention_of(page) == []
    assert "Nothing needs attention" in page
    assert cell("", page, "Late Co", "Decision") == "Reject"
    assert "closed to changes" in page


def test_a_viewer_sees_only_their_teams_evaluations(client, db, viewer, make_evaluation, make_vendor, make_team):
    mine = make_evaluation(title="Ours")
    theirs = make_evaluation(title="Theirs", team_id=make_team("Rivals"))
    make_vendor(name="Our Co", evaluation_id=mine)
    make_vendor(name="Their Co", evaluation_id=theirs)
    page = client.get("/").get_data(as_text=True)
    assert "Our Co" in page and "Their Co" not in page and "Theirs" not in page


def test_vendor_text_on_the_dashboard_is_escaped(client, db, viewer, make_evaluation, make_vendor):
    hostile = "<img src=x onerror=alert(1)>"
    evaluation_id = make_evaluation(title=hostile, deadline=(TODAY - timedelta(days=1)).isoformat())
    make_vendor(name=hostile, evaluation_id=evaluation_id)
    page = client.get("/").get_data(as_text=True)
    assert hostile not in page and html.escape(hostile) in page
