"""Read the audit log: events with their leaves, checkpoints, proofs, exports, verification."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

from service.audit import merkle
from service.audit.canonical import format_timestamp
from service.audit.events import Actor, record_event
from service.audit.export import FORMAT_NAME, FORMAT_VERSION, Record
from service.audit.note import NoteError, Verifier, open_checkpoint, parse_verifier_key
from service.audit.signing import AuditSettings
from service.audit.store import DatabaseHashes, TreeTooSmall, latest_checkpoint, tree_size
from service.audit.store import consistency_proof as stored_consistency_proof
from service.db import queries
from service.errors import NotFound

# Rows read per page of a filtered export (their proofs share one read of stored hashes).
PAGE_EVENTS = 500
# Seqs streamed per COPY in a full export or a verification.
WINDOW_SEQS = 50_000
COPY_TYPES = ["int8", "int8", "bytea", "bytea", "bool"]


class NoCheckpoint(NotFound):
    """Nothing has been signed yet."""


def b64(value: bytes) -> str:
    """Return standard base64 text."""
    return base64.b64encode(value).decode()


@dataclass(frozen=True)
class AuditFilter:
    """Which events to read: a time range plus exact matches on actor, action, subject, request."""

    since: datetime | None = None
    until: datetime | None = None
    actor: UUID | None = None
    action: str | None = None
    subject_ref: str | None = None
    request_id: str | None = None

    @property
    def is_everything(self) -> bool:
        """Tell whether the filter selects every event (a full export)."""
        return all(value is None for value in asdict(self).values())

    def describe(self) -> dict[str, Any]:
        """Return the filter as JSON-ready values (None for an unset part)."""
        described = asdict(self)
        for name in ("since", "until"):
            if described[name] is not None:
                described[name] = format_timestamp(described[name])
        if described["actor"] is not None:
            described["actor"] = str(described["actor"])
        return described

    def params(self) -> dict[str, Any]:
        """Return the query parameters of the filter."""
        return asdict(self)


NO_FILTER = AuditFilter()


def _event_out(row: dict[str, Any]) -> dict[str, Any]:
    """Return an event as shown: its values read from its leaf, never from the index columns."""
    leaf = bytes(row["leaf"])
    return {
        "seq": row["seq"],
        "id": row["id"],
        **json.loads(leaf),
        "leaf_hash": b64(merkle.leaf_hash(leaf)),
        "leaf": b64(leaf),
    }


def list_events(
    conn: psycopg.Connection, audit_filter: AuditFilter, *, after_seq: int = 0, limit: int = 100
) -> tuple[list[dict[str, Any]], str | None]:
    """Return one page of integrated events after a seq, and the next page's cursor."""
    rows = _filtered_rows(conn, audit_filter, after_seq, tree_size(conn), limit + 1)
    page = [_event_out(row) for row in rows[:limit]]
    return page, (str(page[-1]["seq"]) if len(rows) > limit else None)


def get_event(conn: psycopg.Connection, seq: int) -> dict[str, Any] | None:
    """Return the integrated event at seq with its leaf, or None."""
    row = conn.cursor(row_factory=dict_row).execute(queries()["get_audit_event"], {"seq": seq})
    found = row.fetchone()
    return _event_out(found) if found else None


def _filtered_rows(
    conn: psycopg.Connection, audit_filter: AuditFilter, after_seq: int, last_seq: int, limit: int
) -> list[dict[str, Any]]:
    return (
        conn.cursor(row_factory=dict_row)
        .execute(
            queries()["list_audit_events"],
            {**audit_filter.params(), "after_seq": after_seq, "last_seq": last_seq, "limit": limit},
        )
        .fetchall()
    )


def checkpoint_out(row: dict[str, Any]) -> dict[str, Any]:
    """Return a checkpoint row as the API shows it."""
    return {
        "tree_size": row["tree_size"],
        "root_hash": b64(row["root_hash"]),
        "key_id": row["key_id"],
        "signed_at": row["signed_at"],
        "note": row["note"],
    }


