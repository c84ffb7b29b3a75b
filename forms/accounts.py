"""Account forms: invitations, passwords (set, change, forgotten) and second-factor codes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms import PasswordField
from wtforms import SelectField
from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired
from wtforms.validators import Email
from wtforms.validators import Length
from wtforms.validators import ValidationError

from stagefour import passwords
from stagefour.store import ROLES

PASSWORD_PROBLEMS = {
    passwords.TOO_SHORT: _l("Use at least %(min)d characters. A few words make a password easy to remember."),
    passwords.TOO_LONG: _l("Use at most %(max)d characters."),
    passwords.COMMON: _l("This password is too common: it is among the first an attacker tries. Choose another."),
    passwords.CONTAINS_EMAIL: _l("Do not use your e-mail address in your password."),
    passwords.CONTAINS_NAME: _l("Do not use the name of this application in your password."),
}
PASSWORD_HELP = _l(
    "At least %(min)d characters; spaces and any letters are fine, no mix of symbols is required. "
    "Common passwords are refused.",
    min=passwords.MIN_LENGTH,
)
# Room for a 128-character password in any script (NFKC can shorten what is typed, never lengthen
# it past what the rules count); the rules themselves say "at most 128".
_TYPED_MAX = 4 * passwords.MAX_LENGTH


def password_problem_message(code: str) -> str:
    """The sentence for a problem code of stagefour/passwords.py."""
    return str(PASSWORD_PROBLEMS[code]) % {"min": passwords.MIN_LENGTH, "max": passwords.MAX_LENGTH}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _email_field(label):
    return EmailField(
        label,
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Enter an e-mail address.")),
            Length(max=320, message=_l("Use at most %(max)d characters.")),
            Email(message=_l("Enter an e-mail address such as name@example.com."), check_deliverability=False),
        ],
    )


class NewPasswordForm(FlaskForm):
    """A new password, typed twice, checked against the rules; `email` is the account's address."""

    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=_TYPED_MAX)])
    confirm = PasswordField(_l("New password again"), validators=[DataRequired(), Length(max=_TYPED_MAX)])

    def __init__(self, *args, email: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def validate_password(self, field) -> None:
        code = passwords.problem(field.data or "", self.email)
        if code:
            raise ValidationError(password_problem_message(code))

    def validate_confirm(self, field) -> None:
        if field.data != self.password.data:
            raise ValidationError(_l("The two passwords are not the same."))


class ChangePasswordForm(NewPasswordForm):
    """The user's current password, and the new one."""

    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=_TYPED_MAX)])


class InviteForm(FlaskForm):
    """Who to invite, into which team, with which role."""

    email = _email_field(_l("E-mail"))
    team = SelectField(_l("Team"), coerce=int, validate_choice=True)
    role = SelectField(
        _l("Role"),
        choices=[
            SelectChoice("viewer", _l("viewer")),
            SelectChoice("evaluator", _l("evaluator")),
            SelectChoice("owner", _l("owner")),
        ],  # fmt: skip
        default="evaluator",
        validate_choice=True,
    )

    def validate_role(self, field) -> None:
        if field.data not in ROLES:
            raise ValidationError(_l("Choose a role."))


class ForgotPasswordForm(FlaskForm):
    """The e-mail address of the account whose password is forgotten."""

    email = _email_field(_l("E-mail"))


class CodeForm(FlaskForm):
    """A code from the authenticator app (or, where accepted, a recovery code)."""

    code = StringField(
        _l("Code"),
        filters=[_strip],
        validators=[DataRequired(message=_l("Enter the code.")), Length(max=40)],
    )


class LostLinkForm(FlaskForm):
    """A vendor's contact address, to which a fresh link to their open questionnaires is sent (issue 12)."""

    email = _email_field(_l("Your contact e-mail address"))
