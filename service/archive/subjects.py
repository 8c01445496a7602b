"""Look subjects up by any identifier, and find where anyone's text mentions a subject."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg

from service.archive.identifiers import value_hash
from service.db import queries


def find_subjects(
    conn: psycopg.Connection,
    secret: bytes,
    kind: str,
    value: str,
    platform: str | None = None,
) -> list[UUID]:
    """Return the subjects with this identifier (kind: handle, email, phone or name).

    Values match in their normalised form ("@Sarah_J" finds "sarah_j", "06 1234 5678" finds
    "+31612345678"); a handle without ``platform`` matches on every platform.
    """
    rows = conn.execute(
        queries()["list_subjects_by_value_hash"],
        {"value_hash": value_hash(secret, kind, value), "kind": kind, "platform": platform},
    ).fetchall()
    return [row["subject_id"] for row in rows]


def find_mentions(
    conn: psycopg.Connection, secret: bytes, subject_id: UUID
) -> list[dict[str, Any]]:
    """Return the findings (item_id, entity_type, start_offset, end_offset) of any item whose
    text mentions one of the subject's identifiers."""
    identifiers = conn.execute(
        queries()["list_subject_identifiers"], {"subject_id": subject_id}
    ).fetchall()
    hashes = list({value_hash(secret, row["kind"], row["value"]) for row in identifiers})
    if not hashes:
        return []
    return conn.execute(
        queries()["list_findings_by_value_hashes"], {"value_hashes": hashes}
    ).fetchall()
