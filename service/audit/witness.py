"""The witness an auditor runs from their own machine: hold checkpoints, check each new one.

It fetches the log's latest checkpoint, verifies its signature under the keys the auditor
trusts, checks a consistency proof from the last checkpoint it holds, and only then appends it
to its state file. A checkpoint signed by a key it does not trust yet is accepted only after a
key rotation it can prove: an `audit.key_rotated` event naming that key and signed by a key it
trusts, included in a checkpoint that key signed and that extends what it holds; the key learned is
kept in the state file. A smaller tree is a rollback or truncation; the same size with another root,
or a proof that fails, is a fork. Optionally it cosigns (C2SP tlog-cosignature/v1) and posts the
cosignature back, so exports carry it. Network access is passed in, so the logic is pure.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from service.audit import merkle
from service.audit.note import (
    Checkpoint,
    NoteError,
    Signer,
    Verifier,
    check_rotation,
    cosign,
    open_checkpoint,
    parse_verifier_key,
)

# (path) -> (status, body text); (path, JSON body) -> (status, body text)
Fetch = Callable[[str], tuple[int, str]]
Post = Callable[[str, dict[str, Any]], tuple[int, str]]


class WitnessAlarm(Exception):
    """The log is not consistent with what the witness holds; `problem` names how."""

    def __init__(self, problem: str, detail: str):
        super().__init__(f"{problem}: {detail}")
        self.problem = problem


@dataclass
class WitnessResult:
    """What one run saw: the new checkpoint, the size held before, and a posted cosignature."""

    checkpoint: Checkpoint
    previous_size: int | None
    cosigned: bool = False
    # Key ids learned from rotations on this run.
    learned: list[str] = field(default_factory=list)


def read_witness_state(path: Path) -> dict[str, Any]:
    """Return the witness state: {"origin", "checkpoints": [{"size", "root", "note", ...}]}."""
    try:
        state = json.loads(path.read_text())
    except FileNotFoundError:
        return {"origin": None, "checkpoints": []}
    if not isinstance(state, dict) or not isinstance(state.get("checkpoints"), list):
        raise ValueError(f"{path} is not a witness state file")
    return state


def _write_state(path: Path, state: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(state, indent=1))
    os.replace(tmp, path)


def witness_once(
    fetch: Fetch,
    state_path: Path,
    verifiers: list[Verifier],
    *,
    post: Post | None = None,
    cosigner: Signer | None = None,
    now: Callable[[], float] = time.time,
) -> WitnessResult:
    """Fetch, verify and record the latest checkpoint; raise WitnessAlarm on any inconsistency."""
    state = read_witness_state(state_path)
    trusted = [*verifiers, *(parse_verifier_key(k["verifier_key"]) for k in state.get("keys", []))]
    status, body = fetch("/v1/audit/checkpoint")
    if status != 200:
        raise WitnessAlarm("unavailable", f"the log served no checkpoint (HTTP {status})")
    learned: list[str] = []
    try:
        checkpoint, note, _ = open_checkpoint(body, trusted, state.get("origin"))
    except NoteError as exc:
        learned = _learn_rotations(fetch, state, trusted, now)
        try:
            checkpoint, note, _ = open_checkpoint(body, trusted, state.get("origin"))
        except NoteError:
            raise WitnessAlarm("bad signature", str(exc)) from exc
        _write_state(state_path, state)
    held = state["checkpoints"][-1] if state["checkpoints"] else None
    previous = None
    if held is not None:
        previous = int(held["size"])
        old_root = base64.b64decode(held["root"])
        if checkpoint.size < previous:
            raise WitnessAlarm(
                "rollback",
                f"the log now shows a tree of {checkpoint.size} events, smaller than the "
                f"{previous} already witnessed: it was truncated or restored from an older copy",
            )
        if checkpoint.size == previous and checkpoint.root != old_root:
            raise WitnessAlarm(
                "fork", f"the tree of {previous} events now has another root than witnessed"
            )
        if checkpoint.size > previous:
            _check_consistency(fetch, previous, checkpoint, old_root)
    if held is None or checkpoint.size > previous:
        state["origin"] = checkpoint.origin
        state["checkpoints"].append(_held_entry(checkpoint, body, now))
        _write_state(state_path, state)
    result = WitnessResult(checkpoint, previous, learned=learned)
    if cosigner is not None and post is not None:
        line = cosign(note, cosigner, int(now()))
        status, text = post(
            "/v1/audit/cosignatures",
            {
                "tree_size": checkpoint.size,
                "verifier_key": _cosigner_key(cosigner),
                "signature_line": line.line(),
            },
        )
        if status >= 300:
            raise WitnessAlarm("cosignature refused", f"HTTP {status}: {text[:200]}")
        result.cosigned = True
    return result


def _learn_rotations(
    fetch: Fetch, state: dict[str, Any], trusted: list[Verifier], now: Callable[[], float]
) -> list[str]:
    """Trust the new keys of rotations the log proves; extend `trusted` and `state`.

    A rotation counts only when its event, read from its leaf bytes, is from a trusted key
    id and carries that key's signature of the hand-over (a database writer can insert an
    event, not sign one), is included in a checkpoint a trusted key signed, and that
    checkpoint is consistent with the last one held (which it then becomes). Returns the key
    ids learned, in order.
    """
    status, body = fetch("/v1/audit/events?action=audit.key_rotated&limit=1000")
    if status != 200:
        return []
    learned = []
    for item in sorted(_json(body).get("items", []), key=lambda event: event.get("seq", 0)):
        try:
            seq = int(item["seq"])
            status, body = fetch(f"/v1/audit/events/{seq}")
            leaf = base64.b64decode(_json(body)["leaf"], validate=True)
            event = json.loads(leaf)
            details = event["details"]
            new_key = parse_verifier_key(details["to_verifier_key"])
        except (KeyError, TypeError, ValueError, binascii.Error, NoteError):
            continue
        known = {verifier.key_id.hex(): verifier for verifier in trusted}
        old_key = known.get(str(details.get("from_key_id")))
        if (
            event.get("action") != "audit.key_rotated"
            or new_key.key_id.hex() in known
            or old_key is None
        ):
            continue
        signed = _first_trusted_checkpoint(fetch, seq, trusted, state.get("origin"))
        if (
            signed is None
            or not check_rotation(
                old_key, signed[0].origin, new_key.verifier_key, str(details.get("endorsement"))
            )
            or not _included(fetch, seq, leaf, signed)
        ):
            continue
        _extend_held(fetch, state, signed, now)
        trusted.append(new_key)
        state.setdefault("keys", []).append(
            {"verifier_key": new_key.verifier_key, "rotation_seq": seq, "tree_size": signed[0].size}
        )
        learned.append(new_key.key_id.hex())
    return learned


def _json(body: str) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _first_trusted_checkpoint(
    fetch: Fetch, seq: int, trusted: list[Verifier], origin: str | None
) -> tuple[Checkpoint, str] | None:
    """Return the first listed checkpoint holding seq that a trusted key signed, and its note."""
    status, body = fetch(f"/v1/audit/checkpoints?cursor={seq - 1}&limit=100")
    if status != 200:
        return None
    for item in _json(body).get("items", []):
        note = str(item.get("note") or "")
        try:
            checkpoint, _, _ = open_checkpoint(note, trusted, origin)
        except NoteError:
            continue
        if checkpoint.size >= seq:
            return checkpoint, note
    return None


def _included(fetch: Fetch, seq: int, leaf: bytes, signed: tuple[Checkpoint, str]) -> bool:
    checkpoint, _ = signed
    status, body = fetch(f"/v1/audit/proof/inclusion?seq={seq}&tree_size={checkpoint.size}")
    if status != 200:
        return False
    try:
        hashes = [base64.b64decode(h, validate=True) for h in _json(body)["hashes"]]
    except (KeyError, TypeError, ValueError, binascii.Error):
        return False
    return merkle.verify_inclusion(
        merkle.leaf_hash(leaf), seq - 1, checkpoint.size, hashes, checkpoint.root
    )


def _extend_held(
    fetch: Fetch, state: dict[str, Any], signed: tuple[Checkpoint, str], now: Callable[[], float]
) -> None:
    """Check a rotation's checkpoint against the last one held; hold it if it is newer."""
    checkpoint, note = signed
    held = state["checkpoints"][-1] if state["checkpoints"] else None
    if held is not None:
        size, root = int(held["size"]), base64.b64decode(held["root"])
        if checkpoint.size < size:
            # The rotation is older than what is held: the held tree must extend it.
            _check_consistency(fetch, checkpoint.size, _Held(size, root), checkpoint.root)
            return
        if checkpoint.size == size:
            if checkpoint.root != root:
                raise WitnessAlarm("fork", f"the tree of {size} events now has another root")
            return
        _check_consistency(fetch, size, checkpoint, root)
    state["origin"] = checkpoint.origin
    state["checkpoints"].append(_held_entry(checkpoint, note, now))


