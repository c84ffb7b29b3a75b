"""Response JSON: reading and validating a vendor's answers against a questionnaire.

The format is the public contract of ../shared/QUESTIONNAIRE.md: missing keys and null are
unanswered; an empty list in a repeating group is an answer ("none"); unknown ids, wrong
types and bad option values are errors, each reported with its path.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from stagefour.questionnaire import SPECIFY_MAX_LENGTH
from stagefour.questionnaire import Question
from stagefour.questionnaire import Questionnaire
from stagefour.questionnaire import specify_key

RESPONSE_KEYS = ("questionnaire", "questionnaire_version", "vendor", "language", "answers")
MAX_RESPONSE_BYTES = 5_000_000
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
FILE_KEYS = ("name", "sha256", "size", "content_type", "id")


class ResponseError(ValueError):
    """A response does not fit its questionnaire; `errors` lists every problem with its path."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__(f"{len(errors)} error(s) in the response\n" + "\n".join(errors))


@dataclass(frozen=True)
class Response:
    """A validated response: the vendor's name and their answers by question id."""

    questionnaire: str
    vendor: str
    answers: dict
    language: str = "en"


def digest(value: Any) -> str:
    """A short fingerprint of an answer value, to tell whether a page changed it."""
    canonical = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def is_answered(question: Question, value: Any) -> bool:
    """Whether a value counts as an answer (an empty group or multi is an answer: none)."""
    if value is None:
        return False
    if question.type in ("text", "long_text", "url", "email", "date"):
        return isinstance(value, str) and bool(value.strip())
    if question.type == "file":
        return isinstance(value, list) and bool(value)
    return True


def read_response(questionnaire: Questionnaire, text: str | bytes) -> Response:
    """Parse response JSON text and validate it, or raise ResponseError."""
    if len(text) > MAX_RESPONSE_BYTES:
        raise ResponseError([f"(file): too large: {len(text)} bytes, at most {MAX_RESPONSE_BYTES}"])
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise ResponseError([f"(file): not valid JSON: {exc}"]) from None
    return parse_response(questionnaire, data)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def parse_response(questionnaire: Questionnaire, data: Any) -> Response:
    """Validate decoded response JSON, or raise ResponseError listing every error."""
    errors: list[str] = []
    if not isinstance(data, dict):
        raise ResponseError([f"(top): expected an object, got {_kind(data)}"])
    for key in data:
        if key not in RESPONSE_KEYS:
            errors.append(f"{key}: unknown key (known: {', '.join(RESPONSE_KEYS)})")
    qid = data.get("questionnaire")
    if qid != questionnaire.id:
        errors.append(f'questionnaire: expected "{questionnaire.id}", got {qid!r}')
    vendor = data.get("vendor", "")
    if not isinstance(vendor, str) or len(vendor) > 200:
        errors.append("vendor: expected a name of at most 200 characters")
        vendor = ""
    language = data.get("language", "en")
    if language not in questionnaire.languages:
        errors.append(f"language: expected one of {', '.join(questionnaire.languages)}")
        language = "en"
    answers = data.get("answers")
    if not isinstance(answers, dict):
        errors.append(f"answers: expected an object, got {_kind(answers)}")
        answers = {}
    clean = validate_answers(questionnaire, answers, errors)
    if errors:
        raise ResponseError(errors)
    return Response(questionnaire=questionnaire.id, vendor=vendor.strip(), answers=clean, language=language)


def validate_answers(questionnaire: Questionnaire, answers: dict, errors: list[str], path: str = "answers") -> dict:
    """Check each answer against its question; append errors; return the answered values."""
    questions = questionnaire.questions
    clean = {}
    specified = {}
    for key, value in answers.items():
        question = questions.get(key)
        where = f"{path}.{key}"
        if question is None and specify_option(questionnaire, key) is not None:
            specified[key] = value
            continue
        if question is None:
            errors.append(f"{where}: unknown question")
            continue
        if value is None:
            continue
        if question.type == "computed":
            errors.append(f"{where}: computed from other answers; it cannot be answered")
            continue
        before = len(errors)
        value = check_value(question, value, where, errors)
        if len(errors) == before and is_answered(question, value):
            clean[key] = value
    clean.update(check_specified(questionnaire, clean, specified, errors, path))
    return clean


