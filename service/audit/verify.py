"""Verify an audit export offline: nothing but the file, the trusted keys and held checkpoints.

No unsigned field is trusted. The header's checkpoint note must verify under a trusted key; a
file whose events carry no proofs is a full export and must hold seq 1 to the checkpoint's size,
whose leaves must hash to its root; a file whose events carry proofs is a filtered export, and
every proof must put its leaf in that root. The fields shown on each line must be exactly those of
its leaf. A checkpoint the auditor already holds must be a prefix of the export's tree.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from service.audit import merkle
from service.audit.events import LEAF_FIELDS, parse_leaf
from service.audit.note import Checkpoint, NoteError, Verifier, open_checkpoint


@dataclass
class ExportReport:
    """What verifying an export found."""

    ok: bool = True
    mode: str | None = None  # "full" or "filtered"
    tree_size: int | None = None
    origin: str | None = None
    events: int = 0
    first_bad_seq: int | None = None
    reason: str | None = None
    notes: list[str] = field(default_factory=list)

    def fail(self, seq: int | None, reason: str) -> ExportReport:
        """Record the first failure and return the report."""
        if self.ok:
            self.ok, self.first_bad_seq, self.reason = False, seq, reason
        return self


def _decode(value: Any) -> bytes:
    if not isinstance(value, str):
        raise ValueError("not base64 text")
    return base64.b64decode(value, validate=True)


def read_trusted(text: str, verifiers: list[Verifier]) -> Checkpoint:
    """Return the latest checkpoint of a held note or of a witness state file, verified."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            held = json.loads(text)["checkpoints"]
            note = held[-1]["note"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise NoteError("the witness state file holds no checkpoint") from exc
    else:
        note = text
    checkpoint, _, _ = open_checkpoint(note, verifiers, None)
    return checkpoint


def load_trusted(path_or_text: str, verifiers: list[Verifier]) -> Checkpoint:
    """Read a trusted checkpoint from a file (a note or witness state) or inline note text."""
    path = Path(path_or_text)
    text = path.read_text() if len(path_or_text) < 4096 and path.is_file() else path_or_text
    return read_trusted(text, verifiers)


def verify_export(
    records: Iterable[Mapping[str, Any]],
    verifiers: list[Verifier],
    trusted: Checkpoint | None = None,
    *,
    require_full: bool = False,
) -> ExportReport:
    """Verify the records of an export file and report the first problem, by seq.

    `require_full`: the file must be a full export (a filtered one proves only that its events
    are in the log, never that no other event exists).
    """
    report = ExportReport()
    iterator = iter(records)
    header = next(iterator, None)
    if header is None or header.get("type") != "header":
        return report.fail(None, "the file does not start with an export header")
    try:
        checkpoint, _, _ = open_checkpoint(str(header.get("checkpoint") or ""), verifiers, None)
    except NoteError as exc:
        return report.fail(None, f"the export's checkpoint does not verify: {exc}")
    report.tree_size, report.origin = checkpoint.size, checkpoint.origin
    if trusted is not None and trusted.origin != checkpoint.origin:
        return report.fail(None, f"the export is of {checkpoint.origin!r}, not {trusted.origin!r}")

    edge = merkle.Frontier()  # the tree of a full export, grown leaf by leaf
    # The leaf hashes the log stored (unsigned): if they, not the events, hash to the signed
    # root, they name the event that was changed.
    stored_edge: merkle.Frontier | None = merkle.Frontier()
    first_changed: int | None = None
    root_at_trusted: bytes | None = None
    last_seq = 0
    end = None
    for record in iterator:
        kind = record.get("type")
        if end is not None:
            return report.fail(last_seq + 1, "lines follow the end line")
        if kind == "end":
            end = record
            continue
        if kind != "event":
            return report.fail(last_seq + 1, f"unknown line type {kind!r}")
        seq = record.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq <= last_seq:
            return report.fail(last_seq + 1, f"an event has no valid seq after {last_seq}: {seq!r}")
        mode = "filtered" if "proof" in record else "full"
        if report.mode is None:
            report.mode = mode
        elif mode != report.mode:
            return report.fail(seq, "some events carry inclusion proofs and others do not")
        if seq > checkpoint.size:
            return report.fail(seq, f"seq {seq} is beyond the signed tree of {checkpoint.size}")
        try:
            leaf = _decode(record.get("leaf"))
            fields = parse_leaf(leaf)
        except (ValueError, binascii.Error) as exc:
            return report.fail(seq, f"the leaf of seq {seq} cannot be read ({exc})")
        shown = {name: record.get(name) for name in LEAF_FIELDS}
        if shown != fields:
            changed = sorted(name for name in LEAF_FIELDS if shown[name] != fields[name])
            return report.fail(seq, f"seq {seq} shows other values than its leaf: {changed}")
        value = merkle.leaf_hash(leaf)
        if mode == "full":
            if seq != last_seq + 1:
                return report.fail(last_seq + 1, f"events {last_seq + 1}..{seq - 1} are missing")
            edge.append(value)
            stored = _stored_leaf_hash(record)
            if stored_edge is not None and stored is not None:
                stored_edge.append(stored)
                if first_changed is None and stored != value:
                    first_changed = seq
            else:
                stored_edge = None
            if trusted is not None and seq == trusted.size:
                root_at_trusted = edge.root()
        else:
            try:
                proof = [_decode(item) for item in record["proof"]]
            except (ValueError, TypeError, binascii.Error) as exc:
                return report.fail(seq, f"the proof of seq {seq} cannot be read ({exc})")
            if not merkle.verify_inclusion(value, seq - 1, checkpoint.size, proof, checkpoint.root):
                return report.fail(
                    seq,
                    f"seq {seq} is not in the signed tree: its inclusion proof does not verify "
                    "(the event was altered, or never logged there)",
                )
        last_seq = seq
        report.events += 1

    if end is None:
        return report.fail(last_seq + 1, "the file ends without its end line: it was truncated")
    if end.get("events") != report.events:
        return report.fail(
            last_seq + 1,
            f"the end line counts {end.get('events')} events; the file has {report.events}",
        )
    report.mode = report.mode or ("full" if header.get("full") else "filtered")
    if require_full and report.mode != "full":
        return report.fail(None, "a full export was required; this one is filtered")
    if report.mode == "full":
        if last_seq != checkpoint.size:
            return report.fail(
                last_seq + 1,
                f"events {last_seq + 1}..{checkpoint.size} of the signed tree are missing",
            )
        if edge.root() != checkpoint.root:
            if first_changed is not None and stored_edge and stored_edge.root() == checkpoint.root:
                return report.fail(
                    first_changed,
                    f"seq {first_changed} was changed after it was signed: its fields no longer "
                    "hash to the leaf the signed tree holds",
                )
            return report.fail(
                None,
                f"the events do not hash to the signed root of the tree of {checkpoint.size}: "
                "events were changed, removed, reordered or inserted",
            )
    if trusted is not None:
        _check_trusted(report, header, checkpoint, trusted, root_at_trusted)
    return report


def _stored_leaf_hash(record: Mapping[str, Any]) -> bytes | None:
    try:
        value = _decode(record.get("leaf_hash"))
    except (ValueError, binascii.Error):
        return None
    return value if len(value) == merkle.HASH_SIZE else None


def _check_trusted(
    report: ExportReport,
    header: Mapping[str, Any],
    checkpoint: Checkpoint,
    trusted: Checkpoint,
    root_at_trusted: bytes | None,
) -> None:
    """Check the export's tree extends the checkpoint the auditor holds."""
    if trusted.size > checkpoint.size:
        report.fail(
            None,
            f"the export is bound to a tree of {checkpoint.size} events, older than the "
            f"{trusted.size} you hold: the log may have been rolled back",
        )
        return
    if trusted.size == checkpoint.size:
        if trusted.root != checkpoint.root:
            report.fail(None, "the export's tree differs from the one you hold at the same size")
        return
    if trusted.size == 0:
        return
    if report.mode == "full":
        if root_at_trusted != trusted.root:
            report.fail(
                None,
                f"the first {trusted.size} events differ from the tree you hold: history "
                "was rewritten",
            )
        return
    proof = header.get("consistency") or {}
    if proof.get("first") != trusted.size or proof.get("second") != checkpoint.size:
        report.fail(
            None,
            f"the export carries no consistency proof from your tree of {trusted.size}: "
            f"export again with from_size={trusted.size}",
        )
        return
    try:
        hashes = [_decode(item) for item in proof.get("hashes") or []]
    except (ValueError, binascii.Error):
        report.fail(None, "the export's consistency proof cannot be read")
        return
    if not merkle.verify_consistency(
        trusted.size, checkpoint.size, hashes, trusted.root, checkpoint.root
    ):
        report.fail(None, f"the export's tree does not extend the tree of {trusted.size} you hold")
