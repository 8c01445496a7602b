"""Read the archive: filtered cursor pages of items, one item with its findings, the public view."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
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
    return {"items": page, "next_cursor": next_cursor}


@dataclass(frozen=True)
class StoredItem:
    """A stored item's row (raw text included), its findings' rows and its triage."""

    row: dict[str, Any]
    findings: list[dict[str, Any]]
    triage: dict[str, Any]


def get_feedback_item(
    conn: psycopg.Connection, actor: Actor, secret: bytes, item_id: UUID
) -> StoredItem:
    """Return an item with its raw text and findings; record `feedback.viewed` (raw access)."""
    q = queries()
    row = conn.execute(q["get_feedback_item"], {"id": item_id}).fetchone()
    if row is None:
        raise NotFound(f"No feedback item with id {item_id}.")
    findings = conn.execute(q["list_item_findings"], {"id": item_id}).fetchall()
    record_event(
        conn,
        actor,
        "feedback.viewed",
        target_type="feedback_item",
        target_id=item_id,
        subject_ref=subject_ref(secret, row["author_id"]),
        details={"findings": len(findings)},
    )
    return StoredItem(row, findings, item_triage(conn, item_id, row["text"]))


def get_public_item(conn: psycopg.Connection, item_id: UUID) -> dict[str, Any]:
    """Return the row of an item's redacted view (schemas show no text until it is scanned)."""
    row = conn.execute(queries()["get_public_item"], {"id": item_id}).fetchone()
    if row is None:
        raise NotFound(f"No feedback item with id {item_id}.")
    return row
