"""Verifications with a fingerprint: a buyer's check vouches for the deployment row as it stood.

Issue 11, item 5: a vendor who changes a verified deployment row makes its verification
"changed since verified" (shown on the response page and the comparison), and the verdict
falls back to unverified; a change to another row keeps the verification.
"""

from __future__ import annotations

import re

import pytest

from stagefour import store
from stagefour.profiles.ai_deployment_partner.metrics import deployment_fingerprint
from stagefour.scoring import score_response

from .conftest import AS_OF
from .conftest import load_response_json

CHANGED = "Changed since verified"


def _without_evidence(answers: dict) -> dict:
    """The answers with B1's evidence cells left out, so the rows can be posted as a plain form."""
    return dict(answers, B1=[{k: v for k, v in row.items() if k != "evidence"} for row in answers["B1"]])


def _cell(value) -> str | list[str]:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return list(value)  # ticked boxes of a pick list (issue 12): one value each
    return str(value)


def _b1_form(rows: list[dict]) -> dict:
    """B1's rows as the vendor's section form posts them (B1-<row>-<field>)."""
    return {f"B1-{i}-{k}": _cell(v) for i, row in enumerate(rows) for k, v in row.items()}


@pytest.fixture
def deployer(make_evaluation, make_vendor):
    """The stage-4 deployer, answering (not submitted), in an evaluation: its make_vendor dict."""
    answers = _without_evidence(load_response_json("stage4-deployer")["answers"])
    return make_vendor("Northwind Applied AI", make_evaluation(), answers=answers)


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _verify(client, v: dict, deployment: str, **extra):
    base = f"/evaluations/{v['evaluation_id']}/vendors/{v['vendor_id']}"
    data = {"deployment_id": deployment, "reference_checked": "y", "evidence_reviewed": "y", **extra}
    return client.post(base + "/verifications", data=data)


def _vendor_changes_b1(client, db, v: dict, change) -> None:
    """The vendor edits B1 through their link (the page's autosave of B1 only); `change(rows)` edits in place."""
    url = f"/v/{v['token']}/s/B"
    html = _page(client, url)
    versions = re.search(r'name="base_versions" value="([^"]*)"', html).group(1).replace("&#34;", '"')
    rows = [dict(r) for r in store.load_answers(db, v["response_id"])["B1"]]
    change(rows)
    response = client.post(url + "/autosave", data={"changed": "B1", "base_versions": versions, **_b1_form(rows)})
    assert response.status_code == 200, response.get_json()
    assert store.load_answers(db, v["response_id"])["B1"] == rows  # the form carried every cell as it was


def _verdict_text(html: str) -> str:
    if "Stage 4, verified" in html:
        return "verified"
    return "unverified" if "Stage 4 evidence, unverified" in html else "?"


def test_a_vendor_edit_of_the_verified_row_makes_it_changed_and_unverified(client, db, make_user, login, deployer):
    v = deployer
    login(make_user("evaluator"))
    response_page = f"/evaluations/{v['evaluation_id']}/vendors/{v['vendor_id']}"
    assert _verify(client, v, "d1").status_code == 302
    html = _page(client, response_page)
    assert _verdict_text(html) == "verified" and CHANGED not in html
    stored = store.verifications(db, [v["response_id"]])[v["response_id"]]["d1"]
    assert stored["fingerprint"] == deployment_fingerprint(store.load_answers(db, v["response_id"]), "d1")

    _vendor_changes_b1(client, db, v, lambda rows: rows[0].update(daily_volume=9999))

    html = _page(client, response_page)
    assert _verdict_text(html) == "unverified"
    assert CHANGED in html
    compare = _page(client, f"/evaluations/{v['evaluation_id']}/compare")
    assert f"{CHANGED}: d1" in compare
    # The record is kept as it was: the buyer sees what they checked, and checks again.
    again = store.verifications(db, [v["response_id"]])[v["response_id"]]["d1"]
    assert again == stored
    assert _verify(client, v, "d1").status_code == 302
    html = _page(client, response_page)
    assert _verdict_text(html) == "verified" and CHANGED not in html