def current_checkpoint(conn: psycopg.Connection) -> dict[str, Any]:
    """Return the latest signed checkpoint (with cosignatures), or raise NoCheckpoint."""
    row = latest_checkpoint(conn)
    if row is None:
        raise NoCheckpoint("no checkpoint has been signed yet: is the audit signer running?")
    return row


def list_checkpoints(
    conn: psycopg.Connection, *, after_size: int = -1, limit: int = 100
) -> tuple[list[dict[str, Any]], str | None]:
    """Return one page of signed checkpoints after a tree size, and the next page's cursor."""
    rows = (
        conn.cursor(row_factory=dict_row)
        .execute(
            queries()["list_audit_checkpoints"], {"after_size": after_size, "limit": limit + 1}
        )
        .fetchall()
    )
    page = [checkpoint_out({**row, "root_hash": bytes(row["root_hash"])}) for row in rows[:limit]]
    return page, (str(page[-1]["tree_size"]) if len(rows) > limit else None)


def inclusion(conn: psycopg.Connection, seq: int, size: int) -> dict[str, Any]:
    """Return the inclusion proof of the event at seq in the tree of `size` events."""
    from service.audit.store import inclusion_proof

    hashes = inclusion_proof(conn, seq, size)
    return {"leaf_index": seq - 1, "tree_size": size, "hashes": [b64(h) for h in hashes]}


def consistency(conn: psycopg.Connection, first: int, second: int) -> dict[str, Any]:
    """Return the consistency proof between two tree sizes."""
    hashes = stored_consistency_proof(conn, first, second)
    return {"first": first, "second": second, "hashes": [b64(h) for h in hashes]}


def keyring(conn: psycopg.Connection, settings: AuditSettings) -> list[Verifier]:
    """Return the verifier keys checkpoints are checked with: pinned ones, else the recorded."""
    if settings.verifier_keys:
        return list(settings.verifier_keys)
    rows = conn.cursor(row_factory=dict_row).execute(queries()["list_audit_signer_keys"])
    return [parse_verifier_key(row["verifier_key"]) for row in rows]


def record_export(
    conn: psycopg.Connection,
    actor: Actor,
    audit_filter: AuditFilter,
    export_format: str,
    *,
    from_size: int | None = None,
) -> dict[str, Any]:
    """Record `audit.exported` and return the export's header, bound to the latest checkpoint.

    The export holds the events of that signed tree; this very event joins a later one.
    """
    checkpoint = current_checkpoint(conn)
    size = checkpoint["tree_size"]
    described = audit_filter.describe()
    record_event(
        conn,
        actor,
        "audit.exported",
        target_type="audit_log",
        details={
            "format": export_format,
            "tree_size": size,
            "filter": {name: value for name, value in described.items() if value is not None},
        },
    )
    header: dict[str, Any] = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "tree_size": size,
        "checkpoint": checkpoint["note"],
        "filter": described,
        "full": audit_filter.is_everything,
    }
    if from_size is not None:
        header["consistency"] = {
            "first": from_size,
            "second": size,
            "hashes": [b64(h) for h in stored_consistency_proof(conn, from_size, size)],
        }
    return header


def export_records(
    conn: psycopg.Connection, audit_filter: AuditFilter, *, tree_size: int
) -> Iterator[Record]:
    """Yield the export's event records, then its end record, from one snapshot.

    A full export is every event of the signed tree, seq 1 to its size, each with its leaf. A
    filtered one carries only matching events, each with its inclusion proof in that tree.
    """
    conn.execute(queries()["set_audit_snapshot"])
    count = 0
    if audit_filter.is_everything:
        for row in _stream_leaves(conn, 1, tree_size):
            count += 1
            yield "event", row
    else:
        reader = DatabaseHashes(conn)
        after = 0
        while True:
            rows = _filtered_rows(conn, audit_filter, after, tree_size, PAGE_EVENTS)
            if not rows:
                break
            proofs = merkle.inclusion_proofs(reader, [row["seq"] - 1 for row in rows], tree_size)
            for row, proof in zip(rows, proofs, strict=True):
                count += 1
                yield "event", {**_event_out(row), "proof": [b64(h) for h in proof]}
            after = rows[-1]["seq"]
    yield "end", {"events": count}


