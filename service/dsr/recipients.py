"""Recipients and processors, and passing a request on to each of them.

GDPR Art. 19 (and 17(2) for data made public): each recipient to whom the data were disclosed
is told of a rectification, erasure or restriction, unless that proves impossible or involves
disproportionate effort. CCPA: service providers and contractors are told to delete
(§ 1798.105(c); regulations § 7022(b)(2)-(3)) and to correct (§ 7023(c)); the third parties the
business sold to or shared with are told of an opt-out (§ 7026(f)). One task per relevant
recipient records how it was told (a signed webhook, or an e-mail to its contact) and ends
completed with evidence, or closed as impossible or disproportionate with a reason; the
request waits as ``awaiting_recipients`` until every task has ended.

Tasks are created with the request's work, in its transaction, together with the job that
delivers each (``dsr:send_recipient_task``): a recipient is never told of an erasure that
rolled back, and is surely told of one that committed. Failed attempts are retried after
``PRIVACY_DSR_SEND_RETRY_SECONDS``; the last leaves the task ``send_failed`` for the officer to
queue again (``queue_task_again``). What is sent carries the subject's identifiers (the
recipient cannot act without them), read from the request at sending time; what is stored in
a task does not: its channel, delivery state, error category and outcome only. A
rectification's corrections are stored sealed (``service.sealing``) only while a task may
still be sent.
"""

from __future__ import annotations

import json
import logging
import smtplib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg

from service.audit import SYSTEM, Actor, record_event
from service.db import Database, queries
from service.dsr.mail import send_mail
from service.dsr.requests import complete_after_recipients, request_identifiers
from service.dsr.settings import DsrSettings
from service.dsr.webhooks import (
    DELIVERY_HEADER,
    IDEMPOTENCY_HEADER,
    WebhookPolicy,
    WebhookRefused,
    deliver,
    failure_category,
    resolve_webhook_url,
)
from service.errors import Conflict, NotFound, Unprocessable
from service.job_queue import defer_job
from service.sealing import SealError, seal, unseal

log = logging.getLogger(__name__)

QUEUE = "dsr"
# The job delivering one task (service/dsr/tasks.py registers it).
SEND_TASK = "dsr:send_recipient_task"
# Fixed and public, like the TOTP secrets' salt: the service secret carries the entropy.
_CORRECTIONS_SALT = b"privacy-service/dsr/corrections/v1"

RECIPIENT_KINDS = ("processor", "controller", "third_party")
# The action each request type asks of a recipient.
TASK_ACTIONS = {
    "erasure": "erase",
    "rectification": "rectify",
    "restriction": "restrict",
    "opt_out": "opt_out",
}
# How a task ends: done (with evidence), or not done for a reason the law accepts.
TASK_RESOLUTIONS = ("completed", "impossible", "disproportionate")
OPEN_TASK_STATUSES = frozenset({"pending", "sent", "send_failed"})
_ACTION_WORDS = {
    "erase": "erase the personal data of",
    "rectify": "correct the personal data of",
    "restrict": "restrict (store only, do not otherwise process) the personal data of",
    "opt_out": "stop selling or sharing the personal information of",
}


def check_webhook_url(url: str, policy: WebhookPolicy) -> None:
    """Raise Unprocessable (field ``webhook_url``) for a URL the service may not call."""
    try:
        resolve_webhook_url(url, policy)
    except WebhookRefused as exc:
        raise Unprocessable(str(exc), errors={"webhook_url": [str(exc)]}) from exc


def _check_reachable(fields: Mapping[str, Any], policy: WebhookPolicy) -> None:
    if not fields.get("contact_email") and not fields.get("webhook_url"):
        message = "Give a contact_email or a webhook_url: a recipient must be reachable."
        raise Unprocessable(message, errors={"contact_email": [message], "webhook_url": [message]})
    if fields.get("webhook_url"):
        check_webhook_url(fields["webhook_url"], policy)


