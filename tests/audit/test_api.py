"""The audit API: event pages and filters, checkpoints, public key, exports, verification."""

from __future__ import annotations

import base64
import csv
import io
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from psycopg.rows import dict_row

from service.audit import Actor, record_event
from service.audit.export import CSV_COLUMNS, EVENT_FIELDS
from service.audit.signing import checkpoint_message
from tests.audit.conftest import CHECKPOINT_EVERY
from tests.audit.helpers import fill, parse_jsonl

SUBJECT = "subj_" + "a" * 32


def _events(client, headers, query: str = "") -> dict:
    response = client.get(f"/v1/audit/events?{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_pages_follow_the_cursor_in_seq_order(client, auditor, db_url, runtime):
    fill(runtime, 6)  # seq 1 is the auditor's key
    first = _events(client, auditor, "limit=3")
    assert [e["seq"] for e in first["items"]] == [1, 2, 3]
    second = _events(client, auditor, f"limit=3&cursor={first['next_cursor']}")
    assert [e["seq"] for e in second["items"]] == [4, 5, 6]
    last = _events(client, auditor, f"limit=3&cursor={second['next_cursor']}")
    assert [e["seq"] for e in last["items"]] == [7]
    assert last["next_cursor"] is None


def test_an_event_shows_every_hashed_field(client, auditor):
    event = _events(client, auditor)["items"][0]
    assert set(event) == set(EVENT_FIELDS)
    assert event["action"] == "key.created"
    assert event["occurred_at"].endswith("Z") and len(event["occurred_at"]) == 27
    assert event["prev_hash"] == "0" * 64


def test_filters_by_action_actor_subject_and_request(client, auditor, db_url, conn):
    key_id = conn.execute("SELECT id FROM api_keys").fetchone()["id"]
    actor = Actor(key_id=key_id, role="auditor", request_id="req-42")
    with psycopg.connect(db_url, row_factory=dict_row) as own:
        record_event(own, actor, "test.subject", subject_ref=SUBJECT)
        record_event(own, Actor(None, "system"), "test.other")
    assert [e["action"] for e in _events(client, auditor, "action=test.other")["items"]] == [
        "test.other"
    ]
    by_actor = _events(client, auditor, f"actor={key_id}")["items"]
    assert {e["action"] for e in by_actor} == {"test.subject"}
    assert [e["seq"] for e in _events(client, auditor, f"subject_ref={SUBJECT}")["items"]] == [2]
    assert [e["seq"] for e in _events(client, auditor, "request_id=req-42")["items"]] == [2]


def test_filters_by_time_range(client, auditor, db_url, conn, runtime):
    fill(runtime, 3)
    times = [
        r["occurred_at"] for r in conn.execute("SELECT occurred_at FROM audit_events ORDER BY seq")
    ]
    since = times[1].isoformat()
    until = times[2].isoformat()
    items = _events(client, auditor, f"since={since}&until={until}".replace("+", "%2B"))["items"]
    assert [e["seq"] for e in items] == [2, 3]
    later = (times[-1] + timedelta(hours=1)).astimezone(UTC).replace(tzinfo=None).isoformat()
    assert _events(client, auditor, f"since={later}")["items"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=1001", "limit"),
        ("limit=0", "limit"),
        ("cursor=abc", "cursor"),
        ("action=DROP TABLE", "action"),
        ("actor=not-a-uuid", "actor"),
        ("subject_ref=jane@example.com", "subject_ref"),
        ("since=yesterday", "since"),
        ("since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z", "until"),
    ],
)
def test_bad_filters_are_422_with_the_field_named(client, auditor, query, field):
    response = client.get(f"/v1/audit/events?{query}", headers=auditor)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_a_checkpoint_on_demand_is_signed_and_audited(client, auditor, public_key, conn):
    response = client.post("/v1/audit/checkpoints", headers=auditor)
    assert response.status_code == 201
    checkpoint = response.get_json()
    event = conn.execute("SELECT * FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone()
    assert event["action"] == "audit.checkpointed"
    assert (checkpoint["seq"], checkpoint["hash"]) == (event["seq"], event["hash"])
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key))
    message = checkpoint_message(checkpoint["seq"], checkpoint["hash"], checkpoint["signed_at"])
    key.verify(base64.b64decode(checkpoint["signature"]), message)  # raises if invalid

    listed = client.get("/v1/audit/checkpoints", headers=auditor).get_json()
    assert listed["items"][-1] == checkpoint