def _stream_leaves(conn: psycopg.Connection, first: int, last: int) -> Iterator[dict[str, Any]]:
    """Yield events first..last in seq order with their leaf and the stored leaf hash (base64)."""
    for seq, event_id, leaf, stored, _ in _stream_raw(conn, first, last):
        yield {
            "seq": seq,
            "id": event_id,
            **json.loads(leaf),
            "leaf": b64(leaf),
            "leaf_hash": b64(stored) if stored is not None else None,
        }


def _stream_raw(
    conn: psycopg.Connection, first: int, last: int, *, check_columns: bool = False
) -> Iterator[tuple[int, int, bytes, bytes | None, bool]]:
    """Yield (seq, id, leaf, stored leaf hash, columns match the leaf) for seqs first..last."""
    q = queries()
    start = first
    while start <= last:
        end = min(start + WINDOW_SEQS - 1, last)
        bounds = {"after_seq": start - 1, "last_seq": end, "check_columns": check_columns}
        with conn.cursor().copy(q["copy_out_audit_leaf_events"], bounds) as copy:
            copy.set_types(COPY_TYPES)
            yield from copy.rows()
        start = end + 1


@dataclass
class LogReport:
    """What a database verification found."""

    ok: bool = True
    from_size: int = 0
    tree_size: int = 0
    checked: int = 0
    checkpoints_checked: int = 0
    first_bad_seq: int | None = None
    reason: str | None = None
    checkpoint: str | None = None

    def fail(self, seq: int | None, reason: str) -> LogReport:
        """Record the failure and return the report."""
        self.ok, self.first_bad_seq, self.reason = False, seq, reason
        return self


def verify_log(
    conn: psycopg.Connection,
    verifiers: list[Verifier],
    *,
    from_size: int = 0,
    progress=None,
    check_columns: bool = True,
) -> LogReport:
    """Check the stored log from a signed tree size to the latest checkpoint, from one snapshot.

    Every event after `from_size` is re-encoded and re-hashed (never trusting a stored hash),
    the tree grown from the signed checkpoint at `from_size` must reach the latest signed root,
    every checkpoint in between must sign the root at its size, and the stored leaf hashes must
    match the events (so a changed event is named by its seq). `check_columns` also checks that
    each event's index columns still say what its leaf says (about twice the database work).
    """
    conn.execute(queries()["set_audit_snapshot"])
    report = LogReport(from_size=from_size)
    latest = latest_checkpoint(conn)
    if latest is None:
        return report.fail(None, "no checkpoint has been signed yet")
    try:
        checkpoint, _, _ = open_checkpoint(latest["note"], verifiers, None)
    except NoteError as exc:
        return report.fail(None, f"the latest checkpoint does not verify: {exc}")
    report.tree_size, report.checkpoint = checkpoint.size, latest["note"]
    if from_size > checkpoint.size:
        return report.fail(None, f"no checkpoint of {from_size} events or more is signed")
    signed = _signed_roots(conn, verifiers, from_size, checkpoint.size)
    if isinstance(signed, str):
        return report.fail(None, signed)
    reader = DatabaseHashes(conn)
    try:
        frontier = merkle.Frontier.load(reader, from_size)
    except merkle.ProofError as exc:
        return report.fail(from_size, f"the stored tree is incomplete ({exc})")
    if from_size and frontier.root() != signed.get(from_size):
        return report.fail(
            from_size, f"the stored tree of {from_size} events is not the one that was signed"
        )
    try:
        failed = _walk(conn, report, frontier, signed, checkpoint.size, progress, check_columns)
    except psycopg.DataError as exc:
        return report.fail(None, f"a stored event is not a readable leaf: {exc}")
    if failed:
        return report
    if frontier.size != checkpoint.size:
        return report.fail(frontier.size + 1, f"events {frontier.size + 1}.. are missing")
    return report


