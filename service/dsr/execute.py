"""Carry out a data-subject request: one transaction to start it, one to do the work and close it.

The first transaction marks the request ``in_progress`` (audited as ``dsr.started``) and commits,
so a crash afterwards leaves a request that shows it was begun. The second does all the work
and marks the request ``completed`` together: it commits as a whole or not at all, and running
``execute`` again on an ``in_progress`` request retries it from the start.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import psycopg

from service.audit import Actor
from service.db import Database
from service.dsr.access import answer_access_request
from service.dsr.erasure import answer_erasure_request
from service.dsr.flags import answer_flag_request
from service.dsr.recipients import create_tasks
from service.dsr.rectification import answer_rectification_request, plan_corrections
from service.dsr.requests import (
    DsrRequestRecord,
    complete_request,
    lock_request,
    record_failure,
    response_outcome,
    set_lock_timeout,
    start_request,
)
from service.dsr.settings import DsrSettings
from service.errors import Conflict, DomainError, Unprocessable
from service.triage.checks import guard_erasure_request

# A handler does the work of one request type in the caller's transaction and returns
# (result stored on the request, details for the dsr.completed audit event).
Handler = Callable[..., tuple[dict[str, Any], dict[str, Any]]]


def execute_request(
    db: Database,
    actor: Actor,
    settings: DsrSettings,
    request_id: UUID,
    *,
    corrections: Sequence[Mapping[str, Any]] = (),
    reason: str | None = None,
    confirm_unreviewed_flags: bool = False,
    now: datetime | None = None,
) -> DsrRequestRecord:
    """Carry out a request and return it completed; raise Conflict when it cannot run now
    (or, for an erasure, while the subject's legally flagged items await review).

    An erasure, rectification, restriction or opt-out with recipients to tell waits for them
    (``awaiting_recipients``): a worker tells them (job ``dsr:send_recipient_task``, queued in
    the transaction of the work, so only once it has committed, and surely then).
    """
    now = now or datetime.now(UTC)
    with db.transaction() as conn:
        row = lock_request(conn, request_id)
        _check_parameters(row["type"], corrections, reason)
        start_request(conn, actor, request_id, now=now)
        if row["type"] == "erasure":
            # A 409 here rolls the start back: the request stays as it was.
            guard_erasure_request(
                conn, actor, settings, row, confirmed=confirm_unreviewed_flags, reason=reason
            )
        if row["type"] == "rectification":
            # Corrections that fit no stored identifier are a 422 that rolls the start back.
            plan_corrections(conn, settings, row, corrections)
    try:
        with db.transaction() as conn:
            try:
                set_lock_timeout(conn, settings.lock_timeout_seconds)
                row = lock_request(conn, request_id)
                if row["status"] != "in_progress":
                    raise Conflict(
                        f"The request became {row['status']} while it was being started.",
                        extra={"request_status": row["status"]},
                    )
                handler = _handler(row["type"])
                result, audit_details = handler(
                    conn, actor, settings, row, corrections=corrections, reason=reason, now=now
                )
                # Nothing held, nothing disclosed: no recipient has anything to act on.
                held = response_outcome(row, result) != "no_data_held"
                # The tasks and the jobs delivering them commit with the work, or not at all.
                tasks = (
                    create_tasks(conn, actor, settings, row, corrections=corrections, now=now)
                    if held
                    else []
                )
                record = complete_request(
                    conn,
                    actor,
                    settings,
                    request_id,
                    result=result,
                    audit_details=audit_details,
                    reason=reason,
                    awaiting_recipients=bool(tasks),
                    now=now,
                )
            except psycopg.errors.LockNotAvailable as exc:
                raise Conflict(
                    "Some of the data this request touches is locked by another operation; the "
                    "request stays in progress and can be executed again."
                ) from exc
    except (DomainError, psycopg.Error) as exc:
        # The work rolled back; the request stays in_progress and shows why (our own message
        # for a domain error, only the error class for a database one: no data in either).
        failure = exc.detail if isinstance(exc, DomainError) else type(exc).__name__
        with db.transaction() as conn:
            record_failure(conn, request_id, failure, now=now)
        raise
    return record


def _check_parameters(
    request_type: str, corrections: Sequence[Mapping[str, Any]], reason: str | None
) -> None:
    if request_type == "rectification" and not corrections:
        raise Unprocessable(
            "Say what to correct.",
            errors={"corrections": ["Give at least one correction for a rectification."]},
        )
    if request_type == "rectification" and not reason:
        raise Unprocessable(
            "Say why the data is corrected.",
            errors={"reason": ["Required for a rectification."]},
        )
    if request_type != "rectification" and corrections:
        raise Unprocessable(
            "Corrections are for rectification requests.",
            errors={"corrections": [f"Not used by a {request_type} request."]},
        )


def _handler(request_type: str) -> Handler:
    if request_type in ("access", "portability"):
        return answer_access_request
    if request_type == "erasure":
        return answer_erasure_request
    if request_type == "rectification":
        return answer_rectification_request
    return answer_flag_request
