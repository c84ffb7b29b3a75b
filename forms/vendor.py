"""The vendor form: a WTForms class per questionnaire section, built from the questionnaire.

WTForms does what it is good at — coercion, validation, CSRF, messages. Pages are rendered by
our own macros from the questionnaire and the answers (templates/vendor/_question.html),
because widget rendering is what makes WTForms pages ~10× slower (../shared/TESTING.md).

Field names: a question's id (`A2`); a group's rows `B1-0-stage` (WTForms' FieldList);
files are handled by the view (they need storage), not here.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations as flask_wtf_translations
from werkzeug.datastructures import MultiDict
from wtforms import DateField
from wtforms import EmailField
from wtforms import FieldList
from wtforms import FloatField
from wtforms import Form
from wtforms import FormField
from wtforms import HiddenField
from wtforms import IntegerField
from wtforms import RadioField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms import URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL
from wtforms.validators import Email
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional
from wtforms.validators import ValidationError

from stagefour.questionnaire import SPECIFY_MAX_LENGTH
from stagefour.questionnaire import Question
from stagefour.questionnaire import Questionnaire
from stagefour.questionnaire import Section
from stagefour.questionnaire import specify_key
from stagefour.response import check_value
from stagefour.response import chosen
from stagefour.response import has_cents_at_most

NONE_OF_THESE = "_none"  # a multi question's "none of these apply": an answer, unlike no ticks
NO_ROWS = "none"  # the value of a group's "we have none to list" checkbox
ID_SEPARATORS = re.compile(r"[\s,;]+")


class SectionForm(FlaskForm):
    """Base of every section form: the version at which the page saw each answer (JSON)."""

    base_versions = HiddenField()


def _field(q: Question):
    """The WTForms field for one question or group sub-field."""
    t = q.type
    if t == "id_list" and q.choices_from:
        # ticked in a pick list (issue 12): one value per id, kept whole ("Jane Doe" is one id);
        # ids not among the rows are kept too, and the core's check bounds each one
        return SelectMultipleField(choices=None, validate_choice=False, validators=[Optional()])
    if t in ("text", "id_list"):
        return StringField(validators=[Optional(), Length(max=q.max_length * (40 if t == "id_list" else 1))])
    if t == "long_text":
        return TextAreaField(validators=[Optional(), Length(max=q.max_length)])
    if t == "yes_no":
        return RadioField(choices=[SelectChoice("yes"), SelectChoice("no")], validators=[Optional()])
    if t == "single":
        return RadioField(choices=[SelectChoice(v) for v in q.option_values], validators=[Optional()])
    if t == "multi":
        choices = [SelectChoice(v) for v in (*q.option_values, NONE_OF_THESE)]
        return SelectMultipleField(choices=choices, validators=[Optional()])
    if t == "number":
        cls = IntegerField if q.integer else FloatField
        validators = [Optional(), _NumberRange(min=q.min, max=q.max)]
        return cls(validators=[*validators, _cents_at_most] if q.money else validators)
    if t == "date":
        return DateField(validators=[Optional()], format="%Y-%m-%d")
    if t == "url":
        return URLField(validators=[Optional(), Length(max=q.max_length), URL(require_tld=True)])
    if t == "email":
        return EmailField(validators=[Optional(), Length(max=q.max_length), Email(check_deliverability=False)])
    return None  # file (handled by the view) and computed (never answered)


def _cents_at_most(form, field) -> None:
    """A money amount has at most 2 decimals: 1234.5 and 1234.50 pass, 1234.505 does not."""
    if field.data is not None and not has_cents_at_most(field.data):
        raise ValidationError(_l("Enter an amount with at most 2 decimals, such as 1234.50."))


class _NumberRange(NumberRange):
    """WTForms' NumberRange, except that a 4,000-digit integer is out of range, not an OverflowError."""

    def __call__(self, form, field):
        """Check the bounds; NumberRange's math.isnan() cannot take an int past a float's range."""
        data = field.data
        if isinstance(data, int) and not isinstance(data, bool) and not -(2**1000) < data < 2**1000:
            field.data = math.inf if data > 0 else -math.inf  # as far out of range as it gets
        super().__call__(form, field)


class _RowMeta:
    """A group row is a plain wtforms.Form; give it Flask-WTF's translated messages too."""

    def get_translations(self, form):
        return flask_wtf_translations


