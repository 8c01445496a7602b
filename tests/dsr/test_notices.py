"""Notices go out through a real SMTP server (aiosmtpd on a free local port) or are recorded."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default

import pytest
from aiosmtpd.controller import Controller

from service import create_app
from service.dsr.mail import parse_smtp_url


class Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[dict] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(
            {
                "to": list(envelope.rcpt_tos),
                "from": envelope.mail_from,
                "message": message_from_bytes(envelope.content, policy=default),
            }
        )
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    """Run a real SMTP server on a free local port; yield its inbox and port."""
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def mail_app(app_config: dict, port: int):
    return create_app(
        {
            **app_config,
            "PRIVACY_SMTP_URL": f"smtp://127.0.0.1:{port}",
            "PRIVACY_NOTICE_FROM": "privacy@brand.example",
        }
    )


def file_and_deny(client, headers) -> dict:
    filed = client.post(
        "/v1/requests",
        json={
            "type": "erasure",
            "regime": "gdpr",
            "subject": {"emails": ["anna@example.com"], "names": ["Anna Jansen"]},
            "received_at": datetime.now(UTC).isoformat(),
        },
        headers=headers,
    ).get_json()
    denied = client.post(
        f"/v1/requests/{filed['id']}/deny",
        json={"basis": "identity_not_verified", "reason": "No answer to our confirmation"},
        headers=headers,
    )
    assert denied.status_code == 200, denied.get_json()
    return filed


def test_a_notice_is_sent_by_smtp_as_stored(app_config, make_key, inbox):
    handler, port = inbox
    app = mail_app(app_config, port)
    try:
        client = app.test_client()
        headers = {"Authorization": f"Bearer {make_key('privacy_officer')}"}

        filed = file_and_deny(client, headers)
        [notice] = client.get(f"/v1/requests/{filed['id']}/notices", headers=headers).get_json()[
            "items"
        ]
    finally:
        app.extensions["privacy.db"].close()

    assert notice["channel"] == "smtp"
    assert notice["status"] == "sent"
    [received] = handler.messages
    assert received["to"] == ["anna@example.com"]
    assert received["from"] == "privacy@brand.example"
    assert received["message"]["Subject"] == notice["subject_line"]
    assert received["message"].get_content().replace("\r\n", "\n") == notice["body"]
    assert "No answer to our confirmation" in notice["body"]


def test_a_mail_server_that_is_down_does_not_stop_the_denial(app_config, make_key):
    app = mail_app(app_config, free_port())  # nothing listens there
    try:
        client = app.test_client()
        headers = {"Authorization": f"Bearer {make_key('privacy_officer')}"}

        filed = file_and_deny(client, headers)
        shown = client.get(f"/v1/requests/{filed['id']}", headers=headers).get_json()
        [notice] = client.get(f"/v1/requests/{filed['id']}/notices", headers=headers).get_json()[
            "items"
        ]
    finally:
        app.extensions["privacy.db"].close()

    assert shown["status"] == "denied"
    assert notice["status"] == "failed"
    assert notice["error"] == "ConnectionRefusedError"
    assert notice["sent_at"] is None


def test_the_smtp_url_is_checked():
    parsed = parse_smtp_url("smtps://dpo%40brand:s3cret@mail.example", "privacy@brand.example")

    assert (parsed.host, parsed.port, parsed.implicit_tls) == ("mail.example", 465, True)
    assert (parsed.username, parsed.password) == ("dpo@brand", "s3cret")
    assert parse_smtp_url("smtp://mail.example?starttls=true", "x@y").starttls is True
    with pytest.raises(ValueError, match="PRIVACY_SMTP_URL"):
        parse_smtp_url("http://mail.example", "x@y")
