"""Access and portability: gather the subject's data, build the package, store and serve it."""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg

from service.archive.identifiers import value_hash
from service.audit import Actor, record_event
from service.db import queries
from service.dsr.discovery import (
    find_subject,
    findings_of_items,
    items_by_subjects,
    mention_items,
    thread_items,
)
from service.dsr.package import build_access_package
from service.dsr.requests import lock_request, request_identifiers
from service.dsr.settings import DsrSettings
from service.errors import Gone, NotFound
from service.redaction import get_engine

# Entity types that identify a person: in the subject's own items, only these can be someone
# else's data.
_PERSON_IDENTIFIER_TYPES = frozenset(
    {"PERSON", "SOCIAL_HANDLE", "PROFILE_URL", "EMAIL_ADDRESS", "PHONE_NUMBER"}
)


def store_package(
    conn: psycopg.Connection,
    settings: DsrSettings,
    request_id: UUID,
    content: bytes,
    *,
    now: datetime,
) -> dict[str, Any]:
    """Store a request's package until it expires; drop the content of expired ones meanwhile."""
    q = queries()
    conn.execute(q["update_dsr_packages_expired"], {"now": now})
    summary = {
        "size_bytes": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "expires_at": now + timedelta(days=settings.package_ttl_days),
    }
    conn.execute(
        q["upsert_dsr_package"],
        {"request_id": request_id, "content": content, "now": now, **summary},
    )
    return summary


def download_package(
    conn: psycopg.Connection,
    actor: Actor,
    settings: DsrSettings,
    request_id: UUID,
    *,
    now: datetime | None = None,
) -> bytes:
    """Return a request's package and record the download; raise Gone once it has expired."""
    now = now or datetime.now(UTC)
    request = lock_request(conn, request_id)
    q = queries()
    package = conn.execute(q["get_dsr_package"], {"request_id": request_id}).fetchone()
    if package is None:
        raise NotFound(
            f"Request {request_id} has no package: only an executed access or portability "
            "request has one."
        )
    if now >= package["expires_at"] or package["content"] is None:
        raise Gone(
            f"The package of request {request_id} expired at "
            f"{package['expires_at'].isoformat()}; file a new request if the data subject still "
            "needs a copy.",
            extra={"expired_at": package["expires_at"].isoformat()},
        )
    conn.execute(q["update_dsr_package_downloaded"], {"request_id": request_id})
    record_event(
        conn,
        actor,
        "dsr.package_downloaded",
        target_type="dsr_request",
        target_id=request_id,
        subject_ref=request["subject_ref"],
        details={"size_bytes": package["size_bytes"], "sha256": package["sha256"]},
    )
    return bytes(package["content"])


