"""Full verifications of the audit log as background jobs, with their progress."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

from service.audit.events import Actor, record_event
from service.audit.log import LogReport, keyring, verify_log
from service.audit.signing import AuditSettings
from service.db import Database, queries
from service.errors import NotFound
from service.job_queue import defer_job

log = logging.getLogger(__name__)

NAMESPACE = "audit"
QUEUE = "audit"
VERIFY_TASK = f"{NAMESPACE}:verify_log"


def request_verification(conn: psycopg.Connection, actor: Actor, from_size: int) -> dict[str, Any]:
    """Queue a verification of the log from a signed size; record it; return its row."""
    cur = conn.cursor(row_factory=dict_row)
    verification_id = cur.execute(
        queries()["insert_audit_verification"],
        {"requested_by": actor.actor_id, "from_size": from_size},
    ).fetchone()["id"]
    record_event(
        conn,
        actor,
        "audit.verification_requested",
        target_type="audit_verification",
        target_id=verification_id,
        details={"from_size": from_size},
    )
    # Queued on the caller's connection: the job exists exactly when the row does.
    defer_job(conn, VERIFY_TASK, queue=QUEUE, verification_id=str(verification_id))
    return get_verification(conn, verification_id)


def get_verification(conn: psycopg.Connection, verification_id: UUID) -> dict[str, Any]:
    """Return one verification with its progress, or raise NotFound."""
    cur = conn.cursor(row_factory=dict_row)
    row = cur.execute(queries()["get_audit_verification"], {"id": verification_id}).fetchone()
    if row is None:
        raise NotFound("No such verification.")
    return row


def run_verification(
    database: Database, settings: AuditSettings, verification_id: UUID
) -> dict[str, Any]:
    """Verify the log for a queued verification, recording progress and the outcome."""
    q = queries()
    with database.transaction() as conn:
        row = get_verification(conn, verification_id)
        verifiers = keyring(conn, settings)

    def progress(report: LogReport) -> None:
        with database.transaction() as conn:
            conn.execute(
                q["update_audit_verification_progress"],
                {
                    "id": verification_id,
                    "status": "running",
                    "tree_size": report.tree_size,
                    "checked": report.checked,
                },
            )

    progress(LogReport(from_size=row["from_size"]))
    with database.transaction() as conn:
        report = verify_log(conn, verifiers, from_size=row["from_size"], progress=progress)
    with database.transaction() as conn:
        conn.execute(
            q["update_audit_verification_result"],
            {
                "id": verification_id,
                "status": "done",
                "tree_size": report.tree_size,
                "checked": report.checked,
                "ok": report.ok,
                "first_bad_seq": report.first_bad_seq,
                "reason": report.reason,
            },
        )
    if not report.ok:
        log.critical(
            "audit verification failed",
            extra={"first_bad_seq": report.first_bad_seq, "reason": report.reason},
        )
    return {"ok": report.ok, "checked": report.checked}