def _walk(
    conn: psycopg.Connection,
    report: LogReport,
    frontier: merkle.Frontier,
    signed: dict[int, bytes],
    last: int,
    progress,
    check_columns: bool,
) -> bool:
    """Grow the tree over the stored events up to `last`; return True after a failure."""
    altered = None
    leaf_hash = merkle.leaf_hash
    rows = _stream_raw(conn, frontier.size + 1, last, check_columns=check_columns)
    for seq, _, leaf, stored, columns_match in rows:
        if seq != frontier.size + 1:
            report.fail(frontier.size + 1, f"event {frontier.size + 1} has no tree position")
            return True
        value = leaf_hash(leaf)
        if altered is None and stored != value:
            altered = seq
        if not columns_match:
            report.fail(
                seq,
                f"the columns of event {seq} no longer say what its signed leaf says: they were "
                "changed, so filters over them can mislead",
            )
            return True
        frontier.append(value)
        report.checked += 1
        root = signed.get(seq)
        if root is not None:
            if root != frontier.root():
                if altered is not None:
                    report.fail(altered, f"event {altered} was changed after it was signed")
                else:
                    report.fail(
                        seq, f"the events do not hash to the signed root of the tree of {seq}"
                    )
                return True
            report.checkpoints_checked += 1
        if progress is not None and report.checked % WINDOW_SEQS == 0:
            progress(report)
    return False


def _signed_roots(
    conn: psycopg.Connection, verifiers: list[Verifier], first: int, last: int
) -> dict[int, bytes] | str:
    """Return {tree size: signed root} of the checkpoints in [first, last], or why not."""
    rows = (
        conn.cursor(row_factory=dict_row)
        .execute(queries()["list_audit_checkpoints"], {"after_size": first - 1, "limit": None})
        .fetchall()
    )
    roots: dict[int, bytes] = {}
    for row in rows:
        if row["tree_size"] > last:
            break
        try:
            checkpoint, _, _ = open_checkpoint(row["note"], verifiers, None)
        except NoteError as exc:
            return f"the checkpoint of {row['tree_size']} events does not verify: {exc}"
        if checkpoint.size != row["tree_size"]:
            return f"the checkpoint stored as size {row['tree_size']} signs {checkpoint.size}"
        roots[checkpoint.size] = checkpoint.root
    if first and first not in roots:
        return f"no checkpoint of exactly {first} events is signed: start from a checkpoint size"
    return roots


__all__ = ["TreeTooSmall", "NoCheckpoint"]


def add_cosignature(
    conn: psycopg.Connection, actor: Actor, tree_size: int, verifier_key: str, signature_line: str
) -> dict[str, Any]:
    """Check a witness's cosignature of a stored checkpoint, store it and record it."""
    from service.audit.note import COSIGNATURE_V1, Note, parse_note, verify_cosignature
    from service.audit.store import get_checkpoint
    from service.errors import NotFound, Unprocessable

    row = get_checkpoint(conn, tree_size)
    if row is None:
        raise NotFound(f"No checkpoint of {tree_size} events is signed.")
    try:
        witness = parse_verifier_key(verifier_key)
        if witness.signature_type != COSIGNATURE_V1:
            raise NoteError("a cosigner's verifier key has signature type 0x04")
        line = parse_note("x\n\n" + signature_line.rstrip("\n") + "\n").signatures[0]
        note = parse_note(row["note"])
        timestamp = verify_cosignature(Note(note.text, (line,)), witness)
    except NoteError as exc:
        raise Unprocessable(f"The cosignature does not verify: {exc}") from exc
    conn.execute(
        queries()["insert_audit_cosignature"],
        {"tree_size": tree_size, "witness": witness.name, "signature_line": line.line()},
    )
    record_event(
        conn,
        actor,
        "audit.cosigned",
        target_type="audit_checkpoint",
        target_id=str(tree_size),
        details={"witness": witness.name, "key_id": witness.key_id.hex(), "timestamp": timestamp},
    )
    cosigned = get_checkpoint(conn, tree_size)
    return {
        "tree_size": tree_size,
        "witness": witness.name,
        "timestamp": timestamp,
        "note": cosigned["note"],
    }
