"""Site administration forms: teams and memberships (issue 11)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms import SelectField
from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired
from wtforms.validators import Length

from forms.buyer import _one_line
from forms.buyer import _strip

ROLE_CHOICES = [SelectChoice("viewer", _l("viewer")), SelectChoice("evaluator", _l("evaluator")),
                SelectChoice("owner", _l("owner"))]  # fmt: skip


class TeamForm(FlaskForm):
    """A new team: its name."""

    name = StringField(
        _l("Team name"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Enter the team's name.")),
            Length(max=200, message=_l("Use at most %(max)d characters.")),
            _one_line,
        ],
    )


class RoleForm(FlaskForm):
    """A member's role in a team."""

    role = SelectField(_l("Role"), choices=ROLE_CHOICES)


class MemberForm(RoleForm):
    """An existing account added to a team with a role."""

    email = EmailField(
        _l("E-mail of the account"),
        filters=[_strip],
        validators=[DataRequired(message=_l("Enter an e-mail address.")), Length(max=320)],
    )