def register_recipient(
    conn: psycopg.Connection,
    actor: Actor,
    settings: DsrSettings,
    fields: Mapping[str, Any],
) -> dict[str, Any]:
    """Add a recipient or processor to the register; return it.

    A webhook URL must be one the service may call (https, public addresses: see
    ``service.dsr.webhooks``), else 422.
    """
    _check_reachable(fields, settings.webhooks)
    row = conn.execute(
        queries()["insert_dsr_recipient"],
        {
            "name": fields["name"],
            "kind": fields["kind"],
            "contact_email": fields.get("contact_email"),
            "webhook_url": fields.get("webhook_url"),
            "data_categories": list(fields.get("data_categories") or []),
            "purposes": list(fields.get("purposes") or []),
            "sale_or_sharing": bool(fields.get("sale_or_sharing")),
        },
    ).fetchone()
    record_event(
        conn,
        actor,
        "recipient.registered",
        target_type="recipient",
        target_id=row["id"],
        details={"kind": row["kind"], "sale_or_sharing": row["sale_or_sharing"]},
    )
    return row


def update_recipient(
    conn: psycopg.Connection,
    actor: Actor,
    settings: DsrSettings,
    recipient_id: UUID,
    changes: Mapping[str, Any],
) -> dict[str, Any]:
    """Change a recipient's entry (the fields given; null clears a contact); return it.

    Tasks already created keep going where they were queued; a webhook URL is checked as at
    registration. An archived recipient cannot be changed (409).
    """
    row = conn.execute(queries()["lock_dsr_recipient"], {"id": recipient_id}).fetchone()
    if row is None:
        raise NotFound(f"No recipient with id {recipient_id}.")
    if row["archived_at"] is not None:
        raise Conflict("The recipient is archived; register it again instead.")
    merged = {**row, **changes}
    _check_reachable(merged, settings.webhooks)
    changed = sorted(field for field in changes if field in row and changes[field] != row[field])
    updated = conn.execute(
        queries()["update_dsr_recipient"],
        {
            "id": recipient_id,
            "name": merged["name"],
            "kind": merged["kind"],
            "contact_email": merged.get("contact_email"),
            "webhook_url": merged.get("webhook_url"),
            "data_categories": list(merged.get("data_categories") or []),
            "purposes": list(merged.get("purposes") or []),
            "sale_or_sharing": bool(merged.get("sale_or_sharing")),
        },
    ).fetchone()
    record_event(
        conn,
        actor,
        "recipient.updated",
        target_type="recipient",
        target_id=recipient_id,
        details={"fields": changed},
    )
    return updated


def get_recipient(conn: psycopg.Connection, recipient_id: UUID) -> dict[str, Any]:
    """Return one recipient; raise NotFound."""
    row = conn.execute(queries()["get_dsr_recipient"], {"id": recipient_id}).fetchone()
    if row is None:
        raise NotFound(f"No recipient with id {recipient_id}.")
    return row


def list_recipients(
    conn: psycopg.Connection, *, include_archived: bool = False
) -> list[dict[str, Any]]:
    """Return the register, active recipients first."""
    return conn.execute(
        queries()["list_dsr_recipients"], {"include_archived": include_archived}
    ).fetchall()


def archive_recipient(
    conn: psycopg.Connection, actor: Actor, recipient_id: UUID, *, now: datetime | None = None
) -> dict[str, Any]:
    """Take a recipient off the register for new requests (idempotent); return it."""
    row = conn.execute(
        queries()["update_dsr_recipient_archived"],
        {"id": recipient_id, "now": now or datetime.now(UTC)},
    ).fetchone()
    if row is None:
        raise NotFound(f"No recipient with id {recipient_id}.")
    record_event(conn, actor, "recipient.archived", target_type="recipient", target_id=recipient_id)
    return row


def recipients_named(conn: psycopg.Connection) -> list[str]:
    """Return the actual recipients, as an access package names them (CJEU C-154/21)."""
    return [
        f"{row['name']} ({row['kind'].replace('_', ' ')})"
        + (f": {', '.join(row['purposes'])}" if row["purposes"] else "")
        + (f"; data: {', '.join(row['data_categories'])}" if row["data_categories"] else "")
        for row in list_recipients(conn)
    ]


