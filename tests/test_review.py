"""Review: manual scores, verifications, clarifications on both sides, and the comparison page."""

import re
import time

import pytest

from stagefour import store

from .conftest import load_response_json


@pytest.fixture
def evaluation(make_evaluation, make_vendor):
    """An evaluation with the three example vendors, submitted."""
    evaluation_id = make_evaluation(buyer_profile={"industry": "insurance"})
    vendors = {}
    for name in ("stage4-deployer", "pilots-only", "no-engineers"):
        data = load_response_json(name)
        vendors[name] = make_vendor(data["vendor"], evaluation_id, answers=data["answers"], submit=True)
    return evaluation_id, vendors


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_response_view_shows_answers_points_flags_and_verdict(client, make_user, login, evaluation):
    evaluation_id, vendors = evaluation
    login(make_user("viewer"))
    html = page(client, f"/evaluations/{evaluation_id}/vendors/{vendors['pilots-only']['vendor_id']}")
    assert "Brightline AI Labs" in html
    assert "Stage 3: no recent production deployments" in html
    assert "R10" in html and "Pilots only" in html
    assert "Lock-in risk" in html
    assert "waiting for evaluators" in html  # manual items answered, not scored
    assert "/scores" not in html and "/verifications" not in html  # a viewer gets no review forms


def test_evaluators_score_manual_items_and_a_spread_asks_for_a_third(client, db, make_user, login, evaluation):
    evaluation_id, vendors = evaluation
    v = vendors["stage4-deployer"]
    url = f"/evaluations/{evaluation_id}/vendors/{v['vendor_id']}"
    first, second = make_user("evaluator"), make_user("evaluator")
    login(first)
    assert client.post(url + "/scores", data={"question_id": "C5", "score": "1", "comment": "vague"}).status_code == 302
    login(second)
    client.post(url + "/scores", data={"question_id": "C5", "score": "4", "comment": "names the CAB"})
    client.post(url + "/scores", data={"question_id": "C5", "score": "5", "comment": "changed my mind"})  # replaces
    rows = store.manual_scores(db, [v["response_id"]])
    assert sorted((r["evaluator_id"], r["score"]) for r in rows) == [(first, 1), (second, 5)]
    html = page(client, url)
    assert "a third opinion is needed" in html
    assert "changed my mind" in html and "names the CAB" not in html


@pytest.mark.parametrize("question", ["A2", "B2", "Z9", "", "<script>"])
def test_only_manual_items_take_manual_scores(client, make_user, login, evaluation, question):
    evaluation_id, vendors = evaluation
    login(make_user("evaluator"))
    url = f"/evaluations/{evaluation_id}/vendors/{vendors['stage4-deployer']['vendor_id']}/scores"
    assert client.post(url, data={"question_id": question, "score": "3"}).status_code == 404


def test_viewers_cannot_score_verify_or_ask(client, make_user, login, evaluation):
    evaluation_id, vendors = evaluation
    login(make_user("viewer"))
    base = f"/evaluations/{evaluation_id}/vendors/{vendors['stage4-deployer']['vendor_id']}"
    assert client.post(base + "/scores", data={"question_id": "C5", "score": "3"}).status_code == 403
    assert client.post(base + "/verifications", data={"deployment_id": "d1"}).status_code == 403
    assert client.post(base + "/clarifications", data={"question_id": "B1", "body": "?"}).status_code == 403


def test_reference_check_and_evidence_review_verify_the_verdict(client, db, make_user, login, evaluation):
    evaluation_id, vendors = evaluation
    v = vendors["stage4-deployer"]
    base = f"/evaluations/{evaluation_id}/vendors/{v['vendor_id']}"
    login(make_user("evaluator"))
    assert "Stage 4 evidence, unverified" in page(client, base)
    client.post(base + "/verifications", data={"deployment_id": "d1", "reference_checked": "y", "note": "called"})
    assert "Stage 4 evidence, unverified" in page(client, base)  # the evidence review is still missing
    client.post(
        base + "/verifications", data={"deployment_id": "d1", "reference_checked": "y", "evidence_reviewed": "y"}
    )
    assert "Stage 4, verified" in page(client, base)
    assert store.verifications(db, [v["response_id"]])[v["response_id"]]["d1"]["evidence_reviewed"] is True
    assert client.post(base + "/verifications", data={"deployment_id": "not-a-row"}).status_code == 400
    actions = [e["action"] for e in store.audit_entries(db, evaluation_id)]
    assert actions.count("verification_recorded") == 2


