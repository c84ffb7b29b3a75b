"""`flask --app app report EVALUATION_ID --output FILE.pdf`: an evaluation's comparison PDF from the CLI.

It goes through the same cache as the web (instance/reports, config REPORT_FOLDER), so a PDF
made here downloads at once in the browser, and the other way round.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC
from datetime import datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from stagefour import evaluations
from stagefour import report as reports
from stagefour import store
from stagefour.questionnaire import QuestionnaireError
from stagefour.questionnaire import parse_questionnaire


def _writable(output: Path) -> None:
    """Fail before the seconds of rendering when the file cannot be written."""
    if output.is_dir():
        raise click.ClickException(f"cannot write {output}: it is a folder")
    folder = output.parent
    if not folder.is_dir():
        raise click.ClickException(f"cannot write {output}: no folder {folder}")
    if not os.access(folder, os.W_OK) or (output.exists() and not os.access(output, os.W_OK)):
        raise click.ClickException(f"cannot write {output}: permission denied")


def _write(output: Path, pdf: bytes) -> None:
    """Write the file whole or not at all: a temporary file in the same folder, renamed into place."""
    try:
        fd, temporary = tempfile.mkstemp(dir=output.parent, prefix=".stagefour-", suffix=".pdf")
        with os.fdopen(fd, "wb") as f:
            f.write(pdf)
        os.replace(temporary, output)
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from None


@click.command("report")
@click.argument("evaluation_id", type=int)
@click.option(
    "--output", "-o", required=True, type=click.Path(path_type=Path), help="The PDF file to write.", metavar="FILE.pdf"
)
@click.option("--size", type=click.Choice(sorted(reports.PAGE_SIZES)), default="a4", show_default=True)
@click.option("--lang", type=click.Choice(reports.LANGUAGES), default="en", show_default=True)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="Date the scores are worked out for (default: today).",
)
@with_appcontext
def report(evaluation_id: int, output: Path, size: str, lang: str, as_of: datetime | None) -> None:
    """Write an evaluation's comparison PDF to a file."""
    day = as_of.date() if as_of else datetime.now(UTC).date()
    output = output.expanduser()
    _writable(output)
    db = store.open_db(current_app.config["DATABASE"])
    try:
        evaluation = store.get_evaluation(db, evaluation_id)
        if evaluation is None:
            raise click.ClickException(f"no evaluation {evaluation_id} (see `flask --app app evaluations`)")
        snapshot = store.get_snapshot(db, evaluation["snapshot_id"])
        try:
            questionnaire = parse_questionnaire(snapshot["definition"], f"snapshot {snapshot['id']}")
        except QuestionnaireError as exc:
            raise click.ClickException(str(exc)) from None
        cache = reports.ReportCache(current_app.config["REPORT_FOLDER"])
        with db.atomic():
            inputs = reports.comparison_inputs(db, evaluation)
            key = reports.comparison_key(inputs, questionnaire, day, lang, size)
            model = None
            if cache.get(key) is None:
                comparison = evaluations.compare(db, evaluation, questionnaire, day)
                model = reports.comparison_model(comparison, evaluation, questionnaire)
        if model is not None:
            # Made here and now, in this process: an administrator's command has no page or time cap.
            click.echo(f"making the PDF of {len(model['vendors'])} vendors…", err=True)
            try:
                rendered = reports.render_pdf(
                    reports.comparison_html(model, questionnaire, lang, size, store.now(), "flask report", key)
                )
            except Exception as exc:
                raise click.ClickException(f"the PDF could not be made: {type(exc).__name__}: {exc}") from None
            cache.store(key, rendered.pdf)
            store.audit(
                db,
                "cli",
                "report_made",
                evaluation_id=evaluation_id,
                report="comparison",
                key=key,
                lang=lang,
                size=size,
                vendors=len(model["vendors"]),
                pages=rendered.pages,
            )
        path = cache.pdf_path(key)
        _write(output, path.read_bytes())
    finally:
        db.close()
    click.echo(f"wrote {output} ({size}, {lang})")
