"""The audit API: events with leaves, checkpoints as signed notes, public key, proofs, verify."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, timedelta

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from psycopg.rows import dict_row

from service.audit import Actor, record_event
from tests.audit import rfc9162
from tests.audit.helpers import fill

SUBJECT = "subj_" + "a" * 32


def _get(client, headers, path: str) -> dict:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _events(client, headers, query: str = "") -> dict:
    return _get(client, headers, f"/v1/audit/events?{query}")


def test_an_action_only_inserts_its_event_and_the_signer_positions_it(
    client, auditor, conn, integrate_audit
):
    # The auditor's key creation wrote an event: no tree position, no checkpoint yet.
    assert conn.execute("SELECT count(*) AS n FROM audit_events").fetchone()["n"] == 1
    assert _events(client, auditor)["items"] == []
    assert client.get("/v1/audit/checkpoint", headers=auditor).status_code == 404
    assert integrate_audit() == 1
    [event] = _events(client, auditor)["items"]
    assert (event["seq"], event["action"]) == (1, "key.created")


def test_pages_follow_the_cursor_in_seq_order(client, auditor, db_url, integrate_audit):
    fill(db_url, 6)
    integrate_audit()
    first = _events(client, auditor, "limit=3")
    assert [e["seq"] for e in first["items"]] == [1, 2, 3]
    second = _events(client, auditor, f"limit=3&cursor={first['next_cursor']}")
    assert [e["seq"] for e in second["items"]] == [4, 5, 6]
    last = _events(client, auditor, f"limit=3&cursor={second['next_cursor']}")
    assert [e["seq"] for e in last["items"]] == [7]
    assert last["next_cursor"] is None


def test_an_event_carries_its_leaf_next_to_the_parsed_fields(client, auditor, integrate_audit):
    integrate_audit()
    event = _get(client, auditor, "/v1/audit/events/1")
    leaf = base64.b64decode(event["leaf"])
    fields = json.loads(leaf)
    assert fields == {name: event[name] for name in fields}
    assert set(fields) >= {"occurred_at", "action", "details", "actor_role"}
    assert "seq" not in fields and "id" not in fields and event["id"] >= 1
    assert event["occurred_at"].endswith("Z") and len(event["occurred_at"]) == 27
    # Canonical JSON: sorted keys, no spaces; the leaf hash is RFC 9162's.
    assert leaf == json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    assert base64.b64decode(event["leaf_hash"]) == hashlib.sha256(b"\x00" + leaf).digest()
    missing = client.get("/v1/audit/events/99", headers=auditor)
    assert missing.status_code == 404
    assert missing.mimetype == "application/problem+json"


def test_filters_by_action_actor_subject_and_request(
    client, auditor, db_url, conn, integrate_audit
):
    key_id = conn.execute("SELECT id FROM api_keys").fetchone()["id"]
    actor = Actor(key_id=key_id, role="auditor", request_id="req-42")
    with psycopg.connect(db_url, row_factory=dict_row) as own:
        record_event(own, actor, "test.subject", subject_ref=SUBJECT)
        record_event(own, Actor(None, "system"), "test.other")
    integrate_audit()
    assert [e["action"] for e in _events(client, auditor, "action=test.other")["items"]] == [
        "test.other"
    ]
    by_actor = _events(client, auditor, f"actor={key_id}")["items"]
    assert {e["action"] for e in by_actor} == {"test.subject"}
    assert [e["seq"] for e in _events(client, auditor, f"subject_ref={SUBJECT}")["items"]] == [2]
    assert [e["seq"] for e in _events(client, auditor, "request_id=req-42")["items"]] == [2]


def test_filters_by_time_range(client, auditor, db_url, conn, integrate_audit):
    fill(db_url, 3)
    integrate_audit()
    times = [
        r["occurred_at"] for r in conn.execute("SELECT occurred_at FROM audit_events ORDER BY id")
    ]
    since, until = times[1].isoformat(), times[2].isoformat()
    items = _events(client, auditor, f"since={since}&until={until}".replace("+", "%2B"))["items"]
    assert [e["seq"] for e in items] == [2, 3]
    later = (times[-1] + timedelta(hours=1)).astimezone(UTC).replace(tzinfo=None).isoformat()
    assert _events(client, auditor, f"since={later}")["items"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=1001", "limit"),
        ("cursor=abc", "cursor"),
        ("action=DROP TABLE", "action"),
        ("actor=not-a-uuid", "actor"),
        ("subject_ref=jane@example.com", "subject_ref"),
        ("since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z", "until"),
    ],
)
def test_bad_filters_are_422_with_the_field_named(client, auditor, query, field):
    response = client.get(f"/v1/audit/events?{query}", headers=auditor)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_checkpoint_is_a_signed_tlog_checkpoint_note(
    client, auditor, db_url, integrate_audit, verifier_key
):
    fill(db_url, 4)
    integrate_audit()
    response = client.get("/v1/audit/checkpoint", headers=auditor)
    assert response.status_code == 200 and response.mimetype == "text/plain"
    note = response.get_data(as_text=True)
    text, signatures = note.split("\n\n")
    origin, size, root = text.split("\n")
    assert (origin, size) == ("privacy-service.local/audit", "5")
    assert base64.b64decode(root) == _root(client, auditor, 5)

    key = _get(client, auditor, "/v1/audit/public-key")
    assert key["verifier_key"] == verifier_key
    assert key["fingerprint"] == hashlib.sha256(verifier_key.encode()).hexdigest()
    assert [k["verifier_key"] for k in key["keyring"]] == [verifier_key]
    name, key_id, material = verifier_key.split("+", 2)
    raw = base64.b64decode(material)
    assert raw[0] == 1 and key["public_key"] == base64.b64encode(raw[1:]).decode()
    # Independent check: the raw Ed25519 primitive over the exact note text.
    line = signatures.strip().split(" ")
    assert line[0] == "\u2014" and line[1] == name
    signature = base64.b64decode(line[2])
    assert signature[:4].hex() == key_id == key["key_id"]
    Ed25519PublicKey.from_public_bytes(raw[1:]).verify(signature[4:], (text + "\n").encode())

    listed = _get(client, auditor, "/v1/audit/checkpoints")["items"]
    assert [(c["tree_size"], c["note"]) for c in listed] == [(5, note)]
    assert listed[0]["key_id"] == key_id


def _root(client, auditor, size: int) -> bytes:
    leaves = [
        base64.b64decode(_get(client, auditor, f"/v1/audit/events/{seq}")["leaf"])
        for seq in range(1, size + 1)
    ]
    return rfc9162.mth(leaves)


def test_checkpoints_page_by_cursor(client, auditor, db_url, integrate_audit):
    for _ in range(3):
        fill(db_url, 2)
        integrate_audit()
    first = _get(client, auditor, "/v1/audit/checkpoints?limit=2")
    assert [c["tree_size"] for c in first["items"]] == [3, 5]
    rest = _get(client, auditor, f"/v1/audit/checkpoints?cursor={first['next_cursor']}")
    assert [c["tree_size"] for c in rest["items"]] == [7]


def test_proofs_verify_with_an_independent_rfc9162_verifier(
    client, auditor, db_url, integrate_audit
):
    fill(db_url, 12)
    integrate_audit()
    leaves = [
        base64.b64decode(_get(client, auditor, f"/v1/audit/events/{seq}")["leaf"])
        for seq in range(1, 14)
    ]
    for size in (1, 6, 13):
        root = rfc9162.mth(leaves[:size])
        for seq in range(1, size + 1):
            proof = _get(client, auditor, f"/v1/audit/proof/inclusion?seq={seq}&tree_size={size}")
            assert (proof["leaf_index"], proof["tree_size"]) == (seq - 1, size)
            hashes = [base64.b64decode(h) for h in proof["hashes"]]
            leaf = hashlib.sha256(b"\x00" + leaves[seq - 1]).digest()
            assert rfc9162.verify_inclusion(leaf, seq - 1, size, hashes, root)
    for first in range(1, 13):
        body = _get(client, auditor, f"/v1/audit/proof/consistency?first={first}&second=13")
        assert (body["first"], body["second"]) == (first, 13)
        hashes = [base64.b64decode(h) for h in body["hashes"]]
        assert rfc9162.verify_consistency(
            first, 13, hashes, rfc9162.mth(leaves[:first]), rfc9162.mth(leaves)
        )


@pytest.mark.parametrize(
    "path",
    [
        "/v1/audit/proof/inclusion?seq=3&tree_size=2",
        "/v1/audit/proof/inclusion?seq=1&tree_size=99",
        "/v1/audit/proof/consistency?first=1&second=99",
        "/v1/audit/proof/consistency?first=3&second=2",
        "/v1/audit/proof/inclusion?seq=0&tree_size=2",
    ],
)
def test_impossible_proofs_are_422_problems(client, auditor, db_url, integrate_audit, path):
    fill(db_url, 2)
    integrate_audit()
    response = client.get(path, headers=auditor)
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"


def test_verify_is_incremental_from_a_held_checkpoint(client, auditor, db_url, integrate_audit):
    fill(db_url, 4)
    integrate_audit()  # checkpoint of 5
    fill(db_url, 3)
    integrate_audit()  # checkpoint of 8
    whole = _get(client, auditor, "/v1/audit/verify")
    assert (whole["ok"], whole["checked"], whole["tree_size"]) == (True, 8, 8)
    assert whole["checkpoints_checked"] == 2
    since = _get(client, auditor, "/v1/audit/verify?from_size=5")
    assert (since["ok"], since["checked"], since["from_size"]) == (True, 3, 5)
    unsigned = client.get("/v1/audit/verify?from_size=6", headers=auditor).get_json()
    assert not unsigned["ok"] and "no checkpoint of exactly 6" in unsigned["reason"]