def create_tasks(
    conn: psycopg.Connection,
    actor: Actor,
    settings: DsrSettings,
    request: Mapping[str, Any],
    *,
    corrections: Sequence[Mapping[str, Any]] = (),
    now: datetime,
) -> list[dict[str, Any]]:
    """Create one pending task per recipient a carried-out request must be passed on to, and
    queue the job delivering each, on ``conn``: they exist exactly when the work commits.

    A rectification's corrections are stored sealed beside them, for the jobs (and a later
    resend) to read.
    """
    action = TASK_ACTIONS.get(request["type"])
    if action is None:
        return []
    recipients = conn.execute(
        queries()["list_dsr_recipients_to_tell"], {"sale_or_sharing_only": action == "opt_out"}
    ).fetchall()
    tasks = []
    for recipient in recipients:
        task = conn.execute(
            queries()["insert_dsr_recipient_task"],
            {
                "request_id": request["id"],
                "recipient_id": recipient["id"],
                "action": action,
                "channel": "webhook" if recipient["webhook_url"] else "notice",
                "now": now,
            },
        ).fetchone()
        record_event(
            conn,
            actor,
            "dsr.recipient_task_created",
            target_type="dsr_request",
            target_id=request["id"],
            subject_ref=request["subject_ref"],
            details={
                "task_id": str(task["id"]),
                "recipient_id": str(recipient["id"]),
                "action": action,
                "channel": task["channel"],
            },
        )
        _queue_delivery(conn, task)
        tasks.append(task)
    if tasks and action == "rectify":
        seal_corrections(conn, settings, request["id"], corrections)
    return tasks


def _queue_delivery(conn: psycopg.Connection, task: Mapping[str, Any]) -> None:
    defer_job(
        conn,
        SEND_TASK,
        queue=QUEUE,
        task_id=str(task["id"]),
        delivery_id=str(task["delivery_id"]),
    )


def seal_corrections(
    conn: psycopg.Connection,
    settings: DsrSettings,
    request_id: UUID,
    corrections: Sequence[Mapping[str, Any]],
) -> None:
    """Store a rectification's corrections sealed (AES-GCM, key outside the database)."""
    plaintext = json.dumps([dict(c) for c in corrections], sort_keys=True).encode()
    conn.execute(
        queries()["upsert_dsr_sealed_corrections"],
        {
            "request_id": request_id,
            "sealed": seal(
                settings.secret,
                plaintext,
                salt=_CORRECTIONS_SALT,
                purpose=b"corrections",
                context=request_id.bytes,
            ),
        },
    )


def open_corrections(
    conn: psycopg.Connection, settings: DsrSettings, request_id: UUID
) -> list[dict[str, Any]] | None:
    """Return a rectification's sealed corrections, or None when they are no longer kept
    (or no longer open: sealed under a service secret that has since changed)."""
    row = conn.execute(
        queries()["get_dsr_sealed_corrections"], {"request_id": request_id}
    ).fetchone()
    if row is None:
        return None
    try:
        plaintext = unseal(
            settings.secret,
            bytes(row["sealed"]),
            salt=_CORRECTIONS_SALT,
            purpose=b"corrections",
            context=request_id.bytes,
        )
    except SealError:
        log.warning(
            "The sealed corrections of request %s do not open (was the secret key changed?)",
            request_id,
        )
        return None
    return json.loads(plaintext)


def _forget_corrections_when_unsendable(conn: psycopg.Connection, request_id: UUID) -> None:
    """Delete the sealed corrections once no task of the request can be sent any more."""
    conn.execute(queries()["delete_dsr_sealed_corrections_unsendable"], {"request_id": request_id})


