"""Review forms: manual scores, verifications, clarifications."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms import HiddenField
from wtforms import RadioField
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf
from wtforms.validators import DataRequired
from wtforms.validators import Length
from wtforms.validators import Optional
from wtforms.validators import Regexp


class ManualScoreForm(FlaskForm):
    question_id = HiddenField(validators=[DataRequired()])
    score = RadioField(_l("Score"), choices=[SelectChoice(str(n)) for n in range(6)], validators=[DataRequired()])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])
    # The version of the evaluator's own score the page showed (0: none); absent, nothing is checked.
    version = HiddenField(validators=[Optional(), Regexp(r"^[0-9]{1,9}$")])
    # "queue": the form sits on the queue page, which moves on to the next item once saved.
    next = HiddenField(validators=[Optional(), AnyOf(["queue", "response"])])


class AssignmentsForm(FlaskForm):
    """The owner's grid of assignments; its checkboxes are read from the request (one per cell)."""


class VerificationForm(FlaskForm):
    deployment_id = HiddenField(validators=[DataRequired(), Length(max=40)])
    # The fingerprint of the row the page showed: a row the vendor changed since is not verified blind.
    fingerprint = HiddenField(validators=[Optional(), Length(max=64)])
    reference_checked = BooleanField(_l("Reference check completed"))
    evidence_reviewed = BooleanField(_l("Evidence reviewed"))
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class ClarificationForm(FlaskForm):
    question_id = HiddenField(validators=[DataRequired()])
    body = TextAreaField(_l("Question to the vendor"), validators=[DataRequired(), Length(max=4000)])


class ReplyForm(FlaskForm):
    body = TextAreaField(_l("Reply"), validators=[DataRequired(), Length(max=4000)])
