"""The witness an auditor runs from their own machine: hold checkpoints, check each new one.

It fetches the log's latest checkpoint, verifies its signature under the keys the auditor
trusts, checks a consistency proof from the last checkpoint it holds, and only then appends it
to its state file. A smaller tree is a rollback or truncation; the same size with another root,
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.audit import merkle
from service.audit.note import Checkpoint, NoteError, Signer, Verifier, cosign, open_checkpoint

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
    status, body = fetch("/v1/audit/checkpoint")
    if status != 200:
        raise WitnessAlarm("unavailable", f"the log served no checkpoint (HTTP {status})")
    try:
        checkpoint, note, _ = open_checkpoint(body, verifiers, state.get("origin"))
    except NoteError as exc:
        raise WitnessAlarm("bad signature", str(exc)) from exc
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
        state["checkpoints"].append(
            {
                "size": checkpoint.size,
                "root": base64.b64encode(checkpoint.root).decode(),
                "note": body if body.endswith("\n") else body + "\n",
                "witnessed_at": int(now()),
            }
        )
        _write_state(state_path, state)
    result = WitnessResult(checkpoint, previous)
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


def _cosigner_key(cosigner: Signer) -> str:
    from service.audit.note import COSIGNATURE_V1

    return Verifier(cosigner.name, cosigner.private_key.public_key(), COSIGNATURE_V1).verifier_key


def _check_consistency(fetch: Fetch, previous: int, checkpoint: Checkpoint, old_root: bytes):
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