def test_clarification_thread_between_buyer_and_vendor(client, db, make_user, login, evaluation):
    evaluation_id, vendors = evaluation
    v = vendors["stage4-deployer"]
    base = f"/evaluations/{evaluation_id}/vendors/{v['vendor_id']}"
    login(make_user("evaluator"))
    client.post(base + "/clarifications", data={"question_id": "D1", "body": "Was f4 <b>really</b> user-detected?"})
    [thread] = store.clarifications(db, [v["response_id"]])[v["response_id"]]
    # the vendor sees a count on the first page and the thread beside the answer
    client.post("/logout")
    overview = page(client, f"/v/{v['token']}")
    assert "The buyer asked 1 question" in overview
    section = page(client, f"/v/{v['token']}/s/D")
    assert "Was f4 &lt;b&gt;really&lt;/b&gt; user-detected?" in section
    reply = client.post(
        f"/v/{v['token']}/clarifications/{thread['id']}/reply", data={"body": "Yes: an adjuster.", "section": "D"}
    )
    assert reply.status_code == 302 and reply.location.endswith(f"/s/D#thread-{thread['id']}")
    # the buyer sees the reply and closes the thread; the vendor can no longer reply
    login(make_user("evaluator"))
    assert "Yes: an adjuster." in page(client, base)
    assert client.post(f"{base}/clarifications/{thread['id']}/close").status_code == 302
    client.post("/logout")
    closed = client.post(f"/v/{v['token']}/clarifications/{thread['id']}/reply", data={"body": "more"})
    assert closed.status_code == 404
    actions = [e["action"] for e in store.audit_entries(db, evaluation_id)]
    assert {"clarification_asked", "clarification_replied", "clarification_closed"} <= set(actions)


def test_a_vendor_cannot_reply_on_another_vendors_thread(client, db, make_user, login, evaluation):
    evaluation_id, vendors = evaluation
    a, b = vendors["stage4-deployer"], vendors["pilots-only"]
    login(make_user("evaluator"))
    client.post(f"/evaluations/{evaluation_id}/vendors/{b['vendor_id']}/clarifications",
                data={"question_id": "B1", "body": "secret question to B"})  # fmt: skip
    [thread] = store.clarifications(db, [b["response_id"]])[b["response_id"]]
    client.post("/logout")
    assert client.post(f"/v/{a['token']}/clarifications/{thread['id']}/reply", data={"body": "x"}).status_code == 404
    assert "secret question to B" not in page(client, f"/v/{a['token']}/s/B")


def ranking_names(html: str) -> list[str]:
    table = html.split('id="ranking"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', table)


def test_comparison_ranks_by_verdict_tier_then_score(client, make_user, login, evaluation):
    evaluation_id, _ = evaluation
    login(make_user("viewer"))
    html = page(client, f"/evaluations/{evaluation_id}/compare")
    assert ranking_names(html) == ["Northwind Applied AI", "Quiet Harbor Consulting", "Brightline AI Labs"]
    assert 'id="compare-data"' in html
    for qid in ("A1", "B1", "J3"):
        assert f'<span class="qid">{qid}</span>' in html


def test_weights_in_the_query_re_rank_and_bad_weights_are_explained(client, make_user, login, make_evaluation,
                                                                   make_vendor):  # fmt: skip
    evaluation_id = make_evaluation()
    full = load_response_json("stage4-deployer")["answers"]
    strong_people = dict(full, A2=0, A3=50, A4=False, A5=5)  # weaker engagement, same verdict
    strong_engagement = dict(full, C3=False, C1=[dict(e, proposed=False) for e in full["C1"]][:1] + full["C1"][1:])
    make_vendor("People First", evaluation_id, answers=strong_people, submit=True)
    make_vendor("Engaged Co", evaluation_id, answers=strong_engagement, submit=True)
    login(make_user("viewer"))
    default = ranking_names(page(client, f"/evaluations/{evaluation_id}/compare"))
    only_a = ranking_names(page(client, f"/evaluations/{evaluation_id}/compare?" + "&".join(
        f"w_{s}={1000 if s == 'A' else 0}" for s in "ABCDEFGHIJK")))  # fmt: skip
    only_c = ranking_names(page(client, f"/evaluations/{evaluation_id}/compare?" + "&".join(
        f"w_{s}={1000 if s == 'C' else 0}" for s in "ABCDEFGHIJK")))  # fmt: skip
    assert only_a[0] == "Engaged Co" and only_c[0] == "People First"
    assert set(default) == {"People First", "Engaged Co"}
    for bad in ("w_A=abc", "w_A=-3", "w_A=1e9", "w_A=nan", "w_A=%3Cscript%3E"):
        html = page(client, f"/evaluations/{evaluation_id}/compare?{bad}")
        assert "A weight is a number from 0 to 1000" in html
    zero = page(client, f"/evaluations/{evaluation_id}/compare?" + "&".join(f"w_{s}=0" for s in "ABCDEFGHIJK"))
    assert "At least one section needs a weight above 0" in zero


