"""Read the audit log: filtered pages, streamed exports, checkpoints, whole-log verification."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from service.audit.canonical import format_timestamp
from service.audit.events import Actor, record_signed_event
from service.audit.export import EVENT_FIELDS, FORMAT_NAME, FORMAT_VERSION, Record
from service.audit.signing import ALGORITHM, AuditSettings
from service.audit.verify import ChainVerifier, VerificationReport
from service.db import queries

MAX_SEQ = 2**63 - 1
# Seqs read per window: bounds the checkpoints held in memory and the work thrown away when
# verification stops early.
WINDOW_SEQS = 50_000
COPY_TYPES = ["int8"] + ["text"] * (len(EVENT_FIELDS) - 1)


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
    def contiguous(self) -> bool:
        """Tell whether the filter selects an unbroken run of seqs (only a time range)."""
        return all(
            value is None for value in (self.actor, self.action, self.subject_ref, self.request_id)
        )

    def describe(self) -> dict[str, Any]:
        """Return the filter as JSON-ready values (None for an unset part)."""
        described = asdict(self)
        for name in ("since", "until"):
            if described[name] is not None:
                described[name] = format_timestamp(described[name])
        if described["actor"] is not None:
            described["actor"] = str(described["actor"])
        return described

    def match_params(self) -> dict[str, Any]:
        """Return the query parameters of the exact-match part."""
        return {
            "actor": self.actor,
            "action": self.action,
            "subject_ref": self.subject_ref,
            "request_id": self.request_id,
        }


NO_FILTER = AuditFilter()


def seq_range(conn: psycopg.Connection, audit_filter: AuditFilter) -> tuple[int, int] | None:
    """Return the first and last seq the filter's time range covers, or None when it is empty."""
    row = conn.execute(
        queries()["get_audit_seq_range"],
        {"since": audit_filter.since, "until": audit_filter.until},
    ).fetchone()
    if row["first_seq"] is None or row["last_seq"] is None or row["first_seq"] > row["last_seq"]:
        return None
    return row["first_seq"], row["last_seq"]


def list_events(
    conn: psycopg.Connection, audit_filter: AuditFilter, *, after_seq: int = 0, limit: int = 100
) -> tuple[list[dict[str, Any]], str | None]:
    """Return one page of events after a seq, and the cursor of the next page (None at the end)."""
    bounds = seq_range(conn, audit_filter)
    if bounds is None:
        return [], None
    first_seq, last_seq = bounds
    rows = conn.execute(
        queries()["list_audit_events"],
        {
            **audit_filter.match_params(),
            "after_seq": max(after_seq, first_seq - 1),
            "last_seq": last_seq,
            "limit": limit + 1,
        },
    ).fetchall()
    if len(rows) > limit:
        return rows[:limit], str(rows[limit - 1]["seq"])
    return rows, None


def list_checkpoints(
    conn: psycopg.Connection, *, after_seq: int = 0, limit: int = 100
) -> tuple[list[dict[str, Any]], str | None]:
    """Return one page of signed checkpoints after a seq, and the next page's cursor."""
    rows = conn.execute(
        queries()["list_audit_checkpoints"],
        {"after_seq": after_seq, "last_seq": MAX_SEQ, "limit": limit + 1},
    ).fetchall()
    if len(rows) > limit:
        return rows[:limit], str(rows[limit - 1]["seq"])
    return rows, None


def checkpoint_now(
    conn: psycopg.Connection, settings: AuditSettings, actor: Actor
) -> dict[str, Any]:
    """Record `audit.checkpointed` and sign a checkpoint at that very event; return it."""
    _, checkpoint = record_signed_event(
        conn, settings, actor, "audit.checkpointed", target_type="audit_log"
    )
    return checkpoint


def record_export(
    conn: psycopg.Connection,
    settings: AuditSettings,
    actor: Actor,
    audit_filter: AuditFilter,
    export_format: str,
) -> dict[str, Any]:
    """Record `audit.exported` (filter, format), sign a checkpoint at it, return the header.

    The export then covers events up to this event's seq, so the event and its seq say exactly
    which rows were exported, and every exported event has a checkpoint after it.
    """
    described = audit_filter.describe()
    event, checkpoint = record_signed_event(
        conn,
        settings,
        actor,
        "audit.exported",
        target_type="audit_log",
        details={
            "format": export_format,
            "filter": {name: value for name, value in described.items() if value is not None},
        },
    )
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "algorithm": ALGORITHM,
        "public_key": settings.public_key,
        "filter": described,
        "contiguous": audit_filter.contiguous,
        "exported_at": format_timestamp(event["occurred_at"]),
        "through_seq": event["seq"],
        "head_checkpoint": checkpoint,
    }


