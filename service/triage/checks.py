"""What other areas ask the triage: may a public reply go out in this thread, may this
subject be erased without a legal review first."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any
from uuid import UUID

import psycopg

from service.audit import Actor, record_event
from service.db import queries
from service.errors import Unprocessable, UnreviewedLegalFlags
from service.triage.engine import FLAGS, LEGAL_FLAGS, REPLY_BLOCKING_FLAGS, SEVERITY, evaluate
from service.triage.rules import load_ruleset

MAX_THREAD_DEPTH = 20
MAX_THREAD_ITEMS = 500

_FLAG_WORDS = {
    "self_harm": "a possible self-harm message (route it to a person now)",
    "product_safety": "a product-safety report",
    "legal_threat": "a legal threat",
}


def thread_flags_pending_review(conn: psycopg.Connection, item_id: UUID) -> list[dict[str, Any]]:
    """Return the items of an item's thread with reply-blocking flags no review covers.

    Items whose current text the rules have not evaluated yet (just ingested) are evaluated
    now: the guard cannot wait for the scan.
    """
    q = queries()
    thread = conn.execute(
        q["list_thread_items"],
        {"id": item_id, "max_depth": MAX_THREAD_DEPTH, "max_items": MAX_THREAD_ITEMS},
    ).fetchall()
    if not thread:
        return []
    ids = [row["id"] for row in thread]
    pending: dict[UUID, set[str]] = {}
    for row in conn.execute(
        q["list_triage_flags_of_items"], {"ids": ids, "severity": list(FLAGS)}
    ).fetchall():
        # A flag raised on an earlier text of the item (redacted since) still counts.
        if row["flag"] in REPLY_BLOCKING_FLAGS and not row["reviewed"]:
            pending.setdefault(row["item_id"], set()).add(row["flag"])
    fresh = [row for row in thread if not row["triaged"]]
    if fresh:
        ruleset = load_ruleset(conn)
        covered = {
            (row["item_id"], row["flag"], bytes(row["text_hash"]))
            for row in conn.execute(
                q["list_reviewed_flags_of_items"], {"ids": [row["id"] for row in fresh]}
            ).fetchall()
        }
        for row in fresh:
            for flag in evaluate(ruleset, row["text"]):
                key = (row["id"], flag.flag, bytes(row["text_hash"]))
                if flag.flag in REPLY_BLOCKING_FLAGS and key not in covered:
                    pending.setdefault(row["id"], set()).add(flag.flag)
    return [
        {"item_id": row["id"], "flags": sorted(pending[row["id"]], key=SEVERITY.__getitem__)}
        for row in thread
        if row["id"] in pending
    ]


def hold_reasons(held: list[Mapping[str, Any]]) -> list[str]:
    """Explain, once per flag, why a public reply waits for review."""
    flags = sorted({flag for item in held for flag in item["flags"]}, key=SEVERITY.__getitem__)
    return [
        f"{flag}: the thread has {_FLAG_WORDS[flag]} not reviewed yet; a public reply waits "
        "for the review (POST /v1/feedback/{id}/review)."
        for flag in flags
    ]


def unreviewed_legal_items(
    conn: psycopg.Connection, subject_ids: list[UUID]
) -> list[dict[str, Any]]:
    """Return the subjects' items with legal flags no review covers and no hold keeps."""
    if not subject_ids:
        return []
    rows = conn.execute(
        queries()["list_unreviewed_legal_items_of_authors"],
        {"subject_ids": subject_ids, "flags": list(LEGAL_FLAGS), "severity": list(FLAGS)},
    ).fetchall()
    return [{"id": row["item_id"], "flags": row["flags"]} for row in rows]


def check_erasure(
    conn: psycopg.Connection,
    actor: Actor,
    request: Mapping[str, Any],
    subject_ids: list[UUID],
    *,
    confirmed: bool,
    reason: str | None,
) -> list[dict[str, Any]]:
    """Refuse an erasure that would delete unreviewed legally flagged items, unless confirmed.

    Raise UnreviewedLegalFlags (409) listing the items to review first; with ``confirmed`` and
    a reason, record ``triage.erasure_confirmed`` (item ids and flag counts) and return the
    items. The caller records the reason in the request's history.
    """
    items = unreviewed_legal_items(conn, subject_ids)
    if not items:
        return []
    if not confirmed:
        raise UnreviewedLegalFlags(
            f"{len(items)} item(s) of this data subject carry legal flags nobody has reviewed; "
            "erasing them could destroy evidence of a claim. Review them first "
            "(POST /v1/feedback/{id}/review), or execute again with "
            '"confirm_unreviewed_flags": true and a reason.',
            extra={"items": [{"id": str(i["id"]), "flags": i["flags"]} for i in items]},
        )
    if not reason or not reason.strip():
        raise Unprocessable(
            "Say why the erasure goes ahead without a review of the flagged items.",
            errors={"reason": ["Required with confirm_unreviewed_flags."]},
        )
    record_event(
        conn,
        actor,
        "triage.erasure_confirmed",
        target_type="dsr_request",
        target_id=request["id"],
        subject_ref=request["subject_ref"],
        details={
            "items": len(items),
            "item_ids": [str(item["id"]) for item in items],
            "flags": dict(Counter(flag for item in items for flag in item["flags"])),
        },
    )
    return items


def guard_erasure_request(
    conn: psycopg.Connection,
    actor: Actor,
    settings: Any,
    request: Mapping[str, Any],
    *,
    confirmed: bool,
    reason: str | None,
) -> None:
    """Run check_erasure for an erasure request's subject; record a confirmation in its history.

    ``settings`` are the request workflow's (secret and phone region match the subject as the
    erasure will).
    """
    from service.dsr.discovery import find_subject
    from service.dsr.requests import record_history, request_identifiers

    given = request_identifiers(conn, request["id"])
    match = find_subject(conn, settings.secret, given, phone_region=settings.phone_region)
    items = check_erasure(
        conn, actor, request, list(match.subject_ids), confirmed=confirmed, reason=reason
    )
    if items:
        record_history(
            conn,
            actor,
            request["id"],
            action="unreviewed_flags_confirmed",
            # Checked once the request is started, in the same transaction.
            from_status="in_progress",
            to_status="in_progress",
            reason=reason,
            details={"items": [str(item["id"]) for item in items]},
        )
