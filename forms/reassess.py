"""Re-assessment (issue 16): next year's title, and which questionnaire version it uses."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired
from wtforms.validators import Length

from forms.buyer import _one_line
from forms.buyer import _strip


class ReassessForm(FlaskForm):
    """The new evaluation's title and its questionnaire: the library's current version or the same one."""

    title = StringField(
        _l("Title of the new evaluation"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Enter a title.")),
            Length(max=200, message=_l("Use at most %(max)d characters.")),
            _one_line,
        ],
    )
    version = RadioField(
        _l("Questionnaire"),
        choices=[SelectChoice("current", ""), SelectChoice("same", "")],  # labelled in the view: they name the versions
        default="current",
        validate_choice=True,
    )
