"""File evidence: what a vendor may upload, checked by content, stored under random names.

The extension a file claims is never trusted: its bytes must match a type we accept and
the extension must agree with what the bytes are (a `.pdf` that is really a ZIP is refused).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import filetype

from stagefour.questionnaire import Questionnaire

# extension -> the MIME type its content must have
BINARY_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
TEXT_TYPES = {"txt": "text/plain", "md": "text/markdown", "csv": "text/csv", "json": "application/json",
              "jsonl": "application/jsonl", "log": "text/plain"}  # fmt: skip
ACCEPTED = ", ".join(f".{ext}" for ext in [*BINARY_TYPES, *TEXT_TYPES])


class UploadRejected(ValueError):
    """A file we will not keep, with the reason a person can act on."""


@dataclass(frozen=True)
class Upload:
    """An accepted file: its safe display name, type, size and digest."""

    filename: str
    content_type: str
    size: int
    sha256: str


def safe_filename(name: str) -> str:
    """A display name with no path, no control characters, at most 120 characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if not name:
        return "file"
    stem, dot, ext = name.rpartition(".")
    if dot and len(ext) <= 10:
        return stem[: 120 - len(ext) - 1] + "." + ext
    return name[:120]


def check_upload(filename: str, data: bytes, max_bytes: int) -> Upload:
    """Accept a file whose content matches an accepted type and its own extension, or raise."""
    name = safe_filename(filename)
    if not data:
        raise UploadRejected(f"{name}: the file is empty")
    if len(data) > max_bytes:
        raise UploadRejected(f"{name}: {len(data) / 1e6:.1f} MB is over the limit of {max_bytes / 1e6:.0f} MB")
    ext = name.rpartition(".")[2].lower() if "." in name else ""
    if ext in TEXT_TYPES:
        if b"\x00" in data or filetype.guess(data) is not None:
            raise UploadRejected(f"{name}: the content is not plain text")
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise UploadRejected(f"{name}: text files must be UTF-8") from None
        content_type = TEXT_TYPES[ext]
    elif ext in BINARY_TYPES:
        kind = filetype.guess(data)
        if kind is None or kind.mime != BINARY_TYPES[ext]:
            actual = kind.extension if kind else "unknown"
            raise UploadRejected(f"{name}: the content ({actual}) does not match the .{ext} extension")
        content_type = kind.mime
    else:
        raise UploadRejected(f"{name}: this type of file is not accepted (accepted: {ACCEPTED})")
    return Upload(name, content_type, len(data), hashlib.sha256(data).hexdigest())


def new_attachment_id() -> str:
    """A random id that is also the stored file's name (no user input reaches the path)."""
    return secrets.token_urlsafe(18)


def store_file(folder: str | Path, attachment_id: str, data: bytes) -> Path:
    """Write a file atomically under its random id."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{16,64}", attachment_id):
        raise ValueError("bad attachment id")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / attachment_id
    tmp = folder / f".{attachment_id}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)
    return path


def stored_path(folder: str | Path, attachment_id: str) -> Path:
    """Where a stored file lives."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{16,64}", attachment_id):
        raise ValueError("bad attachment id")
    return Path(folder) / attachment_id


def referenced_ids(questionnaire: Questionnaire, answers: dict[str, Any]) -> set[str]:
    """The ids of the stored files a response's answers refer to (file questions and group file fields)."""
    ids: set[str] = set()
    for question in questionnaire.questions.values():
        value = answers.get(question.id)
        if question.type == "file":
            ids |= _file_ids(value)
        elif question.type == "group" and isinstance(value, list):
            file_fields = [f.id for f in question.fields if f.type == "file"]
            for row in value:
                if isinstance(row, dict):
                    for field_id in file_fields:
                        ids |= _file_ids(row.get(field_id))
    return ids


def _file_ids(value: Any) -> set[str]:
    if not isinstance(value, list):
        return set()
    return {item["id"] for item in value if isinstance(item, dict) and isinstance(item.get("id"), str)}


def delete_file(folder: str | Path, attachment_id: str) -> None:
    """Remove a stored file; one already gone is no error."""
    stored_path(folder, attachment_id).unlink(missing_ok=True)
