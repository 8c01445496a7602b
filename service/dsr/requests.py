"""The lifecycle of a data-subject request: create, verify, extend, deny, cancel, start, complete.

Status machine::

    received --verify--> verified --start--> in_progress --complete--> completed
    received --start--> in_progress        (objection, restriction, opt-out, rectification only)
    received | verified | in_progress --deny--> denied
    received | verified | in_progress --cancel--> cancelled

``in_progress`` may be started again: that is how a failed execution is retried. An extension
moves ``due_on`` and an acknowledgement (the CCPA confirmation of receipt) sets
``acknowledged_at``; both leave the status alone. Every transition locks the request row, writes
a history entry (with the free-text reason) and an audit event (with the basis, never the text)
in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import psycopg
from psycopg.types.json import Jsonb

from service.audit import Actor, record_event, subject_ref
from service.db import queries
from service.dsr.deadlines import (
    DeadlineError,
    compute_deadlines,
    end_of_due_day,
    extend_due_date,
    receipt_date,
)
from service.dsr.settings import DsrSettings
from service.errors import Conflict, NotFound, Unprocessable

STATUSES = ("received", "verified", "in_progress", "completed", "denied", "cancelled")
TERMINAL_STATUSES = frozenset({"completed", "denied", "cancelled"})
CHANNELS = ("email", "web_form", "phone", "toll_free_number", "mail", "in_person", "other")
REQUESTER_KINDS = ("subject", "authorized_agent")
# Acting on these discloses or destroys data: the requester must be the data subject.
VERIFICATION_REQUIRED = frozenset({"access", "portability", "erasure"})
VERIFICATION_METHODS = (
    "matching_data_points",
    "account_authentication",
    "identity_document",
    "email_confirmation",
    "other",
)
DENIAL_BASES = (
    "identity_not_verified",
    "agent_not_authorized",
    "manifestly_unfounded",
    "excessive",
    "legal_exemption",
    "other",
)
# CCPA regulations § 7062: the certainty each request needs. A "reasonable degree" is two
# matching data points; a "reasonably high degree" three plus a signed declaration.
CCPA_REQUIRED_DEGREE = {
    "access": "reasonably_high",
    "portability": "reasonably_high",
    "erasure": "reasonable",
    "rectification": "reasonable",
}
CCPA_REASONABLE_POINTS = 2
CCPA_REASONABLY_HIGH_POINTS = 3
_DEGREE_RANK = {None: 0, "reasonable": 1, "reasonably_high": 2}
# A received_at this far ahead of the server clock is a clock skew, not a future request.
_CLOCK_SKEW = timedelta(minutes=5)
_SUBJECT_KINDS = (
    ("handles", "handle"),
    ("emails", "email"),
    ("phones", "phone"),
    ("names", "name"),
)


def request_subject_ref(secret: bytes, request_id: UUID) -> str:
    """Return the pseudonymous reference that the audit events of a request carry."""
    return subject_ref(secret, f"dsr-request:{request_id}")


def create_request(
    conn: psycopg.Connection,
    actor: Actor,
    settings: DsrSettings,
    *,
    type: str,
    regime: str,
    subject: Mapping[str, Any],
    requester: Mapping[str, Any] | None = None,
    received_at: datetime | None = None,
    channel: str = "other",
    now: datetime | None = None,
) -> DsrRequestRecord:
    """Record a new request with its statutory deadlines; return it as shown to the officer."""
    now = now or datetime.now(UTC)
    received_at = received_at or now
    if received_at.tzinfo is None:
        raise Unprocessable(
            "received_at needs a time zone.", errors={"received_at": ["Give a time zone offset."]}
        )
    if received_at > now + _CLOCK_SKEW:
        raise Unprocessable(
            "A request cannot be received in the future.",
            errors={"received_at": ["Must not be in the future."]},
        )
    identifiers = _subject_identifiers(subject)
    if not identifiers:
        raise Unprocessable(
            "Give at least one identifier of the data subject.",
            errors={"subject": ["Give at least one handle, e-mail, phone number or name."]},
        )
    requester = requester or {"kind": "subject"}
    if requester.get("kind") == "authorized_agent" and not requester.get("name"):
        raise Unprocessable(
            "An authorized agent must be named.",
            errors={"requester": {"name": ["Required for an authorized agent."]}},
        )
    received_on = receipt_date(received_at, settings.zone)
    try:
        deadlines = compute_deadlines(regime, type, received_on)
    except DeadlineError as exc:
        raise Unprocessable(str(exc), errors={"type": [str(exc)]}) from exc

    request_id = uuid4()
    q = queries()
    conn.execute(
        q["insert_dsr_request"],
        {
            "id": request_id,
            "type": type,
            "regime": regime,
            "channel": channel,
            "requester_kind": requester["kind"],
            "received_at": received_at,
            "received_on": received_on,
            "due_on": deadlines.due_on,
            "due_at": end_of_due_day(deadlines.due_on, settings.zone),
            "acknowledge_by": deadlines.acknowledge_by,
            "subject_ref": request_subject_ref(settings.secret, request_id),
        },
    )
    for field in ("name", "proof"):
        if requester.get(field):
            identifiers.append(("requester", field, None, requester[field]))
    with conn.cursor() as cur:
        cur.executemany(
            q["insert_dsr_request_identifier"],
            [
                {
                    "request_id": request_id,
                    "party": party,
                    "kind": kind,
                    "platform": platform,
                    "value": value,
                }
                for party, kind, platform, value in identifiers
            ],
        )
    counts = {plural: len(subject.get(plural) or []) for plural, _ in _SUBJECT_KINDS}
    row = _lock(conn, request_id)
    _record_transition(
        conn,
        actor,
        row,
        action="created",
        to_status="received",
        audit_action="dsr.created",
        details={
            "type": type,
            "regime": regime,
            "channel": channel,
            "requester_kind": requester["kind"],
            "identifier_counts": counts,
        },
    )
    return get_request(conn, request_id, now=now)


@dataclass(frozen=True)
class DsrRequestRecord:
    """A request as read at ``as_of``: its row (with its package's), and, when read on its
    own, its identifiers and history. schemas.requests shapes it for the API."""

    row: Mapping[str, Any]
    as_of: datetime
    identifiers: Sequence[Mapping[str, Any]] = ()
    history: Sequence[Mapping[str, Any]] = ()

    @property
    def overdue(self) -> bool:
        """Whether the request is open past the end of its due day."""
        return self.row["closed_at"] is None and self.as_of >= self.row["due_at"]

    @property
    def package_expired(self) -> bool | None:
        """Whether its access package has expired (None without a package)."""
        expires_at = self.row.get("package_expires_at")
        return None if expires_at is None else self.as_of >= expires_at

    @property
    def subject(self) -> dict[str, list] | None:
        """The data subject's identifiers by kind, or None once they have been minimised."""
        if self.row["identifiers_minimised_at"] is not None:
            return None
        return _group_subject(self.identifiers)

    @property
    def denial_reason(self) -> str | None:
        """The reason given when the request was denied (None if it was not)."""
        denial = next((h for h in reversed(self.history) if h["action"] == "denied"), None)
        return denial["reason"] if denial is not None else None


def get_request(
    conn: psycopg.Connection, request_id: UUID, *, now: datetime | None = None
) -> DsrRequestRecord:
    """Return one request with its identifiers and history, as read now."""
    q = queries()
    row = conn.execute(q["get_dsr_request"], {"id": request_id}).fetchone()
    if row is None:
        raise NotFound(f"No data-subject request with id {request_id}.")
    identifiers = conn.execute(
        q["list_dsr_request_identifiers"], {"request_id": request_id}
    ).fetchall()
    history = conn.execute(q["list_dsr_history"], {"request_id": request_id}).fetchall()
    return DsrRequestRecord(row, now or datetime.now(UTC), identifiers, history)


def list_requests(
    conn: psycopg.Connection,
    *,
    status: str | None = None,
    type: str | None = None,
    regime: str | None = None,
    overdue: bool | None = None,
    due_before: date | None = None,
    unacknowledged: bool | None = None,
    limit: int = 50,
    offset: int = 0,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Return requests matching the filters, most urgent first, and how many match in all.

    ``unacknowledged=True`` keeps the open requests whose receipt is still to be confirmed (CCPA
    requests to know, delete or correct), soonest ``acknowledge_by`` first.
    """
    now = now or datetime.now(UTC)
    filters = {
        "status": status,
        "type": type,
        "regime": regime,
        "overdue": overdue,
        "due_before": due_before,
        "unacknowledged": unacknowledged,
        "now": now,
    }
    list_query = queries()["list_dsr_requests"]
    rows = conn.execute(list_query, {**filters, "limit": limit, "offset": offset}).fetchall()
    if rows:
        total = rows[0]["total"]
    elif offset:
        # Past the last page the window count has no row to ride on: ask for the first row.
        first = conn.execute(list_query, {**filters, "limit": 1, "offset": 0}).fetchone()
        total = first["total"] if first else 0
    else:
        total = 0
    return {"items": [DsrRequestRecord(row, now) for row in rows], "total": total}


def verify_request(
    conn: psycopg.Connection,
    actor: Actor,
    settings: DsrSettings,
    request_id: UUID,
    *,
    method: str,
    matched_data_points: Sequence[str] | None = None,
    signed_declaration: bool = False,
    notes: str | None = None,
    now: datetime | None = None,
) -> DsrRequestRecord:
    """Record how the data subject's identity was established and mark the request verified."""
    now = now or datetime.now(UTC)
    row = _lock(conn, request_id)
    _require_status(row, {"received"}, "verified")
    points = sorted(set(matched_data_points or []))
    degree = _ccpa_degree(method, len(points), signed_declaration)
    if row["regime"] == "ccpa":
        _check_ccpa_certainty(row["type"], method, degree, len(points))
    if row["requester_kind"] == "authorized_agent" and not _has_requester_proof(conn, request_id):
        raise Conflict(
            "This request was made by an authorized agent without proof of their authority; "
            "deny it (basis agent_not_authorized) or file it again with the proof."
        )
    conn.execute(
        queries()["update_dsr_verified"],
        {
            "id": request_id,
            "now": now,
            "method": method,
            "degree": degree if row["regime"] == "ccpa" else None,
            "matched_data_points": points,
            "signed_declaration": signed_declaration,
        },
    )
    _record_transition(
        conn,
        actor,
        row,
        action="verified",
        to_status="verified",
        reason=notes,
        audit_action="dsr.verified",
        details={
            "method": method,
            "matched_data_points": len(points),
            "signed_declaration": signed_declaration,
            "degree": degree if row["regime"] == "ccpa" else None,
        },
    )
    return get_request(conn, request_id, now=now)


def acknowledge_request(
    conn: psycopg.Connection,
    actor: Actor,
    settings: DsrSettings,
    request_id: UUID,
    *,
    channel: str | None = None,
    notes: str | None = None,
    now: datetime | None = None,
) -> DsrRequestRecord:
    """Record that receipt of a CCPA request was confirmed to the consumer, and if on time."""
    now = now or datetime.now(UTC)
    row = _lock(conn, request_id)
    if row["acknowledge_by"] is None:
        raise Conflict(
            "Only a CCPA request to know, delete or correct has its receipt confirmed (CCPA "
            f"regulations § 7021(a)); this {row['regime'].upper()} {row['type']} request has no "
            "acknowledge_by date.",
            extra={"regime": row["regime"], "request_type": row["type"]},
        )
    _require_status(row, set(STATUSES) - TERMINAL_STATUSES, "acknowledged")
    if row["acknowledged_at"] is not None:
        acknowledged_at = row["acknowledged_at"].isoformat()
        raise Conflict(
            f"Receipt of this request was already confirmed at {acknowledged_at}.",
            extra={"acknowledged_at": acknowledged_at},
        )
    # On time means strictly before acknowledge_by ends in the deployment's zone, as for due_at.
    on_time = now < end_of_due_day(row["acknowledge_by"], settings.zone)
    conn.execute(
        queries()["update_dsr_acknowledged"],
        {"id": request_id, "now": now, "on_time": on_time, "channel": channel},
    )
    _record_transition(
        conn,
        actor,
        row,
        action="acknowledged",
        to_status=row["status"],
        reason=notes,
        audit_action="dsr.acknowledged",
        details={
            "regime": row["regime"],
            "type": row["type"],
            "on_time": on_time,
            "channel": channel,
        },
    )
    return get_request(conn, request_id, now=now)


def extend_request(
    conn: psycopg.Connection,
    actor: Actor,
    settings: DsrSettings,
    request_id: UUID,
    *,
    reason: str,
    months: int | None = None,
    now: datetime | None = None,
) -> DsrRequestRecord:
    """Extend a request's due date as far as the law allows (GDPR: 1 or 2 months; CCPA: 45 days)."""
    now = now or datetime.now(UTC)
    row = _lock(conn, request_id)
    _require_status(row, set(STATUSES) - TERMINAL_STATUSES, "extended")
    if row["regime"] == "ccpa" and months is not None:
        raise Unprocessable(
            "A CCPA extension is a fixed 45 days.",
            errors={"months": ["Leave months out for a CCPA request (the extension is 45 days)."]},
        )
    if row["regime"] == "gdpr" and months is None:
        raise Unprocessable(
            "Say by how many months to extend.",
            errors={"months": ["Required for a GDPR request: 1 or 2."]},
        )
    try:
        due_on = extend_due_date(
            row["regime"],
            row["original_due_on"],
            row["due_on"],
            months=months,
            today=receipt_date(now, settings.zone),
            already_extended=row["extended_at"] is not None,
            request_type=row["type"],
        )
    except DeadlineError as exc:
        raise Conflict(f"This request cannot be extended: {exc}.") from exc
    conn.execute(
        queries()["update_dsr_extended"],
        {
            "id": request_id,
            "due_on": due_on,
            "due_at": end_of_due_day(due_on, settings.zone),
            "now": now,
        },
    )
    details = {
        "months": months,
        "days": (due_on - row["due_on"]).days,
        "due_on": due_on.isoformat(),
        "previous_due_on": row["due_on"].isoformat(),
    }
    _record_transition(
        conn,
        actor,
        row,
        action="extended",
        to_status=row["status"],
        reason=reason,
        audit_action="dsr.extended",
        details=details,
    )
    return get_request(conn, request_id, now=now)


def deny_request(
    conn: psycopg.Connection,
    actor: Actor,
    settings: DsrSettings,
    request_id: UUID,
    *,
    reason: str,
    basis: str,
    now: datetime | None = None,
) -> DsrRequestRecord:
    """Deny a request with a reason and its legal basis."""
    return _close_unanswered(conn, actor, request_id, "denied", reason=reason, basis=basis, now=now)


def cancel_request(
    conn: psycopg.Connection,
    actor: Actor,
    settings: DsrSettings,
    request_id: UUID,
    *,
    reason: str,
    now: datetime | None = None,
) -> DsrRequestRecord:
    """Cancel a request (withdrawn by the requester, or filed by mistake)."""
    return _close_unanswered(conn, actor, request_id, "cancelled", reason=reason, now=now)


def _close_unanswered(
    conn: psycopg.Connection,
    actor: Actor,
    request_id: UUID,
    status: str,
    *,
    reason: str,
    basis: str | None = None,
    now: datetime | None = None,
) -> DsrRequestRecord:
    """Close an open request as denied or cancelled, with no result, and record why."""
    now = now or datetime.now(UTC)
    row = _lock(conn, request_id)
    _require_status(row, set(STATUSES) - TERMINAL_STATUSES, status)
    conn.execute(
        queries()["update_dsr_closed"],
        {"id": request_id, "status": status, "now": now, "denial_basis": basis, "result": None},
    )
    details = {"type": row["type"], "regime": row["regime"]}
    if basis is not None:
        details["basis"] = basis
    _record_transition(
        conn,
        actor,
        row,
        action=status,
        to_status=status,
        reason=reason,
        basis=basis,
        audit_action=f"dsr.{status}",
        details=details,
    )
    return get_request(conn, request_id, now=now)


def start_request(
    conn: psycopg.Connection,
    actor: Actor,
    request_id: UUID,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Mark a request as being carried out (again, when a failed execution is retried)."""
    now = now or datetime.now(UTC)
    row = _lock(conn, request_id)
    if row["type"] in VERIFICATION_REQUIRED and row["status"] == "received":
        raise Conflict(
            f"An {row['type']} request can only be carried out once the data subject's identity "
            f"is verified: POST /v1/requests/{request_id}/verify first.",
            extra={"request_status": row["status"]},
        )
    _require_status(row, {"received", "verified", "in_progress"}, "carried out")
    conn.execute(queries()["update_dsr_started"], {"id": request_id, "now": now})
    _record_transition(
        conn,
        actor,
        row,
        action="started",
        to_status="in_progress",
        audit_action="dsr.started",
        details={"type": row["type"], "retry": row["status"] == "in_progress"},
    )
    return dict(row, status="in_progress")


def complete_request(
    conn: psycopg.Connection,
    actor: Actor,
    request_id: UUID,
    *,
    result: Mapping[str, Any],
    audit_details: Mapping[str, Any],
    reason: str | None = None,
    now: datetime | None = None,
) -> DsrRequestRecord:
    """Close an in-progress request as completed with its result (counts, what was kept)."""
    now = now or datetime.now(UTC)
    row = _lock(conn, request_id)
    _require_status(row, {"in_progress"}, "completed")
    conn.execute(
        queries()["update_dsr_closed"],
        {
            "id": request_id,
            "status": "completed",
            "now": now,
            "denial_basis": None,
            "result": Jsonb(dict(result)),
        },
    )
    _record_transition(
        conn,
        actor,
        row,
        action="completed",
        to_status="completed",
        reason=reason,
        audit_action="dsr.completed",
        details={"type": row["type"], "regime": row["regime"], **audit_details},
    )
    return get_request(conn, request_id, now=now)


def lock_request(conn: psycopg.Connection, request_id: UUID) -> dict[str, Any]:
    """Return a request's row locked until the transaction ends; raise NotFound if unknown."""
    return _lock(conn, request_id)


def request_identifiers(conn: psycopg.Connection, request_id: UUID) -> dict[str, list]:
    """Return the data subject's identifiers a request carries, grouped as in the API."""
    rows = conn.execute(
        queries()["list_dsr_request_identifiers"], {"request_id": request_id}
    ).fetchall()
    return _group_subject(rows)


def set_lock_timeout(conn: psycopg.Connection, seconds: float) -> None:
    """Make this transaction give up on a row lock held longer than ``seconds``."""
    conn.execute(queries()["set_dsr_lock_timeout"], {"timeout": f"{int(seconds * 1000)}ms"})


def record_history(
    conn: psycopg.Connection,
    actor: Actor,
    request_id: UUID,
    *,
    action: str,
    from_status: str | None,
    to_status: str,
    reason: str | None = None,
    basis: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Append an entry to a request's history (the audit event is the caller's to write)."""
    conn.execute(
        queries()["insert_dsr_history"],
        {
            "request_id": request_id,
            "action": action,
            "from_status": from_status,
            "to_status": to_status,
            "actor_key_id": actor.actor_id,
            "actor_role": actor.role,
            "reason": reason,
            "basis": basis,
            "details": Jsonb(dict(details or {})),
        },
    )


def _subject_identifiers(subject: Mapping[str, Any]) -> list[tuple[str, str, str | None, str]]:
    found: list[tuple[str, str, str | None, str]] = []
    seen: set[tuple[str, str | None, str]] = set()
    for handle in subject.get("handles") or []:
        key = ("handle", handle["platform"], handle["handle"])
        if key not in seen:
            seen.add(key)
            found.append(("subject", *key))
    for plural, kind in _SUBJECT_KINDS[1:]:
        for value in subject.get(plural) or []:
            key = (kind, None, value)
            if key not in seen:
                seen.add(key)
                found.append(("subject", *key))
    return found


def _group_subject(rows: Sequence[Mapping[str, Any]]) -> dict[str, list]:
    grouped: dict[str, list] = {plural: [] for plural, _ in _SUBJECT_KINDS}
    for row in rows:
        if row["party"] != "subject":
            continue
        if row["kind"] == "handle":
            grouped["handles"].append({"platform": row["platform"], "handle": row["value"]})
        else:
            grouped[row["kind"] + "s"].append(row["value"])
    return grouped


def _lock(conn: psycopg.Connection, request_id: UUID) -> dict[str, Any]:
    row = conn.execute(queries()["lock_dsr_request"], {"id": request_id}).fetchone()
    if row is None:
        raise NotFound(f"No data-subject request with id {request_id}.")
    return row


def _require_status(row: Mapping[str, Any], allowed: set[str], verb: str) -> None:
    if row["status"] not in allowed:
        raise Conflict(
            f"A request that is {row['status']} cannot be {verb}"
            + (
                " (it is closed)."
                if row["status"] in TERMINAL_STATUSES
                else f"; it must be {' or '.join(sorted(allowed))}."
            ),
            extra={"request_status": row["status"]},
        )


def _ccpa_degree(method: str, points: int, signed_declaration: bool) -> str | None:
    if method != "matching_data_points":
        return None
    if points >= CCPA_REASONABLY_HIGH_POINTS and signed_declaration:
        return "reasonably_high"
    if points >= CCPA_REASONABLE_POINTS:
        return "reasonable"
    return None


def _check_ccpa_certainty(request_type: str, method: str, degree: str | None, points: int) -> None:
    required = CCPA_REQUIRED_DEGREE.get(request_type)
    if required is None or _DEGREE_RANK[degree] >= _DEGREE_RANK[required]:
        return
    if method != "matching_data_points":
        message = (
            "A CCPA request is verified by matching data points the requester gave against data "
            "already held (CCPA regulations § 7062): use method matching_data_points."
        )
        raise Unprocessable(message, errors={"method": [message]})
    if required == "reasonably_high":
        message = (
            f"A CCPA {request_type} request needs a reasonably high degree of certainty: at "
            f"least {CCPA_REASONABLY_HIGH_POINTS} matching data points and a signed declaration "
            f"(got {points} point(s))."
        )
    else:
        message = (
            f"A CCPA {request_type} request needs a reasonable degree of certainty: at least "
            f"{CCPA_REASONABLE_POINTS} matching data points (got {points})."
        )
    raise Unprocessable(message, errors={"matched_data_points": [message]})


def _has_requester_proof(conn: psycopg.Connection, request_id: UUID) -> bool:
    rows = conn.execute(
        queries()["list_dsr_request_identifiers"], {"request_id": request_id}
    ).fetchall()
    return any(row["party"] == "requester" and row["kind"] == "proof" for row in rows)


def _record_transition(
    conn: psycopg.Connection,
    actor: Actor,
    row: Mapping[str, Any],
    *,
    action: str,
    to_status: str,
    audit_action: str,
    details: Mapping[str, Any],
    reason: str | None = None,
    basis: str | None = None,
) -> None:
    from_status = None if action == "created" else row["status"]
    record_history(
        conn,
        actor,
        row["id"],
        action=action,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        basis=basis,
        details=details,
    )
    record_event(
        conn,
        actor,
        audit_action,
        target_type="dsr_request",
        target_id=row["id"],
        subject_ref=row["subject_ref"],
        details={"from_status": from_status, "to_status": to_status, **details},
    )
