"""Link tokens out of logs: `/v/<token>` becomes `/v/[token]` wherever a line carries a URL.

A vendor link's token is its only credential, and it sits in the path, so every log line that
names a request (Flask's exception log, Werkzeug's and gunicorn's access logs, a Referer) would
otherwise hand out working links. No Flask here: deploy/gunicorn.conf.py imports it too.
"""

from __future__ import annotations

import logging
import re

# `/v/` then the token, up to the next path, query or fragment separator; `%2F` is the slash
# of a URL inside a query string (`?next=%2Fv%2F...`). Whatever follows /v/ is treated as a
# token, well formed or not: a guessed token is as secret in a log as a real one.
# Account links (issue 11: /invitation/<token>, /password/reset/<token>) carry theirs the same way.
LINK_TOKEN = re.compile(
    r"((?:/|%2F)(?:v|invitation|password(?:/|%2F)reset)(?:/|%2F))(?:(?!%2F)[^/?#&;\s\"'<>\\])+", re.IGNORECASE
)
REDACTED = "[token]"


def redact(text: str) -> str:
    """The text with the token of every vendor link in it replaced by `[token]`."""
    return LINK_TOKEN.sub(rf"\1{REDACTED}", text)


class RedactTokens(logging.Filter):
    """A logging filter that redacts vendor tokens in a record's message, traceback and stack."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place (so every handler sees it redacted) and always keep it."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed %-format: keep the raw parts, redacted
            message = f"{record.msg} {record.args}"
        record.msg, record.args = redact(message), ()
        if record.exc_info and not record.exc_text:
            # Handlers format the traceback from exc_text when it is set; an exception's message
            # may quote the URL it failed on.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


FILTER = RedactTokens()


def install(*loggers: logging.Logger) -> None:
    """Put the one redacting filter on each logger and on each of its handlers (twice is a no-op).

    A logger's filter sees only what is logged on that logger; its handlers' filters also see
    what propagates to them from any other logger (a job library's, a module's own).
    """
    for logger in loggers:
        logger.addFilter(FILTER)
        for handler in logger.handlers:
            handler.addFilter(FILTER)
