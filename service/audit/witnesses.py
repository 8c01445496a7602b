"""What witnesses last saw of the log, checked against the log as it is now.

A witness runs on an auditor's machine (`privacy-service audit witness`) and keeps its state
there; the log learns of it only through the cosignatures it posts back. This module shows, for
each witness that cosigned, the largest tree it cosigned, and for a witness state file an
auditor hands in, the last checkpoint it holds: tree size, root, which log key signed it (its
fingerprint), and whether the latest signed checkpoint is consistent with it, by the same
checks the witness makes on its next run (a smaller tree is a rollback, the same size with
another root or a failed consistency proof a fork, a note no trusted key signed a bad
signature).
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from service.audit import merkle
from service.audit.note import NoteError, Verifier, open_checkpoint, parse_note, parse_verifier_key
from service.audit.store import TreeTooSmall, consistency_proof, latest_checkpoint
from service.db import queries


class WitnessStateError(ValueError):
    """A witness state file that cannot be read."""


def check_witnessed(
    conn: psycopg.Connection,
    verifiers: list[Verifier],
    note: str,
    *,
    size: int | None = None,
    root: bytes | None = None,
    learned: list[Verifier] = (),
) -> dict[str, Any]:
    """Check a checkpoint a witness holds (its note, and the size and root it recorded)
    against the log's latest signed checkpoint; return what it saw and the outcome.

    `learned` are keys the witness learned from rotations: they may have signed what it holds,
    the log's latest checkpoint must verify under the log's own keyring."""
    seen: dict[str, Any] = {
        "tree_size": size,
        "root_hash": base64.b64encode(root).decode() if root is not None else None,
        "log_key_fingerprint": None,
        "log_key_id": None,
        "latest_size": None,
        "consistent": False,
        "problem": None,
        "error": None,
    }

    def alarm(problem: str, error: str) -> dict[str, Any]:
        return {**seen, "problem": problem, "error": error}

    try:
        checkpoint, _, signer = open_checkpoint(note, [*verifiers, *learned], None)
    except NoteError as exc:
        return alarm("bad signature", f"the checkpoint held does not verify: {exc}")
    if size is not None and checkpoint.size != size:
        return alarm("bad state", f"the state records {size} events, its note {checkpoint.size}")
    if root is not None and checkpoint.root != root:
        return alarm("bad state", "the state records another root than its note")
    size, root = checkpoint.size, checkpoint.root
    seen.update(
        tree_size=size,
        root_hash=base64.b64encode(root).decode(),
        log_key_fingerprint=signer.fingerprint,
        log_key_id=signer.key_id.hex(),
    )
    row = latest_checkpoint(conn)
    if row is None:
        return alarm("unavailable", "the log has no signed checkpoint")
    try:
        latest, _, _ = open_checkpoint(row["note"], verifiers, checkpoint.origin)
    except NoteError as exc:
        return alarm("bad signature", f"the log's latest checkpoint does not verify: {exc}")
    seen["latest_size"] = latest.size
    if latest.size < size:
        return alarm(
            "rollback",
            f"the log now shows a tree of {latest.size} events, smaller than the {size} "
            "witnessed: it was truncated or restored from an older copy",
        )
    try:
        proof = consistency_proof(conn, size, latest.size)
    except TreeTooSmall as exc:
        return alarm("fork", f"the log gives no consistency proof: {exc.detail}")
    if not merkle.verify_consistency(size, latest.size, proof, root, latest.root):
        if latest.size == size:
            return alarm("fork", f"the tree of {size} events now has another root than witnessed")
        return alarm(
            "fork",
            f"the tree of {latest.size} events does not extend the tree of {size} witnessed: "
            "history was rewritten",
        )
    return {**seen, "consistent": True}


def cosigning_witnesses(
    conn: psycopg.Connection, verifiers: list[Verifier]
) -> list[dict[str, Any]]:
    """Return, per witness that posted a cosignature, the largest tree it cosigned, checked."""
    rows = conn.cursor(row_factory=dict_row).execute(queries()["list_audit_witnesses"]).fetchall()
    witnesses = []
    for row in rows:
        key_id, timestamp = _cosignature_fields(row["signature_line"])
        witnesses.append(
            {
                "witness": row["witness"],
                "witness_key_id": key_id,
                "cosigned_at": timestamp,
                "received_at": row["received_at"],
                **check_witnessed(
                    conn,
                    verifiers,
                    row["note"],
                    size=row["tree_size"],
                    root=bytes(row["root_hash"]),
                ),
            }
        )
    return witnesses


def _cosignature_fields(line: str) -> tuple[str | None, datetime | None]:
    """Return the key id (hex) and time of a cosignature line, or None where unreadable."""
    try:
        [signature] = parse_note("x\n\n" + line.rstrip("\n") + "\n").signatures
    except (NoteError, ValueError):
        return None, None
    if len(signature.signature) < 8:
        return signature.key_id.hex(), None
    (timestamp,) = struct.unpack(">Q", signature.signature[:8])
    return signature.key_id.hex(), datetime.fromtimestamp(timestamp, UTC)


def check_state_file(
    conn: psycopg.Connection, verifiers: list[Verifier], text: str | bytes
) -> dict[str, Any]:
    """Read a witness state file (`audit witness --state`) and check its last checkpoint."""
    try:
        state = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WitnessStateError("The file is not JSON: is it the witness's state file?") from exc
    held = state.get("checkpoints") if isinstance(state, dict) else None
    if not isinstance(held, list):
        raise WitnessStateError("The file is not a witness state file (no checkpoints).")
    if not held:
        raise WitnessStateError("The witness state file holds no checkpoint yet.")
    last = held[-1]
    try:
        size = int(last["size"])
        root = base64.b64decode(last["root"], validate=True)
        note = str(last["note"])
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise WitnessStateError("The state's last checkpoint has no size, root or note.") from exc
    # Keys the witness learned from rotations it could prove count as it trusts them.
    learned = []
    for key in state.get("keys") or []:
        try:
            learned.append(parse_verifier_key(key["verifier_key"]))
        except (NoteError, KeyError, TypeError):
            continue
    witnessed_at = last.get("witnessed_at")
    return {
        "origin": state.get("origin"),
        "held": len(held),
        "witnessed_at": (
            datetime.fromtimestamp(witnessed_at, UTC) if isinstance(witnessed_at, int) else None
        ),
        **check_witnessed(conn, verifiers, note, size=size, root=root, learned=learned),
    }
