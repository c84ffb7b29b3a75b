"""The vendor's upload of their answers, filled in offline as a workbook (issue 16)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from flask_wtf.file import FileRequired


class OfflineUploadForm(FlaskForm):
    """One .xlsx file: the workbook downloaded from this link, filled in."""

    file = FileField(
        _l("Your filled-in workbook (.xlsx)"),
        validators=[FileRequired(message=_l("Choose the workbook (.xlsx) you filled in."))],
    )
