"""The committee's decision (issue 12): an outcome and rationale per vendor, who approved; reopening."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf
from wtforms.validators import DataRequired
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import Optional

from forms.buyer import _one_line
from forms.buyer import _strip

MAX_RATIONALE = 2000
MAX_APPROVERS = 500
MAX_REASON = 1000
OUTCOME_LABELS = {"award": _l("Award"), "shortlist": _l("Shortlist"), "reject": _l("Reject")}


class DecisionForm(FlaskForm):
    """Names of the approvers; decision_form() adds an outcome and a rationale per vendor."""

    approvers = StringField(
        _l("Approved by (optional)"),
        filters=[_strip],
        validators=[Optional(), Length(max=MAX_APPROVERS, message=_l("Use at most %(max)d characters.")), _one_line],
    )

    def vendor_fields(self, vendor_id: int) -> tuple:
        """The outcome and rationale fields of one vendor."""
        return self[f"outcome_{vendor_id}"], self[f"rationale_{vendor_id}"]


def decision_form(vendors: list[dict], formdata=None) -> DecisionForm:
    """A decision form with one outcome and one rationale per vendor (built per evaluation)."""
    attrs: dict = {}
    for v in vendors:
        attrs[f"outcome_{v['id']}"] = RadioField(
            _l("Outcome for %(vendor)s", vendor=v["name"]),
            choices=[SelectChoice(code, label) for code, label in OUTCOME_LABELS.items()],
            validate_choice=False,  # AnyOf says it in the reader's language
            validators=[
                InputRequired(message=_l("Choose award, shortlist or reject.")),
                AnyOf(list(OUTCOME_LABELS), message=_l("Choose award, shortlist or reject.")),
            ],
        )
        attrs[f"rationale_{v['id']}"] = TextAreaField(
            _l("Rationale for %(vendor)s", vendor=v["name"]),
            filters=[_strip],
            validators=[
                DataRequired(message=_l("Give the reasons for this outcome.")),
                Length(max=MAX_RATIONALE, message=_l("Use at most %(max)d characters.")),
            ],
        )
    cls = type("DecisionForm", (DecisionForm,), attrs)
    return cls() if formdata is None else cls(formdata=formdata)


class ReopenForm(FlaskForm):
    """Why a decided evaluation is opened to changes again."""

    reason = TextAreaField(
        _l("Reason for reopening"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Say why the evaluation is reopened.")),
            Length(max=MAX_REASON, message=_l("Use at most %(max)d characters.")),
        ],
    )