def specify_option(questionnaire: Questionnaire, key: str) -> tuple[Question, str] | None:
    """The (question, option value) a "please specify" answer key (`S3.other`) belongs to, or None."""
    qid, dot, value = key.partition(".")
    question = questionnaire.questions.get(qid) if dot else None
    if question is None or not any(o.value == value for o in question.specify_options):
        return None
    return question, value


def chosen(value: Any, option: str) -> bool:
    """Whether an answer (a single value or a multi's list) chose an option."""
    return value == option or (isinstance(value, list) and option in value)


def check_specified(
    questionnaire: Questionnaire, answers: dict, specified: dict, errors: list[str], path: str = "answers"
) -> dict:
    """The "please specify" texts: required for a chosen option, refused for one not chosen."""
    clean = {}
    for question in questionnaire.questions.values():
        for option in question.specify_options:
            key = specify_key(question.id, option.value)
            where = f"{path}.{key}"
            text = specified.get(key)
            picked = chosen(answers.get(question.id), option.value)
            if text is None or (isinstance(text, str) and not text.strip()):
                if picked:
                    errors.append(f"{where}: required: say what {option.value!r} is")
                continue
            if not isinstance(text, str):
                errors.append(f"{where}: expected text, got {_kind(text)}")
            elif len(text) > SPECIFY_MAX_LENGTH or "\x00" in text:
                errors.append(f"{where}: expected at most {SPECIFY_MAX_LENGTH} characters of text")
            elif not picked:
                errors.append(f"{where}: only given when {question.id} is answered {option.value!r}")
            else:
                clean[key] = text.strip()
    return clean


def check_value(question: Question, value: Any, path: str, errors: list[str]) -> Any:
    """Validate one value for a question or a group's sub-field; return it normalised."""
    t = question.type
    if t in ("text", "long_text", "url", "email"):
        if not isinstance(value, str):
            errors.append(f"{path}: expected text, got {_kind(value)}")
            return None
        if "\x00" in value:
            errors.append(f"{path}: contains a NUL character")
            return None
        if len(value) > question.max_length:
            errors.append(f"{path}: too long: {len(value)} characters, at most {question.max_length}")
            return None
        value = value.strip() if t in ("url", "email") else value
        if value and t == "url" and not URL.match(value):
            errors.append(f"{path}: expected a web address starting with http:// or https://")
        if value and t == "email" and not EMAIL.match(value):
            errors.append(f"{path}: expected an e-mail address")
        return value
    if t == "yes_no":
        if not isinstance(value, bool):
            errors.append(f"{path}: expected true or false, got {_kind(value)}")
        return value
    if t == "single":
        if not isinstance(value, str) or value not in question.option_values:
            errors.append(f"{path}: expected one of {', '.join(question.option_values)}, got {_show(value)}")
        return value
    if t == "multi":
        if not isinstance(value, list):
            errors.append(f"{path}: expected a list of {', '.join(question.option_values)}, got {_kind(value)}")
            return value
        for i, item in enumerate(value):
            if not isinstance(item, str) or item not in question.option_values:
                errors.append(f"{path}[{i}]: expected one of {', '.join(question.option_values)}, got {_show(item)}")
        if len(set(map(repr, value))) != len(value):
            errors.append(f"{path}: an option is listed twice")
        return value
    if t == "number":
        return _check_number(question, value, path, errors)
    if t == "date":
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            errors.append(f"{path}: expected a date as YYYY-MM-DD, got {_show(value)}")
            return value
        try:
            date.fromisoformat(value)
        except ValueError:
            errors.append(f"{path}: not a real date: {value}")
        return value
    if t == "file":
        return _check_files(question, value, path, errors)
    if t == "id_list":
        if not isinstance(value, list) or not all(
            isinstance(v, str) and 0 < len(v) <= question.max_length for v in value
        ):
            errors.append(f"{path}: expected a list of ids from {question.refers_to}")
        elif len(value) > 100:
            errors.append(f"{path}: too many ids: {len(value)}, at most 100")
        return value
    if t == "group":
        return _check_group(question, value, path, errors)
    errors.append(f"{path}: cannot be answered")
    return None


