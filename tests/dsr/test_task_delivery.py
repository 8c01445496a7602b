"""Recipient tasks are delivered by a worker: queued with the work, retried, sent again on demand.

A rectification's corrections are kept sealed so its task can be sent again, and forgotten once
no task can be sent any more.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from service import create_app
from service.dsr.digest import build_digest, digest_text
from service.dsr.recipients import deliver_task, open_corrections
from service.dsr.settings import DEFAULT_SEND_RETRY_SECONDS, parse_retry_seconds
from service.dsr.webhooks import DELIVERY_HEADER, IDEMPOTENCY_HEADER
from service.sealing import SealError, seal, unseal
from service.users.totp import decrypt_secret, encrypt_secret
from tests.archive.conftest import run_worker_once
from tests.dsr.conftest import SECRET, audit_events, free_port

SEND_TASK = "dsr:send_recipient_task"


@pytest.fixture(autouse=True)
def _allow_local_webhooks(app_config):
    """Every app here may call the local receivers (http on 127.0.0.1)."""
    app_config.setdefault("PRIVACY_WEBHOOK_ALLOW_HTTP", "true")
    app_config.setdefault("PRIVACY_WEBHOOK_ALLOW_PRIVATE", "true")


class Officer:
    """An app of its own (settings of the test) with an officer's key."""

    def __init__(self, config: dict, make_key):
        self.config = config
        self.app = create_app(config)
        self.client = self.app.test_client()
        self.headers = {"Authorization": f"Bearer {make_key('privacy_officer')}"}

    def post(self, url: str, body: dict | None = None):
        return self.client.post(url, json=body, headers=self.headers)

    def get(self, url: str) -> dict:
        response = self.client.get(url, headers=self.headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def register(self, **fields) -> dict:
        response = self.post("/v1/recipients", {"kind": "processor", **fields})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def file(self, **fields) -> dict:
        body = {
            "type": "erasure",
            "regime": "gdpr",
            "subject": {"handles": [{"platform": "x", "handle": "@anna_j"}]},
            "received_at": datetime.now(UTC).isoformat(),
            **fields,
        }
        response = self.post("/v1/requests", body)
        assert response.status_code == 201, response.get_json()
        filed = response.get_json()
        verified = self.post(f"/v1/requests/{filed['id']}/verify", {"method": "other"})
        assert verified.status_code == 200, verified.get_json()
        return filed

    def execute(self, request_id: str, body: dict | None = None):
        return self.post(f"/v1/requests/{request_id}/execute", body or {})

    def tasks(self, request_id: str) -> list[dict]:
        return self.get(f"/v1/requests/{request_id}/tasks")["items"]

    def run_jobs(self) -> None:
        run_worker_once(self.config)

    def close(self) -> None:
        self.app.extensions["privacy"].close()


@pytest.fixture
def officer_app(app_config, make_key):
    """Return a function building an app with extra settings (closed after the test)."""
    built: list[Officer] = []

    def _build(**settings) -> Officer:
        officer = Officer({**app_config, **settings}, make_key)
        built.append(officer)
        return officer

    yield _build
    for officer in built:
        officer.close()


def queued_jobs(conn) -> list[dict]:
    return conn.execute(
        "SELECT args, status, scheduled_at FROM procrastinate_jobs WHERE task_name = %s"
        " ORDER BY id",
        (SEND_TASK,),
    ).fetchall()


def test_the_tasks_are_queued_with_the_work_and_survive_a_crash_before_sending(
    officer_app, archive, hooks, conn
):
    """A task is a job committed with the erasure: the API process may die right after the
    commit (nothing is sent in the request any more), and a worker still delivers it."""
    officer = officer_app()
    archive.subject(handles=[("x", "@anna_j")])
    officer.register(name="Helpdesk Ltd", webhook_url=hooks.url + "/hook")
    filed = officer.file()

    executed = officer.execute(filed["id"])
    [pending] = officer.tasks(filed["id"])
    [job] = queued_jobs(conn)
    nothing_yet = list(hooks.calls)
    officer.run_jobs()  # a worker, later, in another process
    [sent] = officer.tasks(filed["id"])

    assert executed.status_code == 200 and executed.get_json()["status"] == "awaiting_recipients"
    assert nothing_yet == []
    assert pending["status"] == "pending" and pending["attempts"] == 0
    assert job["args"] == {"task_id": pending["id"], "delivery_id": pending["delivery_id"]}
    assert (sent["status"], sent["attempts"], sent["last_error"]) == ("sent", 1, None)
    [call] = hooks.calls
    assert call["headers"][DELIVERY_HEADER] == pending["delivery_id"]
    assert call["headers"][IDEMPOTENCY_HEADER] == pending["id"]
    assert queued_jobs(conn) == []  # done jobs are deleted


def test_work_that_rolls_back_queues_no_task(officer_app, archive, hooks, conn):
    officer = officer_app()
    archive.subject(handles=[("x", "@anna_j")], emails=["anna@example.com"])
    archive.subject(handles=[("x", "@bob")])
    officer.register(name="Helpdesk Ltd", webhook_url=hooks.url)
    filed = officer.file(type="rectification", subject={"emails": ["anna@example.com"]})

    clash = officer.execute(
        filed["id"],
        {
            "corrections": [{"kind": "handle", "platform": "x", "old": "anna_j", "new": "bob"}],
            "reason": "wrong account",
        },
    )
    officer.run_jobs()

    assert clash.status_code == 409
    assert officer.tasks(filed["id"]) == []
    assert queued_jobs(conn) == []
    assert conn.execute("SELECT * FROM dsr_sealed_corrections").fetchall() == []
    assert hooks.calls == []


def test_a_failing_recipient_is_retried_then_left_send_failed(officer_app, archive, hooks, conn):
    # Five attempts, as by default, but without the waits.
    officer = officer_app(PRIVACY_DSR_SEND_RETRY_SECONDS="0,0,0,0")
    archive.subject(handles=[("x", "@anna_j")])
    officer.register(name="Helpdesk Ltd", webhook_url=hooks.url)
    filed = officer.file()
    hooks.status = 502

    officer.execute(filed["id"])
    officer.run_jobs()
    [failed] = officer.tasks(filed["id"])

    assert (failed["status"], failed["attempts"], failed["last_error"]) == (
        "send_failed",
        5,
        "http_5xx",
    )
    # The request is still open, waiting for the recipient the officer must now deal with.
    assert officer.get(f"/v1/requests/{filed['id']}")["status"] == "awaiting_recipients"
    assert failed["next_attempt_at"] is None and failed["last_attempt_at"] is not None
    # Every attempt of the round carried the same delivery id and idempotency key.
    assert len(hooks.calls) == 5
    assert {c["headers"][DELIVERY_HEADER] for c in hooks.calls} == {failed["delivery_id"]}
    assert {c["headers"][IDEMPOTENCY_HEADER] for c in hooks.calls} == {failed["id"]}
    attempts = audit_events(conn, "dsr.recipient_notified")
    assert [(e["details"]["attempt"], e["details"]["status"]) for e in attempts] == [
        (1, "pending"),
        (2, "pending"),
        (3, "pending"),
        (4, "pending"),
        (5, "send_failed"),
    ]
    assert {e["details"]["error"] for e in attempts} == {"http_5xx"}
    # The officer's daily digest lists it, to be sent again or resolved.
    settings = officer.app.extensions["privacy"].dsr
    with officer.app.extensions["privacy"].database.transaction() as tx:
        digest = build_digest(tx, settings)
    assert digest["undelivered"] == [
        {
            "request_id": filed["id"],
            "task_id": failed["id"],
            "recipient": "Helpdesk Ltd",
            "last_error": "http_5xx",
            "last_attempt_at": failed["last_attempt_at"],
        }
    ]
    assert f"task {failed['id']}  Helpdesk Ltd  (http_5xx)" in digest_text(digest)


def test_a_job_run_twice_or_of_an_earlier_round_sends_nothing_more(
    officer_app, archive, hooks, conn
):
    """A worker may run a job again (it crashed after sending, before recording): the task is
    delivered once; a receiver seeing the Idempotency-Key again knows it has it."""
    officer = officer_app()
    archive.subject(handles=[("x", "@anna_j")])
    officer.register(name="Helpdesk Ltd", webhook_url=hooks.url)
    filed = officer.file()
    officer.execute(filed["id"])
    [task] = officer.tasks(filed["id"])
    runtime = officer.app.extensions["privacy"]

    first = deliver_task(runtime.database, runtime.dsr, UUID(task["id"]), UUID(task["delivery_id"]))
    again = deliver_task(runtime.database, runtime.dsr, UUID(task["id"]), UUID(task["delivery_id"]))
    stale = deliver_task(runtime.database, runtime.dsr, UUID(task["id"]), uuid4())
    [sent] = officer.tasks(filed["id"])

    assert (first, again, stale) == ("sent", "sent", "sent")
    assert (sent["status"], sent["attempts"]) == ("sent", 1)
    assert len(hooks.calls) == 1
    assert len(audit_events(conn, "dsr.recipient_notified")) == 1


def test_the_next_attempt_waits_as_configured(officer_app, archive, conn):
    officer = officer_app()  # default waits: 60, 120, 240, 480 s
    archive.subject(handles=[("x", "@anna_j")])
    closed_port = free_port()
    officer.register(name="Helpdesk Ltd", webhook_url=f"http://127.0.0.1:{closed_port}/")
    filed = officer.file()

    officer.execute(filed["id"])
    officer.run_jobs()  # runs the first attempt only: the next is not due yet
    [task] = officer.tasks(filed["id"])
    [retry] = queued_jobs(conn)

    assert (task["status"], task["attempts"], task["last_error"]) == (
        "pending",
        1,
        "connection_refused",
    )
    last = datetime.fromisoformat(task["last_attempt_at"])
    assert datetime.fromisoformat(task["next_attempt_at"]) - last == timedelta(seconds=60)
    assert retry["status"] == "todo" and retry["scheduled_at"] == last + timedelta(seconds=60)


def test_retry_waits_are_read_and_checked():
    assert parse_retry_seconds("") == DEFAULT_SEND_RETRY_SECONDS == (60, 120, 240, 480)
    assert parse_retry_seconds("5, 10") == (5, 10)
    assert parse_retry_seconds("none") == ()
    for bad in ("soon", "-1", "1,,2"):
        with pytest.raises(ValueError, match="PRIVACY_DSR_SEND_RETRY_SECONDS"):
            parse_retry_seconds(bad)


def test_a_rectification_task_is_sent_again_with_its_sealed_corrections(
    officer_app, archive, hooks, conn
):
    officer = officer_app(PRIVACY_DSR_SEND_RETRY_SECONDS="none")
    archive.subject(handles=[("x", "@anna_j")], emails=["anna@example.com"])
    officer.register(name="Helpdesk Ltd", webhook_url=hooks.url)
    officer.register(name="Ad Partner", webhook_url=hooks.url + "/ads")
    filed = officer.file(type="rectification", subject={"emails": ["anna@example.com"]})
    correction = {"kind": "email", "old": "anna@example.com", "new": "anna.k@example.org"}
    hooks.status = 503

    executed = officer.execute(filed["id"], {"corrections": [correction], "reason": "moved"})
    [sealed] = conn.execute("SELECT * FROM dsr_sealed_corrections").fetchall()
    officer.run_jobs()
    ads, helpdesk = officer.tasks(filed["id"])
    hooks.status = 200
    resent = [
        officer.post(f"/v1/requests/{filed['id']}/tasks/{task['id']}/send")
        for task in (ads, helpdesk)
    ]
    kept_while_unsent = conn.execute("SELECT count(*) AS n FROM dsr_sealed_corrections").fetchone()
    runtime = officer.app.extensions["privacy"]
    with runtime.database.transaction() as tx:
        opened_with_another_key = open_corrections(
            tx, replace(runtime.dsr, secret=b"another secret key of 32 bytes.."), UUID(filed["id"])
        )
    officer.run_jobs()
    delivered = officer.tasks(filed["id"])

    assert executed.status_code == 200, executed.get_json()
    # Stored sealed: neither the old nor the new value is readable in the database.
    assert b"anna" not in bytes(sealed["sealed"])
    assert "anna" not in str(conn.execute("SELECT * FROM dsr_recipient_tasks").fetchall())
    assert [t["status"] for t in (ads, helpdesk)] == ["send_failed", "send_failed"]
    assert [r.status_code for r in resent] == [202, 202], [r.get_json() for r in resent]
    assert kept_while_unsent["n"] == 1
    assert opened_with_another_key is None  # a changed secret key opens nothing
    assert [t["status"] for t in delivered] == ["sent", "sent"]
    for call in hooks.calls[-2:]:
        assert json.loads(call["body"])["corrections"] == [
            {
                "kind": "email",
                "platform": None,
                "old": "anna@example.com",
                "new": "anna.k@example.org",
            }
        ]
    # Every task delivered: nothing can be sent any more, so the corrections are gone.
    assert conn.execute("SELECT * FROM dsr_sealed_corrections").fetchall() == []
    again = officer.post(f"/v1/requests/{filed['id']}/tasks/{ads['id']}/send")
    assert again.status_code == 409


def test_corrections_are_forgotten_when_the_tasks_are_resolved(officer_app, archive, hooks, conn):
    officer = officer_app(PRIVACY_DSR_SEND_RETRY_SECONDS="none")
    archive.subject(handles=[("x", "@anna_j")], emails=["anna@example.com"])
    officer.register(name="Helpdesk Ltd", webhook_url=hooks.url)
    filed = officer.file(type="rectification", subject={"emails": ["anna@example.com"]})
    hooks.status = 500
    correction = {"kind": "email", "old": "anna@example.com", "new": "anna.k@example.org"}
    officer.execute(filed["id"], {"corrections": [correction], "reason": "moved"})
    officer.run_jobs()
    [task] = officer.tasks(filed["id"])
    kept = conn.execute("SELECT count(*) AS n FROM dsr_sealed_corrections").fetchone()["n"]

    closed = officer.post(
        f"/v1/requests/{filed['id']}/tasks/{task['id']}/resolve",
        {"resolution": "impossible", "reason": "The processor closed down"},
    )

    assert task["status"] == "send_failed" and kept == 1
    assert closed.status_code == 200, closed.get_json()
    assert conn.execute("SELECT * FROM dsr_sealed_corrections").fetchall() == []
    request = officer.get(f"/v1/requests/{filed['id']}")
    assert request["status"] == "completed"


def test_sealing_binds_the_key_purpose_and_row():
    sealed = seal(SECRET, b"hello", salt=b"s", purpose=b"p", context=b"row-1")

    assert unseal(SECRET, sealed, salt=b"s", purpose=b"p", context=b"row-1") == b"hello"
    for key, purpose, context in (
        (b"another secret", b"p", b"row-1"),
        (SECRET, b"q", b"row-1"),
        (SECRET, b"p", b"row-2"),
    ):
        with pytest.raises(SealError):
            unseal(key, sealed, salt=b"s", purpose=purpose, context=context)
    # The console's TOTP secrets are sealed by the same code, in the same stored form.
    user = uuid4()
    stored = encrypt_secret(SECRET, user, "JBSWY3DPEHPK3PXP")
    assert decrypt_secret(SECRET, user, stored) == "JBSWY3DPEHPK3PXP"
    assert (
        unseal(
            SECRET,
            stored,
            salt=b"privacy-service/console/totp/v1",
            purpose=b"totp",
            context=user.bytes,
        )
        == b"JBSWY3DPEHPK3PXP"
    )
