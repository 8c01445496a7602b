"""Fixtures for data-subject request tests: an officer's key, an archive seeder, audit checks."""

from __future__ import annotations

import itertools
import json
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from uuid import UUID

import psycopg
import pytest
from aiosmtpd.controller import Controller
from psycopg.rows import dict_row

from service.archive.identifiers import (
    clean_display_name,
    normalize_email,
    normalize_handle,
    normalize_phone,
    value_hash,
)
from service.archive.scanning import text_hash
from service.audit.log import verify_log
from service.audit.signer import integrate_now
from service.audit.signing import load_signer_settings
from tests.conftest import TEST_SECRET

SECRET = TEST_SECRET.encode()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After every scenario that ran on an app, sign its audit events and verify the whole log."""
    result = yield
    app = item.funcargs.get("app")
    if app is not None:
        settings = load_signer_settings(item.funcargs["app_config"])
        integrate_now(item.funcargs["db_url"], settings)
        database = app.extensions["privacy"].database
        with database.transaction() as conn:
            recorded = conn.execute("SELECT 1 FROM audit_events LIMIT 1").fetchone()
        if recorded is None:
            # A scenario that recorded nothing (say, refused downloads) has no log to verify.
            return result
        with database.transaction() as conn:
            report = verify_log(conn, [settings.verifier])
        assert report.ok, f"the audit log does not verify after this scenario: {report}"
    return result


@pytest.fixture
def app_config(app_config: dict, request) -> dict:
    """The test app's settings; a test with a local webhook receiver (``hooks``, on
    http://127.0.0.1) allows plain http and private addresses, which are refused by default."""
    if "hooks" in request.fixturenames:
        return {
            **app_config,
            "PRIVACY_WEBHOOK_ALLOW_HTTP": "true",
            "PRIVACY_WEBHOOK_ALLOW_PRIVATE": "true",
        }
    return app_config


@pytest.fixture
def run_jobs(app_config: dict) -> Callable[[], None]:
    """Return a function running an in-process worker (the app's settings) until no job is due."""
    from tests.archive.conftest import run_worker_once

    return lambda: run_worker_once(app_config)


@pytest.fixture
def officer(auth) -> dict:
    """Return the Authorization header of a privacy officer."""
    return auth("privacy_officer")


@pytest.fixture
def file_request(client, officer) -> Callable[..., dict]:
    """Return a function that files a request through the API and returns its body."""

    def _file(**fields) -> dict:
        body = {
            "type": "access",
            "regime": "gdpr",
            "subject": {"handles": [{"platform": "x", "handle": "@anna_j"}]},
            "received_at": datetime.now(UTC).isoformat(),
            **fields,
        }
        response = client.post("/v1/requests", json=body, headers=officer)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return _file


@pytest.fixture
def audit_verified(client, auth, integrate_audit) -> Callable[[], dict]:
    """Return a function signing pending events and asserting the whole log verifies."""

    def _verify() -> dict:
        integrate_audit()
        response = client.get("/v1/audit/verify", headers=auth("auditor"))
        assert response.status_code == 200, response.get_json()
        report = response.get_json()
        assert report["ok"], report
        return report

    return _verify


