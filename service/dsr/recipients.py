"""Recipients and processors, and passing a request on to each of them.

GDPR Art. 19 (and 17(2) for data made public): each recipient to whom the data were disclosed
is told of a rectification, erasure or restriction, unless that proves impossible or involves
disproportionate effort. CCPA: service providers and contractors are told to delete
(§ 1798.105(c); regulations § 7022(b)(2)-(3)) and to correct (§ 7023(c)); the third parties the
business sold to or shared with are told of an opt-out (§ 7026(f)). One task per relevant
recipient records how it was told (a signed webhook, or an e-mail to its contact) and ends
completed with evidence, or closed as impossible or disproportionate with a reason; the
request waits as ``awaiting_recipients`` until every task has ended.

Tasks are created with the request's work, in its transaction, and sent only once that work
has committed: a recipient is never told of an erasure that rolled back. What is sent carries
the subject's identifiers (the recipient cannot act without them); what is stored does not:
a task keeps the channel, the delivery status and the outcome only.
"""

from __future__ import annotations

import smtplib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import psycopg

from service.audit import Actor, record_event
from service.db import Database, queries
from service.dsr.mail import send_mail
from service.dsr.requests import complete_after_recipients, request_identifiers
from service.dsr.settings import DsrSettings
from service.dsr.webhooks import post_signed
from service.errors import Conflict, NotFound, Unprocessable

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


def register_recipient(
    conn: psycopg.Connection, actor: Actor, fields: Mapping[str, Any]
) -> dict[str, Any]:
    """Add a recipient or processor to the register; return it."""
    if not fields.get("contact_email") and not fields.get("webhook_url"):
        message = "Give a contact_email or a webhook_url: a recipient must be reachable."
        raise Unprocessable(message, errors={"contact_email": [message], "webhook_url": [message]})
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


# The fields of a recipient that can be changed after it was registered.
RECIPIENT_FIELDS = (
    "name",
    "kind",
    "contact_email",
    "webhook_url",
    "data_categories",
    "purposes",
    "sale_or_sharing",
)


def update_recipient(
    conn: psycopg.Connection, actor: Actor, recipient_id: UUID, changes: Mapping[str, Any]
) -> dict[str, Any]:
    """Change some of a recipient's fields (its tasks so far stay as they were); return it.

    It must stay reachable (a contact e-mail or a webhook). Records `recipient.updated` with
    the names of the fields changed, never their values.
    """
    current = get_recipient(conn, recipient_id)
    merged = {field: current[field] for field in RECIPIENT_FIELDS}
    merged.update({field: changes[field] for field in RECIPIENT_FIELDS if field in changes})
    if not merged["contact_email"] and not merged["webhook_url"]:
        message = "Give a contact_email or a webhook_url: a recipient must be reachable."
        raise Unprocessable(message, errors={"contact_email": [message], "webhook_url": [message]})
    merged["data_categories"] = list(merged["data_categories"] or [])
    merged["purposes"] = list(merged["purposes"] or [])
    merged["sale_or_sharing"] = bool(merged["sale_or_sharing"])
    changed = sorted(field for field in RECIPIENT_FIELDS if merged[field] != current[field])
    row = conn.execute(queries()["update_dsr_recipient"], {"id": recipient_id, **merged}).fetchone()
    record_event(
        conn,
        actor,
        "recipient.updated",
        target_type="recipient",
        target_id=recipient_id,
        details={"fields": changed, "kind": row["kind"], "sale_or_sharing": row["sale_or_sharing"]},
    )
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
    conn: psycopg.Connection, actor: Actor, request: Mapping[str, Any], *, now: datetime
) -> list[dict[str, Any]]:
    """Create one pending task per recipient a carried-out request must be passed on to."""
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
        tasks.append(task)
    return tasks


def send_tasks(
    db: Database,
    actor: Actor,
    settings: DsrSettings,
    request: Mapping[str, Any],
    subject: Mapping[str, Sequence[Any]],
    *,
    corrections: Sequence[Mapping[str, Any]] = (),
) -> None:
    """Send a request's pending tasks (after its work committed); record how each went.

    Each task is sent and recorded in its own transaction, so one slow or failing recipient
    neither holds locks on the others nor loses what was already sent.
    """
    while True:
        with db.transaction() as conn:
            task = conn.execute(
                queries()["get_dsr_recipient_task_to_send"], {"request_id": request["id"]}
            ).fetchone()
            if task is None:
                return
            status, error = _send(settings, task, request, subject, corrections)
            conn.execute(
                queries()["update_dsr_recipient_task_sent"],
                {
                    "id": task["id"],
                    "status": status,
                    "send_error": error,
                    "sent_at": datetime.now(UTC) if status == "sent" else None,
                },
            )
            record_event(
                conn,
                actor,
                "dsr.recipient_notified",
                target_type="dsr_request",
                target_id=request["id"],
                subject_ref=request["subject_ref"],
                details={"task_id": str(task["id"]), "status": status, "error": error},
            )


def _send(
    settings: DsrSettings,
    task: Mapping[str, Any],
    request: Mapping[str, Any],
    subject: Mapping[str, Sequence[Any]],
    corrections: Sequence[Mapping[str, Any]],
) -> tuple[str, str | None]:
    """Tell one recipient; return the task's status and, when it failed, why (no data)."""
    payload = {
        "request_id": str(request["id"]),
        "task_id": str(task["id"]),
        "regime": request["regime"],
        "action": task["action"],
        "subject": {key: list(subject.get(key) or []) for key in ("handles", "emails", "phones")},
        "corrections": [dict(correction) for correction in corrections],
    }
    try:
        if task["webhook_url"]:
            status = post_signed(task["webhook_url"], payload, settings.webhook_secret)
            return ("sent", None) if 200 <= status < 300 else ("send_failed", f"HTTP {status}")
        if settings.smtp is None:
            return "send_failed", "no SMTP server configured"
        send_mail(
            settings.smtp,
            to=task["contact_email"],
            subject=f"Data-subject request {request['id']}: "
            f"please {task['action'].replace('_', ' ')}",
            body=recipient_text(payload),
        )
        return "sent", None
    except (OSError, smtplib.SMTPException, ValueError) as exc:
        return "send_failed", type(exc).__name__


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


def mark_task_for_resend(
    conn: psycopg.Connection, request_id: UUID, task_id: UUID
) -> tuple[dict[str, Any], dict[str, list]]:
    """Put a task that was not delivered back to pending; return its request and subject.

    The caller sends it (``send_tasks``) once this has committed. A rectification's
    corrections are not kept (they are personal data), so its tasks cannot be sent again:
    tell the recipient directly and resolve the task.
    """
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
    if task["action"] == "rectify":
        raise Conflict(
            "The corrections of a rectification are not kept, so its task cannot be sent "
            "again: tell the recipient directly, then resolve the task.",
            extra={"task_status": task["status"]},
        )
    conn.execute(
        q["update_dsr_recipient_task_sent"],
        {"id": task_id, "status": "pending", "send_error": None, "sent_at": None},
    )
    request = conn.execute(q["get_dsr_request"], {"id": request_id}).fetchone()
    return request, request_identifiers(conn, request_id)


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
    still_open = conn.execute(q["count_dsr_recipient_tasks_open"], {"request_id": request_id})
    if still_open.fetchone()["open"] == 0 and request["status"] == "awaiting_recipients":
        complete_after_recipients(conn, actor, settings, request_id, now=now)
    return next(row for row in list_tasks(conn, request_id) if row["id"] == task_id)
