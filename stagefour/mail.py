"""E-mail of a vendor's private link over SMTP (smtplib), when a mail server is configured.

The settings come in as plain values so the core stays free of Flask; the caller writes the
subject and body (in the vendor's language). Links are sent by a job (stagefour/jobs.py) that
Huey retries when sending fails.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

TIMEOUT_SECONDS = 10
LINE_BREAKS = re.compile(r"[\r\n]+")


class MailError(Exception):
    """The message could not be handed to the mail server."""


@dataclass(frozen=True)
class MailSettings:
    """Where and how to send: MAIL_SERVER (None: do not send), port, sender, STARTTLS, login."""

    server: str | None
    port: int = 25
    sender: str = "stagefour@localhost"
    use_tls: bool = False
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_config(cls, config) -> MailSettings:
        """The settings in an app's config mapping (MAIL_SERVER, MAIL_PORT, …)."""
        return cls(
            server=config["MAIL_SERVER"],
            port=int(config["MAIL_PORT"]),
            sender=config["MAIL_SENDER"],
            use_tls=bool(config["MAIL_USE_TLS"]),
            username=config["MAIL_USERNAME"],
            password=config["MAIL_PASSWORD"],
        )

    @property
    def enabled(self) -> bool:
        """Whether a mail server is configured at all."""
        return bool(self.server)


def link_message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    """A plain-text message; line breaks in the subject become spaces (no header injection)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = LINE_BREAKS.sub(" ", subject).strip()
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(body)
    return message


def send(settings: MailSettings, message: EmailMessage, timeout: float = TIMEOUT_SECONDS) -> None:
    """Hand a message to the configured SMTP server; raises MailError on any failure."""
    if not settings.enabled:
        raise MailError("no mail server is configured")
    try:
        with smtplib.SMTP(settings.server, settings.port, timeout=timeout) as smtp:
            if settings.use_tls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            refused = smtp.send_message(message)
    except (smtplib.SMTPException, OSError, ValueError) as exc:
        raise MailError(f"{type(exc).__name__}: {exc}") from exc
    if refused:
        raise MailError(f"recipient refused: {', '.join(refused)}")


def send_link(settings: MailSettings, to: str, subject: str, body: str) -> bool:
    """E-mail a vendor their link; False when no server is configured, MailError when sending fails."""
    if not settings.enabled:
        return False
    send(settings, link_message(settings.sender, to, subject, body))
    return True
