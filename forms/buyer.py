"""Buyer forms: login, evaluation settings, vendors."""

from __future__ import annotations

import math
import re
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms import DateField
from wtforms import EmailField
from wtforms import FloatField
from wtforms import PasswordField
from wtforms import SelectField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired
from wtforms.validators import Email
from wtforms.validators import Length
from wtforms.validators import Optional
from wtforms.validators import StopValidation
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput
from wtforms.widgets import ListWidget

from stagefour import profile
from stagefour import reminders
from stagefour.questionnaire import Question
from stagefour.questionnaire import Questionnaire
from stagefour.questionnaire import localize

MAX_WEIGHT = 1000
PROFILE_FIELDS = ("industry", "size_band")
NEW_PROFILE_FIELDS = profile.FIELDS  # questionnaire 1.1: data_regions, ai_act_class, currency, monthly_tasks
AI_ACT_LABELS = {
    "high_risk": _l("High-risk (Annex I or III of the AI Act)"),
    "transparency_only": _l("Not high-risk, but with transparency duties (Art. 50)"),
    "minimal_risk": _l("Minimal risk"),
}
# Tabs, newlines and other control characters have no place in a one-line name, and a
# newline in a title would end up in an e-mail's Subject header.
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=320)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1000)])


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _one_line(form, field) -> None:
    if field.data and CONTROL.search(field.data):
        raise ValidationError(_l("Use a single line without tabs or control characters."))


