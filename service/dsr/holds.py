"""Legal holds: feedback items, or everything of one archive subject, that erasure must keep."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import psycopg

from service.audit import Actor, record_event, subject_ref
from service.db import queries
from service.dsr.discovery import find_subject
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
# What a hold is placed on: exactly one of these is given.
_TARGETS = ("feedback_id", "subject_id", "subject")
# The identifiers of a request that can name an archive subject (a display name cannot).
_STRONG_IDENTIFIERS = ("handles", "emails", "phones")


@dataclass(frozen=True)
class PlacedHolds:
    """The holds one request placed (rows), and the identifiers that matched no subject."""

    holds: list[dict[str, Any]]
    unmatched: dict[str, int] | None


def place_hold(
    conn: psycopg.Connection,
    actor: Actor,
    settings: DsrSettings,
    *,
    basis: str,
    reason: str,
    feedback_id: UUID | None = None,
    subject_id: UUID | None = None,
    subject: Mapping[str, Sequence[Any]] | None = None,
) -> PlacedHolds:
    """Place a hold on a feedback item, an archive subject, or every subject identifiers name.

    ``subject`` holds identifiers as a request gives them (handles, emails, phones, names); they
    are matched as erasure matches them, and each archive subject found gets its own hold.
    Return every hold placed (rows) and, for ``subject``, per kind the identifiers that matched
    nobody.
    """
    if sum(target is not None for target in (feedback_id, subject_id, subject)) != 1:
        message = "Give exactly one of feedback_id, subject_id and subject."
        raise Unprocessable(message, errors={name: [message] for name in _TARGETS})
    if subject is not None:
        matched = _match_subjects(conn, settings, subject)
        holds = [
            _insert_hold(
                conn,
                actor,
                settings,
                basis=basis,
                reason=reason,
                subject_id=matched_id,
                author_id=matched_id,
                audit_details={
                    "matched_by": "identifiers",
                    "subjects_matched": len(matched.subject_ids),
                },
            )
            for matched_id in matched.subject_ids
        ]
        return PlacedHolds(holds, matched.unmatched)
    q = queries()
    if feedback_id is not None:
        item = conn.execute(q["get_dsr_item_author"], {"id": feedback_id}).fetchone()
        if item is None:
            raise Unprocessable(
                f"No feedback item with id {feedback_id}.",
                errors={"feedback_id": ["No feedback item with this id."]},
            )
        author_id = item["author_id"]
    else:
        if conn.execute(q["get_dsr_subject_exists"], {"id": subject_id}).fetchone() is None:
            raise Unprocessable(
                f"No subject with id {subject_id} in the archive.",
                errors={"subject_id": ["No subject with this id."]},
            )
        author_id = subject_id
    hold = _insert_hold(
        conn,
        actor,
        settings,
        basis=basis,
        reason=reason,
        feedback_id=feedback_id,
        subject_id=subject_id,
        author_id=author_id,
    )
    return PlacedHolds([hold], None)


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
        return hold
    hold = conn.execute(
        q["update_legal_hold_released"],
        {"id": hold_id, "now": now or datetime.now(UTC), "released_by": actor.key_id},
    ).fetchone()
    author = (
        conn.execute(q["get_dsr_item_author"], {"id": hold["feedback_id"]}).fetchone()
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
    return hold


def get_hold(conn: psycopg.Connection, hold_id: UUID) -> dict[str, Any]:
    """Return one hold; raise NotFound for an unknown id."""
    hold = conn.execute(queries()["get_legal_hold"], {"id": hold_id}).fetchone()
    if hold is None:
        raise NotFound(f"No legal hold with id {hold_id}.")
    return hold


def list_holds(
    conn: psycopg.Connection, *, include_released: bool = False, limit: int = 100, offset: int = 0
) -> list[dict[str, Any]]:
    """Return holds, active ones first, newest first."""
    rows = conn.execute(
        queries()["list_legal_holds"],
        {"include_released": include_released, "limit": limit, "offset": offset},
    ).fetchall()
    return rows


@dataclass(frozen=True)
class _MatchedSubjects:
    subject_ids: list[UUID]
    unmatched: dict[str, int]


def _match_subjects(
    conn: psycopg.Connection, settings: DsrSettings, subject: Mapping[str, Sequence[Any]]
) -> _MatchedSubjects:
    """Return the archive subjects the identifiers name, locked; raise when they name nobody."""
    if not any(subject.get(kind) for kind in _STRONG_IDENTIFIERS):
        message = (
            "Give a handle, e-mail address or phone number: a display name alone never "
            "identifies an archive subject (many people share one)."
        )
        raise Unprocessable(message, errors={"subject": [message]})
    # The lookup erasure and access use, so a hold covers exactly whom an erasure would erase.
    match = find_subject(conn, settings.secret, subject, phone_region=settings.phone_region)
    locked: list[UUID] = []
    if match.subject_ids:
        # A concurrent erasure holds these rows; once it commits, its subjects are gone.
        rows = conn.execute(
            queries()["lock_dsr_subjects"], {"subject_ids": sorted(match.subject_ids)}
        ).fetchall()
        still_there = {row["id"] for row in rows}
        locked = [subject_id for subject_id in match.subject_ids if subject_id in still_there]
    if not locked:
        message = (
            "No subject in the archive has these handles, e-mail addresses or phone numbers; "
            "nothing was held."
        )
        raise Unprocessable(message, errors={"subject": [message]})
    return _MatchedSubjects(subject_ids=locked, unmatched=match.unmatched)


def _insert_hold(
    conn: psycopg.Connection,
    actor: Actor,
    settings: DsrSettings,
    *,
    basis: str,
    reason: str,
    author_id: UUID,
    feedback_id: UUID | None = None,
    subject_id: UUID | None = None,
    audit_details: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Store one hold and record ``hold.placed`` under its author's reference; return it."""
    hold = conn.execute(
        queries()["insert_legal_hold"],
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
        details={
            "basis": basis,
            "scope": "feedback_item" if feedback_id else "subject",
            **(audit_details or {}),
        },
    )
    return hold
