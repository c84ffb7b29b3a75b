"""Accounts: one-time links (invitations, password resets) and the optional TOTP second factor.

A link carries a random token of 256 bits (like a vendor link, stagefour/evaluations.py);
only its SHA-256 is stored. TOTP follows RFC 6238 through pyotp: 30-second steps, 6 digits,
a code of the step before or after accepted (VALID_WINDOW, pyotp's `valid_window`), and no step
accepted twice. Recovery codes are 80 random bits each, stored as SHA-256 (like tokens: too
random for a slow hash to add anything).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pyotp
import segno

from stagefour.evaluations import hash_token
from stagefour.evaluations import new_token

__all__ = ["hash_token", "new_token"]

ISSUER = "Stagefour"
# Codes of one step before or after now are accepted, for a phone clock a little off (pyotp's valid_window).
VALID_WINDOW = 1
RECOVERY_CODES = 10
_CODE = re.compile(r"[0-9]{6}")
_RECOVERY_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: read off paper
_NOT_CODE_CHARACTERS = re.compile(r"[\s\-]+")


def expiry(hours: float, now: datetime | None = None) -> str:
    """When a one-time link made now expires, as ISO text (UTC, seconds)."""
    start = (now or datetime.now(UTC)).replace(microsecond=0)
    return (start + timedelta(hours=hours)).isoformat(timespec="seconds")


def link_state(row: dict | None, now: datetime | None = None) -> str:
    """What a one-time link is: missing, used, replaced, expired or open."""
    if row is None:
        return "missing"
    if row["used_at"]:
        return "used"
    if row["revoked_at"]:
        return "replaced"
    stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    return "expired" if row["expires_at"] <= stamp else "open"


# --- TOTP ---------------------------------------------------------------------------------------


def new_secret() -> str:
    """A fresh TOTP secret: 160 random bits in base32 (RFC 4226's recommended length)."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The URI as a QR code in inline SVG, made here (no external service sees the secret)."""
    return segno.make(uri, error="m").svg_inline(scale=5, border=4, dark="#000", light="#fff", title=None)


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def code_step(secret: str, code: str, now: datetime | float | None = None) -> int | None:
    """The time step a code belongs to (within VALID_WINDOW of now), or None when it is not valid.

    The same comparison as pyotp's TOTP.verify(valid_window=VALID_WINDOW), which answers only
    yes or no; the step is what lets the caller refuse a code seen before.
    """
    code = _NOT_CODE_CHARACTERS.sub("", code or "")
    if not _CODE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now if now is not None else datetime.now(UTC))
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if secrets.compare_digest(code, totp.generate_otp(step)):
            return step
    return None


# --- recovery codes ---------------------------------------------------------------------------


def new_recovery_codes(count: int = RECOVERY_CODES) -> list[str]:
    """Fresh recovery codes: 16 characters (80 bits) each, shown as xxxx-xxxx-xxxx-xxxx."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(16))
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
    return codes


def hash_recovery_code(code: str) -> str:
    """What the database keeps of a recovery code (spaces, dashes and case ignored)."""
    return hashlib.sha256(_NOT_CODE_CHARACTERS.sub("", code or "").lower().encode("utf-8")).hexdigest()


def looks_like_recovery_code(code: str) -> bool:
    """Whether the text has the shape of a recovery code (16 letters and digits once dashes go)."""
    return len(_NOT_CODE_CHARACTERS.sub("", code or "")) == 16
