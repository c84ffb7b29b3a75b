"""The buyer's side: evaluations, vendors and their links."""

from __future__ import annotations

from flask import Blueprint
from flask import render_template

from stagefour import store
from views.auth import login_required
from views.db import get_db

bp = Blueprint("buyer", __name__)


@bp.get("/")
@login_required()
def dashboard():
    """Every evaluation with each vendor's progress."""
    return render_template("buyer/dashboard.html", evaluations=store.list_evaluations(get_db()))