def test_a_vendor_edit_of_another_row_keeps_the_verification(client, db, make_user, login, deployer):
    v = deployer
    login(make_user("evaluator"))
    assert _verify(client, v, "d1").status_code == 302
    _vendor_changes_b1(client, db, v, lambda rows: rows[1].update(kpi="KYC files per analyst-day 14 to 45"))
    html = _page(client, f"/evaluations/{v['evaluation_id']}/vendors/{v['vendor_id']}")
    assert _verdict_text(html) == "verified"
    assert CHANGED not in html
    assert CHANGED not in _page(client, f"/evaluations/{v['evaluation_id']}/compare")


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda rows: rows.pop(0), id="row removed"),
        pytest.param(lambda rows: rows.append(dict(rows[0], customer_type="A copy")), id="second row with its id"),
        pytest.param(lambda rows: rows[0].update(engineer_ids=["e2", "e1"]), id="engineers reordered"),
        pytest.param(lambda rows: rows[0].pop("kpi"), id="cell cleared"),
    ],
)
def test_any_change_of_the_verified_row_undoes_the_verification(stage4_answers, questionnaire, change):
    verified = {
        "d1": {
            "reference_checked": True,
            "evidence_reviewed": True,
            "fingerprint": deployment_fingerprint(stage4_answers, "d1"),
        }
    }
    before = score_response(questionnaire, stage4_answers, AS_OF, verifications=verified)
    assert before.verdict.code == "stage4_verified"
    change(stage4_answers["B1"])
    result = score_response(questionnaire, stage4_answers, AS_OF, verifications=verified)
    assert result.verdict.code != "stage4_verified"


@pytest.mark.parametrize("fingerprint", [None, "", "0" * 64])
def test_a_verification_without_the_rows_fingerprint_does_not_count(stage4_answers, questionnaire, fingerprint):
    verified = {"d1": {"reference_checked": True, "evidence_reviewed": True, "fingerprint": fingerprint}}
    result = score_response(questionnaire, stage4_answers, AS_OF, verifications=verified)
    assert result.verdict.code == "stage4_unverified"


def test_the_fingerprint_ignores_key_order_and_nothing_else(stage4_answers):
    row = stage4_answers["B1"][0]
    reordered = dict(reversed(list(row.items())))
    assert deployment_fingerprint({"B1": [reordered]}, "d1") == deployment_fingerprint(stage4_answers, "d1")
    assert deployment_fingerprint({"B1": [dict(row, stage=3)]}, "d1") != deployment_fingerprint(stage4_answers, "d1")
    assert deployment_fingerprint(stage4_answers, "no-such-row") is None
    assert deployment_fingerprint({"B1": [row, row]}, "d1") is None


def test_a_check_of_a_row_changed_since_the_page_was_shown_is_refused(client, db, make_user, login, deployer):
    v = deployer
    login(make_user("evaluator"))
    shown = deployment_fingerprint(store.load_answers(db, v["response_id"]), "d1")
    _vendor_changes_b1(client, db, v, lambda rows: rows[0].update(stage=3))
    response = _verify(client, v, "d1", fingerprint=shown)
    assert response.status_code == 302
    assert store.verifications(db, [v["response_id"]])[v["response_id"]] == {}
    assert "changed d1 since this page was shown" in _page(client, response.location)
    assert "verification_recorded" not in [e["action"] for e in store.audit_entries(db, v["evaluation_id"])]


def test_two_rows_with_one_id_cannot_be_verified(client, db, make_user, login, make_evaluation, make_vendor):
    answers = _without_evidence(load_response_json("stage4-deployer")["answers"])
    answers["B1"].append(dict(answers["B1"][0], customer_type="A second d1"))
    v = make_vendor("Twin Rows Ltd", make_evaluation(), answers=answers)
    login(make_user("evaluator"))
    response = _verify(client, v, "d1")
    assert response.status_code == 302
    assert store.verifications(db, [v["response_id"]])[v["response_id"]] == {}
    assert "Several deployments have the id d1" in _page(client, response.location)


def test_the_response_page_sends_the_fingerprint_of_the_row_it_shows(client, db, make_user, login, deployer):
    v = deployer
    login(make_user("evaluator"))
    html = _page(client, f"/evaluations/{v['evaluation_id']}/vendors/{v['vendor_id']}")
    expected = deployment_fingerprint(store.load_answers(db, v["response_id"]), "d1")
    assert f'name="fingerprint" value="{expected}"' in html