@lru_cache(maxsize=64)
def _row_form(questionnaire_hash: str, group: Question) -> type[Form]:
    attrs = {f.id: field for f in group.fields if (field := _field(f)) is not None}
    return type(f"{group.id}RowForm", (Form,), {**attrs, "Meta": _RowMeta})


@lru_cache(maxsize=256)
def section_form_class(questionnaire: Questionnaire, section: Section) -> type[SectionForm]:
    """The form class of one section (built once per questionnaire version and section)."""
    attrs: dict[str, Any] = {}
    for q in section.questions:
        if q.type == "group":
            attrs[q.id] = FieldList(FormField(_row_form(questionnaire.hash, q)), min_entries=0)
            attrs[f"{q.id}_none"] = RadioField(choices=[SelectChoice(NO_ROWS)], validators=[Optional()])
        elif (field := _field(q)) is not None:
            attrs[q.id] = field
        for o in q.specify_options:  # "S3.other": WTForms keeps any name; the page posts it as it is
            attrs[specify_key(q.id, o.value)] = StringField(validators=[Optional(), Length(max=SPECIFY_MAX_LENGTH)])
    return type(f"Section{section.id}Form", (SectionForm,), attrs)


def answer_keys(section: Section) -> list[str]:
    """The answer keys a section's page writes: its questions' ids and their "please specify" texts."""
    return [key for q in section.questions for key in (q.id, *(specify_key(q.id, o.value) for o in q.specify_options))]


def row_count(formdata: MultiDict, question_id: str) -> int:
    """How many rows of a group the posted data carries (before WTForms builds them)."""
    pattern = re.compile(rf"^{re.escape(question_id)}-([0-9]{{1,4}})-")
    indices = {int(m.group(1)) for key in formdata.keys() if (m := pattern.match(key))}
    return len(indices)


def _value(q: Question, field) -> Any:
    """The answer value of one validated field (None when left empty)."""
    data = field.data
    t = q.type
    if t in ("text", "long_text"):
        return data if isinstance(data, str) and data.strip() else None
    if t in ("url", "email"):
        return data.strip() if isinstance(data, str) and data.strip() else None
    if t == "yes_no":
        return {"yes": True, "no": False}.get(data)
    if t == "single":
        return data or None
    if t == "multi":
        if not data:
            return None
        return [] if data == [NONE_OF_THESE] else [v for v in data if v != NONE_OF_THESE]
    if t == "number":
        if data is None:
            return None
        return int(data) if q.integer else (int(data) if float(data).is_integer() else float(data))
    if t == "date":
        return data.isoformat() if data else None
    if t == "id_list":
        if isinstance(data, list):  # a pick list's ticked ids, each whole, once
            ids = list(dict.fromkeys(i for i in data if isinstance(i, str) and i.strip()))
        else:
            ids = [i for i in ID_SEPARATORS.split(data or "") if i]
        return ids or None
    return None


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def read_section(
    form: SectionForm, section: Section, files: dict[str, list[dict]], require_specify: bool = True
) -> tuple[dict, dict]:
    """The section's answers from a validated form, and errors by field name.

    Without `require_specify` (an autosave while the vendor is still typing), an option ticked
    before its "please specify" text is typed is not an error: that answer waits, unsaved.

    `files` holds the file references each file field (`B5`, `B1-0-evidence`) should keep
    after this save. Fully empty rows of a group are dropped.
    """
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for q in section.questions:
        if q.type == "computed":
            continue
        if q.type == "file":
            values[q.id] = files.get(q.id) or None
            continue
        if q.type == "group":
            rows = []
            for i, entry in enumerate(form[q.id].entries):
                row = {}
                for f in q.fields:
                    name = f"{q.id}-{i}-{f.id}"
                    if f.type == "file":
                        cell = files.get(name) or None
                    else:
                        sub = entry.form[f.id]
                        if sub.errors:
                            errors[name] = list(sub.errors)
                            continue
                        cell = _value(f, sub)
                        if f.type == "multi" and cell == [] and NONE_OF_THESE in (sub.data or []) and len(sub.data) > 1:
                            errors[name] = [_l("Choose options or “none of these”, not both.")]
                    if not _empty(cell):
                        row[f.id] = cell
                if row:
                    rows.append(row)
            says_none = form[f"{q.id}_none"].data == NO_ROWS
            if rows and says_none:
                errors[f"{q.id}_none"] = [_l("You ticked “none to list” but also filled in rows.")]
            values[q.id] = rows if rows or says_none else None
            continue
        field = form[q.id]
        if field.errors:
            errors[q.id] = list(field.errors)
            continue
        if q.type == "multi" and field.data and NONE_OF_THESE in field.data and len(field.data) > 1:
            errors[q.id] = [_l("Choose options or “none of these”, not both.")]
            continue
        values[q.id] = _value(q, field)
        _read_specified(form, q, values, errors, require_specify)
    # The core's validation is the last word (it is what imports and the API use too).
    for qid, value in list(values.items()):
        if value is None or "." in qid:  # a specify text is checked above
            continue
        problems: list[str] = []
        values[qid] = check_value(_question(section, qid), value, qid, problems)
        if problems:
            del values[qid]
            for problem in problems:
                path, _, message = problem.partition(": ")
                errors.setdefault(_field_name(path), []).append(message)
    return values, errors