def deliver_task(
    db: Database,
    settings: DsrSettings,
    task_id: UUID,
    delivery_id: UUID,
    *,
    now: datetime | None = None,
) -> str:
    """Make one attempt to deliver a task (the job's work); return its status afterwards.

    The task is locked while it is sent, so two workers never send it at once. A failed
    attempt with attempts left queues the next one (after the next wait of
    ``send_retry_seconds``) in the transaction recording it; the last failure leaves the
    task ``send_failed`` for the officer to send again. A job of an earlier round (another
    ``delivery_id``), or for a task no longer pending, does nothing.
    """
    q = queries()
    with db.transaction() as conn:
        task = conn.execute(q["lock_dsr_recipient_task_to_deliver"], {"id": task_id}).fetchone()
        if task is None or task["status"] != "pending" or task["delivery_id"] != delivery_id:
            return "skipped" if task is None else task["status"]
        request = conn.execute(q["get_dsr_request"], {"id": task["request_id"]}).fetchone()
        subject = request_identifiers(conn, task["request_id"])
        corrections = (
            open_corrections(conn, settings, task["request_id"])
            if task["action"] == "rectify"
            else []
        )
        if corrections is None:
            # Cannot happen through the API (they are kept while a task can be sent); a
            # rectification sent without its corrections would tell the recipient nothing.
            error: str | None = "corrections_unavailable"
        else:
            error = _send(settings, task, request, subject, corrections)
        attempted_at = now or datetime.now(UTC)
        attempts = task["attempts"] + 1
        next_attempt_at = None
        if error is None:
            status = "sent"
        elif error != "corrections_unavailable" and attempts <= len(settings.send_retry_seconds):
            status = "pending"
            next_attempt_at = attempted_at + timedelta(
                seconds=settings.send_retry_seconds[attempts - 1]
            )
            defer_job(
                conn,
                SEND_TASK,
                queue=QUEUE,
                schedule_at=next_attempt_at,
                task_id=str(task_id),
                delivery_id=str(delivery_id),
            )
        else:
            status = "send_failed"
        conn.execute(
            q["update_dsr_recipient_task_attempted"],
            {
                "id": task_id,
                "status": status,
                "last_error": error,
                "attempts": attempts,
                "now": attempted_at,
                "next_attempt_at": next_attempt_at,
            },
        )
        record_event(
            conn,
            SYSTEM,
            "dsr.recipient_notified",
            target_type="dsr_request",
            target_id=task["request_id"],
            subject_ref=request["subject_ref"],
            details={
                "task_id": str(task_id),
                "status": status,
                "error": error,
                "attempt": attempts,
            },
        )
        if status != "pending":
            _forget_corrections_when_unsendable(conn, task["request_id"])
        return status


def _send(
    settings: DsrSettings,
    task: Mapping[str, Any],
    request: Mapping[str, Any],
    subject: Mapping[str, Sequence[Any]],
    corrections: Sequence[Mapping[str, Any]],
) -> str | None:
    """Tell one recipient; return None when it was told, else why not (a category, no data)."""
    payload = {
        "request_id": str(request["id"]),
        "task_id": str(task["id"]),
        "regime": request["regime"],
        "action": task["action"],
        "subject": {key: list(subject.get(key) or []) for key in ("handles", "emails", "phones")},
        "corrections": [dict(correction) for correction in corrections],
    }
    if task["webhook_url"]:
        return deliver(
            task["webhook_url"],
            payload,
            settings.webhook_secret,
            policy=settings.webhooks,
            headers={
                # One id per round of attempts; one key per task: a receiver that sees the key
                # again has had this instruction already.
                DELIVERY_HEADER: str(task["delivery_id"]),
                IDEMPOTENCY_HEADER: str(task["id"]),
            },
        )
    if settings.smtp is None:
        return "no_smtp"
    try:
        send_mail(
            settings.smtp,
            to=task["contact_email"],
            subject=f"Data-subject request {request['id']}: "
            f"please {task['action'].replace('_', ' ')}",
            body=recipient_text(payload),
        )
    except smtplib.SMTPException:
        return "smtp"
    except OSError as exc:
        return failure_category(exc)
    return None


def recipient_text(payload: Mapping[str, Any]) -> str:
    """Return the e-mail telling a recipient what to do for whom."""
    lines = [
        f"Under the {payload['regime'].upper()}, please {_ACTION_WORDS[payload['action']]} the "
        "person identified below, and confirm to us when done "
        f"(reference {payload['request_id']}, task {payload['task_id']}).",
        "",
    ]
    for handle in payload["subject"]["handles"]:
        lines.append(f"- handle on {handle['platform']}: {handle['handle']}")
    lines += [f"- e-mail address: {email}" for email in payload["subject"]["emails"]]
    lines += [f"- phone number: {phone}" for phone in payload["subject"]["phones"]]
    for correction in payload["corrections"]:
        kind, old, new = correction["kind"], correction["old"], correction["new"]
        lines.append(f"- correct the {kind} {old} to {new}")
    return "\n".join(lines) + "\n"