def test_comparison_of_twenty_vendors_renders_quickly(client, make_user, login, make_evaluation, make_vendor):
    evaluation_id = make_evaluation()
    names = ["stage4-deployer", "pilots-only", "stage-inflation", "no-engineers"]
    for i in range(20):
        data = load_response_json(names[i % 4])
        make_vendor(f"{data['vendor']} {i}", evaluation_id, answers=data["answers"], submit=True)
    login(make_user("viewer"))
    page(client, f"/evaluations/{evaluation_id}/compare")  # warm
    start = time.perf_counter()
    html = page(client, f"/evaluations/{evaluation_id}/compare")
    elapsed = time.perf_counter() - start
    assert len(ranking_names(html)) == 20
    print(f"comparison of 20 vendors: {elapsed * 1000:.0f} ms")  # figures live in bench/, not asserts


def test_hostile_vendor_names_and_answers_are_escaped_on_the_comparison(client, make_user, login, make_evaluation,
                                                                       make_vendor):  # fmt: skip
    evaluation_id = make_evaluation()
    evil = '</script><script>alert("x")</script>'
    make_vendor(evil, evaluation_id, answers={"C4": evil, "B1": [{"id": evil, "stage": 4}]})
    login(make_user("viewer"))
    html = page(client, f"/evaluations/{evaluation_id}/compare")
    assert "<script>alert" not in html
    data = html.split('id="compare-data">', 1)[1].split("</script>", 1)[0]
    assert "</script>" not in data and "\\u003c/script\\u003e" in data


def test_buyers_download_evidence_only_through_the_vendor_it_belongs_to(client, db, make_user, login, evaluation,
                                                                        make_evaluation, make_vendor):  # fmt: skip
    import io

    evaluation_id, vendors = evaluation
    v = vendors["pilots-only"]
    store.set_response_status(db, v["response_id"], "reopened", "test", expect=("submitted",))
    versions = re.search(r'name="base_versions" value="([^"]*)"', page(client, f"/v/{v['token']}/s/B")).group(1)
    client.post(f"/v/{v['token']}/s/B", data={"B5": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "diagram.pdf"),
                "base_versions": versions.replace("&#34;", '"')}, content_type="multipart/form-data")  # fmt: skip
    [ref] = store.load_answers(db, v["response_id"])["B5"]
    login(make_user("viewer"))
    html = page(client, f"/evaluations/{evaluation_id}/vendors/{v['vendor_id']}")
    url = f"/evaluations/{evaluation_id}/vendors/{v['vendor_id']}/files/{ref['id']}"
    assert f'href="{url}"' in html
    download = client.get(url)
    assert download.status_code == 200 and download.headers["Content-Disposition"].startswith("attachment")
    download.close()
    other = vendors["stage4-deployer"]
    assert client.get(f"/evaluations/{evaluation_id}/vendors/{other['vendor_id']}/files/{ref['id']}").status_code == 404
    elsewhere = make_vendor("Elsewhere", make_evaluation())
    assert (
        client.get(f"/evaluations/{evaluation_id}/vendors/{elsewhere['vendor_id']}/files/{ref['id']}").status_code
        == 404
    )


def test_the_pdfs_and_exports_are_linked_where_buyers_look_for_them(client, make_user, login, evaluation):
    evaluation_id, vendors = evaluation
    login(make_user("viewer"))
    compare = page(client, f"/evaluations/{evaluation_id}/compare")
    # The PDF is a GET form with its language and paper beside it (tests/test_report.py checks its options).
    assert f'<form method="get" action="/evaluations/{evaluation_id}/report.pdf" class="pdf-form"' in compare
    for target in ("export.csv", "export.json"):
        assert f'href="/evaluations/{evaluation_id}/{target}"' in compare
    v = vendors["stage4-deployer"]
    response_view = page(client, f"/evaluations/{evaluation_id}/vendors/{v['vendor_id']}")
    assert (
        f'action="/evaluations/{evaluation_id}/vendors/{v["vendor_id"]}/response.pdf" class="pdf-form"' in response_view
    )
    client.post("/logout")
    assert f'href="/v/{v["token"]}/receipt.pdf"' in page(client, f"/v/{v['token']}/receipt")


def test_red_flags_point_at_answers_in_the_words_a_reader_uses(client, make_user, login, evaluation):
    evaluation_id, vendors = evaluation
    login(make_user("viewer"))
    compare = page(client, f"/evaluations/{evaluation_id}/compare")
    response_view = page(client, f"/evaluations/{evaluation_id}/vendors/{vendors['pilots-only']['vendor_id']}")
    for html in (compare, response_view):
        refs = " ".join(re.findall(r'<span class="refs">(.*?)</span>', html, re.S))
        assert "deployment " in refs
        assert not re.search(r"\b[A-Z]\d+\w*\[\d+\]", refs), refs  # no 0-based internal path
