"""The safe Markdown subset of questionnaire texts (prompts, help, notes): one renderer for pages and PDF.

Paragraphs, lists, emphasis and links (http, https, mailto) only. markdown-it-py parses with raw
HTML off and only those rules on; nh3 (ammonia) then keeps only those tags and schemes, so a
questionnaire uploaded by anyone (issue 15's library) cannot put markup or script in a page.
"""

from __future__ import annotations

import functools

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# A questionnaire text is bounded by the file (1 MB); this bounds the work of one text anyway.
MAX_MARKDOWN = 20_000
TAGS = {"p", "ul", "ol", "li", "em", "strong", "a", "br"}
ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}
SCHEMES = {"http", "https", "mailto"}


@functools.cache
def _parser() -> MarkdownIt:
    md = MarkdownIt("zero", {"html": False, "linkify": False, "breaks": False})
    return md.enable(["emphasis", "list", "link", "newline", "escape"])


def _clean(html: str) -> str:
    return nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=SCHEMES, link_rel="noopener noreferrer")


def markdown(text: str | None, inline: bool = False) -> Markup:
    """A text as safe HTML; `inline` for a prompt inside a label (no paragraphs or lists)."""
    if not text:
        return Markup("")
    text = str(text)[:MAX_MARKDOWN]
    html = _parser().renderInline(text) if inline else _parser().render(text)
    return Markup(_clean(html).strip())  # noqa: S704 - sanitised by nh3 just above
