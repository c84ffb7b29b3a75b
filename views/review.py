"""Placeholder: filled in by the work on issue 4."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("review", __name__)
