"""The subject portal: a request filed by the person it is about, confirmed by an e-mailed code.

Nothing here looks at the archive: until an officer verifies the request, the portal says the
same to everyone, so it never reveals whether someone's data is held.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from service.audit import Actor, record_event
from service.db import queries
from service.dsr.requests import DsrRequestRecord, create_request, get_request
from service.dsr.settings import DsrSettings
from service.errors import BadRequest, NotFound

CODE_LIFETIME_SECONDS = 1800
MAX_CODE_ATTEMPTS = 5


class WrongConfirmationCode(BadRequest):
    """The code does not match, or the submission expired or was tried too often."""


class UnknownStatusLink(NotFound):
    """No request has this status link."""


def _hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def submit(conn: psycopg.Connection, actor: Actor, payload: Mapping[str, Any]) -> tuple[UUID, str]:
    """Hold a submission (the API's request body) until it is confirmed; return (id, code)."""
    conn.execute(queries()["delete_portal_submissions_expired"])
    code = f"{secrets.randbelow(10**8):08d}"
    submission_id = conn.execute(
        queries()["insert_portal_submission"],
        {
            "payload": Jsonb(dict(payload)),
            "code_hash": _hash(code),
            "lifetime_seconds": CODE_LIFETIME_SECONDS,
        },
    ).fetchone()["id"]
    record_event(
        conn,
        actor,
        "portal.submitted",
        target_type="portal_submission",
        target_id=submission_id,
        details={"type": payload["type"], "regime": payload["regime"]},
    )
    return submission_id, code


def confirm(
    conn: psycopg.Connection,
    actor: Actor,
    settings: DsrSettings,
    submission_id: UUID,
    code: str,
    *,
    build_request: Any,
) -> tuple[DsrRequestRecord, str] | None:
    """File the submission as a request once its code matches; return (request, status token).

    A wrong code returns None after counting it (the caller commits that).

    `build_request` turns the held payload into create_request's keyword arguments (the API's
    schema loads it). After MAX_CODE_ATTEMPTS wrong codes the submission is dead.
    """
    row = conn.execute(queries()["get_portal_submission"], {"id": submission_id}).fetchone()
    if row is None or not row["live"] or row["attempts"] >= MAX_CODE_ATTEMPTS:
        raise WrongConfirmationCode(
            "This confirmation has expired or was tried too often; file the request again."
        )
    if not hmac.compare_digest(bytes(row["code_hash"]), _hash(code.strip())):
        conn.execute(queries()["update_portal_submission_attempt"], {"id": submission_id})
        record_event(
            conn,
            actor,
            "portal.confirmation_failed",
            target_type="portal_submission",
            target_id=submission_id,
            outcome="denied",
        )
        return None
    filed = {**build_request(row["payload"]), "channel": "web_form"}
    record = create_request(conn, actor, settings, **filed)
    token = secrets.token_urlsafe(32)
    conn.execute(
        queries()["update_portal_submission_confirmed"],
        {"id": submission_id, "request_id": record.row["id"], "status_token_hash": _hash(token)},
    )
    return record, token


def request_for_token(conn: psycopg.Connection, token: str) -> DsrRequestRecord:
    """Return the request a status link points at, or raise UnknownStatusLink."""
    row = conn.execute(
        queries()["get_portal_request_by_token"], {"status_token_hash": _hash(token)}
    ).fetchone()
    if row is None:
        raise UnknownStatusLink("This status link is not known.")
    return get_request(conn, row["request_id"])
