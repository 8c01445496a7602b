"""Send a notice by SMTP with the standard library: plain text, one recipient, no tracking."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how notices are sent: ``smtp://`` (STARTTLS with ``?starttls=true``) or
    ``smtps://`` (TLS from the start), optional user and password, and the From address."""

    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    implicit_tls: bool = False
    starttls: bool = False
    timeout: float = DEFAULT_TIMEOUT_SECONDS


def parse_smtp_url(url: str, sender: str) -> SmtpSettings:
    """Return the SMTP settings of ``PRIVACY_SMTP_URL``; raise ValueError for a bad URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError(
            "PRIVACY_SMTP_URL: give smtp://[user:password@]host[:port][?starttls=true] or "
            "smtps://..."
        )
    query = parse_qs(parts.query)
    implicit = parts.scheme == "smtps"
    return SmtpSettings(
        host=parts.hostname,
        port=parts.port or (465 if implicit else 25),
        sender=sender,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        implicit_tls=implicit,
        starttls=query.get("starttls", ["false"])[0].lower() in {"1", "true", "yes"},
    )


def send_mail(smtp: SmtpSettings, *, to: str, subject: str, body: str) -> str:
    """Send one plain-text message and return its Message-ID; raise OSError/SMTPException."""
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = to
    message["Subject"] = subject
    message_id = make_msgid(domain=smtp.sender.rpartition("@")[2] or None)
    message["Message-ID"] = message_id
    message.set_content(body)
    context = ssl.create_default_context()
    if smtp.implicit_tls:
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            smtp.host, smtp.port, timeout=smtp.timeout, context=context
        )
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    with client:
        if smtp.starttls:
            client.starttls(context=context)
        if smtp.username:
            client.login(smtp.username, smtp.password or "")
        client.send_message(message)
    return message_id
