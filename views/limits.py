"""Rate limits (Flask-Limiter): login attempts and guesses at vendor links.

Counted per client address in the process's memory: with several gunicorn workers each
keeps its own count, so the effective limit is that many times higher. Set
RATELIMIT_STORAGE_URI (e.g. redis://...) in instance/config.py to share one count.
"""

from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

LOGIN = "10 per minute"
# Only refused lookups count, so a vendor working through the questionnaire is never slowed;
# someone trying tokens is stopped after this many misses.
LINK_GUESSES = "60 per 10 minutes"

# No storage_uri here: a constructor argument would override RATELIMIT_STORAGE_URI from the config.
limiter = Limiter(key_func=get_remote_address)


def not_found(response) -> bool:
    """Whether a response means the link (or something behind it) does not exist."""
    return response.status_code == 404
