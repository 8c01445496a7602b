"""Stuck requests surface: a failed execution shows why and is retried; the daily digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service.dsr.digest import send_digest
from service.dsr.settings import load_dsr_settings
from service.dsr.webhooks import (
    DELIVERY_HEADER,
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    verify_signature,
)
from tests.archive.conftest import run_worker_once
from tests.dsr.conftest import SECRET, audit_events


def test_a_failed_execution_shows_the_error_and_the_retry_completes(
    client, officer, file_request, archive
):
    archive.subject(handles=[("x", "@anna_j")], emails=["anna@example.com"])
    archive.subject(handles=[("x", "@bob")])
    filed = file_request(type="rectification", subject={"emails": ["anna@example.com"]})
    url = f"/v1/requests/{filed['id']}"
    client.post(f"{url}/verify", json={"method": "other"}, headers=officer)

    failed = client.post(
        f"{url}/execute",
        json={
            "corrections": [{"kind": "handle", "platform": "x", "old": "anna_j", "new": "bob"}],
            "reason": "wrong account",
        },
        headers=officer,
    )
    stuck = client.get(url, headers=officer).get_json()
    retried = client.post(
        f"{url}/execute",
        json={
            "corrections": [{"kind": "handle", "platform": "x", "old": "anna_j", "new": "anna_k"}],
            "reason": "new handle",
        },
        headers=officer,
    )

    assert failed.status_code == 409
    assert stuck["status"] == "in_progress"
    assert "already belongs to another subject" in stuck["error"]["reason"]
    assert retried.status_code == 200, retried.get_json()
    assert retried.get_json()["status"] == "completed"
    assert retried.get_json()["error"] is None


def test_the_digest_lists_due_soon_and_overdue_requests(
    app, app_config, file_request, inbox, hooks, conn
):
    handler, port = inbox
    now = datetime.now(UTC)
    overdue = file_request(received_at=(now - timedelta(days=40)).isoformat())
    due_soon = file_request(received_at=(now - timedelta(days=27)).isoformat())
    file_request(received_at=now.isoformat())  # due in a month: not listed
    # The receiver is on http://127.0.0.1: the hooks fixture allows it (app_config).
    config = {
        **app_config,
        "PRIVACY_SMTP_URL": f"smtp://127.0.0.1:{port}",
        "PRIVACY_OFFICER_EMAIL": "dpo@brand.example",
        "PRIVACY_DSR_DIGEST_WEBHOOK_URL": hooks.url + "/digest",
        "PRIVACY_WEBHOOK_SECRET": "hook-secret",
    }
    settings = load_dsr_settings(config, SECRET)

    with app.extensions["privacy"].database.transaction() as tx:
        result = send_digest(tx, settings, now=now)
    posted_before_the_worker = list(hooks.calls)
    run_worker_once(config)

    assert [e["id"] for e in result["overdue"]] == [overdue["id"]]
    assert [e["id"] for e in result["due_soon"]] == [due_soon["id"]]
    # The mail goes at once; the webhook is a job a worker runs.
    assert result["delivered"] == {"mail": "sent", "webhook": "queued"}
    assert posted_before_the_worker == []
    [mail] = handler.messages
    assert mail["to"] == ["dpo@brand.example"]
    assert overdue["id"] in mail["message"].get_content()
    [call] = hooks.calls
    assert call["path"] == "/digest"
    assert verify_signature(b"hook-secret", call["headers"][SIGNATURE_HEADER], call["body"])
    assert not verify_signature(b"other", call["headers"][SIGNATURE_HEADER], call["body"])
    assert call["headers"][IDEMPOTENCY_HEADER] == f"dsr-digest-{now.isoformat()}"
    assert call["headers"][DELIVERY_HEADER]
    assert hooks.json()["overdue"][0]["id"] == overdue["id"]
    assert "anna" not in call["body"].decode().lower()
    [attempt] = audit_events(conn, "dsr.digest_webhook_attempted")
    assert attempt["details"] == {"status": "sent", "error": None, "attempt": 1}
    [event] = audit_events(conn, "dsr.digest_sent")
    assert event["details"]["overdue"] == 1


def test_a_failing_digest_webhook_is_retried_then_given_up(app, app_config, hooks, conn):
    config = {
        **app_config,
        "PRIVACY_DSR_DIGEST_WEBHOOK_URL": hooks.url + "/digest",
        "PRIVACY_DSR_SEND_RETRY_SECONDS": "0,0",  # three attempts, no waiting
    }
    hooks.status = 503

    with app.extensions["privacy"].database.transaction() as tx:
        send_digest(tx, load_dsr_settings(config, SECRET))
    run_worker_once(config)

    assert len(hooks.calls) == 3
    # One delivery: the same delivery id and idempotency key on every attempt.
    assert len({c["headers"][DELIVERY_HEADER] for c in hooks.calls}) == 1
    assert len({c["headers"][IDEMPOTENCY_HEADER] for c in hooks.calls}) == 1
    attempts = audit_events(conn, "dsr.digest_webhook_attempted")
    assert [(e["details"]["attempt"], e["details"]["status"]) for e in attempts] == [
        (1, "pending"),
        (2, "pending"),
        (3, "failed"),
    ]
    assert {e["details"]["error"] for e in attempts} == {"http_5xx"}