class WeightField(FloatField):
    """A section weight: a positive number up to 1000; empty, text, NaN and infinity are refused."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = valuelist[0].strip()
        if not text:
            self.data = None
            return
        try:
            self.data = float(text)
        except ValueError as exc:
            self.data = None
            raise ValueError(_l("Enter a number, such as 1 or 2.5.")) from exc

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return str(int(self.data)) if float(self.data).is_integer() else str(self.data)


def _weight_in_range(form, field) -> None:
    if field.process_errors:
        raise StopValidation()
    if field.data is None:
        raise StopValidation(_l("Enter a weight."))
    if not math.isfinite(field.data):
        raise StopValidation(_l("Enter a number, such as 1 or 2.5."))
    if field.data <= 0:
        raise StopValidation(_l("A weight must be more than 0."))
    if field.data > MAX_WEIGHT:
        raise StopValidation(_l("A weight can be at most %(max)s.", max=MAX_WEIGHT))


class EvaluationForm(FlaskForm):
    """An evaluation's settings: title, deadline, buyer profile; section weights are added per questionnaire."""

    title = StringField(
        _l("Title"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Enter a title.")),
            Length(max=200, message=_l("Use at most %(max)d characters.")),
            _one_line,
        ],
    )
    deadline = DateField(
        _l("Deadline"),
        validators=[Optional()],
        invalid_value_message=_l("Enter a date as YYYY-MM-DD."),
    )
    industry = SelectField(_l("Your industry"), choices=[], default="", validate_choice=False)
    size_band = SelectField(_l("Your company size"), choices=[], default="", validate_choice=False)
    # Questionnaire 1.1's profile fields; evaluation_form() removes those its questionnaire cannot use.
    data_regions = SelectMultipleField(
        _l("Where your data may be stored, processed or reached"),
        choices=[],
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    ai_act_class = SelectField(
        _l("Your reading of the use case under the EU AI Act"), choices=[], default="", validate_choice=False
    )
    currency = StringField(_l("Currency of the amounts vendors give"), filters=[_strip], default="EUR")
    monthly_tasks = StringField(_l("Tasks a month you expect"), filters=[_strip])

    # The deadline the evaluation has now: keeping a deadline that has passed is allowed.
    current_deadline: str | None = None
    weight_names: tuple[tuple[str, str], ...] = ()  # (section id, field name)

    def validate_deadline(self, field) -> None:
        """A new deadline may be today or later (UTC), never in the past."""
        if field.data is None or field.data.isoformat() == self.current_deadline:
            return
        if field.data < datetime.now(UTC).date():
            raise ValidationError(_l("The deadline cannot be in the past."))

    def validate_industry(self, field) -> None:
        """The industry is empty or one of the questionnaire's options."""
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Choose an industry from the list."))

    def validate_size_band(self, field) -> None:
        """The company size is empty or one of the questionnaire's options."""
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Choose a company size from the list."))

    def validate_data_regions(self, field) -> None:
        """Regions of the list (any of H6's except `global`)."""
        try:
            field.data = profile.data_regions(field.data)
        except profile.ProfileError:
            raise ValidationError(_l("Choose regions from the list.")) from None

    def validate_ai_act_class(self, field) -> None:
        """Empty or one of the three classes."""
        try:
            field.data = profile.ai_act_class(field.data) or ""
        except profile.ProfileError:
            raise ValidationError(_l("Choose a class from the list, or Not specified.")) from None

    def validate_currency(self, field) -> None:
        """An ISO 4217 code such as EUR, upper-cased; empty means EUR."""
        if field.data and len(field.data) > 3:
            raise ValidationError(_l("Enter a three-letter ISO 4217 code, such as EUR, USD or GBP."))
        try:
            field.data = profile.currency(field.data)
        except profile.ProfileError:
            raise ValidationError(_l("Enter a three-letter ISO 4217 code, such as EUR, USD or GBP.")) from None

    def validate_monthly_tasks(self, field) -> None:
        """Empty, or a number from 0 up to a trillion."""
        if field.data and len(field.data) > 40:
            raise ValidationError(_l("Enter a number of tasks, such as 60000."))
        try:
            profile.monthly_tasks(field.data)
        except profile.ProfileError as exc:
            if exc.code == profile.OUT_OF_RANGE:
                raise ValidationError(
                    _l("Enter a number from 0 to %(max)s.", max=format_decimal(profile.MAX_MONTHLY_TASKS))
                ) from None
            raise ValidationError(_l("Enter a number of tasks, such as 60000.")) from None

    def weight_fields(self) -> list:
        """The weight field of every section, in questionnaire order."""
        return [self[name] for _sid, name in self.weight_names]

    def weights(self) -> dict[str, float]:
        """Section id -> weight, from validated data."""
        return {sid: self[name].data for sid, name in self.weight_names}

    def buyer_profile(self) -> dict:
        """The buyer profile, leaving out what was not chosen and the fields the questionnaire cannot use."""
        chosen = {name: self[name].data for name in (*PROFILE_FIELDS, *NEW_PROFILE_FIELDS) if name in self}
        if chosen.get("currency") == profile.DEFAULT_CURRENCY:
            del chosen["currency"]  # unset means EUR: the profile stays as it was before 1.1
        return profile.normalise({name: value for name, value in chosen.items() if value})


class EvaluationSettingsForm(EvaluationForm):
    """An evaluation's settings as its owner changes them: with who may see it (issue 11) and reminders (issue 12)."""

    reminder_days = StringField(
        _l("Remind vendors this many days before their deadline"),
        filters=[_strip],
        validators=[Length(max=200, message=_l("Use at most %(max)d characters."))],
    )
    reminder_overdue = BooleanField(_l("Remind them once more when their deadline has passed"))

    def validate_reminder_days(self, field) -> None:
        """Whole days from 0 to 365 separated by commas; empty for no reminders before the deadline."""
        try:
            reminders.parse_days(field.data or "")
        except ValueError:
            # The value typed is not repeated: a lazy message is markup to Jinja, so it would not be escaped.
            raise ValidationError(
                _l(
                    "Enter whole days from 0 to %(max)s separated by commas, such as 7, 3, 1, or leave it empty "
                    "for none.",
                    max=reminders.MAX_DAYS,
                )
            ) from None

    def reminder_schedule(self) -> tuple[int, ...]:
        """The days before the deadline, from validated data, largest first."""
        return reminders.parse_days(self.reminder_days.data or "")

    restricted = BooleanField(_l("Only the members named below may see this evaluation"))
    members = SelectMultipleField(
        _l("Members of the team who may see it"),
        choices=[],
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )

    def validate_members(self, field) -> None:
        """Every member named is a member of the evaluation's team."""
        if set(field.data or ()) - {c.value for c in field.choices}:
            raise ValidationError(_l("Choose members of the evaluation's team."))


class VendorDeadlineForm(FlaskForm):
    """One vendor's own deadline (issue 12): later than the evaluation's; empty gives them the evaluation's again."""

    deadline = DateField(
        _l("Deadline for this vendor"),
        validators=[Optional()],
        invalid_value_message=_l("Enter a date as YYYY-MM-DD."),
    )

    evaluation_deadline: str | None = None

    def validate_deadline(self, field) -> None:
        """Later than the evaluation's deadline, and not more than a year after it."""
        if field.data is None:
            return
        if not self.evaluation_deadline:
            raise ValidationError(_l("Set a deadline for the evaluation first: a vendor's deadline extends it."))
        base = date.fromisoformat(self.evaluation_deadline)
        if field.data <= base:
            raise ValidationError(_l("Choose a day after the evaluation's deadline (%(day)s).", day=base.isoformat()))
        if field.data > base + timedelta(days=reminders.MAX_DAYS):
            raise ValidationError(_l("Choose a day within a year of the evaluation's deadline."))


class NewEvaluationForm(EvaluationForm):
    """A new evaluation: the settings plus the team it belongs to and the questionnaire from the library."""

    team = SelectField(_l("Team"), choices=[], validate_choice=False)
    questionnaire = SelectField(_l("Questionnaire"), choices=[], validate_choice=False)

    def validate_team(self, field) -> None:
        """The team is one where the buyer is an owner."""
        if field.data not in {c.value for c in field.choices}:
            raise ValidationError(_l("Choose one of your teams."))

    def validate_questionnaire(self, field) -> None:
        """The questionnaire is one of the library's."""
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Choose a questionnaire from the library."))


class VendorForm(FlaskForm):
    """A vendor to invite: a name and, optionally, the e-mail their link goes to."""

    name = StringField(
        _l("Vendor name"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Enter the vendor's name.")),
            Length(max=200, message=_l("Use at most %(max)d characters.")),
            _one_line,
        ],
    )
    contact_email = EmailField(
        _l("Contact e-mail (optional)"),
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=320, message=_l("Use at most %(max)d characters.")),
            Email(message=_l("Enter an e-mail address such as name@example.com."), check_deliverability=False),
        ],
    )