def _check_number(question: Question, value: Any, path: str, errors: list[str]) -> Any:
    lo, hi = question.min, question.max
    noun = "an integer" if question.integer else "an amount" if question.money else "a number"
    if lo is not None and hi is not None:
        expected = f"expected {noun} from {_num(lo)} to {_num(hi)}"
    elif lo is not None:
        expected = f"expected {noun} of at least {_num(lo)}"
    elif hi is not None:
        expected = f"expected {noun} of at most {_num(hi)}"
    else:
        expected = f"expected {noun}"
    # No float() of an int here: 10**400 would raise OverflowError instead of being refused.
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if ok and isinstance(value, float) and not math.isfinite(value):
        ok = False
    if ok and ((lo is not None and value < lo) or (hi is not None and value > hi)):
        ok = False
    if ok and question.integer and isinstance(value, float) and not value.is_integer():
        ok = False
    if ok and question.money and not has_cents_at_most(value):
        errors.append(f"{path}: expected an amount with at most 2 decimals, got {_show(value)}")
        return value
    if not ok:
        errors.append(f"{path}: {expected}, got {_show(value)}")
        return value
    return int(value) if question.integer else value


def has_cents_at_most(value: int | float) -> bool:
    """Whether a money amount has at most 2 decimals, as written (42.5 yes, 42.505 no)."""
    # The shortest repr is what was typed or sent: 19.99 is "19.99", not the binary 19.989999…
    if isinstance(value, float):
        if not math.isfinite(value):
            return True  # inf and nan are not amounts at all: the range check refuses them beside the field
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        return isinstance(exponent, int) and exponent >= -2
    return True


def _check_files(question: Question, value: Any, path: str, errors: list[str]) -> Any:
    if not isinstance(value, list):
        value = [value]
    if len(value) > question.max_files:
        errors.append(f"{path}: too many files: {len(value)}, at most {question.max_files}")
        return value
    out = []
    for i, item in enumerate(value):
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"].strip():
            errors.append(f"{path}[{i}]: expected a file name or an object with a name")
            continue
        unknown = set(item) - set(FILE_KEYS)
        if unknown:
            errors.append(f"{path}[{i}].{sorted(unknown)[0]}: unknown key (known: {', '.join(FILE_KEYS)})")
            continue
        if len(item["name"]) > 255 or "\x00" in item["name"]:
            errors.append(f"{path}[{i}].name: expected a file name of at most 255 characters")
            continue
        out.append(item)
    return out


def _check_group(question: Question, value: Any, path: str, errors: list[str]) -> Any:
    if not isinstance(value, list):
        errors.append(f"{path}: expected a list of rows, got {_kind(value)}")
        return value
    if len(value) > question.max_rows:
        errors.append(f"{path}: too many rows: {len(value)}, at most {question.max_rows}")
        return value
    rows = []
    for i, row in enumerate(value):
        where = f"{path}[{i}]"
        if not isinstance(row, dict):
            errors.append(f"{where}: expected an object, got {_kind(row)}")
            continue
        clean = {}
        for key, cell in row.items():
            field = question.field_by_id(key)
            if field is None:
                errors.append(f"{where}.{key}: unknown field")
                continue
            if cell is None:
                continue
            before = len(errors)
            cell = check_value(field, cell, f"{where}.{key}", errors)
            if len(errors) == before and is_answered(field, cell):
                clean[key] = cell
        rows.append(clean)
    return rows


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__
    )


def _show(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**60:
        # str() of an int past 4,300 digits raises; nobody needs to read the digits back
        return f"a number of about {int(value.bit_length() * math.log10(2)) + 1} digits"
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
