"""Outgoing mail of the subject portal: by SMTP through ``PRIVACY_SMTP_URL`` (the notices'
settings), else into the data folder's outbox, so a development set-up works without a server."""

from __future__ import annotations

import uuid
from email.message import EmailMessage
from pathlib import Path

from service.config import data_dir
from service.dsr import mail as smtp_mail
from service.runtime import Runtime

DEFAULT_SENDER = "privacy@localhost"


def outbox(config) -> Path:
    """Return the folder mail goes to when no SMTP server is configured."""
    path = data_dir(config) / "outbox"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def send_mail(runtime: Runtime, *, to: str, subject: str, body: str) -> None:
    """Send one plain-text message (raises OSError / smtplib.SMTPException when SMTP fails)."""
    smtp = runtime.dsr.smtp
    if smtp is not None:
        smtp_mail.send_mail(smtp, to=to, subject=subject, body=body)
        return
    message = EmailMessage()
    message["From"] = runtime.config.get("PRIVACY_NOTICE_FROM") or DEFAULT_SENDER
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    path = outbox(runtime.config) / f"{uuid.uuid4().hex}.eml"
    path.write_bytes(bytes(message))
    path.chmod(0o600)
