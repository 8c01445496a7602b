"""The daily digest of requests due soon or overdue, for the privacy officer and a webhook.

It names requests by id, type, regime, status and dates only, and undelivered recipient tasks
by id, recipient and error category: no identifiers, no reasons (so it may sit in a job's
arguments). The webhook is POSTed by a job of its own
(``dsr:send_digest_webhook``), queued with the digest and retried like a recipient task.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from service.audit import SYSTEM, record_event
from service.db import Database, queries
from service.dsr.mail import send_mail
from service.dsr.settings import DsrSettings
from service.dsr.webhooks import DELIVERY_HEADER, IDEMPOTENCY_HEADER, deliver
from service.job_queue import defer_job

QUEUE = "dsr"
# The job POSTing a digest to PRIVACY_DSR_DIGEST_WEBHOOK_URL (service/dsr/tasks.py).
WEBHOOK_TASK = "dsr:send_digest_webhook"


def build_digest(
    conn: psycopg.Connection, settings: DsrSettings, *, now: datetime | None = None
) -> dict[str, Any]:
    """Return the open requests that are overdue, due within the due-soon days, or failed,
    and the recipient tasks every attempt to deliver failed (``undelivered``)."""
    now = now or datetime.now(UTC)
    rows = conn.execute(
        queries()["list_dsr_digest"],
        {"now": now, "soon": now + timedelta(days=settings.due_soon_days)},
    ).fetchall()
    digest: dict[str, Any] = {
        "generated_at": now.isoformat(),
        "due_soon_days": settings.due_soon_days,
        "overdue": [],
        "due_soon": [],
        # A recipient is a company, not the subject: its name may be listed.
        "undelivered": [
            {
                "request_id": str(task["request_id"]),
                "task_id": str(task["id"]),
                "recipient": task["recipient_name"],
                "last_error": task["last_error"],
                "last_attempt_at": task["last_attempt_at"].isoformat()
                if task["last_attempt_at"]
                else None,
            }
            for task in conn.execute(queries()["list_dsr_undelivered_tasks"]).fetchall()
        ],
    }
    for row in rows:
        digest["overdue" if row["due_at"] <= now else "due_soon"].append(
            {
                "id": str(row["id"]),
                "type": row["type"],
                "regime": row["regime"],
                "status": row["status"],
                "due_on": row["due_on"].isoformat(),
                "due_at": row["due_at"].isoformat(),
                "failed": row["failed_at"] is not None,
            }
        )
    return digest


def digest_text(digest: dict[str, Any]) -> str:
    """Return the digest as the plain text of an e-mail."""
    lines = [f"Data-subject requests at {digest['generated_at']}", ""]
    for title, key in (
        ("Overdue", "overdue"),
        (f"Due within {digest['due_soon_days']} days", "due_soon"),
    ):
        lines.append(f"{title}: {len(digest[key])}")
        lines += [
            f"- {e['id']}  {e['regime'].upper()} {e['type']}  {e['status']}  due {e['due_on']}"
            + ("  (execution failed: retry it)" if e["failed"] else "")
            for e in digest[key]
        ]
        lines.append("")
    if digest["undelivered"]:
        lines.append(
            f"Recipient tasks not delivered (send them again): {len(digest['undelivered'])}"
        )
        lines += [
            f"- request {e['request_id']}  task {e['task_id']}  {e['recipient']}  "
            f"({e['last_error']})"
            for e in digest["undelivered"]
        ]
        lines.append("")
    return "\n".join(lines)


def send_digest(
    conn: psycopg.Connection, settings: DsrSettings, *, now: datetime | None = None
) -> dict[str, Any]:
    """Build the digest, mail it to the officer and POST it to the webhook; return what happened."""
    digest = build_digest(conn, settings, now=now)
    # One digest per generation time: a receiver seeing the key again has this digest already.
    digest_key = f"dsr-digest-{digest['generated_at']}"
    delivered: dict[str, Any] = {"mail": None, "webhook": None}
    if settings.smtp is not None and settings.officer_email:
        try:
            send_mail(
                settings.smtp,
                to=settings.officer_email,
                subject=f"Requests: {len(digest['overdue'])} overdue, "
                f"{len(digest['due_soon'])} due soon",
                body=digest_text(digest),
            )
            delivered["mail"] = "sent"
        except OSError as exc:
            delivered["mail"] = type(exc).__name__
    if settings.digest_webhook_url:
        # Sent by a worker, once this transaction has committed, with retries.
        defer_job(
            conn,
            WEBHOOK_TASK,
            queue=QUEUE,
            digest=digest,
            delivery_id=str(uuid.uuid4()),
            idempotency_key=digest_key,
            attempt=1,
        )
        delivered["webhook"] = "queued"
    record_event(
        conn,
        SYSTEM,
        "dsr.digest_sent",
        details={
            "overdue": len(digest["overdue"]),
            "due_soon": len(digest["due_soon"]),
            "undelivered": len(digest["undelivered"]),
            **delivered,
        },
    )
    return {**digest, "delivered": delivered}


def deliver_digest_webhook(
    db: Database,
    settings: DsrSettings,
    digest: dict[str, Any],
    *,
    delivery_id: str,
    idempotency_key: str,
    attempt: int,
    now: datetime | None = None,
) -> str:
    """Make one attempt to POST a digest (the job's work); return ``sent``, ``pending`` (the
    next attempt is queued) or ``failed`` (no attempt left), or ``skipped`` without a URL.

    The URL is checked like a recipient's webhook (https, public addresses, no redirects).
    Every attempt carries the same delivery id and idempotency key.
    """
    url = settings.digest_webhook_url
    if not url:
        return "skipped"
    error = deliver(
        url,
        digest,
        settings.webhook_secret,
        policy=settings.webhooks,
        headers={DELIVERY_HEADER: delivery_id, IDEMPOTENCY_HEADER: idempotency_key},
    )
    with db.transaction() as conn:
        if error is None:
            status = "sent"
        elif attempt <= len(settings.send_retry_seconds):
            status = "pending"
            wait = timedelta(seconds=settings.send_retry_seconds[attempt - 1])
            defer_job(
                conn,
                WEBHOOK_TASK,
                queue=QUEUE,
                schedule_at=(now or datetime.now(UTC)) + wait,
                digest=digest,
                delivery_id=delivery_id,
                idempotency_key=idempotency_key,
                attempt=attempt + 1,
            )
        else:
            status = "failed"
        record_event(
            conn,
            SYSTEM,
            "dsr.digest_webhook_attempted",
            details={"status": status, "error": error, "attempt": attempt},
        )
    return status
