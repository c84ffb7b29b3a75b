"""The WSGI app the page benchmark serves under gunicorn: the real app plus two ceilings.

/bench/plain  the same HTML as a vendor section page, from a plain Jinja template: the page's
              markup as literal text with one `{{ }}` per value it shows, no macros, no logic
/bench/memory the same bytes returned from memory
Both ceilings go through the same Flask app (same headers, same session handling).
"""

from __future__ import annotations

import html
import os
import re

from flask import Response

from app import create_app

app = create_app(
    {
        "SECRET_KEY": "bench",
        "DATABASE": os.environ["BENCH_DATABASE"],
        "UPLOAD_FOLDER": os.environ["BENCH_UPLOADS"],
    }
)
PAGE = open(os.environ["BENCH_PAGE_HTML"], encoding="utf-8").read()


def _plain_template(html: str) -> tuple[str, list[str]]:
    """The page with each attribute value and text run turned into a template variable."""
    values: list[str] = []

    def hole(match: re.Match) -> str:
        values.append(match.group(2))
        return f'{match.group(1)}="{{{{ v[{len(values) - 1}] }}}}"'

    template = re.sub(r'(\s(?:value|id|name|for|href|aria-describedby))="([^"]*)"', hole, html)

    def text(match: re.Match) -> str:
        values.append(match.group(1))
        return f">{{{{ v[{len(values) - 1}] }}}}<"

    template = re.sub(r">([^<>{}]+)<", text, template)
    return template, values


TEMPLATE, ESCAPED = _plain_template(PAGE)
VALUES = [html.unescape(v) for v in ESCAPED]  # plain strings: the template escapes them, as ours does
COMPILED = app.jinja_env.overlay(autoescape=True).from_string(TEMPLATE)


@app.get("/bench/plain")
def plain():
    return Response(COMPILED.render(v=VALUES), mimetype="text/html")


@app.get("/bench/memory")
def memory():
    return Response(PAGE, mimetype="text/html")


# The ceiling is only fair if it is faithful: the plain template must write the same page.
assert html.unescape(COMPILED.render(v=VALUES)) == html.unescape(PAGE)
