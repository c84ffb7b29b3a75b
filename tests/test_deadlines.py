"""Deadlines per vendor (issue 12, item 3): an owner extends one vendor; both sides see days left and what happens."""

from __future__ import annotations

import html
import re
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest

from stagefour import store

TODAY = datetime.now(UTC).date()


def _day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


@pytest.fixture
def setup(client, db, make_user, login, make_evaluation, make_vendor):
    """A logged-in owner, an evaluation due in 5 days, and a vendor whose link expires at its deadline."""
    login(make_user("owner"))
    evaluation_id = make_evaluation(deadline=_day(5))
    vendor = make_vendor(evaluation_id=evaluation_id, expires_at=f"{_day(5)}T23:59:59+00:00")
    return evaluation_id, vendor


def _post(client, evaluation_id, vendor_id, value):
    return client.post(
        f"/evaluations/{evaluation_id}/vendors/{vendor_id}/deadline", data={f"v{vendor_id}-deadline": value}
    )


def _text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def test_an_owner_extends_one_vendors_deadline_and_their_links_follow(client, db, setup):
    evaluation_id, vendor = setup
    response = _post(client, evaluation_id, vendor["vendor_id"], _day(12))
    assert response.status_code == 302
    assert response.location.endswith(f"/evaluations/{evaluation_id}#vendor-{vendor['vendor_id']}")
    assert store.get_vendor(db, vendor["vendor_id"])["deadline"] == _day(12)
    expires = db.execute("SELECT expires_at FROM invitations WHERE vendor_id = ?", [vendor["vendor_id"]]).fetchone()
    assert expires == (f"{_day(12)}T23:59:59+00:00",)
    entries = store.audit_entries(db, evaluation_id)
    changed = next(e for e in entries if e["action"] == "vendor_deadline_changed")
    assert changed["detail"]["deadline"] == _day(12) and changed["vendor_id"] == vendor["vendor_id"]
    assert any(e["action"] == "links_extended" for e in entries)
    page = _text(client.get(f"/evaluations/{evaluation_id}"))
    assert "12 days left" in page and "(extended)" in page


def test_an_empty_deadline_gives_the_vendor_the_evaluations_again(client, db, setup):
    evaluation_id, vendor = setup
    _post(client, evaluation_id, vendor["vendor_id"], _day(12))
    assert _post(client, evaluation_id, vendor["vendor_id"], "").status_code == 302
    assert store.get_vendor(db, vendor["vendor_id"])["deadline"] is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (_day(5), "Choose a day after the evaluation's deadline"),
        (_day(-3), "Choose a day after the evaluation's deadline"),
        (_day(5 + 366), "Choose a day within a year of the evaluation's deadline."),
        ("31/12/2030", "Enter a date as YYYY-MM-DD."),
        ("<script>alert(1)</script>", "Enter a date as YYYY-MM-DD."),
        ("9" * 100_000, "Enter a date as YYYY-MM-DD."),
    ],
)
def test_a_wrong_deadline_is_refused_next_to_the_field_and_nothing_changes(client, db, setup, value, message):
    evaluation_id, vendor = setup
    before = db.execute("SELECT count(*) FROM audit_log").fetchone()
    response = _post(client, evaluation_id, vendor["vendor_id"], value)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    field = re.search(rf'<div class="field has-error">.*?id="v{vendor["vendor_id"]}-deadline".*?</div>', page, re.S)
    assert field and message in html.unescape(field.group(0))
    assert "<script>alert(1)</script>" not in page
    assert store.get_vendor(db, vendor["vendor_id"])["deadline"] is None
    assert db.execute("SELECT count(*) FROM audit_log").fetchone() == before


def test_no_vendor_deadline_without_an_evaluation_deadline(client, db, make_user, login, make_evaluation, make_vendor):
    login(make_user("owner"))
    evaluation_id = make_evaluation()
    vendor = make_vendor(evaluation_id=evaluation_id)
    response = _post(client, evaluation_id, vendor["vendor_id"], _day(3))
    assert response.status_code == 422
    assert "Set a deadline for the evaluation first" in _text(response)
    assert store.get_vendor(db, vendor["vendor_id"])["deadline"] is None


@pytest.mark.parametrize("role", ["viewer", "evaluator"])
def test_only_an_owner_extends_a_deadline(client, db, make_user, login, make_evaluation, make_vendor, role):
    evaluation_id = make_evaluation(deadline=_day(5))
    vendor = make_vendor(evaluation_id=evaluation_id)
    login(make_user(role))
    assert _post(client, evaluation_id, vendor["vendor_id"], _day(9)).status_code == 403
    assert store.get_vendor(db, vendor["vendor_id"])["deadline"] is None


def test_a_vendor_of_another_evaluation_is_not_found(client, db, setup, make_evaluation, make_vendor):
    evaluation_id, _vendor = setup
    other = make_vendor(name="Other", evaluation_id=make_evaluation(deadline=_day(5)))
    assert _post(client, evaluation_id, other["vendor_id"], _day(9)).status_code == 404
    assert store.get_vendor(db, other["vendor_id"])["deadline"] is None


