"""Erasure: delete a subject's items and identifiers, redact mentions, keep what holds cover.

Everything happens in the caller's one transaction, so an erasure is applied whole or not at
all; it is idempotent (run again, it finds nothing left to do), so a retry after a crash or a
lock timeout simply runs it again. In order:

1. lock the matched archive subjects (ingestion adding items for them waits) and look again,
   so nothing stored meanwhile is missed;
2. find the active legal holds on those subjects, their items, and the items mentioning them;
3. delete the subject's items that no hold covers, with their findings;
4. replace the text of other people's items that mention the subject by their redacted text
   and delete those items' findings (the findings about the subject among them);
5. delete the identifiers and the subject rows that no hold needs: a subject with a held item
   keeps its identifiers, so the item can still be tied to its author and erased once the hold
   is released;
6. add keyed hashes of the erased identifiers and posts to the suppression list, and drop the
   stored access packages of the subject's requests.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg

from service.archive.scanning import text_hash
from service.audit import Actor, record_event, subject_ref
from service.db import queries
from service.dsr.discovery import SubjectMatch, find_subject, mention_items
from service.dsr.requests import request_identifiers
from service.dsr.settings import DsrSettings
from service.dsr.suppression import item_hasher, suppress
from service.redaction import get_engine

# Looking again after locking can find subjects stored meanwhile; this many rounds is plenty.
_MATCH_ROUNDS = 3


def answer_erasure_request(
    conn: psycopg.Connection,
    actor: Actor,
    settings: DsrSettings,
    request: Mapping[str, Any],
    *,
    now: datetime,
    **_: Any,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Erase the subject of an erasure request; return the result and the audit counts."""
    given = request_identifiers(conn, request["id"])
    result = erase_subject(
        conn,
        actor,
        settings,
        given,
        request_id=request["id"],
        request_subject_ref=request["subject_ref"],
        now=now,
    )
    audit_counts = {key: value for key, value in result.items() if isinstance(value, int)}
    return result, audit_counts


def erase_subject(
    conn: psycopg.Connection,
    actor: Actor,
    settings: DsrSettings,
    subject: Mapping[str, Sequence[Any]],
    *,
    request_id: UUID,
    request_subject_ref: str,
    now: datetime,
) -> dict[str, Any]:
    """Erase everything the archive holds about a subject outside legal holds; return counts.

    ``subject`` holds the identifiers as a request gives them (handles, emails, phones, names).
    Audit: one ``erasure.executed`` per archive subject (under its pseudonymous reference), or
    one under the request's reference when the archive holds no subject.
    """
    q = queries()
    match = _locked_match(conn, settings, subject)
    subject_ids = match.subject_ids
    mentions = mention_items(conn, match)
    holds = conn.execute(
        q["list_dsr_active_holds"],
        {
            "subject_ids": sorted(set(subject_ids) | {item["author_id"] for item in mentions}),
            "item_ids": [item["id"] for item in mentions],
        },
    ).fetchall()
    subject_holds = {hold["subject_id"]: hold for hold in holds if hold["subject_id"]}
    item_holds = {hold["feedback_id"]: hold for hold in holds if hold["feedback_id"]}

    kept: list[dict[str, Any]] = []
    kept_items_by_author: Counter = Counter()
    held_subjects = [subject_id for subject_id in subject_ids if subject_id in subject_holds]
    if held_subjects:
        for row in conn.execute(
            q["count_dsr_items_by_authors"], {"subject_ids": held_subjects}
        ).fetchall():
            kept_items_by_author[row["author_id"]] = row["items"]
    erasable_authors = [s for s in subject_ids if s not in subject_holds]
    kept_own_items = []
    for hold in item_holds.values():
        if hold["item_author_id"] in erasable_authors:
            kept_own_items.append(hold["feedback_id"])
            kept_items_by_author[hold["item_author_id"]] += 1
            kept.append(_kept("feedback_item", hold["feedback_id"], "authored", hold))
    redactable_mentions = []
    for item in mentions:
        hold = subject_holds.get(item["author_id"]) or item_holds.get(item["id"])
        if hold is None:
            redactable_mentions.append(item)
        else:
            kept.append(_kept("feedback_item", item["id"], "mention", hold))

    scope = {"subject_ids": erasable_authors, "kept_item_ids": kept_own_items}
    findings_deleted = conn.execute(q["delete_dsr_findings_of_authors"], scope).rowcount
    erased_items = conn.execute(q["delete_dsr_items_of_authors"], scope).fetchall()
    mentions_redacted, mention_findings_deleted = _redact_mentions(
        conn, settings.secret, redactable_mentions, now
    )

    erasable_subjects = [s for s in erasable_authors if not kept_items_by_author[s]]
    kept_subjects = set(subject_ids) - set(erasable_subjects)
    for subject_id in held_subjects:
        kept.append(
            {
                **_kept("subject", subject_id, "authored", subject_holds[subject_id]),
                "items": kept_items_by_author[subject_id],
            }
        )
    identifiers_deleted = conn.execute(
        q["delete_dsr_identifiers_of_subjects"], {"subject_ids": erasable_subjects}
    ).rowcount
    conn.execute(q["delete_dsr_subjects"], {"subject_ids": erasable_subjects})

    kept_keys = {
        (row["kind"], row["platform"], bytes(row["value_hash"]))
        for row in match.identifiers
        if row["subject_id"] in kept_subjects
    }
    entries = [key for key in match.strong_keys if key not in kept_keys]
    item_key = item_hasher(settings.secret)
    entries += [
        ("item", item["platform"], item_key(item["platform"], item["external_id"]))
        for item in erased_items
    ]
    suppressed = suppress(conn, request_id, entries)
    packages_purged = conn.execute(
        q["update_dsr_packages_of_same_subject_purged"], {"request_id": request_id}
    ).rowcount

    _audit_erasure(
        conn,
        actor,
        settings,
        request_id,
        request_subject_ref,
        subject_ids=subject_ids,
        erased_items=Counter(item["author_id"] for item in erased_items),
        kept_items=kept_items_by_author,
        kept_subjects=kept_subjects,
        identifiers=Counter(row["subject_id"] for row in match.identifiers),
        subject_holds=subject_holds,
        mentions_redacted=mentions_redacted,
    )
    return {
        "subjects_matched": len(subject_ids),
        "subjects_erased": len(erasable_subjects),
        "items_deleted": len(erased_items),
        "findings_deleted": findings_deleted + mention_findings_deleted,
        "identifiers_deleted": identifiers_deleted,
        "mentions_redacted": mentions_redacted,
        "suppression_entries_added": suppressed,
        "packages_purged": packages_purged,
        "kept_by_hold": len(kept),
        "kept": kept,
        "unmatched_identifiers": match.unmatched,
    }


