"""Interface translations: `flask --app app translate update|compile` (Babel catalogues in translations/).

Catalogues are edited by people (translations/<lang>/LC_MESSAGES/messages.po); the compiled .mo
files are build output, made by scripts/setup.sh and never committed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
from babel.messages.pofile import read_po
from flask import Flask
from flask import current_app
from flask.cli import AppGroup

translate = AppGroup("translate", help="Extract, update and compile the interface translations.")

TEMPLATE = "translations/messages.pot"


def register(app: Flask) -> None:
    """Add the `translate` command group to the app's CLI."""
    app.cli.add_command(translate)


def _pybabel(root: Path, *args: str) -> None:
    """Run a pybabel command in the project folder; a failure becomes a ClickException."""
    # The same interpreter as Flask's, so it is this virtualenv's Babel whatever the PATH says.
    command = [sys.executable, "-m", "babel.messages.frontend", "-q", *args]
    result = subprocess.run(command, cwd=root, capture_output=True, text=True)
    if result.returncode != 0:
        output = (result.stderr or result.stdout).strip()
        if "Traceback" in output:  # pybabel's own crash: its last line says what went wrong
            output = output.splitlines()[-1]
        raise click.ClickException(f"pybabel {args[0]} failed (exit {result.returncode}):\n{output}")


def _root() -> Path:
    root = Path(current_app.root_path)
    if not (root / "babel.cfg").is_file():
        raise click.ClickException(f"no babel.cfg in {root}: run this from a Stagefour checkout")
    return root


def _languages(root: Path) -> list[str]:
    found = sorted(p.parent.parent.name for p in (root / "translations").glob("*/LC_MESSAGES/messages.po"))
    if not found:
        raise click.ClickException("no catalogues: expected translations/<lang>/LC_MESSAGES/messages.po")
    return found


def _to_do(po: Path) -> tuple[int, int]:
    """(untranslated, fuzzy) entries of a catalogue."""
    with po.open("rb") as f:
        catalog = read_po(f)
    messages = [m for m in catalog if m.id]
    untranslated = sum(1 for m in messages if not m.string or (isinstance(m.string, tuple) and not all(m.string)))
    return untranslated, sum(1 for m in messages if m.fuzzy)


@translate.command("update")
def update() -> None:
    """Extract the interface strings into messages.pot and merge them into every language's catalogue."""
    root = _root()
    languages = _languages(root)
    keywords = ("-k", "_l", "-k", "lazy_gettext", "-k", "NP_:1,2")
    _pybabel(root, "extract", "-F", "babel.cfg", *keywords, "--project", "Stagefour", "-o", TEMPLATE, ".")
    _pybabel(root, "update", "-i", TEMPLATE, "-d", "translations")
    for language in languages:
        untranslated, fuzzy = _to_do(root / "translations" / language / "LC_MESSAGES" / "messages.po")
        state = "complete" if not (untranslated or fuzzy) else f"{untranslated} untranslated, {fuzzy} fuzzy"
        click.echo(f"translations/{language}: {state}")


@translate.command("compile")
def compile_catalogues() -> None:
    """Compile every language's catalogue into the .mo file the app reads."""
    root = _root()
    languages = _languages(root)
    _pybabel(root, "compile", "-d", "translations")
    click.echo(f"compiled {', '.join(languages)}")