class Archive:
    """Writes subjects, identifiers, items and findings the way the archive stores them."""

    def __init__(self, db_url: str):
        self.db_url = db_url
        self._ids = itertools.count(1)

    def _connect(self) -> psycopg.Connection:
        return psycopg.connect(self.db_url, row_factory=dict_row, autocommit=True)

    def subject(
        self,
        *,
        handles: Sequence[tuple[str, str]] = (),
        emails: Sequence[str] = (),
        phones: Sequence[str] = (),
        names: Sequence[tuple[str, str]] = (),
    ) -> UUID:
        """Store a subject with identifiers; handles and names are (platform, value)."""
        rows = [("handle", p, normalize_handle(h)) for p, h in handles]
        rows += [("email", None, normalize_email(e)) for e in emails]
        rows += [("phone", None, normalize_phone(p)) for p in phones]
        rows += [("name", p, clean_display_name(n)) for p, n in names]
        with self._connect() as conn:
            subject_id = conn.execute(
                "INSERT INTO subjects DEFAULT VALUES RETURNING id"
            ).fetchone()["id"]
            for kind, platform, value in rows:
                conn.execute(
                    "INSERT INTO subject_identifiers"
                    " (subject_id, kind, platform, value, value_hash) VALUES (%s, %s, %s, %s, %s)",
                    (subject_id, kind, platform, value, value_hash(SECRET, kind, value)),
                )
        return subject_id

    def item(
        self,
        author: UUID,
        text: str,
        *,
        platform: str = "x",
        external_id: str | None = None,
        in_reply_to: UUID | None = None,
        findings: Sequence[tuple[str, str]] = (),
        scanned: bool = True,
    ) -> UUID:
        """Store an item; ``findings`` are (entity type, value) pairs found in the text."""
        external_id = external_id or f"post-{next(self._ids)}"
        spans = []
        for entity_type, value in findings:
            start = text.index(value)
            spans.append((entity_type, start, start + len(value), value))
        public_text = text
        for entity_type, _, _, value in sorted(spans, key=lambda s: -s[1]):
            public_text = public_text.replace(value, f"<{entity_type}>")
        digest = text_hash(text)
        with self._connect() as conn:
            parent_external = None
            if in_reply_to is not None:
                parent_external = conn.execute(
                    "SELECT external_id FROM feedback_items WHERE id = %s", (in_reply_to,)
                ).fetchone()["external_id"]
            item_id = conn.execute(
                "INSERT INTO feedback_items (platform, external_id, kind, visibility, author_id,"
                " in_reply_to_external_id, in_reply_to_id, text, text_hash, created_at,"
                " public_text, finding_count, scanned_text_hash, scanned_at, engine_version)"
                " VALUES (%s, %s, 'comment', 'public', %s, %s, %s, %s, %s, now(), %s, %s, %s,"
                " now(), 'test') RETURNING id",
                (
                    platform,
                    external_id,
                    author,
                    parent_external,
                    in_reply_to,
                    text,
                    digest,
                    public_text if scanned else None,
                    len(spans) if scanned else None,
                    digest if scanned else None,
                ),
            ).fetchone()["id"]
            if scanned:
                for entity_type, start, end, value in spans:
                    conn.execute(
                        "INSERT INTO findings (item_id, entity_type, start_offset, end_offset,"
                        " score, recognizer, value_hash, engine_version, scanned_at)"
                        " VALUES (%s, %s, %s, %s, 0.9, 'test', %s, 'test', now())",
                        (item_id, entity_type, start, end, value_hash(SECRET, entity_type, value)),
                    )
        return item_id


@pytest.fixture
def archive(db_url: str, app) -> Archive:
    """Return a seeder for the test database's feedback archive (the app has migrated it)."""
    return Archive(db_url)


def audit_events(conn: psycopg.Connection, action: str | None = None) -> list[dict]:
    """Return the audit events (of one action), oldest first."""
    if action is None:
        return conn.execute("SELECT * FROM audit_events ORDER BY id").fetchall()
    return conn.execute(
        "SELECT * FROM audit_events WHERE action = %s ORDER BY id", (action,)
    ).fetchall()


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


class Hooks:
    """A real local HTTP server on an ephemeral port recording every POST it receives."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.status = 200
        hooks = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                hooks.calls.append({"path": self.path, "headers": dict(self.headers), "body": body})
                self.send_response(hooks.status)
                self.end_headers()

            def log_message(self, *args):  # keep test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def json(self, index: int = -1) -> dict:
        return json.loads(self.calls[index]["body"])


@pytest.fixture
def hooks() -> Iterator[Hooks]:
    """Run a local webhook receiver; yield it."""
    receiver = Hooks()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
        thread.join(5)
