"""`flask --app app export EVALUATION_ID --format json|csv|xlsx [--output FILE]`."""

from __future__ import annotations

import contextlib
import os
import sys
from datetime import UTC
from datetime import date
from datetime import datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from stagefour import export as exports
from stagefour import store
from stagefour import wide_sheet
from stagefour.questionnaire import QuestionnaireError


@click.command("export")
@click.argument("evaluation_id", type=int)
@click.option(
    "--format",
    "fmt",
    type=click.Choice((*exports.FORMATS, wide_sheet.EXTENSION)),
    default="json",
    show_default=True,
    help="File format.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (default: standard output; xlsx only when it is not a terminal).",
)
@click.option("--lang", default="en", show_default=True, help="Language of the CSV's or XLSX's prompts and labels.")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="Date the six-month windows end (default: today).",
)
@with_appcontext
def export(evaluation_id: int, fmt: str, output: Path | None, lang: str, as_of: datetime | None) -> None:
    """Export an evaluation (settings, responses, scores, reviews) as JSON, CSV or a wide XLSX sheet."""
    day = as_of.date() if as_of else date.today()
    if fmt == wide_sheet.EXTENSION and output is None and _stdout_is_terminal():
        # A workbook is binary: on a terminal it is noise that can upset the terminal; a pipe is fine.
        raise click.UsageError("an xlsx export is binary: give --output FILE (or redirect standard output)")
    db = store.open_db(current_app.config["DATABASE"])
    try:
        try:
            data = exports.gather(db, evaluation_id, day)
        except exports.UnknownEvaluation:
            raise click.ClickException(f"no evaluation {evaluation_id} (see `flask --app app evaluations`)") from None
        except QuestionnaireError as exc:
            raise click.ClickException(
                f"the questionnaire snapshot of evaluation {evaluation_id} is invalid: {exc}"
            ) from None
        if lang not in data.questionnaire.languages:
            raise click.BadParameter(
                f"expected one of {', '.join(data.questionnaire.languages)}, got {lang!r}", param_hint="--lang"
            )
        now = datetime.now(UTC)
        if fmt == "json":
            body = exports.to_json(data, now)
        elif fmt == "csv":
            body = exports.to_csv(data, lang)
        else:
            body = wide_sheet.to_xlsx(data, lang)
        if output is None:
            click.echo(body, nl=False)
        else:
            _write(output, body)
        store.audit(
            db,
            "cli",
            "export_made",
            evaluation_id=evaluation_id,
            format=fmt,
            language=lang if fmt != "json" else None,
            as_of=day.isoformat(),
            vendors=len(data.comparison.reviews),
            output=str(output) if output else "stdout",
        )
    finally:
        db.close()
    if output is not None:
        click.echo(f"exported evaluation {evaluation_id} ({len(data.comparison.reviews)} vendors) to {output}")


def _stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def _write(path: Path, body: bytes) -> None:
    """Write through a temporary file beside the target, so a failed write never leaves half a file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(body)
        temporary.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise click.ClickException(f"cannot write {path}: {exc.strerror or exc}") from None
