"""Notices go out through a real SMTP server (aiosmtpd on a free local port) or are recorded."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from service import create_app
from service.dsr.mail import parse_smtp_url
from tests.dsr.conftest import free_port


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
        app.extensions["privacy"].close()

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
        app.extensions["privacy"].close()

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