def test_checkpoints_page_by_cursor(client, auditor, db_url, runtime):
    fill(runtime, 3 * CHECKPOINT_EVERY)
    first = client.get("/v1/audit/checkpoints?limit=2", headers=auditor).get_json()
    assert [c["seq"] for c in first["items"]] == [5, 10]
    rest = client.get(f"/v1/audit/checkpoints?cursor={first['next_cursor']}", headers=auditor)
    assert [c["seq"] for c in rest.get_json()["items"]] == [15]


def test_public_key_is_the_raw_ed25519_key(client, auditor, app):
    body = client.get("/v1/audit/public-key", headers=auditor).get_json()
    assert body["algorithm"] == "Ed25519"
    assert len(base64.b64decode(body["public_key"])) == 32
    assert body["public_key"] == app.extensions["privacy"].audit.public_key


def test_verify_reports_a_sound_log(client, auditor, db_url, verify_api, runtime):
    fill(runtime, 12)
    report = verify_api()
    assert report == {
        "ok": True,
        "checked": 13,
        "checkpoints_checked": 2,
        "first_bad_seq": None,
        "reason": None,
        "last_checkpoint": report["last_checkpoint"],
        "unsigned": 3,
    }
    assert report["last_checkpoint"]["seq"] == 10


def test_verify_on_an_empty_log(app, client, conn):
    # A key created outside the audit (as if before it existed) leaves the log empty.
    conn.execute(
        "INSERT INTO api_keys (name, role, key_hash) VALUES ('x', 'auditor', sha256('k'::bytea))"
    )
    report = client.get("/v1/audit/verify", headers={"Authorization": "Bearer k"}).get_json()
    assert report["ok"] and report["checked"] == 0 and report["last_checkpoint"] is None


def test_export_jsonl_carries_header_events_checkpoints_and_end(
    client, auditor, db_url, conn, runtime
):
    fill(runtime, 6)
    response = client.get("/v1/audit/export", headers=auditor)
    assert response.status_code == 200
    assert response.mimetype == "application/x-ndjson"
    assert "attachment" in response.headers["Content-Disposition"]
    records = parse_jsonl(response.get_data(as_text=True))
    header, end = records[0], records[-1]
    assert header["type"] == "header" and header["algorithm"] == "Ed25519"
    assert header["through_seq"] == 8 and header["contiguous"] is True
    assert [(r["type"], r["seq"]) for r in records[1:-1]] == [
        *[("event", n) for n in range(1, 6)],
        ("checkpoint", 5),
        ("event", 6),
        ("event", 7),
        ("event", 8),
        ("checkpoint", 8),
    ]
    assert end == {"type": "end", "events": 8, "bridge": 0, "checkpoints": 2}
    stored = conn.execute("SELECT * FROM audit_events WHERE seq = 8").fetchone()
    assert stored["action"] == "audit.exported"
    assert stored["details"] == {"format": "jsonl", "filter": {}}
    assert records[-3]["hash"] == stored["hash"]


def test_export_csv_has_one_row_per_record(client, auditor, db_url, runtime):
    fill(runtime, 2)
    response = client.get("/v1/audit/export?format=csv", headers=auditor)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [row[0] for row in rows[1:]] == ["header", "event", "event", "event", "event"] + [
        "checkpoint",
        "end",
    ]
    event = dict(zip(CSV_COLUMNS, rows[2], strict=True))
    assert event["seq"] == "1" and event["subject_ref"] == "\\N"
    assert event["signature"] == "\\N"


def test_export_is_recorded_before_the_first_byte(client, auditor, conn):
    response = client.get(
        "/v1/audit/export?format=csv&action=key.created", headers=auditor, buffered=False
    )
    # The response has not been read yet: the event is already committed.
    event = conn.execute("SELECT * FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone()
    assert event["action"] == "audit.exported"
    assert event["details"] == {"format": "csv", "filter": {"action": "key.created"}}
    assert event["actor_role"] == "auditor"
    response.close()


def test_export_rejects_an_unknown_format(client, auditor):
    response = client.get("/v1/audit/export?format=xml", headers=auditor)
    assert response.status_code == 422 and "format" in response.get_json()["errors"]


def test_export_with_since_in_the_future_is_empty_but_well_formed(client, auditor):
    future = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    records = parse_jsonl(
        client.get(f"/v1/audit/export?since={future}", headers=auditor).get_data(as_text=True)
    )
    assert [r["type"] for r in records] == ["header", "end"]
    assert records[-1] == {"type": "end", "events": 0, "bridge": 0, "checkpoints": 0}
