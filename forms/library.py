"""The team library's upload form (issue 15)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from flask_wtf.file import FileRequired


class UploadForm(FlaskForm):
    """A questionnaire file (YAML or an Excel workbook) for the team's library."""

    file = FileField(
        _l("Questionnaire file (YAML or Excel)"),
        validators=[FileRequired(message=_l("Choose a questionnaire file (.yaml, .yml or .xlsx) to upload."))],
    )
