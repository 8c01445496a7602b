"""The legal-review queue: flagged items no review covers, reviews, and suggested holds.

A review covers the flags an item has when it is reviewed (for that text). A flag raised
later, by new rules or a new text, is due for review again. Items flagged ``legal_threat`` or
``product_safety`` get a *suggested* legal hold (basis: legal claims) until a hold covers them
or a reviewer dismisses the flag; the review decision ``hold_placed`` confirms it: one call
places the hold through the holds domain code and records the review.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg

from service.audit import Actor, record_event, subject_ref
from service.db import queries
from service.dsr.holds import place_hold
from service.dsr.settings import DsrSettings
from service.errors import NotFound
from service.triage.engine import FLAGS, HOLD_SUGGESTED_FOR

DECISIONS = ("escalated", "dismissed", "hold_placed")
HOLD_BASIS = "legal_claims"
DEFAULT_PAGE = 50
MAX_PAGE = 200


@dataclass(frozen=True)
class SuggestedHold:
    """The legal hold the triage suggests on an item, for the flags that call for one."""

    feedback_id: UUID
    flags: list[str]
    basis: str = HOLD_BASIS


@dataclass(frozen=True)
class ItemTriage:
    """An item's flag rows, review rows, the active holds covering it and the suggested hold.

    ``text`` is the item's raw text, which the flags' offsets point into while current.
    """

    text: str
    flags: list[dict[str, Any]]
    reviews: list[dict[str, Any]]
    hold_ids: list[UUID]
    suggested_hold: SuggestedHold | None


def item_triage(conn: psycopg.Connection, item_id: UUID, text: str) -> ItemTriage:
    """Return an item's flags, reviews, active holds and suggested hold."""
    q = queries()
    flags = conn.execute(
        q["list_triage_flags_of_items"], {"ids": [item_id], "severity": list(FLAGS)}
    ).fetchall()
    reviews = conn.execute(q["list_triage_reviews_of_item"], {"item_id": item_id}).fetchall()
    holds = conn.execute(q["list_active_holds_covering_items"], {"ids": [item_id]}).fetchall()
    return ItemTriage(
        text=text,
        flags=flags,
        reviews=reviews,
        hold_ids=[hold["hold_id"] for hold in holds],
        suggested_hold=suggested_hold(item_id, flags, reviews, holds),
    )


def suggested_hold(
    item_id: UUID,
    flags: Sequence[Mapping[str, Any]],
    reviews: Sequence[Mapping[str, Any]],
    holds: Sequence[Mapping[str, Any]],
) -> SuggestedHold | None:
    """Return the hold to suggest for an item, or None (no such flag, held, or dismissed)."""
    if holds:
        return None
    dismissed = {
        flag for review in reviews if review["decision"] == "dismissed" for flag in review["flags"]
    }
    reasons = [
        flag["flag"]
        for flag in flags
        if flag["flag"] in HOLD_SUGGESTED_FOR and flag["flag"] not in dismissed
    ]
    return SuggestedHold(item_id, reasons) if reasons else None


def list_queue(
    conn: psycopg.Connection,
    *,
    flag: str | None = None,
    limit: int = DEFAULT_PAGE,
    offset: int = 0,
) -> dict[str, Any]:
    """Return flagged items no review covers (rows with their flag rows and suggested hold),
    most serious flag first, then oldest first, and how many wait in all."""
    q = queries()
    rows = conn.execute(
        q["list_triage_queue"],
        {"severity": list(FLAGS), "flag": flag, "limit": limit, "offset": offset},
    ).fetchall()
    ids = [row["id"] for row in rows]
    flags = _by_item(
        conn.execute(
            q["list_triage_flags_of_items"], {"ids": ids, "severity": list(FLAGS)}
        ).fetchall()
    )
    holds = _by_item(conn.execute(q["list_active_holds_covering_items"], {"ids": ids}).fetchall())
    items = [
        {
            **row,
            "flags": flags.get(row["id"], []),
            "suggested_hold": suggested_hold(
                row["id"],
                [flag for flag in flags.get(row["id"], []) if not flag["reviewed"]],
                [],
                holds.get(row["id"], []),
            ),
        }
        for row in rows
    ]
    return {"items": items, "total": rows[0]["total"] if rows else 0}


def review_item(
    conn: psycopg.Connection,
    actor: Actor,
    settings: DsrSettings,
    item_id: UUID,
    *,
    decision: str,
    notes: str | None = None,
) -> dict[str, Any]:
    """Record a decision on an item's flags; ``hold_placed`` also places the legal hold.

    Audit: ``triage.reviewed`` with the decision, the flags covered and the hold id (never
    the notes); a new hold records its own ``hold.placed``.
    """
    q = queries()
    item = conn.execute(q["lock_item_for_review"], {"id": item_id}).fetchone()
    if item is None:
        raise NotFound(f"No feedback item with id {item_id}.")
    # Every flag the item carries, also one raised on an earlier text (an erasure may have
    # redacted it since): all were raised by one scan, on one text.
    flags = conn.execute(
        q["list_triage_flags_of_items"], {"ids": [item_id], "severity": list(FLAGS)}
    ).fetchall()
    covered = [row["flag"] for row in flags]
    covered_text = flags[0]["text_hash"] if flags else item["text_hash"]
    hold_id = None
    hold_created = False
    if decision == "hold_placed":
        existing = conn.execute(
            q["list_active_holds_covering_items"], {"ids": [item_id]}
        ).fetchone()
        if existing is not None:
            hold_id = existing["hold_id"]
        else:
            reason = notes or (
                f"Triage review: flagged {', '.join(covered) or 'by a reviewer'}; kept as "
                "evidence for a possible legal claim."
            )
            placed = place_hold(
                conn, actor, settings, basis=HOLD_BASIS, reason=reason, feedback_id=item_id
            )
            hold_id = placed.holds[0]["id"]
            hold_created = True
    review = conn.execute(
        q["insert_triage_review"],
        {
            "item_id": item_id,
            "decision": decision,
            "flags": covered,
            "notes": notes,
            "hold_id": hold_id,
            "reviewed_by": actor.key_id,
            "text_hash": covered_text,
        },
    ).fetchone()
    record_event(
        conn,
        actor,
        "triage.reviewed",
        target_type="feedback_item",
        target_id=item_id,
        subject_ref=subject_ref(settings.secret, item["author_id"]),
        details={
            "decision": decision,
            "flags": covered,
            "hold_id": str(hold_id) if hold_id else None,
            "hold_created": hold_created,
            "notes": bool(notes),
        },
    )
    return {**review, "hold_created": hold_created}


def _by_item(rows: Iterable[Mapping[str, Any]]) -> dict[UUID, list[Mapping[str, Any]]]:
    grouped: dict[UUID, list[Mapping[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row["item_id"], []).append(row)
    return grouped
