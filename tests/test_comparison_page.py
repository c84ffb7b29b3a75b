"""The comparison page (issue 12, item 8): no winner without answers, shared weight bounds, the script's inputs."""

import json
import re

from forms.buyer import MAX_WEIGHT
from stagefour import comparison

from .conftest import load_response_json


def compare_data(html: str) -> dict:
    return json.loads(html.split('id="compare-data">', 1)[1].split("</script>", 1)[0])


def test_an_evaluation_without_answers_names_no_winner_and_offers_no_pdf(
    client, db, make_user, login, make_evaluation, make_vendor
):
    evaluation_id = make_evaluation()
    make_vendor("Zeta Labs", evaluation_id)
    make_vendor("Alpha AI", evaluation_id)
    login(make_user("viewer"))
    response = client.get(f"/evaluations/{evaluation_id}/compare")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "No vendor has answered yet" in html
    for absent in ('id="ranking"', 'id="stability"', "report.pdf", 'id="compare-data"', "Re-rank", "ranks first"):
        assert absent not in html
    audited = db["audit_log"].count
    pdf = client.get(f"/evaluations/{evaluation_id}/report.pdf?lang=en")
    assert pdf.status_code == 409
    assert pdf.mimetype == "text/html" and "No vendor has answered yet" in pdf.get_data(as_text=True)
    assert db["audit_log"].count == audited  # no PDF was asked for


def test_the_first_answer_brings_the_ranking_and_the_pdf(client, make_user, login, make_evaluation, make_vendor):
    evaluation_id = make_evaluation()
    make_vendor("Zeta Labs", evaluation_id)
    make_vendor("Alpha AI", evaluation_id, answers={"A1": "We deploy claims models."})
    login(make_user("viewer"))
    html = client.get(f"/evaluations/{evaluation_id}/compare").get_data(as_text=True)
    assert "No vendor has answered yet" not in html
    assert 'id="ranking"' in html and "report.pdf" in html
    pdf = client.get(f"/evaluations/{evaluation_id}/report.pdf?lang=en")
    pdf.close()
    assert pdf.status_code in (200, 202)  # made at once, or the page that waits for it


def test_bad_pdf_options_are_refused_before_the_no_answers_page(client, make_user, login, make_evaluation, make_vendor):
    evaluation_id = make_evaluation()
    make_vendor("Zeta Labs", evaluation_id)
    login(make_user("viewer"))
    assert client.get(f"/evaluations/{evaluation_id}/report.pdf?size=a0").status_code == 400


def test_the_pdf_door_stays_shut_for_outsiders_even_without_answers(client, make_user, login, make_evaluation,
                                                                    make_vendor, make_team):  # fmt: skip
    evaluation_id = make_evaluation()
    make_vendor("Zeta Labs", evaluation_id)
    assert client.get(f"/evaluations/{evaluation_id}/report.pdf").status_code in (302, 303)
    login(make_user("owner", team_id=make_team("Elsewhere")))
    assert client.get(f"/evaluations/{evaluation_id}/report.pdf").status_code == 404


def test_slider_and_number_box_share_the_bounds_the_server_accepts(client, make_user, login, make_evaluation,
                                                                   make_vendor):  # fmt: skip
    evaluation_id = make_evaluation()
    make_vendor("Alpha AI", evaluation_id, answers=load_response_json("stage4-deployer")["answers"])
    login(make_user("viewer"))
    html = client.get(f"/evaluations/{evaluation_id}/compare?w_A=1000").get_data(as_text=True)
    ranges = re.findall(r'<input type="range" id="w_(\w+)-range" min="(\d+)" max="(\d+)" step="1" value="(\d+)"', html)
    boxes = re.findall(r'<input type="number" id="w_(\w+)" name="w_\w+" min="(\d+)" max="(\d+)"', html)
    assert len(ranges) == len(boxes) == 11
    assert {(s, lo, hi) for s, lo, hi, _ in ranges} == set(boxes)
    assert all(lo == "0" and hi == str(MAX_WEIGHT) for _, lo, hi in boxes)
    assert dict((s, v) for s, _, _, v in ranges)["A"] == "1000"  # no longer stuck at 50
    over = client.get(f"/evaluations/{evaluation_id}/compare?w_A={MAX_WEIGHT + 1}").get_data(as_text=True)
    assert f"A weight is a number from 0 to {MAX_WEIGHT}" in over


def test_the_page_sends_the_script_every_input_of_the_server_computation(client, make_user, login, make_evaluation,
                                                                         make_vendor):  # fmt: skip
    evaluation_id = make_evaluation()
    for name in ("stage4-deployer", "pilots-only"):
        data = load_response_json(name)
        make_vendor(data["vendor"], evaluation_id, answers=data["answers"], submit=True)
    login(make_user("viewer"))
    data = compare_data(client.get(f"/evaluations/{evaluation_id}/compare?w_B=7").get_data(as_text=True))
    assert data["weights"]["B"] == 7 and data["defaults"]["B"] != 7 and data["max"] == MAX_WEIGHT
    assert data["multipliers"] == list(comparison.MULTIPLIERS) and data["within"] == comparison.STABLE_WITHIN
    assert sorted(v["tie"] for v in data["vendors"]) == [0, 1]
    for vendor in data["vendors"]:
        assert [s[0] for s in vendor["sections"]] == list(data["weights"])
        assert all(len(s) == 4 for s in vendor["sections"])
    assert "{name}" in data["text"]["stable"] and "{low}" in data["text"]["provisional"]
