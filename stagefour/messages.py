"""Texts a reader sees, as message ids with parameters (issue 13).

The core says *what* (a msgid and its parameters); the view or the PDF says it in the reader's
language through Babel: the msgid looked up in the reader's catalogue, numbers and dates in the
reader's locale, option labels from the questionnaire in the reader's language. A `Message` is
also a `str` holding the English sentence, so JSON and CSV exports, logs and tests keep the text
they always had (the public contract's codes and texts do not change).

`N_` and `NP_` mark the msgids for `pybabel extract` (see translate.py's keywords).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal
from babel.support import NullTranslations

ENGLISH = NullTranslations()


@dataclass(frozen=True)
class Series:
    """Several parameters shown as one, each in the reader's language, joined by `separator`."""

    items: tuple
    separator: str = ", "


@dataclass(frozen=True)
class Label:
    """An option's label (a questionnaire text: language → string), shown in the reader's language."""

    text: tuple  # (language, string) pairs; a tuple so the message stays hashable


class Message(str):
    """A reader-facing text: the English sentence as a str, plus its msgid and parameters."""

    msgid: str
    plural: str | None
    params: dict

    def __new__(cls, msgid: str, params: dict | None = None, plural: str | None = None) -> Message:
        """A message; with `plural`, params["num"] chooses singular or plural (ngettext)."""
        params = dict(params or {})
        self = super().__new__(cls, _say(msgid, plural, params, ENGLISH, None))
        self.msgid, self.plural, self.params = msgid, plural, params
        return self

    def render(self, translations: NullTranslations, locale: Locale | str) -> str:
        """The message in the reader's language and locale."""
        return _say(self.msgid, self.plural, self.params, translations, Locale.parse(locale))

    def __reduce__(self):
        return (Message, (self.msgid, self.params, self.plural))


def N_(msgid: str, /, **params: Any) -> Message:
    """A message with `msgid` (English, %(name)s placeholders) and its parameters."""
    return Message(msgid, params)


def NP_(singular: str, plural: str, /, num: int, **params: Any) -> Message:
    """A message whose words depend on the count `num` (Babel's ngettext rules per language)."""
    return Message(singular, {"num": num, **params}, plural)


def label(text: dict | None, fallback: str = "") -> Label | str:
    """An option's label for a message parameter; the value itself when the option has none."""
    return Label(tuple(sorted(text.items()))) if text else fallback


def series(items: Iterable, separator: str = ", ", empty: Any = None) -> Series | Any:
    """Items shown as one parameter; `empty` (e.g. N_("none")) when there are none."""
    items = tuple(items)
    return Series(items, separator) if items or empty is None else empty


def render(text: Any, translations: NullTranslations, locale: Locale | str) -> str:
    """A message in the reader's language; any other value as it is."""
    if isinstance(text, Message):
        return text.render(translations, locale)
    return "" if text is None else str(text)


def _say(msgid: str, plural: str | None, params: dict, translations: NullTranslations, locale: Locale | None) -> str:
    if plural is None:
        template = translations.gettext(msgid)
    else:
        template = translations.ngettext(msgid, plural, _count(params.get("num")))
    return template % {k: _param(v, translations, locale) for k, v in params.items()}


def _count(value: Any) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _param(value: Any, translations: NullTranslations, locale: Locale | None) -> str:
    """One parameter in words; `locale` None is the English of the exports (the text they always had)."""
    if isinstance(value, Message):
        return _say(value.msgid, value.plural, value.params, translations, locale)
    if isinstance(value, Series):
        return value.separator.join(_param(v, translations, locale) for v in value.items)
    if isinstance(value, Label):
        text = dict(value.text)
        language = locale.language if locale is not None else "en"
        return text.get(language) or text.get("en", "")
    if isinstance(value, bool):
        return _param(N_("yes") if value else N_("no"), translations, locale)
    if isinstance(value, int | float):
        if locale is None:
            return f"{round(value, 2):g}"
        return format_decimal(value, "#,##0.##", locale=locale)
    if isinstance(value, date):
        return value.isoformat() if locale is None else format_date(value, "medium", locale=locale)
    return str(value)


def catalogue_languages(folder: Path) -> tuple[str, ...]:
    """English (the source text) and every language with a catalogue in `folder`: adding one is adding a catalogue."""
    found = sorted(p.parent.parent.name for p in folder.glob("*/LC_MESSAGES/messages.po"))
    return ("en", *(code for code in found if code != "en"))


@functools.cache
def language_name(code: str) -> str:
    """A language's name in that language, as its speakers write it at the start of a line ("Français")."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]
