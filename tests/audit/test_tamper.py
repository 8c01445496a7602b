"""Tampering as a database superuser with triggers off: caught by the API and offline, at its seq.

The log before tampering: seq 1 (the auditor's key) and 2..12 filled, checkpoints at 5 and 10.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from psycopg.rows import dict_row

from service import create_app
from service.audit.events import row_hash
from service.audit.signing import encode_public_key
from tests.audit.helpers import fill, parse_jsonl, verify_offline


def _replica(conn: psycopg.Connection) -> None:
    """Turn off every trigger for this session (what a superuser can do)."""
    conn.execute("SET session_replication_role = replica")


def _events(conn: psycopg.Connection) -> list[dict]:
    return conn.execute("SELECT * FROM audit_events ORDER BY seq").fetchall()


def _rechain_from(conn: psycopg.Connection, seq: int) -> None:
    """Recompute hashes from `seq` on and move the head, as an attacker without the key would."""
    rows = _events(conn)
    previous = rows[seq - 2]["hash"]
    for row in rows[seq - 1 :]:
        row["prev_hash"] = previous
        row["hash"] = previous = row_hash(row)
        conn.execute(
            "UPDATE audit_events SET prev_hash = %s, hash = %s WHERE seq = %s",
            [row["prev_hash"], row["hash"], row["seq"]],
        )
    conn.execute("UPDATE audit_head SET seq = %s, hash = %s", [rows[-1]["seq"], previous])


def change_one_field(conn):
    _replica(conn)
    conn.execute("UPDATE audit_events SET outcome = 'failure' WHERE seq = 7")


def change_and_rechain(conn):
    _replica(conn)
    conn.execute("UPDATE audit_events SET details = '{\"n\": 99}' WHERE seq = 7")
    _rechain_from(conn, 7)


def delete_one(conn):
    conn.execute("ALTER TABLE audit_events DISABLE TRIGGER ALL")
    conn.execute("DELETE FROM audit_events WHERE seq = 7")
    conn.execute("ALTER TABLE audit_events ENABLE TRIGGER ALL")


def swap_two(conn):
    _replica(conn)
    conn.execute("UPDATE audit_events SET seq = 1000 WHERE seq = 6")
    conn.execute("UPDATE audit_events SET seq = 6 WHERE seq = 7")
    conn.execute("UPDATE audit_events SET seq = 7 WHERE seq = 1000")


def insert_one(conn):
    """Shift 7.. up, slip a well-formed event in at 7 (chained to 6), move the head."""
    _replica(conn)
    conn.execute("UPDATE audit_events SET seq = seq + 1000 WHERE seq >= 7")
    conn.execute("UPDATE audit_events SET seq = seq - 999 WHERE seq > 1000")
    forged = dict(conn.execute("SELECT * FROM audit_events WHERE seq = 6").fetchone())
    forged.update(seq=7, action="key.revoked", prev_hash=forged["hash"])
    forged["hash"] = row_hash(forged)
    conn.execute(
        "INSERT INTO audit_events SELECT (jsonb_populate_record(null::audit_events, %s)).*",
        [psycopg.types.json.Jsonb({**forged, "occurred_at": forged["occurred_at"].isoformat()})],
    )
    last = conn.execute("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone()
    conn.execute("UPDATE audit_head SET seq = %s, hash = %s", [last["seq"], last["hash"]])


def truncate_tail_after_checkpoint(conn):
    _replica(conn)
    conn.execute("DELETE FROM audit_events WHERE seq > 10")


def forge_checkpoint_signature(conn):
    forged = Ed25519PrivateKey.generate().sign(b"anything")
    _replica(conn)
    conn.execute(
        "UPDATE audit_checkpoints SET signature = %s WHERE seq = 10",
        [base64.b64encode(forged).decode()],
    )


VECTORS: list[tuple[Callable, int, str]] = [
    (change_one_field, 7, "does not match its fields"),
    (change_and_rechain, 10, "signed a different hash"),
    (delete_one, 7, "event 7 is missing"),
    (swap_two, 6, "chain is broken"),
    (insert_one, 8, "chain is broken"),
    (truncate_tail_after_checkpoint, 11, "missing"),
    (forge_checkpoint_signature, 10, "signature of checkpoint 10"),
]


@pytest.fixture
def filled(app, auditor, db_url, runtime):
    """Return the log described in the module docstring."""
    fill(runtime, 11)


@pytest.fixture
def superuser(db_url, filled):
    """Return a separate superuser connection that commits each statement."""
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as conn:
        yield conn


@pytest.mark.parametrize(
    ("tamper", "bad_seq", "reason"), VECTORS, ids=[v[0].__name__ for v in VECTORS]
)
def test_tampering_is_caught_by_the_api_and_offline(
    tamper, bad_seq, reason, superuser, verify_api, export_to, public_key
):
    assert verify_api()["ok"]
    tamper(superuser)

    report = verify_api()
    assert report["ok"] is False
    assert report["first_bad_seq"] == bad_seq, report
    assert reason in report["reason"]

    for export_format in ("jsonl", "csv"):
        code, output = verify_offline(export_to(export_format=export_format), public_key)
        assert code == 1, output
        assert f"FAILED at seq {bad_seq}:" in output
        assert reason in output


def test_a_sound_log_passes_both(filled, verify_api, export_to, public_key):
    report = verify_api()
    assert report["ok"] and report["checked"] == 12 and report["checkpoints_checked"] == 2
    code, output = verify_offline(export_to(), public_key)
    assert code == 0, output
    assert "13/13 events valid, 3/3 checkpoints valid" in output


def test_the_wrong_public_key_fails_at_the_first_checkpoint(
    filled, app_config, db_url, export_to, auth
):
    other_key = base64.b64encode(Ed25519PrivateKey.generate().private_bytes_raw()).decode()
    other = create_app({**app_config, "PRIVACY_AUDIT_SIGNING_KEY": other_key})
    try:
        response = other.test_client().get("/v1/audit/verify", headers=auth("auditor"))
        report = response.get_json()
    finally:
        other.extensions["privacy"].database.close()
    assert report["ok"] is False and report["first_bad_seq"] == 5
    assert "does not verify under the trusted public key" in report["reason"]

    wrong = encode_public_key(Ed25519PrivateKey.generate().public_key())
    code, output = verify_offline(export_to(), wrong)
    assert code == 1
    assert "FAILED at seq 5: the signature of checkpoint 5 does not verify" in output
    assert "0/3 checkpoints valid" in output


def test_a_truncation_that_also_rewinds_the_head_needs_a_kept_copy(
    filled, superuser, verify_api, export_to, public_key
):
    """The database alone cannot show events cut after a checkpoint when the head is rewound
    too; an export kept from before can: both verify, yet sign different hashes at one seq."""
    kept = export_to()
    _replica(superuser)
    superuser.execute("DELETE FROM audit_events WHERE seq > 10")
    superuser.execute("DELETE FROM audit_checkpoints WHERE seq > 10")
    row = superuser.execute("SELECT hash FROM audit_events WHERE seq = 10").fetchone()
    superuser.execute("UPDATE audit_head SET seq = 10, hash = %s", [row["hash"]])

    assert verify_api()["ok"]  # undetectable from the database alone
    rewritten = export_to()
    for path in (kept, rewritten):
        code, output = verify_offline(path, public_key)
        assert code == 0, output

    def signed_hash_at_11(path):
        records = parse_jsonl(path.read_text())
        return next(r["hash"] for r in records if r["type"] == "event" and r["seq"] == 11)

    assert signed_hash_at_11(kept) != signed_hash_at_11(rewritten)