def export_records(
    conn: psycopg.Connection, audit_filter: AuditFilter, *, through_seq: int
) -> Iterator[Record]:
    """Yield the export's event, bridge and checkpoint records, then its end record.

    Call it first thing in a transaction: everything is read from one snapshot. A time-range
    export is the unbroken run of seqs it covers, then bridge events up to the next checkpoint so
    that every exported event is signed. A filtered export has gaps; it carries only the
    checkpoints that sign one of its events.
    """
    q = queries()
    conn.execute(q["set_audit_snapshot"])
    counts = {"event": 0, "bridge": 0, "checkpoint": 0}
    bounds = seq_range(conn, audit_filter)
    if bounds is not None and bounds[0] <= through_seq:
        first_seq, last_seq = bounds[0], min(bounds[1], through_seq)
        end_seq = last_seq
        if audit_filter.contiguous:
            following = conn.execute(q["get_next_audit_checkpoint"], {"seq": last_seq}).fetchone()
            end_seq = following["seq"] if following["seq"] is not None else last_seq
        last_event_seq = None
        for kind, row in _read_log(conn, first_seq, end_seq, audit_filter.match_params()):
            if kind == "event":
                last_event_seq = row[0]
                kind = "bridge" if last_event_seq > last_seq else "event"
            elif not audit_filter.contiguous and row["seq"] != last_event_seq:
                continue  # signs an event outside the filter: nothing in the file checks it
            counts[kind] += 1
            yield kind, row
    yield (
        "end",
        {
            "events": counts["event"],
            "bridge": counts["bridge"],
            "checkpoints": counts["checkpoint"],
        },
    )


def verify_log(conn: psycopg.Connection, public_key: Ed25519PublicKey) -> VerificationReport:
    """Verify the whole log from one snapshot: chain, checkpoints, and the head row."""
    q = queries()
    conn.execute(q["set_audit_snapshot"])
    head = conn.execute(q["get_audit_head"]).fetchone()
    last = conn.execute(q["get_audit_last_seqs"]).fetchone()
    # Read past the head too: rows slipped in after it are tampering to report, not to skip.
    last_seq = max(head["seq"], last["last_event_seq"] or 0, last["last_checkpoint_seq"] or 0)
    verifier = ChainVerifier(public_key, contiguous=True, from_genesis=True)
    rows = _read_log(conn, 1, last_seq, NO_FILTER.match_params(), stop=lambda: verifier.failed)
    for kind, row in rows:
        if verifier.failed:
            continue  # drain the current window rather than cancel the query mid-stream
        if kind == "event":
            event = dict(zip(EVENT_FIELDS, row, strict=True))
            event["details"] = json.loads(event["details"])
            verifier.add_event(event)
        else:
            verifier.add_checkpoint(row)
    verifier.check_head(head)
    return verifier.finish()


def _read_log(
    conn: psycopg.Connection,
    first_seq: int,
    last_seq: int,
    match_params: dict[str, Any],
    *,
    stop: Callable[[], bool] = lambda: False,
) -> Iterator[Record]:
    """Yield events (rows in EVENT_FIELDS order) and checkpoints (dicts) in seq order.

    The range is read in windows of seqs: the window's checkpoints with one query, its events
    streamed with COPY (the fastest way out of PostgreSQL), each checkpoint placed right after
    the event it signs. Memory stays flat whatever the size of the log.
    """
    q = queries()
    window_start = first_seq
    while window_start <= last_seq and not stop():
        window_end = min(window_start + WINDOW_SEQS - 1, last_seq)
        bounds = {"after_seq": window_start - 1, "last_seq": window_end}
        checkpoints = iter(
            conn.execute(q["list_audit_checkpoints"], {**bounds, "limit": None}).fetchall()
        )
        checkpoint = next(checkpoints, None)
        with conn.cursor().copy(q["copy_audit_events"], {**match_params, **bounds}) as copy:
            copy.set_types(COPY_TYPES)
            for row in copy.rows():
                while checkpoint is not None and checkpoint["seq"] < row[0]:
                    yield "checkpoint", checkpoint
                    checkpoint = next(checkpoints, None)
                yield "event", row
                while checkpoint is not None and checkpoint["seq"] == row[0]:
                    yield "checkpoint", checkpoint
                    checkpoint = next(checkpoints, None)
        while checkpoint is not None:
            yield "checkpoint", checkpoint
            checkpoint = next(checkpoints, None)
        window_start = window_end + 1
