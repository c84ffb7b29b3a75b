"""`flask --app app backup FILE` and `flask --app app restore FILE`: online copies of the database."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from stagefour import store


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@with_appcontext
def backup(file: Path, force: bool) -> None:
    """Write a consistent copy of the database to FILE while the app keeps running."""
    if file.exists() and not force:
        raise click.ClickException(f"{file} exists; choose another name or pass --force to replace it")
    if not file.parent.is_dir():
        raise click.ClickException(f"no such directory: {file.parent}")
    source = current_app.config["DATABASE"]
    if not Path(source).is_file():
        raise click.ClickException(f"no database at {source} (run `flask --app app init-db` first)")
    db = store.open_db(source)
    try:
        size = store.backup_to(db, str(file))
    except store.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        db.close()
    click.echo(f"backed up {source} to {file} ({size:,} bytes)")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Confirm: the current database is replaced by FILE.")
@click.option("--timeout", default=10.0, show_default=True, help="Seconds to wait for a locked database.")
@with_appcontext
def restore(file: Path, yes: bool, timeout: float) -> None:
    """Replace the database's content with a backup FILE (checked first; needs --yes)."""
    problems = store.check_backup(str(file))
    if problems:
        raise click.ClickException("\n".join(problems))
    target = current_app.config["DATABASE"]
    if not yes:
        raise click.ClickException(
            f"this replaces every answer, score and log entry in {target} with those in {file}; "
            "back it up first, then run again with --yes"
        )
    db = store.open_db(target)
    try:
        applied = store.restore_from(db, str(file), timeout=timeout)
    except store.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        db.close()
    click.echo(f"restored {target} from {file}" + (f"; applied {', '.join(applied)}" if applied else ""))