def queue_task_again(
    conn: psycopg.Connection,
    actor: Actor,
    settings: DsrSettings,
    request_id: UUID,
    task_id: UUID,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Queue a task that was not delivered (``send_failed``, or still ``pending``) for a fresh
    round of attempts, under a new delivery id; return the task.

    Jobs of the earlier round, still queued, then do nothing. A rectification's task can be
    sent again while its corrections are kept (sealed, until every task was delivered or
    resolved).
    """
    now = now or datetime.now(UTC)
    q = queries()
    task = conn.execute(
        q["lock_dsr_recipient_task"], {"id": task_id, "request_id": request_id}
    ).fetchone()
    if task is None:
        raise NotFound(f"No task {task_id} on request {request_id}.")
    if task["status"] not in ("pending", "send_failed"):
        raise Conflict(
            f"Only a task that was not delivered can be sent again; this one is {task['status']}.",
            extra={"task_status": task["status"]},
        )
    if task["action"] == "rectify" and open_corrections(conn, settings, request_id) is None:
        raise Conflict(
            "The corrections of this rectification are no longer kept, so its task cannot be "
            "sent again: tell the recipient directly, then resolve the task.",
            extra={"task_status": task["status"]},
        )
    queued = conn.execute(
        q["update_dsr_recipient_task_queued_again"], {"id": task_id, "now": now}
    ).fetchone()
    _queue_delivery(conn, queued)
    request = conn.execute(q["get_dsr_request"], {"id": request_id}).fetchone()
    record_event(
        conn,
        actor,
        "dsr.recipient_task_queued",
        target_type="dsr_request",
        target_id=request_id,
        subject_ref=request["subject_ref"],
        details={"task_id": str(task_id), "previous_status": task["status"]},
    )
    return next(row for row in list_tasks(conn, request_id) if row["id"] == task_id)


def list_tasks(conn: psycopg.Connection, request_id: UUID) -> list[dict[str, Any]]:
    """Return a request's recipient tasks; raise NotFound for an unknown request."""
    if conn.execute(queries()["get_dsr_request"], {"id": request_id}).fetchone() is None:
        raise NotFound(f"No data-subject request with id {request_id}.")
    rows = conn.execute(queries()["list_dsr_recipient_tasks"], {"request_id": request_id})
    return rows.fetchall()


def resolve_task(
    conn: psycopg.Connection,
    actor: Actor,
    settings: DsrSettings,
    request_id: UUID,
    task_id: UUID,
    *,
    resolution: str,
    evidence: str | None = None,
    reason: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """End a task: completed with evidence, or closed as impossible or disproportionate with a
    reason (Art. 19). The last open task completes the request. Return the task."""
    now = now or datetime.now(UTC)
    q = queries()
    task = conn.execute(
        q["lock_dsr_recipient_task"], {"id": task_id, "request_id": request_id}
    ).fetchone()
    if task is None:
        raise NotFound(f"No task {task_id} on request {request_id}.")
    if task["status"] not in OPEN_TASK_STATUSES:
        raise Conflict(
            f"The task is already {task['status']}.", extra={"task_status": task["status"]}
        )
    if resolution == "completed" and not evidence:
        message = "Say what shows the recipient did it (their confirmation, a ticket number)."
        raise Unprocessable(message, errors={"evidence": [message]})
    if resolution != "completed" and not reason:
        message = f"Say why telling this recipient is {resolution}."
        raise Unprocessable(message, errors={"reason": [message]})
    conn.execute(
        q["update_dsr_recipient_task_resolved"],
        {
            "id": task_id,
            "status": "completed" if resolution == "completed" else "closed",
            "evidence": evidence if resolution == "completed" else None,
            "closed_as": None if resolution == "completed" else resolution,
            "reason": reason,
            "resolved_by": actor.key_id,
            "now": now,
        },
    )
    request = conn.execute(q["get_dsr_request"], {"id": request_id}).fetchone()
    # The evidence and the reason are the officer's words and may name people: not audited.
    record_event(
        conn,
        actor,
        "dsr.recipient_task_resolved",
        target_type="dsr_request",
        target_id=request_id,
        subject_ref=request["subject_ref"],
        details={"task_id": str(task_id), "resolution": resolution},
    )
    _forget_corrections_when_unsendable(conn, request_id)
    still_open = conn.execute(q["count_dsr_recipient_tasks_open"], {"request_id": request_id})
    if still_open.fetchone()["open"] == 0 and request["status"] == "awaiting_recipients":
        complete_after_recipients(conn, actor, settings, request_id, now=now)
    return next(row for row in list_tasks(conn, request_id) if row["id"] == task_id)
