"""The notification choices on the account page: per event kind, by e-mail and in the app."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import ValidationError

from stagefour.notifications import CHANNELS
from stagefour.notifications import KINDS

KIND_LABELS = {
    "submitted": _l("A vendor submits their response"),
    "replied": _l("A vendor replies to a clarification"),
    "overdue": _l("A vendor is past the deadline without submitting"),
}
CHANNEL_LABELS = {"email": _l("By e-mail"), "app": _l("In the app")}


def _a_tick(form, field) -> None:
    # A ticked box sends "y" and an unticked one nothing (a form with none ticked may be empty: None);
    # anything else did not come from this page.
    if field.raw_data not in (None, [], ["y"]):
        raise ValidationError(_l("Tick the box or leave it empty."))


class NotificationChoicesForm(FlaskForm):
    """One box per event kind and channel; `field(kind, channel)` finds it."""

    def field(self, kind: str, channel: str) -> BooleanField:
        """The box of one kind and channel."""
        return self[f"{kind}_{channel}"]

    def chosen(self) -> dict[str, dict[str, bool]]:
        """The ticked boxes as kind -> channel -> bool."""
        return {kind: {channel: bool(self.field(kind, channel).data) for channel in CHANNELS} for kind in KINDS}

    @classmethod
    def of(cls, choices: dict[str, dict[str, bool]], **kwargs) -> NotificationChoicesForm:
        """The form showing a user's choices (on GET) or the posted ones (on POST)."""
        data = {f"{kind}_{channel}": choices[kind][channel] for kind in KINDS for channel in CHANNELS}
        return cls(data=data, **kwargs)


for _kind in KINDS:
    for _channel in CHANNELS:
        setattr(
            NotificationChoicesForm,
            f"{_kind}_{_channel}",
            BooleanField(CHANNEL_LABELS[_channel], validators=[_a_tick], false_values=()),
        )