def profile_questions(questionnaire: Questionnaire | None) -> dict[str, Question]:
    """The questionnaire's sub-fields whose options make the buyer profile (B1's industry and size_band)."""
    found: dict[str, Question] = {}
    if questionnaire is None:
        return found
    for section in questionnaire.sections:
        for question in section.questions:
            for sub in question.fields:
                if sub.id in PROFILE_FIELDS and sub.id not in found and sub.options:
                    found[sub.id] = sub
    return found


def region_options(questionnaire: Questionnaire | None) -> tuple:
    """The options of H6's `regions` sub-field that a buyer may choose (all but `global`); () before 1.1."""
    for section in questionnaire.sections if questionnaire else ():
        for question in section.questions:
            sub = question.field_by_id("regions") if question.fields else None
            if sub is not None and sub.options:
                return tuple(o for o in sub.options if o.value in profile.BUYER_REGIONS)
    return ()


def has_money(questionnaire: Questionnaire | None) -> bool:
    """Whether the questionnaire asks an amount of money (`money: true`, questionnaire 1.1)."""
    for section in questionnaire.sections if questionnaire else ():
        for question in section.questions:
            if any(q.money for q in (question, *question.fields)):
                return True
    return False


def offered_profile_fields(questionnaire: Questionnaire | None) -> tuple[str, ...]:
    """The 1.1 profile fields the questionnaire can use: regions with H6, the AI Act class with H9, money with K."""
    offered = []
    if region_options(questionnaire):
        offered.append("data_regions")
    if questionnaire is not None and "H9" in questionnaire.questions:
        offered.append("ai_act_class")
    if has_money(questionnaire):
        offered += ["currency", "monthly_tasks"]
    return tuple(offered)


def evaluation_form(
    form_class: type[EvaluationForm],
    source: Questionnaire | None,
    language: str,
    formdata=None,
    **data,
) -> EvaluationForm:
    """A settings form with one weight field per section of `source` and its buyer profile options.

    The form class is built per request because the sections (and so the fields) depend on the
    questionnaire; `formdata=None` reads the request (on POST), a MultiDict is read instead.
    """
    sections = source.sections if source else ()
    weights = data.pop("weights", None) or {}
    attrs: dict = {"weight_names": tuple((s.id, f"weight_{s.id}") for s in sections)}
    for s in sections:
        label = f"{s.id} · {localize(s.title, language)}"
        attrs[f"weight_{s.id}"] = WeightField(label, default=weights.get(s.id, s.weight), validators=[_weight_in_range])
    cls = type(form_class.__name__, (form_class,), attrs)
    kwargs = {} if formdata is None else {"formdata": formdata}
    form = cls(**kwargs, **data)
    questions = profile_questions(source)
    not_specified = [("", _l("Not specified"))]
    for name in PROFILE_FIELDS:
        q = questions.get(name)
        options = [(o.value, localize(o.label, language)) for o in q.options] if q else []
        form[name].choices = not_specified + options
    offered = offered_profile_fields(source)
    for name in NEW_PROFILE_FIELDS:
        if name not in offered:
            del form[name]
    if "data_regions" in form:
        form.data_regions.choices = [SelectChoice(o.value, localize(o.label, language)) for o in region_options(source)]
    if "ai_act_class" in form:
        form.ai_act_class.choices = not_specified + list(AI_ACT_LABELS.items())
    return form
