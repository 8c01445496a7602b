"""Scans: plan them as queued chunks of items, and scan one chunk (the body of a worker job).

A chunk's findings, redacted texts and its "done" mark are written in one transaction, keyed
on each item and the hash of the text that was analysed. A worker killed mid-chunk leaves
nothing behind; the retried job redoes the chunk, or finds it done and stops. An item whose
text changed while it was analysed is left to the scan that change queued.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import logging
import math
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

import psycopg
from psycopg_pool import ConnectionPool

from service.archive.identifiers import value_hash
from service.audit import SYSTEM, Actor, record_event
from service.db import queries
from service.errors import NotFound
from service.job_queue import defer_jobs
from service.triage.rules import load_ruleset
from service.triage.scan import evaluate_items, store_flags

if TYPE_CHECKING:
    from service.redaction import RedactionEngine

log = logging.getLogger(__name__)

QUEUE = "archive"
# The scan task as service.jobs registers it (the archive's blueprint, namespace "archive"),
# and its name before tasks were registered per domain: jobs queued under it still run.
SCAN_TASK = "archive:scan_chunk"
LEGACY_SCAN_TASK = "archive.scan_chunk"

_REDACTION_PACKAGE = Path(__file__).resolve().parent.parent / "redaction"


@functools.cache
def engine_version() -> str:
    """Return the version stamped on findings: Presidio, the spaCy model and the rule set.

    The rule set is a fingerprint of the detection code, so a deployment with changed
    recognizers stamps a new version without anyone remembering to bump a number, and
    ``POST /v1/scans`` (without ``rescan``) picks up every item scanned by an older one.
    """
    digest = hashlib.sha256()
    for path in sorted(_REDACTION_PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(_REDACTION_PACKAGE).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    presidio = importlib.metadata.version("presidio-analyzer")
    from service.redaction.nlp import SPACY_MODEL_PACKAGE

    model = importlib.metadata.version(SPACY_MODEL_PACKAGE.replace("_", "-"))
    return f"presidio-{presidio}+{SPACY_MODEL_PACKAGE}-{model}+rules-{digest.hexdigest()[:12]}"


def text_hash(text: str) -> bytes:
    """Return the SHA-256 of a text: what tells a scan which version of an item it covered."""
    return hashlib.sha256(text.encode()).digest()


def plan_scan(
    conn: psycopg.Connection,
    *,
    reason: str,
    item_ids: list[UUID],
    chunk_size: int,
    requested_by: UUID | None = None,
    platform: str | None = None,
    since: datetime | None = None,
    rescan: bool = False,
) -> UUID:
    """Create a scan of items, split it into chunks and queue one job per chunk; return its id."""
    q = queries()
    scan_id = conn.execute(
        q["insert_scan_run"],
        {
            "reason": reason,
            "requested_by": requested_by,
            "platform": platform,
            "since": since,
            "rescan": rescan,
            "items_total": len(item_ids),
            "chunks_total": math.ceil(len(item_ids) / chunk_size),
        },
    ).fetchone()["id"]
    if item_ids:
        chunks = [
            row["chunk"]
            for row in conn.execute(
                q["insert_scan_chunks"],
                {"scan_id": scan_id, "item_ids": item_ids, "chunk_size": chunk_size},
            ).fetchall()
        ]
        # Queued on the caller's connection, so the jobs exist exactly when the scan does.
        defer_jobs(
            conn,
            SCAN_TASK,
            queue=QUEUE,
            arguments=({"scan_id": str(scan_id), "chunk": chunk} for chunk in sorted(chunks)),
        )
    return scan_id


def request_scan(
    conn: psycopg.Connection,
    actor: Actor,
    *,
    platform: str | None,
    since: datetime | None,
    rescan: bool,
    chunk_size: int,
) -> dict[str, Any]:
    """Queue a scan of stored items (all matching with rescan, else those not scanned as they are
    by this engine version and triage rules), record `scan.requested`, and return the scan."""
    item_ids = [
        row["id"]
        for row in conn.execute(
            queries()["list_items_to_scan"],
            {
                "platform": platform,
                "since": since,
                "rescan": rescan,
                "engine_version": engine_version(),
                "triage_version": load_ruleset(conn).version,
            },
        ).fetchall()
    ]
    scan_id = plan_scan(
        conn,
        reason="request",
        item_ids=item_ids,
        chunk_size=chunk_size,
        requested_by=actor.key_id,
        platform=platform,
        since=since,
        rescan=rescan,
    )
    record_event(
        conn,
        actor,
        "scan.requested",
        target_type="scan",
        target_id=scan_id,
        details={"items": len(item_ids), "rescan": rescan, "platform": platform},
    )
    return get_scan(conn, scan_id)


def get_scan(conn: psycopg.Connection, scan_id: UUID) -> dict[str, Any]:
    """Return a scan with its status (queued, running, done, failed); raise NotFound."""
    row = conn.execute(
        queries()["get_scan_run"], {"id": scan_id, "task_names": [SCAN_TASK, LEGACY_SCAN_TASK]}
    ).fetchone()
    if row is None:
        raise NotFound(f"No scan with id {scan_id}.")
    if row["finished_at"] is not None:
        status = "done"
    elif row["chunks_failed"]:
        status = "failed"
    elif row["started_at"] is not None:
        status = "running"
    else:
        status = "queued"
    return {**row, "status": status}


def scan_chunk(
    pool: ConnectionPool, engine: RedactionEngine, secret: bytes, scan_id: UUID, chunk: int
) -> dict[str, Any]:
    """Scan the items of one chunk and store the results; safe to run again (returns counts)."""
    q = queries()
    with pool.connection() as conn:
        planned = conn.execute(q["get_scan_chunk"], {"scan_id": scan_id, "chunk": chunk}).fetchone()
        if planned is None:
            log.warning("scan chunk not found", extra={"scan_id": str(scan_id), "chunk": chunk})
            return {"status": "missing"}
        if planned["done_at"] is not None:
            return {"status": "already_done"}
        conn.execute(q["update_scan_started"], {"scan_id": scan_id})
        ruleset = load_ruleset(conn)

    version = engine_version()
    with pool.connection() as conn:
        items = conn.execute(q["list_items_of_scan_chunk"], {"ids": planned["item_ids"]}).fetchall()
    # A restricted subject's items are stored, not analysed (GDPR Art. 18(2), 21(1)).
    to_scan = [
        item
        for item in items
        if not item["processing_restricted"]
        and (
            planned["rescan"]
            or item["scanned_text_hash"] != item["text_hash"]
            or item["engine_version"] != version
            or item["triage_version"] != ruleset.version
        )
    ]
    # The slow part runs outside any transaction: no lock is held while the engine works.
    results = (
        engine.redact_batch([(str(item["id"]), item["text"], None) for item in to_scan])
        if to_scan
        else []
    )
    raised = evaluate_items(ruleset, to_scan)
    scanned_at = datetime.now(UTC)

    with pool.connection() as conn:
        locked = conn.execute(q["lock_scan_chunk"], {"scan_id": scan_id, "chunk": chunk}).fetchone()
        if locked is None or locked["done_at"] is not None:
            # Another run of this job finished the chunk meanwhile.
            return {"status": "already_done"}
        current = {
            row["id"]: row["text_hash"]
            for row in conn.execute(
                q["lock_items_for_scan"], {"ids": [item["id"] for item in to_scan]}
            ).fetchall()
        }
        written = [
            (item, result)
            for item, result in zip(to_scan, results, strict=True)
            if current.get(item["id"]) == item["text_hash"]
        ]
        found = _store_results(conn, secret, written, version, scanned_at)
        store_flags(
            conn, secret, ruleset, [(item, raised[item["id"]]) for item, _ in written], scanned_at
        )
        conn.execute(q["update_scan_chunk_done"], {"scan_id": scan_id, "chunk": chunk})
        run = conn.execute(
            q["update_scan_run_progress"],
            {
                "scan_id": scan_id,
                "items": len(planned["item_ids"]),
                "skipped": len(planned["item_ids"]) - len(written),
                "findings": sum(found.values()),
            },
        ).fetchone()
        if run["finished_at"] is not None:
            record_event(
                conn,
                SYSTEM,
                "scan.completed",
                target_type="scan",
                target_id=scan_id,
                details={
                    "reason": run["reason"],
                    "items": run["items_total"],
                    "scanned": run["items_total"] - run["items_skipped"],
                    "skipped": run["items_skipped"],
                    "findings": run["findings_found"],
                },
            )
    return {"status": "done", "scanned": len(written), "findings": dict(found)}


def _store_results(
    conn: psycopg.Connection,
    secret: bytes,
    written: list[tuple[dict[str, Any], Any]],
    version: str,
    scanned_at: datetime,
) -> Counter[str]:
    """Replace the findings and redacted text of scanned items; return findings per type."""
    q = queries()
    ids = [item["id"] for item, _ in written]
    conn.execute(q["delete_item_findings"], {"ids": ids})
    columns: dict[str, list] = {
        name: []
        for name in (
            "item_ids",
            "entity_types",
            "starts",
            "ends",
            "scores",
            "recognizers",
            "value_hashes",
        )
    }
    found: Counter[str] = Counter()
    for item, result in written:
        for finding in result.findings:
            columns["item_ids"].append(item["id"])
            columns["entity_types"].append(finding.entity_type)
            columns["starts"].append(finding.start)
            columns["ends"].append(finding.end)
            columns["scores"].append(finding.score)
            columns["recognizers"].append(finding.recognizer)
            columns["value_hashes"].append(
                value_hash(secret, finding.entity_type, item["text"][finding.start : finding.end])
            )
            found[finding.entity_type] += 1
    if columns["item_ids"]:
        conn.execute(
            q["insert_findings"],
            {**columns, "engine_version": version, "scanned_at": scanned_at},
        )
    conn.execute(
        q["update_items_scanned"],
        {
            "ids": ids,
            "languages": [result.language for _, result in written],
            "public_texts": [result.text for _, result in written],
            "finding_counts": [len(result.findings) for _, result in written],
            "scanned_at": scanned_at,
            "engine_version": version,
        },
    )
    return found
