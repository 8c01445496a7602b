"""Legal holds: feedback items, or everything of one archive subject, that erasure must keep."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import psycopg

from service.audit import Actor, record_event, subject_ref
from service.db import queries
from service.dsr.settings import DsrSettings
from service.errors import NotFound, Unprocessable

# Why data may be kept despite an erasure request.
HOLD_BASES: dict[str, str] = {
    "legal_claims": "establishment, exercise or defence of legal claims "
    "(GDPR Art. 17(3)(e); CCPA § 1798.105(d))",
    "legal_obligation": "compliance with a legal obligation (GDPR Art. 17(3)(b); "
    "CCPA § 1798.105(d))",
    "freedom_of_expression": "exercising the right of freedom of expression and information "
    "(GDPR Art. 17(3)(a); CCPA § 1798.105(d))",
    "public_interest": "a task carried out in the public interest or public health "
    "(GDPR Art. 17(3)(b), (c))",
    "archiving_research": "archiving in the public interest, scientific or historical research, "
    "statistics (GDPR Art. 17(3)(d); CCPA § 1798.105(d))",
    "security": "detecting security incidents and protecting against fraud or illegal activity "
    "(CCPA § 1798.105(d))",
}


def place_hold(
    conn: psycopg.Connection,
    actor: Actor,
    settings: DsrSettings,
    *,
    basis: str,
    reason: str,
    feedback_id: UUID | None = None,
    subject_id: UUID | None = None,
) -> dict[str, Any]:
    """Place a hold on one feedback item or on one archive subject; return it."""
    if (feedback_id is None) == (subject_id is None):
        message = "Give exactly one of feedback_id and subject_id."
        raise Unprocessable(message, errors={"feedback_id": [message], "subject_id": [message]})
    q = queries()
    if feedback_id is not None:
        item = conn.execute(q["dsr_hold_item_author"], {"id": feedback_id}).fetchone()
        if item is None:
            raise Unprocessable(
                f"No feedback item with id {feedback_id}.",
                errors={"feedback_id": ["No feedback item with this id."]},
            )
        author_id = item["author_id"]
    else:
        if conn.execute(q["dsr_subject_exists"], {"id": subject_id}).fetchone() is None:
            raise Unprocessable(
                f"No subject with id {subject_id} in the archive.",
                errors={"subject_id": ["No subject with this id."]},
            )
        author_id = subject_id
    hold = conn.execute(
        q["insert_legal_hold"],
        {
            "feedback_id": feedback_id,
            "subject_id": subject_id,
            "basis": basis,
            "reason": reason,
            "placed_by": actor.key_id,
        },
    ).fetchone()
    record_event(
        conn,
        actor,
        "hold.placed",
        target_type="legal_hold",
        target_id=hold["id"],
        subject_ref=subject_ref(settings.secret, author_id),
        details={"basis": basis, "scope": "feedback_item" if feedback_id else "subject"},
    )
    return present_hold(hold)


def release_hold(
    conn: psycopg.Connection,
    actor: Actor,
    settings: DsrSettings,
    hold_id: UUID,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Release a hold (idempotent: releasing a released hold changes nothing); return it."""
    q = queries()
    hold = conn.execute(q["lock_legal_hold"], {"id": hold_id}).fetchone()
    if hold is None:
        raise NotFound(f"No legal hold with id {hold_id}.")
    if hold["released_at"] is not None:
        return present_hold(hold)
    hold = conn.execute(
        q["release_legal_hold"],
        {"id": hold_id, "now": now or datetime.now(UTC), "released_by": actor.key_id},
    ).fetchone()
    author = (
        conn.execute(q["dsr_hold_item_author"], {"id": hold["feedback_id"]}).fetchone()
        if hold["feedback_id"]
        else None
    )
    author_id = hold["subject_id"] or (author["author_id"] if author else None)
    record_event(
        conn,
        actor,
        "hold.released",
        target_type="legal_hold",
        target_id=hold_id,
        subject_ref=subject_ref(settings.secret, author_id) if author_id else None,
        details={
            "basis": hold["basis"],
            "scope": "feedback_item" if hold["feedback_id"] else "subject",
        },
    )
    return present_hold(hold)


def get_hold(conn: psycopg.Connection, hold_id: UUID) -> dict[str, Any]:
    """Return one hold; raise NotFound for an unknown id."""
    hold = conn.execute(queries()["get_legal_hold"], {"id": hold_id}).fetchone()
    if hold is None:
        raise NotFound(f"No legal hold with id {hold_id}.")
    return present_hold(hold)


def list_holds(
    conn: psycopg.Connection, *, include_released: bool = False, limit: int = 100, offset: int = 0
) -> list[dict[str, Any]]:
    """Return holds, active ones first, newest first."""
    rows = conn.execute(
        queries()["list_legal_holds"],
        {"include_released": include_released, "limit": limit, "offset": offset},
    ).fetchall()
    return [present_hold(row) for row in rows]


def present_hold(row: Mapping[str, Any]) -> dict[str, Any]:
    """Return the fields of a hold the API shows, with the statute behind its basis."""
    return {
        "id": row["id"],
        "feedback_id": row["feedback_id"],
        "subject_id": row["subject_id"],
        "basis": row["basis"],
        "basis_description": HOLD_BASES.get(row["basis"]),
        "reason": row["reason"],
        "active": row["released_at"] is None,
        "placed_at": row["placed_at"],
        "placed_by": row["placed_by"],
        "released_at": row["released_at"],
        "released_by": row["released_by"],
    }
