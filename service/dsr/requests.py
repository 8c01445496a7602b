"""The lifecycle of a data-subject request: create, verify, extend, deny, cancel, start, complete.

Status machine::

    received --verify--> verified --start--> in_progress --complete--> completed
    received --start--> in_progress        (objection, restriction, opt-out only)
    received | verified --request-information--> awaiting_subject
    awaiting_subject --information-received--> the status it was paused from
    received | verified | awaiting_subject | in_progress --deny--> denied
    received | verified | awaiting_subject | in_progress --cancel--> cancelled

Each request counts its dates in its own zone (``time_zone``): the one it names, else
America/Los_Angeles for a CCPA request and ``PRIVACY_DSR_TIMEZONE`` for a GDPR one.

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
    valid_zone,
)
from service.dsr.notices import record_notice
from service.dsr.settings import DsrSettings
from service.errors import Conflict, NotFound, Unprocessable

STATUSES = (
    "received",
    "verified",
    "awaiting_subject",
    "in_progress",
    "awaiting_recipients",
    "completed",
    "denied",
    "cancelled",
)
TERMINAL_STATUSES = frozenset({"completed", "denied", "cancelled"})
CHANNELS = ("email", "web_form", "phone", "toll_free_number", "mail", "in_person", "other")
REQUESTER_KINDS = ("subject", "authorized_agent")
# Acting on these discloses, destroys or changes data: the requester must be the data subject.
# Rectification is one of them (CCPA regulations § 7062 lists requests to correct): unverified,
# it would let anyone replace a victim's e-mail address by their own and then pass an e-mail
# check on an access request.
VERIFICATION_REQUIRED = frozenset({"access", "portability", "erasure", "rectification"})
LANGUAGES = ("en", "nl")
VERIFICATION_METHODS = (
    "matching_data_points",
    "account_authentication",
    "identity_document",
    "email_confirmation",
    "other",
)
DENIAL_BASES = (
    "identity_not_verified",
    "suspected_fraud",
    "agent_not_authorized",
    "manifestly_unfounded",
    "excessive",
    "legal_exemption",
    "other",
)
# CCPA regulations § 7026(e) (opt-out of sale/sharing) and § 7027 (limit the use of sensitive
# personal information): no verifiable request is needed, and the business may refuse only on a
# good-faith, reasonable and documented belief that the request is fraudulent.
CCPA_FRAUD_ONLY_TYPES = frozenset({"opt_out", "restriction"})
# CCPA regulations § 7062(b)-(c): a reasonable degree of certainty "may include" matching two
# data points, a reasonably high degree three plus a signed declaration. Those are safe
# harbours, not the only way: an officer may record another reasoned determination (notes).
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
    received_at: datetime | None,
    channel: str = "other",
    time_zone: str | None = None,
    language: str = "en",
    contact_email: str | None = None,
    now: datetime | None = None,
) -> DsrRequestRecord:
    """Record a new request with its statutory deadlines; return it as shown to the officer.

    ``received_at`` is when the request reached the business, by any channel: the clock runs
    from then (GDPR Art. 12(3); CCPA regulations § 7021(b)), so it is never assumed to be now.
    """
    now = now or datetime.now(UTC)
    if received_at is None:
        raise Unprocessable(
            "Say when the request was received.",
            errors={"received_at": ["Required: when the request reached us, with a zone."]},
        )
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
    zone = time_zone or settings.zone_for(regime)
    if not valid_zone(zone):
        raise Unprocessable(
            f"Unknown time zone {zone!r}.",
            errors={"time_zone": ["Give an IANA time zone name such as Europe/Amsterdam."]},
        )
    received_on = receipt_date(received_at, zone)
    try:
        deadlines = compute_deadlines(regime, type, received_on, settings.holidays)
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
            "due_at": end_of_due_day(deadlines.due_on, zone),
            "acknowledge_by": deadlines.acknowledge_by,
            "subject_ref": request_subject_ref(settings.secret, request_id),
            "time_zone": zone,
            "language": language,
        },
    )
    for field in ("name", "proof"):
        if requester.get(field):
            identifiers.append(("requester", field, None, requester[field]))
    if contact_email:
        # Where notices go; kept with the request's other personal data (minimised with it).
        identifiers.append(("requester", "email", None, contact_email))
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
            "time_zone": zone,
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
        """Whether the request is open past the end of its due day (not while its clock stops)."""
        return (
            self.row["closed_at"] is None
            and self.as_of >= self.row["due_at"]
            and not clock_suspended(self.row)
        )

    @property
    def error(self) -> dict[str, Any] | None:
        """Why the last execution of an in-progress request failed (None when it did not)."""
        if self.row["failed_at"] is None or self.row["status"] != "in_progress":
            return None
        return {"failed_at": self.row["failed_at"], "reason": self.row["failure_reason"]}

    @property
    def contact_email(self) -> str | None:
        """The address notices to the subject go to (the requester's e-mail), if one was given."""
        return next(
            (
                identifier["value"]
                for identifier in self.identifiers
                if identifier["party"] == "requester" and identifier["kind"] == "email"
            ),
            None,
        )

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
    degree: str | None = None,
    notes: str | None = None,
    now: datetime | None = None,
) -> DsrRequestRecord:
    """Record how the data subject's identity was established and mark the request verified.

    CCPA (regulations §§ 7060-7062): the degree reached is derived from the method (an account
    holder signed in through the business's existing authentication: § 7061(a); matching data
    points: § 7062(b)-(c)) or, with ``notes`` saying why, stated by the officer, since § 7062
    says a degree "may include" matching points, not that it must. A request to know verified
    to a reasonable degree only, below the reasonably high one specific pieces need, is answered
    with categories only (§ 7024(a)).
    """
    now = now or datetime.now(UTC)
    row = _lock(conn, request_id)
    _require_status(row, {"received"}, "verified")
    points = sorted(set(matched_data_points or []))
    scope = None
    reached = None
    if row["regime"] == "ccpa":
        reached, scope = _check_ccpa_certainty(
            settings, row["type"], method, points, signed_declaration, degree, notes
        )
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
            "degree": reached,
            "scope": scope,
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
            "degree": reached,
            "scope": scope,
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
    on_time = now < end_of_due_day(row["acknowledge_by"], row["time_zone"])
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
    record_notice(conn, settings, row, "acknowledgement", now=now)
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
            today=receipt_date(now, row["time_zone"]),
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
            "due_at": end_of_due_day(due_on, row["time_zone"]),
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
    record_notice(
        conn,
        settings,
        row,
        "extension",
        context={"reason": reason, "due_on": due_on, "previous_due_on": row["due_on"]},
        now=now,
    )
    return get_request(conn, request_id, now=now)