def _read_specified(form: SectionForm, q: Question, values: dict, errors: dict, required: bool) -> None:
    """The "please specify" texts of a question: required for a ticked option, cleared for one not ticked."""
    for o in q.specify_options:
        key = specify_key(q.id, o.value)
        field = form[key]
        text = field.data.strip() if isinstance(field.data, str) else ""
        picked = chosen(values.get(q.id), o.value)
        if field.errors:
            errors[q.id] = [f"{key}: {e}" for e in field.errors]
        elif picked and not text and required:
            errors[q.id] = [_l("Please specify: fill in the box beside the option you ticked.")]
        elif picked and not text:
            values.pop(q.id, None)
            values.pop(key, None)
            return
        values[key] = text if picked and text else None


def _question(section: Section, qid: str) -> Question:
    return next(q for q in section.questions if q.id == qid)


def _field_name(path: str) -> str:
    """`B1[2].stage` → `B1-2-stage`, the form field the message belongs beside."""
    return re.sub(r"\[(\d+)\]\.?", r"-\1-", path).rstrip("-").replace(".", "-")


def display_values(section: Section, answers: dict) -> dict:
    """What each field shows, from stored answers: strings, lists of strings, rows of those."""
    out: dict[str, Any] = {}
    for q in section.questions:
        value = answers.get(q.id)
        if q.type == "group":
            rows = value if isinstance(value, list) else []
            out[q.id] = [{f.id: _display(f, row.get(f.id)) for f in q.fields} for row in rows]
            out[f"{q.id}_none"] = value == []
        else:
            out[q.id] = _display(q, value)
        for o in q.specify_options:
            key = specify_key(q.id, o.value)
            out[key] = answers.get(key) or ""
    return out


def display_from_post(section: Section, formdata: MultiDict, files: dict[str, list[dict]]) -> dict:
    """What each field shows after a failed save: exactly what the vendor sent."""
    out: dict[str, Any] = {}
    for q in section.questions:
        if q.type == "group":
            pattern = re.compile(rf"^{re.escape(q.id)}-([0-9]{{1,4}})-")
            indices = sorted({int(m.group(1)) for key in formdata.keys() if (m := pattern.match(key))})
            out[q.id] = [
                {
                    f.id: (files.get(f"{q.id}-{i}-{f.id}") or [])
                    if f.type == "file"
                    else (
                        formdata.getlist(f"{q.id}-{i}-{f.id}")
                        if f.type == "multi" or (f.type == "id_list" and f.choices_from)
                        else formdata.get(f"{q.id}-{i}-{f.id}", "")
                    )
                    for f in q.fields
                }
                for i in indices
            ]
            out[f"{q.id}_none"] = formdata.get(f"{q.id}_none") == NO_ROWS
        elif q.type == "multi":
            out[q.id] = formdata.getlist(q.id)
        elif q.type == "file":
            out[q.id] = files.get(q.id) or []
        else:
            out[q.id] = formdata.get(q.id, "")
        for o in q.specify_options:
            key = specify_key(q.id, o.value)
            out[key] = formdata.get(key, "")
    return out


def _display(q: Question, value: Any) -> Any:
    t = q.type
    if value is None:
        return [] if t in ("multi", "file") else ""
    if t == "yes_no":
        return "yes" if value else "no"
    if t == "multi":
        return list(value) or [NONE_OF_THESE]
    if t == "number":
        return f"{value:g}" if isinstance(value, float) else str(value)
    if t == "id_list":
        return list(value) if q.choices_from else ", ".join(value)
    if t == "file":
        return list(value)
    return str(value)
