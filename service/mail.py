"""Outgoing e-mail: over SMTP when PRIVACY_SMTP_HOST is set, else into the data folder's outbox."""

from __future__ import annotations

import smtplib
import uuid
from collections.abc import Mapping
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from service.config import data_dir


def outbox(config: Mapping[str, Any]) -> Path:
    """Return the folder mail goes to when no SMTP server is configured."""
    path = data_dir(config) / "outbox"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def send_mail(config: Mapping[str, Any], *, to: str, subject: str, body: str) -> None:
    """Send one plain-text message (raises OSError / smtplib.SMTPException when SMTP fails)."""
    message = EmailMessage()
    message["From"] = config["PRIVACY_MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    host = config.get("PRIVACY_SMTP_HOST")
    if not host:
        # No server: a development set-up (make run) reads its mail here.
        path = outbox(config) / f"{uuid.uuid4().hex}.eml"
        path.write_bytes(bytes(message))
        path.chmod(0o600)
        return
    with smtplib.SMTP(host, config["PRIVACY_SMTP_PORT"], timeout=10) as smtp:
        if config.get("PRIVACY_SMTP_STARTTLS"):
            smtp.starttls()
        if config.get("PRIVACY_SMTP_USER"):
            smtp.login(config["PRIVACY_SMTP_USER"], config.get("PRIVACY_SMTP_PASSWORD") or "")
        smtp.send_message(message)