def test_an_extended_vendor_can_still_answer_after_the_evaluations_deadline(client, db, setup):
    evaluation_id, vendor = setup
    _post(client, evaluation_id, vendor["vendor_id"], _day(12))
    db.execute("UPDATE evaluations SET deadline = ? WHERE id = ?", [_day(-2), evaluation_id])
    page = _text(client.get(f"/v/{vendor['token']}/s/A"))
    assert "12 days left" in page and "has passed" not in page and " disabled" not in page
    store.set_vendor_deadline(db, vendor["vendor_id"], None, "test")
    page = _text(client.get(f"/v/{vendor['token']}/s/A"))
    assert "has passed" in page and " disabled" in page


def test_the_vendor_sees_days_left_and_what_happens_at_the_deadline(client, setup):
    _evaluation_id, vendor = setup
    page = _text(client.get(f"/v/{vendor['token']}"))
    assert "5 days left" in page
    assert "What happens at the deadline" in page
    assert "this form closes: you can no longer change, add or submit answers" in page
    assert "stays “not submitted”" in page
    assert "(UTC)" in page and "11:59:59" in page
    section = _text(client.get(f"/v/{vendor['token']}/s/A"))
    assert "5 days left" in section


@pytest.mark.parametrize(
    ("offset", "expected"),
    [(1, "1 day left"), (0, "Due today"), (-1, "Overdue by 1 day"), (-4, "Overdue by 4 days")],
)
def test_days_left_are_counted_for_both_sides(client, db, setup, offset, expected):
    evaluation_id, vendor = setup
    db.execute("UPDATE evaluations SET deadline = ? WHERE id = ?", [_day(offset), evaluation_id])
    db.execute("UPDATE invitations SET expires_at = ?", [f"{_day(30)}T00:00:00+00:00"])
    assert expected in _text(client.get(f"/evaluations/{evaluation_id}"))
    vendor_page = _text(client.get(f"/v/{vendor['token']}"))
    if offset >= 0:
        assert expected in vendor_page
    else:
        assert "has passed" in vendor_page


def test_the_buyer_is_told_what_happens_at_the_deadline(client, setup):
    evaluation_id, _vendor = setup
    page = _text(client.get(f"/evaluations/{evaluation_id}"))
    assert "What happens at the deadline: at the end of a vendor's deadline day (UTC) their form closes" in page
    assert "a response not submitted by then stays “not submitted”" in page
    assert "7, 3, 1 days before the deadline; once when overdue" in page


# --- the reminder schedule in the settings ----------------------------------------------------------


def _settings(**overrides) -> dict:
    data = {"title": "Claims automation partner", "deadline": _day(5), "reminder_days": "7, 3, 1",
            "reminder_overdue": "y"}  # fmt: skip
    data |= {f"weight_{sid}": "10" for sid in "ABCDEFGHIJ"}
    return data | overrides


def test_an_owner_changes_the_reminder_schedule(client, db, setup):
    evaluation_id, _vendor = setup
    page = client.get(f"/evaluations/{evaluation_id}/edit").get_data(as_text=True)
    assert 'value="7, 3, 1"' in page
    response = client.post(
        f"/evaluations/{evaluation_id}/edit", data=_settings(reminder_days="14,2", reminder_overdue="")
    )
    assert response.status_code == 302
    evaluation = store.get_evaluation(db, evaluation_id)
    assert evaluation["reminder_days"] == "[14, 2]" and evaluation["reminder_overdue"] == 0
    entry = next(e for e in store.audit_entries(db, evaluation_id) if e["action"] == "reminders_changed")
    assert entry["detail"] == {"days": [14, 2], "overdue": False}
    client.post(f"/evaluations/{evaluation_id}/edit", data=_settings(reminder_days=""))
    assert store.get_evaluation(db, evaluation_id)["reminder_days"] == "[]"


@pytest.mark.parametrize("value", ["7, x", "-1", "400", "1.5", "7;3", "9" * 150, "<b>3</b>"])
def test_a_wrong_schedule_is_refused_next_to_the_field(client, db, setup, value):
    evaluation_id, _vendor = setup
    before = store.get_evaluation(db, evaluation_id)
    response = client.post(f"/evaluations/{evaluation_id}/edit", data=_settings(reminder_days=value, title="Other"))
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    block = re.search(r'<div class="field has-error">.*?id="reminder_days".*?</div>', page, re.S)
    assert block and "Enter whole days from 0 to 365 separated by commas" in block.group(0)
    assert "<b>3</b>" not in response.get_data(as_text=True)
    assert store.get_evaluation(db, evaluation_id) == before


def test_a_huge_schedule_is_refused(client, db, setup):
    evaluation_id, _vendor = setup
    response = client.post(f"/evaluations/{evaluation_id}/edit", data=_settings(reminder_days="1," * 5000))
    assert response.status_code == 422
    assert "Use at most 200 characters." in html.unescape(response.get_data(as_text=True))