@dataclass(frozen=True)
class _Held:
    """The size and root of a held checkpoint, as a consistency check's second tree."""

    size: int
    root: bytes


def _held_entry(checkpoint: Checkpoint, note: str, now: Callable[[], float]) -> dict[str, Any]:
    return {
        "size": checkpoint.size,
        "root": base64.b64encode(checkpoint.root).decode(),
        "note": note if note.endswith("\n") else note + "\n",
        "witnessed_at": int(now()),
    }


def _cosigner_key(cosigner: Signer) -> str:
    from service.audit.note import COSIGNATURE_V1

    return Verifier(cosigner.name, cosigner.private_key.public_key(), COSIGNATURE_V1).verifier_key


def _check_consistency(
    fetch: Fetch, previous: int, checkpoint: Checkpoint | _Held, old_root: bytes
) -> None:
    status, body = fetch(f"/v1/audit/proof/consistency?first={previous}&second={checkpoint.size}")
    if status != 200:
        raise WitnessAlarm(
            "fork",
            f"the log gives no consistency proof from the {previous} events witnessed "
            f"(HTTP {status})",
        )
    try:
        hashes = [base64.b64decode(item, validate=True) for item in json.loads(body)["hashes"]]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise WitnessAlarm("fork", "the consistency proof cannot be read") from exc
    if not merkle.verify_consistency(previous, checkpoint.size, hashes, old_root, checkpoint.root):
        raise WitnessAlarm(
            "fork",
            f"the tree of {checkpoint.size} events does not extend the tree of {previous} "
            "witnessed: history was rewritten",
        )
