"""The subject portal: file a request, confirm it with the e-mailed code, follow it."""

from __future__ import annotations

from tests.console.conftest import Inbox, post_form


def _code(inbox: Inbox) -> str:
    return inbox.code()


def test_a_request_filed_and_confirmed_on_the_portal_reaches_the_queue(inbox, client, conn):
    sent = post_form(
        client,
        "/request",
        {"type": "access", "place": "eu", "email": "sam@example.org", "handles": "x:@sam_s"},
    )
    assert sent.status_code == 303
    assert inbox.messages[-1]["To"] == "sam@example.org"
    confirm_path = sent.headers["Location"]
    assert conn.execute("SELECT count(*) AS n FROM dsr_requests").fetchone()["n"] == 0

    wrong = post_form(client, confirm_path, {"code": "00000000"})
    assert wrong.status_code == 400 and "does not match" in wrong.get_data(as_text=True)
    attempts = conn.execute("SELECT attempts FROM portal_submissions").fetchone()["attempts"]
    assert attempts == 1
    code = _code(inbox)
    confirmed = post_form(client, confirm_path, {"code": code})
    assert confirmed.status_code == 303
    status_url = confirmed.headers["Location"]
    assert status_url in inbox.last_body()  # the status link is mailed too
    page = client.get(status_url).get_data(as_text=True)
    assert "Received; we are checking who you are" in page

    request = conn.execute("SELECT type, regime, channel, status FROM dsr_requests").fetchone()
    assert request == {
        "type": "access",
        "regime": "gdpr",
        "channel": "web_form",
        "status": "received",
    }
    held = conn.execute("SELECT payload, request_id FROM portal_submissions").fetchone()
    assert held["payload"] is None and held["request_id"] is not None  # identifiers moved on
    # A confirmed submission takes no second code.
    again = post_form(client, confirm_path, {"code": code})
    assert again.status_code == 400


def test_the_portal_answers_alike_whoever_asks_and_checks_the_form(inbox, client):
    missing = post_form(client, "/request", {"type": "access", "place": "eu", "email": ""})
    assert missing.status_code == 400
    bad = post_form(client, "/request", {"type": "access", "place": "eu", "email": "not-mail"})
    assert bad.status_code == 400 and "subject.emails" in bad.get_data(as_text=True)
    assert client.get("/request/status/not-a-token").status_code == 404
    assert not inbox.messages


def test_too_many_submissions_from_one_address_are_refused(app_config, inbox, app, client):
    app.extensions["privacy.portal_limiter"].capacity = 2.0
    for _ in range(2):
        post_form(client, "/request", {"type": "erasure", "place": "california", "email": "a@b.cd"})
    refused = post_form(
        client, "/request", {"type": "erasure", "place": "california", "email": "a@b.cd"}
    )
    assert refused.status_code == 429 and "Too many requests" in refused.get_data(as_text=True)


def test_without_an_smtp_server_mail_goes_to_the_outbox(client, app_config):
    from pathlib import Path

    post_form(client, "/request", {"type": "access", "place": "eu", "email": "kim@example.org"})
    [mail] = (Path(app_config["PRIVACY_DATA_DIR"]) / "outbox").iterdir()
    assert "kim@example.org" in mail.read_text()


def test_five_wrong_codes_end_a_submission(inbox, client, conn):
    client.application.extensions["privacy.portal_limiter"].capacity = 100.0
    sent = post_form(client, "/request", {"type": "access", "place": "eu", "email": "jo@ex.org"})
    code = _code(inbox)
    for _ in range(5):
        post_form(client, sent.headers["Location"], {"code": "11111111"})
    late = post_form(client, sent.headers["Location"], {"code": code})
    assert late.status_code == 400 and "tried too often" in late.get_data(as_text=True)
    assert conn.execute("SELECT count(*) AS n FROM dsr_requests").fetchone()["n"] == 0


def test_a_mail_server_that_is_down_gets_a_plain_answer(app_config):
    import socket

    from service import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    app_config.update(PRIVACY_SMTP_URL=f"smtp://127.0.0.1:{closed_port}")
    application = create_app(app_config)
    try:
        client = application.test_client()
        response = post_form(
            client, "/request", {"type": "access", "place": "eu", "email": "x@ex.org"}
        )
    finally:
        application.extensions["privacy"].close()
    assert response.status_code == 503
    assert "cannot send e-mail right now" in response.get_data(as_text=True)