def answer_access_request(
    conn: psycopg.Connection,
    actor: Actor,
    settings: DsrSettings,
    request: Mapping[str, Any],
    *,
    now: datetime,
    **_: Any,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Build and store the package of an access or portability request; return its summary."""
    with cyclic_gc_paused():
        subject, records, counts = gather_subject_data(conn, settings, request)
        content = build_access_package(
            request={
                "id": request["id"],
                "type": request["type"],
                "regime": request["regime"],
                "received_at": request["received_at"],
                "due_on": request["due_on"],
            },
            subject=subject,
            records=records,
            controller=settings.controller,
            generated_at=now,
        )
    package = store_package(conn, settings, request["id"], content, now=now)
    result = {**counts, "package": {**package, "expires_at": package["expires_at"].isoformat()}}
    return result, counts


def gather_subject_data(
    conn: psycopg.Connection, settings: DsrSettings, request: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, list[dict]], dict[str, int]]:
    """Return (subject, records by kind, counts) for a request's package.

    Records: the subject's own items, other people's items in their threads or mentioning
    them, the findings about the subject, the archive's identifiers and the request itself.
    Other people's personal data in any of these texts is replaced by its type, like
    ``<PERSON>`` (GDPR Art. 15(4), 20(4)).
    """
    given = request_identifiers(conn, request["id"])
    match = find_subject(conn, settings.secret, given, phone_region=settings.phone_region)
    own = items_by_subjects(conn, match.subject_ids)
    related: dict[UUID, dict] = {}
    for relation, rows in (
        ("thread", thread_items(conn, match.subject_ids)),
        ("mention", mention_items(conn, match)),
    ):
        for row in rows:
            entry = related.setdefault(row["id"], {**row, "relations": []})
            entry["relations"].append(relation)
    findings = findings_of_items(conn, subject_ids=match.subject_ids, item_ids=list(related))
    _analyse_unscanned(settings.secret, [*own, *related.values()], findings)

    own_rows, own_findings, own_redacted = [], [], 0
    for item in own:
        text, kept, redacted = redact_others(
            item["text"], findings.get(item["id"], ()), match.mention_hashes, own_item=True
        )
        own_redacted += redacted
        own_rows.append(
            {
                "id": item["id"],
                "platform": item["platform"],
                "external_id": item["external_id"],
                "kind": item["kind"],
                "visibility": item["visibility"],
                "created_at": item["created_at"],
                "in_reply_to_id": item["in_reply_to_id"],
                "language": item["language"],
                "text": text,
                "third_party_values_redacted": redacted,
            }
        )
        own_findings.extend({"item_id": item["id"], **finding} for finding in kept)
    related_rows, related_findings, related_redacted = [], [], 0
    for item in related.values():
        text, kept, redacted = redact_others(
            item["text"], findings.get(item["id"], ()), match.mention_hashes, own_item=False
        )
        related_redacted += redacted
        related_rows.append(
            {
                "id": item["id"],
                "platform": item["platform"],
                "relation": "+".join(item["relations"]),
                "kind": item["kind"],
                "created_at": item["created_at"],
                "in_reply_to_id": item["in_reply_to_id"],
                "text": text,
            }
        )
        related_findings.extend({"item_id": item["id"], **finding} for finding in kept)

    identifiers = [
        {
            "kind": row["kind"],
            "platform": row["platform"],
            "value": row["value"],
            "first_seen_at": row["created_at"],
        }
        for row in match.identifiers
    ]
    records = {
        "feedback_items": own_rows,
        "related_items": related_rows,
        "findings": own_findings + related_findings,
        "identifiers": identifiers,
        "requests": [
            {
                "id": request["id"],
                "type": request["type"],
                "regime": request["regime"],
                "channel": request["channel"],
                "received_at": request["received_at"],
                "due_on": request["due_on"],
                "verified_at": request["verified_at"],
                "verification_method": request["verification_method"],
            }
        ],
    }
    subject = {"identifiers_given": given, "archive_accounts": len(match.subject_ids)}
    counts = {
        "subjects_matched": len(match.subject_ids),
        "items": len(own_rows),
        "related_items": len(related_rows),
        "findings": len(records["findings"]),
        "identifiers": len(identifiers),
        "third_party_values_redacted": own_redacted + related_redacted,
    }
    return subject, records, counts


def redact_others(
    text: str,
    findings: Sequence[Mapping[str, Any]],
    subject_hashes: set[bytes],
    *,
    own_item: bool,
) -> tuple[str, list[dict[str, Any]], int]:
    """Replace other people's personal data in a text by its type; keep the subject's own.

    A finding is the subject's when its value hash is one of ``subject_hashes``. In the subject's
    own item, findings of types that are not identifiers of a person (an order number, an
    address) are theirs as well; in anyone else's item, they are not. Return the text, the
    subject's findings (type and value) and how many values were replaced.
    """
    pieces: list[str] = []
    kept: list[dict[str, Any]] = []
    position = 0
    redacted = 0
    for finding in sorted(findings, key=lambda f: (f["start_offset"], -f["end_offset"])):
        start, end = finding["start_offset"], finding["end_offset"]
        if start < position or end > len(text):
            continue  # overlaps a span already handled, or stale offsets
        value = text[start:end]
        theirs = bytes(finding["value_hash"]) in subject_hashes or (
            own_item and finding["entity_type"] not in _PERSON_IDENTIFIER_TYPES
        )
        if theirs:
            kept.append({"entity_type": finding["entity_type"], "value": value})
            continue
        pieces.append(text[position:start])
        pieces.append(f"<{finding['entity_type']}>")
        position = end
        redacted += 1
    pieces.append(text[position:])
    return "".join(pieces), kept, redacted


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for a burst of short-lived, acyclic objects.

    A package for 10,000 items allocates some hundred thousand dicts and strings, which makes
    the collector run full passes over every object of the process (the NLP models included)
    several times: a third of the time of the package. Reference counting still frees them.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _analyse_unscanned(
    secret: bytes, items: Sequence[Mapping[str, Any]], findings: dict[UUID, list]
) -> None:
    """Find personal data in items the archive has not scanned as they are now."""
    stale = [item for item in items if not item["scanned"] and item["text"].strip()]
    if not stale:
        return
    engine = get_engine(secret)
    for item in stale:
        analysis = engine.analyze(item["text"])
        findings[item["id"]] = [
            {
                "entity_type": finding.entity_type,
                "start_offset": finding.start,
                "end_offset": finding.end,
                "value_hash": value_hash(
                    secret, finding.entity_type, item["text"][finding.start : finding.end]
                ),
            }
            for finding in analysis.findings
        ]
