"""Site administration: accounts and teams, for site administrators only (issue 11).

Being an administrator gives no access to any evaluation: these pages show accounts, teams and
memberships, never an evaluation's content. Accounts themselves (invitations, disabling,
passwords) come with item 2 of issue 11 on the same pages.
"""

from __future__ import annotations

from flask import Blueprint
from flask import abort
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import url_for
from flask_babel import gettext as _

from forms.admin import MemberForm
from forms.admin import RoleForm
from forms.admin import TeamForm
from stagefour import store
from views.auth import admin_required
from views.db import get_db

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _actor() -> str:
    return f"user:{g.user['id']}"


def _load_team(team_id: int) -> dict:
    team = store.get_team(get_db(), team_id)
    if team is None:
        abort(404)
    return team


@bp.get("/users")
@admin_required
def users():
    """Every account with its teams and roles."""
    return render_template("admin/users.html", users=store.list_users(get_db()))


@bp.get("/teams")
@admin_required
def teams():
    """Every team, and the form to create one."""
    return render_template("admin/teams.html", teams=store.list_teams(get_db()), form=TeamForm())


@bp.post("/teams")
@admin_required
def create_team():
    """Create a team."""
    form = TeamForm()
    if form.validate_on_submit():
        try:
            team_id = store.create_team(get_db(), form.name.data, _actor())
        except store.StoreError:
            form.name.errors.append(_("A team with this name exists."))
        else:
            flash(_("The team %(name)s was created.", name=form.name.data), "success")
            return redirect(url_for("admin.team", team_id=team_id))
    return render_template("admin/teams.html", teams=store.list_teams(get_db()), form=form), 422


def _render_team(team: dict, form: MemberForm, status: int = 200):
    members = store.team_members(get_db(), team["id"])
    return render_template("admin/team.html", team=team, members=members, form=form, role_form=RoleForm()), status


@bp.get("/teams/<int:team_id>")
@admin_required
def team(team_id: int):
    """A team's members and their roles."""
    return _render_team(_load_team(team_id), MemberForm())


@bp.post("/teams/<int:team_id>/members")
@admin_required
def add_member(team_id: int):
    """Add an account to the team with a role (or change the role it has there)."""
    team = _load_team(team_id)
    form = MemberForm()
    if form.validate_on_submit():
        db = get_db()
        user = store.get_user_by_email(db, form.email.data)
        if user is None:
            form.email.errors.append(_("There is no account with this e-mail address."))
        else:
            store.set_membership(db, team_id, user["id"], form.role.data, _actor())
            flash(_("%(email)s is a member of %(team)s.", email=user["email"], team=team["name"]), "success")
            return redirect(url_for("admin.team", team_id=team_id))
    return _render_team(team, form, 422)


@bp.post("/teams/<int:team_id>/members/<int:user_id>/role")
@admin_required
def change_role(team_id: int, user_id: int):
    """Change a member's role in the team."""
    _load_team(team_id)
    db = get_db()
    if store.membership_role(db, team_id, user_id) is None:
        abort(404)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    store.set_membership(db, team_id, user_id, form.role.data, _actor())
    flash(_("The role was changed."), "success")
    return redirect(url_for("admin.team", team_id=team_id))


@bp.post("/teams/<int:team_id>/members/<int:user_id>/remove")
@admin_required
def remove_member(team_id: int, user_id: int):
    """Take a member out of the team (and off its restricted evaluations)."""
    _load_team(team_id)
    if not store.remove_membership(get_db(), team_id, user_id, _actor()):
        abort(404)
    flash(_("The member was removed from the team."), "success")
    return redirect(url_for("admin.team", team_id=team_id))
