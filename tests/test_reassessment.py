"""Re-assessment (issue 16, item 4): next year's evaluation from a decided one, carried-over answers
that the vendor confirms or changes, and what changed since last time."""

from __future__ import annotations

import copy

import pytest

from stagefour import reassessment
from stagefour import store

from .conftest import complete_answers


@pytest.fixture
def decided(db, make_user, make_evaluation, make_vendor):
    """A decided evaluation with two vendors (one submitted, one not); returns (owner id, evaluation id, vendors)."""
    owner = make_user("owner")
    evaluation_id = make_evaluation(user_id=owner, weights=None)
    a = make_vendor("Alpha Corp", evaluation_id, complete_answers("stage4-deployer"), submit=True)
    b = make_vendor("Beta Corp", evaluation_id, {"A1": "Beta Ltd", "A3": 12})
    store.record_decision(db, evaluation_id, {a["vendor_id"]: ("award", "Best."), b["vendor_id"]: ("reject", "No.")},
                          "", owner)  # fmt: skip
    return owner, evaluation_id, (a, b)


def _start(client, evaluation_id, **data):
    return client.post(f"/evaluations/{evaluation_id}/reassess", data={"title": "Claims 2027", "version": "same"} | data)


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
    assert store.load_answers(db, vendors[1]["response_id"]) == {"A1": "Beta Ltd", "A3": 12}
    carried = store.carried_answers(db, [vendors[1]["response_id"]])[vendors[1]["response_id"]]
    assert sorted(carried) == ["A1", "A3"] and not any(r["confirmed_at"] for r in carried.values())
    page = client.get(f"/evaluations/{new_id}").get_data(as_text=True)
    assert page.count("/v/") == 2  # each new link shown once
    assert "Claims automation partner" in page  # the previous evaluation, linked
    assert f"/evaluations/{new_id}" in client.get(f"/evaluations/{evaluation_id}").get_data(as_text=True)
    actions = [e["action"] for e in store.audit_entries(db, new_id)]
    assert "evaluation_reassessed" in actions and actions.count("answers_carried") == 2
    assert "evaluation_reassessed" in [e["action"] for e in store.audit_entries(db, evaluation_id)]