def request_information(
    conn: psycopg.Connection,
    actor: Actor,
    settings: DsrSettings,
    request_id: UUID,
    *,
    what: str,
    reason: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Ask the data subject for what the request needs and wait (status ``awaiting_subject``).

    The clock while waiting:

    GDPR
        Art. 12(6) lets the controller ask for the information needed to confirm the identity,
        and the EDPB (Guidelines 01/2022 on the right of access, on establishing the identity
        and on the timing of the answer) reads the one-month period as running once the
        controller has what it needs; asking the subject to clarify an unclear request is
        treated alike. The days spent waiting are added to the due date when the answer
        arrives (the period is suspended, not restarted: never later than a restart, so never
        unlawful), and the request is not overdue meanwhile.
    CCPA
        Regulations § 7021(b): the 45 days begin on receipt "regardless of time required to
        verify the request". Waiting changes no date, and the request can become overdue.
    """
    now = now or datetime.now(UTC)
    row = _lock(conn, request_id)
    _require_status(row, {"received", "verified"}, "paused to wait for the data subject")
    conn.execute(
        queries()["update_dsr_paused"],
        {"id": request_id, "now": now, "from_status": row["status"]},
    )
    _record_transition(
        conn,
        actor,
        row,
        action="information_requested",
        to_status="awaiting_subject",
        reason=f"{what}\n\n{reason}",
        audit_action="dsr.information_requested",
        details={"regime": row["regime"], "clock_suspended": row["regime"] == "gdpr"},
    )
    record_notice(
        conn,
        settings,
        row,
        "information_request",
        context={"what": what, "reason": reason},
        now=now,
    )
    return get_request(conn, request_id, now=now)


def information_received(
    conn: psycopg.Connection,
    actor: Actor,
    settings: DsrSettings,
    request_id: UUID,
    *,
    notes: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Resume a request the subject answered; for GDPR, move its dates by the days waited."""
    now = now or datetime.now(UTC)
    row = _lock(conn, request_id)
    _require_status(row, {"awaiting_subject"}, "resumed")
    zone = row["time_zone"]
    waited = 0
    if row["regime"] == "gdpr":
        waited = (receipt_date(now, zone) - receipt_date(row["paused_at"], zone)).days
    original_due_on = row["original_due_on"] + timedelta(days=waited)
    due_on = row["due_on"] + timedelta(days=waited)
    conn.execute(
        queries()["update_dsr_resumed"],
        {
            "id": request_id,
            "now": now,
            "status": row["paused_from_status"],
            "days": waited,
            "original_due_on": original_due_on,
            "due_on": due_on,
            "due_at": end_of_due_day(due_on, zone),
        },
    )
    _record_transition(
        conn,
        actor,
        row,
        action="information_received",
        to_status=row["paused_from_status"],
        reason=notes,
        audit_action="dsr.information_received",
        details={
            "days_waited": waited,
            "due_on": due_on.isoformat(),
            "previous_due_on": row["due_on"].isoformat(),
        },
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
    """Deny a request with a reason and its legal basis, and record the denial notice.

    Refused: denying a CCPA opt-out or limit request on any basis but ``suspected_fraud``
    (regulations § 7026(e), § 7027: no verification is needed, and only a good-faith,
    reasonable and documented belief of fraud allows a refusal), and ``identity_not_verified``
    for a request that needs no verification. The notice gives the reasons and the complaint
    and judicial remedies (GDPR Art. 12(4); CCPA regulations § 7022(f), § 7024).
    """
    row = _lock(conn, request_id)
    _check_denial(row, basis)
    _close_unanswered(conn, actor, request_id, "denied", reason=reason, basis=basis, now=now)
    record_notice(
        conn, settings, row, "denial", context={"reason": reason, "basis": basis}, now=now
    )
    return get_request(conn, request_id, now=now)


def _check_denial(row: Mapping[str, Any], basis: str) -> None:
    """Raise 422 when the law does not let this request be denied on this basis."""
    fraud_only = row["regime"] == "ccpa" and row["type"] in CCPA_FRAUD_ONLY_TYPES
    if fraud_only and basis != "suspected_fraud":
        message = (
            f"A CCPA {row['type']} request needs no verification and may be denied only on a "
            "good-faith, reasonable and documented belief that it is fraudulent (CCPA "
            "regulations § 7026(e)): use basis suspected_fraud and document the belief in reason."
        )
        raise Unprocessable(message, errors={"basis": [message]})
    if basis == "suspected_fraud" and not fraud_only:
        message = (
            "suspected_fraud is the basis for refusing a CCPA opt-out or limit request; for "
            "this request use identity_not_verified or another basis."
        )
        raise Unprocessable(message, errors={"basis": [message]})
    if (
        basis == "identity_not_verified"
        and row["type"] not in VERIFICATION_REQUIRED
        and row["regime"] == "ccpa"
    ):
        message = f"A CCPA {row['type']} request needs no verification of identity."
        raise Unprocessable(message, errors={"basis": [message]})


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
    # Once the work is done and only recipients are awaited, it can no longer be undone.
    _require_status(row, set(STATUSES) - TERMINAL_STATUSES - {"awaiting_recipients"}, status)
    conn.execute(
        queries()["update_dsr_closed"],
        {
            "id": request_id,
            "status": status,
            "now": now,
            "denial_basis": basis,
            "result": None,
            "outcome": None,
        },
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
    settings: DsrSettings,
    request_id: UUID,
    *,
    result: Mapping[str, Any],
    audit_details: Mapping[str, Any],
    reason: str | None = None,
    awaiting_recipients: bool = False,
    now: datetime | None = None,
) -> DsrRequestRecord:
    """Close an in-progress request as completed with its result, and record the notice.

    The outcome: ``no_data_held`` when the identifiers matched nobody and nothing was done
    (never "complied" with nothing done), ``categories_only`` for a CCPA request to know
    verified for categories only (§ 7024(a)), ``complied_in_part`` when a hold kept data.
    With ``awaiting_recipients`` the work is recorded but the request waits, open, for the
    recipients it was passed on to (see ``complete_after_recipients``).
    """
    now = now or datetime.now(UTC)
    row = _lock(conn, request_id)
    _require_status(row, {"in_progress"}, "completed")
    outcome = response_outcome(row, result)
    stored = Jsonb({**result, "outcome": outcome})
    details = {"type": row["type"], "regime": row["regime"], "outcome": outcome, **audit_details}
    if not awaiting_recipients:
        return _close_completed(conn, actor, settings, row, stored, details, reason=reason, now=now)
    conn.execute(
        queries()["update_dsr_awaiting_recipients"],
        {"id": request_id, "now": now, "result": stored, "outcome": outcome},
    )
    _record_transition(
        conn,
        actor,
        row,
        action="awaiting_recipients",
        to_status="awaiting_recipients",
        reason=reason,
        audit_action="dsr.awaiting_recipients",
        details=details,
    )
    return get_request(conn, request_id, now=now)


def complete_after_recipients(
    conn: psycopg.Connection,
    actor: Actor,
    settings: DsrSettings,
    request_id: UUID,
    *,
    now: datetime | None = None,
) -> DsrRequestRecord:
    """Close a request waiting for its recipients once none of its tasks is open."""
    row = _lock(conn, request_id)
    _require_status(row, {"awaiting_recipients"}, "completed")
    details = {"type": row["type"], "regime": row["regime"], "outcome": row["outcome"]}
    return _close_completed(
        conn, actor, settings, row, Jsonb(row["result"]), details, now=now or datetime.now(UTC)
    )


def _close_completed(
    conn: psycopg.Connection,
    actor: Actor,
    settings: DsrSettings,
    row: Mapping[str, Any],
    result: Jsonb,
    details: Mapping[str, Any],
    *,
    now: datetime,
    reason: str | None = None,
) -> DsrRequestRecord:
    """Close a request as completed, record its completion notice and the transition."""
    outcome = details["outcome"]
    conn.execute(
        queries()["update_dsr_closed"],
        {
            "id": row["id"],
            "status": "completed",
            "now": now,
            "denial_basis": None,
            "result": result,
            "outcome": outcome,
        },
    )
    record_notice(conn, settings, row, "completion", context={"outcome": outcome}, now=now)
    _record_transition(
        conn,
        actor,
        row,
        action="completed",
        to_status="completed",
        reason=reason,
        audit_action="dsr.completed",
        details=details,
    )
    return get_request(conn, row["id"], now=now)


def response_outcome(row: Mapping[str, Any], result: Mapping[str, Any]) -> str:
    """Return how a carried-out request was answered, from its result counts."""
    if result.get("kept_by_hold"):
        return "complied_in_part"
    if row.get("verification_scope") == "categories_only":
        return "categories_only"
    touched = result.get("mentions_redacted", 0) or result.get("related_items", 0)
    if not result.get("subjects_matched") and not touched:
        return "no_data_held"
    return "complied"


def lift_restriction(
    conn: psycopg.Connection,
    actor: Actor,
    settings: DsrSettings,
    request_id: UUID,
    *,
    reason: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """End the restriction (or objection) a completed request obtained; notify the subject.

    GDPR Art. 18(3): the data subject is informed before the restriction is lifted; the notice
    is recorded in the same transaction that lifts the flags.
    """
    now = now or datetime.now(UTC)
    row = _lock(conn, request_id)
    if row["type"] not in ("restriction", "objection") or row["status"] != "completed":
        raise Conflict(
            "Only a completed restriction or objection request can be lifted; this is a "
            f"{row['status']} {row['type']} request.",
            extra={"status": row["status"], "type": row["type"]},
        )
    if row["lifted_at"] is not None:
        raise Conflict(
            f"This restriction was already lifted at {row['lifted_at'].isoformat()}.",
            extra={"lifted_at": row["lifted_at"].isoformat()},
        )
    record_notice(conn, settings, row, "restriction_lifted", context={"reason": reason}, now=now)
    lifted = conn.execute(
        queries()["update_dsr_flags_lifted"], {"request_id": request_id, "now": now}
    ).fetchall()
    conn.execute(queries()["update_dsr_lifted"], {"id": request_id, "now": now})
    _record_transition(
        conn,
        actor,
        row,
        action="lifted",
        to_status=row["status"],
        reason=reason,
        audit_action="dsr.lifted",
        details={"type": row["type"], "flags_lifted": len(lifted)},
    )
    return get_request(conn, request_id, now=now)


def record_failure(
    conn: psycopg.Connection, request_id: UUID, reason: str, *, now: datetime | None = None
) -> None:
    """Record why executing an in_progress request failed, for the officer to retry it."""
    conn.execute(
        queries()["update_dsr_failed"],
        {"id": request_id, "reason": reason, "now": now or datetime.now(UTC)},
    )


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


def clock_suspended(row: Mapping[str, Any]) -> bool:
    """Tell whether a request's clock is stopped: a GDPR request waiting for the subject."""
    return row["status"] == "awaiting_subject" and row["regime"] == "gdpr"


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


def _derived_degree(
    method: str, points: int, signed_declaration: bool, require_declaration: bool
) -> str | None:
    """Return the CCPA degree a method reaches by the regulations' own examples."""
    if method == "account_authentication":
        # § 7061(a): a password-protected account's existing authentication practices.
        return "reasonably_high"
    if method != "matching_data_points":
        return None
    if points >= CCPA_REASONABLY_HIGH_POINTS and (signed_declaration or not require_declaration):
        return "reasonably_high"
    if points >= CCPA_REASONABLE_POINTS:
        return "reasonable"
    return None


def _check_ccpa_certainty(
    settings: DsrSettings,
    request_type: str,
    method: str,
    points: Sequence[str],
    signed_declaration: bool,
    stated: str | None,
    notes: str | None,
) -> tuple[str | None, str | None]:
    """Return (degree reached, scope) for a CCPA verification, or raise 422 when too weak."""
    derived = _derived_degree(
        method, len(points), signed_declaration, settings.ccpa_require_signed_declaration
    )
    reached = derived
    if stated is not None and _DEGREE_RANK[stated] > _DEGREE_RANK[derived]:
        if not notes:
            message = (
                f"The {method} verification given reaches "
                f"{derived.replace('_', ' ') if derived else 'no degree of certainty'} by the "
                "examples of CCPA regulations § 7062; to record a higher degree, say in notes how "
                "it was reached."
            )
            raise Unprocessable(message, errors={"notes": [message]})
        reached = stated
    elif stated is not None:
        reached = stated
    required = settings.ccpa_degrees.get(request_type)
    if required is None:
        return reached, None
    if _DEGREE_RANK[reached] >= _DEGREE_RANK[required]:
        return reached, "specific_pieces" if request_type in ("access", "portability") else None
    if request_type in ("access", "portability") and reached == "reasonable":
        # § 7024(a): not verified for specific pieces, so answered as a request for categories.
        return reached, "categories_only"
    if required == "reasonably_high":
        message = (
            f"A CCPA {request_type} request needs a reasonably high degree of certainty "
            f"(CCPA regulations § 7062): for example {CCPA_REASONABLY_HIGH_POINTS} matching data "
            "points, or signing in to the consumer's account (§ 7061)"
            f"; got {len(points)} point(s) by {method}."
        )
    else:
        message = (
            f"A CCPA {request_type} request needs a reasonable degree of certainty (CCPA "
            f"regulations § 7062): for example {CCPA_REASONABLE_POINTS} matching data points, or "
            f"signing in to the consumer's account (§ 7061); got {len(points)} point(s) by "
            f"{method}."
        )
    field = "matched_data_points" if method == "matching_data_points" else "method"
    raise Unprocessable(message, errors={field: [message]})


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