def _locked_match(
    conn: psycopg.Connection, settings: DsrSettings, subject: Mapping[str, Sequence[Any]]
) -> SubjectMatch:
    """Find the subject, lock its archive rows, and look again until nothing new turns up."""
    locked: set[UUID] = set()
    for _ in range(_MATCH_ROUNDS):
        match = find_subject(conn, settings.secret, subject, phone_region=settings.phone_region)
        new = set(match.subject_ids) - locked
        if not new:
            return match
        conn.execute(queries()["lock_dsr_subjects"], {"subject_ids": sorted(new)})
        locked |= new
    return find_subject(conn, settings.secret, subject, phone_region=settings.phone_region)


def _redact_mentions(
    conn: psycopg.Connection, secret: bytes, items: Sequence[Mapping[str, Any]], now: datetime
) -> tuple[int, int]:
    """Replace the texts of items mentioning the subject by their redacted texts."""
    if not items:
        return 0, 0
    texts: list[str] = []
    unscanned = [item for item in items if item["public_text"] is None or not item["scanned"]]
    fresh: dict[UUID, str] = {}
    if unscanned:
        engine = get_engine(secret)
        fresh = {item["id"]: engine.redact(item["text"]).text for item in unscanned}
    for item in items:
        texts.append(fresh.get(item["id"], item["public_text"]))
    ids = [item["id"] for item in items]
    findings_deleted = conn.execute(
        queries()["delete_dsr_findings_of_items"], {"item_ids": ids}
    ).rowcount
    conn.execute(
        queries()["update_dsr_item_texts"],
        {
            "item_ids": ids,
            "texts": texts,
            "text_hashes": [text_hash(text) for text in texts],
            "now": now,
        },
    )
    return len(ids), findings_deleted


def _kept(what: str, target_id: UUID, relation: str, hold: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "what": what,
        "id": str(target_id),
        "relation": relation,
        "hold_id": str(hold["id"]),
        "basis": hold["basis"],
    }


def _audit_erasure(
    conn: psycopg.Connection,
    actor: Actor,
    settings: DsrSettings,
    request_id: UUID,
    request_subject_ref: str,
    *,
    subject_ids: Sequence[UUID],
    erased_items: Counter,
    kept_items: Counter,
    kept_subjects: set[UUID],
    identifiers: Counter,
    subject_holds: Mapping[UUID, Mapping[str, Any]],
    mentions_redacted: int,
) -> None:
    if not subject_ids:
        record_event(
            conn,
            actor,
            "erasure.executed",
            target_type="dsr_request",
            target_id=request_id,
            subject_ref=request_subject_ref,
            details={"subjects_matched": 0, "mentions_redacted": mentions_redacted},
        )
        return
    for subject_id in subject_ids:
        kept = subject_id in kept_subjects
        hold = subject_holds.get(subject_id)
        record_event(
            conn,
            actor,
            "erasure.executed",
            target_type="dsr_request",
            target_id=request_id,
            subject_ref=subject_ref(settings.secret, subject_id),
            outcome="partial" if kept else "success",
            details={
                "items_deleted": erased_items[subject_id],
                "items_kept": kept_items[subject_id],
                "identifiers_deleted": 0 if kept else identifiers[subject_id],
                "identifiers_kept": identifiers[subject_id] if kept else 0,
                "hold_basis": hold["basis"] if hold else None,
                "mentions_redacted": mentions_redacted,
            },
        )
