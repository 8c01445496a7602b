"""Read the archive: filtered cursor pages of items, one item with its findings, the public view."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg

from service.audit import Actor, record_event, subject_ref
from service.db import queries
from service.errors import NotFound, Unprocessable
from service.triage.engine import FLAGS
from service.triage.review import item_triage

DEFAULT_PAGE = 50
MAX_PAGE = 500


def encode_cursor(created_at: datetime, item_id: UUID) -> str:
    """Return the opaque cursor pointing after an item: base64 of its (created_at, id)."""
    raw = json.dumps([created_at.isoformat(), str(item_id)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    """Return (created_at, id) from a cursor; raise Unprocessable for one not made here."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created_at, item_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        parsed = datetime.fromisoformat(created_at), UUID(item_id)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as exc:
        raise Unprocessable(
            "The cursor is not valid; use `next_cursor` from a previous page as it is.",
            errors={"cursor": ["Not a cursor returned by this endpoint."]},
        ) from exc
    if parsed[0].tzinfo is None:
        raise Unprocessable("The cursor is not valid.", errors={"cursor": ["Not a cursor."]})
    return parsed


def list_feedback(
    conn: psycopg.Connection,
    *,
    platform: str | None = None,
    subject_id: UUID | None = None,
    has_pii: bool | None = None,
    flag: str | None = None,
    since: datetime | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE,
) -> dict[str, Any]:
    """Return one page of items, newest first, and the cursor of the next page (or None)."""
    before_created_at, before_id = decode_cursor(cursor) if cursor else (None, None)
    rows = conn.execute(
        queries()["list_feedback"],
        {
            "platform": platform,
            "subject_id": subject_id,
            "has_pii": has_pii,
            "flag": flag,
            "severity": list(FLAGS),
            "since": since,
            "before_created_at": before_created_at,
            "before_id": before_id,
            "limit": limit + 1,
        },
    ).fetchall()
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        next_cursor = encode_cursor(page[-1]["created_at"], page[-1]["id"])
    return {"items": [_summary(row) for row in page], "next_cursor": next_cursor}


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    """Return the list view of an item: its metadata and redacted text, never the raw text."""
    scanned = row["scanned"]
    return {
        **{k: v for k, v in row.items() if k not in ("scanned", "finding_count")},
        "scan_status": "done" if scanned else "pending",
        "finding_count": row["finding_count"] if scanned else None,
        "has_pii": (row["finding_count"] > 0) if scanned else None,
    }


def get_feedback_item(
    conn: psycopg.Connection, actor: Actor, secret: bytes, item_id: UUID
) -> dict[str, Any]:
    """Return an item with its raw text and findings; record `feedback.viewed` (raw access)."""
    q = queries()
    row = conn.execute(q["get_feedback_item"], {"id": item_id}).fetchone()
    if row is None:
        raise NotFound(f"No feedback item with id {item_id}.")
    findings = [
        {
            "entity_type": f["entity_type"],
            "start": f["start_offset"],
            "end": f["end_offset"],
            "score": f["score"],
            "recognizer": f["recognizer"],
            "engine_version": f["engine_version"],
            "scanned_at": f["scanned_at"],
        }
        for f in conn.execute(q["list_item_findings"], {"id": item_id}).fetchall()
    ]
    record_event(
        conn,
        actor,
        "feedback.viewed",
        target_type="feedback_item",
        target_id=item_id,
        subject_ref=subject_ref(secret, row["author_id"]),
        details={"findings": len(findings)},
    )
    scanned = row["scanned"]
    return {
        "id": row["id"],
        "platform": row["platform"],
        "external_id": row["external_id"],
        "kind": row["kind"],
        "visibility": row["visibility"],
        "created_at": row["created_at"],
        "ingested_at": row["ingested_at"],
        "updated_at": row["updated_at"],
        "in_reply_to": {"id": row["in_reply_to_id"], "external_id": row["in_reply_to_external_id"]}
        if row["in_reply_to_external_id"]
        else None,
        "author": {
            "subject_id": row["author_id"],
            "handle": row["author_handle"],
            "display_name": row["author_display_name"],
        },
        "text": row["text"],
        "public_text": row["public_text"] if scanned else None,
        "language": row["language"],
        "scan_status": "done" if scanned else "pending",
        "scanned_at": row["scanned_at"],
        "engine_version": row["engine_version"],
        "findings": findings,
        "triage": item_triage(conn, item_id, row["text"]),
    }


def get_public_item(conn: psycopg.Connection, item_id: UUID) -> dict[str, Any]:
    """Return the redacted view of an item (text is None until it is scanned)."""
    row = conn.execute(queries()["get_public_item"], {"id": item_id}).fetchone()
    if row is None:
        raise NotFound(f"No feedback item with id {item_id}.")
    scanned = row["scanned"]
    return {
        "id": row["id"],
        "platform": row["platform"],
        "kind": row["kind"],
        "visibility": row["visibility"],
        "in_reply_to_id": row["in_reply_to_id"],
        "created_at": row["created_at"],
        "language": row["language"] if scanned else None,
        # Only a scan of the current text may be shown; before it nothing is.
        "text": row["public_text"] if scanned else None,
        "scan_status": "done" if scanned else "pending",
        "redactions": row["finding_count"] if scanned else None,
        "scanned_at": row["scanned_at"] if scanned else None,
    }
