"""Tampering with the stored log or with an export file: caught offline and online, at its seq.

The log before tampering: seq 1 (the auditor's key) and 2..10 filled, signed at 10.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from service.audit import merkle
from service.audit.events import leaf_bytes
from service.audit.note import Checkpoint, Signer, sign_note
from tests.audit.helpers import fill, parse_jsonl, rewrite_event, superuser, verify_offline


@pytest.fixture
def signed(auditor, db_url, integrate_audit) -> None:
    fill(db_url, 9)
    integrate_audit()


_superuser = superuser


def _write(path, records: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


def test_an_event_changed_in_the_database_is_named_offline_and_online(
    signed, conn, export_to, verifier_key, client, auditor
):
    _superuser(conn)
    rewrite_event(conn, 7, outcome="failure")
    code, output = verify_offline(export_to(), verifier_key)
    assert code == 1 and output.startswith("FAILED at seq 7: seq 7 was changed after it was signed")
    code, output = verify_offline(export_to("action=test.filled"), verifier_key)
    assert code == 1 and "FAILED at seq 7" in output and "inclusion proof does not verify" in output
    report = client.get("/v1/audit/verify", headers=auditor).get_json()
    assert (report["ok"], report["first_bad_seq"]) == (False, 7)
    assert "changed after it was signed" in report["reason"]


def test_changed_columns_are_named_online_and_never_shown(
    signed, conn, export_to, verifier_key, client, auditor
):
    # The columns only index the leaf: changing them can mislead a filter, never what is shown.
    _superuser(conn)
    conn.execute("UPDATE audit_events SET action = 'test.hidden' WHERE id = 6")
    report = client.get("/v1/audit/verify", headers=auditor).get_json()
    assert (report["ok"], report["first_bad_seq"]) == (False, 6)
    assert "columns of event 6 no longer say what its signed leaf says" in report["reason"]
    event = client.get("/v1/audit/events/6", headers=auditor).get_json()
    assert event["action"] == "test.filled"
    assert verify_offline(export_to(), verifier_key)[0] == 0


def _edit_line(seq: int, change: Callable[[dict], None]):
    def edit(records: list[dict]) -> list[dict]:
        for record in records:
            if record.get("seq") == seq:
                change(record)
        return records

    return edit


def _reencode(record: dict) -> None:
    """Make a line's leaf agree with its edited fields, as a careful forger would."""
    record["leaf"] = base64.b64encode(leaf_bytes(record)).decode()


def _forge_checkpoint(records: list[dict]) -> list[dict]:
    other = Signer("privacy-service.local/audit", Ed25519PrivateKey.generate())
    note = sign_note(Checkpoint(other.name, 10, b"\x00" * 32).text(), other)
    records[0]["checkpoint"] = note.encode()
    return records


EDITS = {
    "a field shown differently from its leaf": (
        _edit_line(4, lambda r: r.update(outcome="failure")),
        "FAILED at seq 4: seq 4 shows other values than its leaf: ['outcome']",
    ),
    "a field and its leaf changed together": (
        _edit_line(4, lambda r: (r.update(outcome="failure"), _reencode(r))),
        "FAILED at seq 4: seq 4 was changed after it was signed",
    ),
    "a deleted event": (
        lambda records: [r for r in records if r.get("seq") != 6],
        "FAILED at seq 6: events 6..6 are missing",
    ),
    "the first events dropped": (
        lambda records: [r for r in records if r.get("seq") not in (1, 2)],
        "FAILED at seq 1: events 1..2 are missing",
    ),
    "the tail cut with the end line fixed": (
        lambda records: [*records[:8], {"type": "end", "events": 7}],
        "FAILED at seq 8: events 8..10 of the signed tree are missing",
    ),
    "a deleted event with the header claiming a filtered export": (
        lambda records: [
            {**records[0], "full": False, "filter": {"action": "test.filled"}},
            *[r for r in records[1:-1] if r["seq"] != 6],
            {"type": "end", "events": 9},
        ],
        "FAILED at seq 6: events 6..6 are missing",
    ),
    "two events swapped": (
        lambda records: [records[0], records[1], records[3], records[2], *records[4:]],
        "FAILED at seq 2: events 2..2 are missing",
    ),
    "a checkpoint signed by another key": (
        _forge_checkpoint,
        "FAILED: the export's checkpoint does not verify: the note is not signed by a trusted key",
    ),
    "a truncated file": (
        lambda records: records[:-1],
        "FAILED at seq 11: the file ends without its end line",
    ),
}


@pytest.mark.parametrize("edit", list(EDITS), ids=list(EDITS))
def test_an_edited_export_file_fails_offline_at_the_right_place(
    signed, export_to, verifier_key, edit
):
    path = export_to()
    change, expected = EDITS[edit]
    _write(path, change(parse_jsonl(path.read_text())))
    code, output = verify_offline(path, verifier_key)
    assert code == 1, output
    assert output.startswith(expected), output


def test_a_proof_moved_to_another_event_fails(signed, export_to, verifier_key):
    path = export_to("action=test.filled")
    records = parse_jsonl(path.read_text())
    records[3]["proof"] = records[4]["proof"]
    _write(path, records)
    code, output = verify_offline(path, verifier_key)
    assert code == 1 and f"FAILED at seq {records[3]['seq']}" in output


def test_an_old_export_against_a_newer_held_checkpoint_is_a_rollback(
    signed, export_to, verifier_key, db_url, integrate_audit, client, auditor, tmp_path
):
    old = export_to()
    fill(db_url, 2)
    integrate_audit()
    held = tmp_path / "held.note"
    held.write_text(client.get("/v1/audit/checkpoint", headers=auditor).get_data(as_text=True))
    code, output = verify_offline(old, verifier_key, "--trusted-checkpoint", str(held))
    assert code == 1 and "older than the" in output and "rolled back" in output


def test_a_signed_fork_is_caught_by_the_checkpoint_an_auditor_holds(
    signed,
    export_to,
    verifier_key,
    client,
    auditor,
    tmp_path,
    db_url,
    integrate_audit,
    signer_settings,
):
    # The auditor holds the checkpoint of 10. Then a fork: event 5 rewritten and the whole tree
    # re-signed with the log's own key (a stolen key, or a signer made to forget). The export
    # verifies on its own; against the held checkpoint it does not.
    held = tmp_path / "held.note"
    held.write_text(client.get("/v1/audit/checkpoint", headers=auditor).get_data(as_text=True))
    fill(db_url, 2)
    integrate_audit()
    path = export_to()
    records = parse_jsonl(path.read_text())
    records[5]["details"] = {"n": 99}
    _reencode(records[5])
    leaves = [base64.b64decode(r["leaf"]) for r in records[1:-1]]
    for record, leaf in zip(records[1:-1], leaves, strict=True):
        record["leaf_hash"] = base64.b64encode(merkle.leaf_hash(leaf)).decode()
    hashes = merkle.MemoryHashes()
    for leaf in leaves:
        hashes.append(merkle.leaf_hash(leaf))
    forged = Checkpoint(signer_settings.audit.origin, len(leaves), hashes.frontier.root())
    records[0]["checkpoint"] = sign_note(forged.text(), signer_settings.signer).encode()
    _write(path, records)
    code, output = verify_offline(path, verifier_key)
    assert code == 0, output
    code, output = verify_offline(path, verifier_key, "--trusted-checkpoint", str(held))
    assert code == 1, output
    assert "the first 10 events differ from the tree you hold: history was rewritten" in output
