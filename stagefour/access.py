"""Who may do what with an evaluation: the boundary between teams (issue 11).

Every evaluation belongs to one team and a user's role is per team (viewer < evaluator <
owner). A restricted evaluation is seen only by the members of its team named on it. Being a
site administrator gives no access to any evaluation. The views turn "no access" into a 404
(an evaluation one may not see does not exist for them) and "too little" into a 403.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stagefour import store

if TYPE_CHECKING:
    from sqlite_utils import Database

# Roles in increasing power: a role may do what every role before it may do.
ROLE_ORDER = ("viewer", "evaluator", "owner")


def at_least(role: str | None, needed: str) -> bool:
    """Whether `role` is `needed` or more powerful (None, no role, is never enough)."""
    return role is not None and ROLE_ORDER.index(role) >= ROLE_ORDER.index(needed)


def evaluation_role(db: Database, user: dict | None, evaluation: dict) -> str | None:
    """The user's role on the evaluation, or None when they may not see it at all."""
    if user is None or user.get("disabled_at"):
        return None
    role = store.membership_role(db, evaluation["team_id"], user["id"])
    if role is None:
        return None
    if evaluation["restricted"] and not store.is_evaluation_member(db, evaluation["id"], user["id"]):
        return None
    return role


def teams_where(db: Database, user: dict | None, role: str) -> list[dict]:
    """The teams where the user has at least `role` (id, name, role), by name."""
    if user is None or user.get("disabled_at"):
        return []
    return [t for t in store.user_teams(db, user["id"]) if at_least(t["role"], role)]
