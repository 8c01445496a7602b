"""Append audit events to the hash chain inside the caller's transaction."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from service.db import queries

GENESIS_HASH = "0" * 64

# The fields covered by an event's hash, in the order they appear in exports.
HASHED_FIELDS = (
    "seq",
    "occurred_at",
    "actor_type",
    "actor_key_id",
    "actor_role",
    "action",
    "target_type",
    "target_id",
    "subject_ref",
    "request_id",
    "outcome",
    "details",
    "prev_hash",
)


@dataclass(frozen=True)
class Actor:
    """Who performs an action: an API key (id and role) or the system, plus the request id."""

    key_id: UUID | None
    role: str | None
    request_id: str | None = None

    @property
    def actor_type(self) -> str:
        """Return 'key', 'system' or 'anonymous' (a request without a valid key)."""
        if self.key_id is not None:
            return "key"
        return "system" if self.role == "system" else "anonymous"


SYSTEM = Actor(key_id=None, role="system")


def format_timestamp(value: datetime) -> str:
    """Render a timestamp the one way the hash chain uses: UTC, microseconds, trailing Z."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_event(event: dict[str, Any]) -> dict[str, Any]:
    """Return the hashed fields of an event as JSON-ready values."""
    canonical = {}
    for field in HASHED_FIELDS:
        value = event.get(field)
        if isinstance(value, datetime):
            value = format_timestamp(value)
        elif isinstance(value, UUID):
            value = str(value)
        canonical[field] = value
    if canonical["details"] is None:
        canonical["details"] = {}
    return canonical


def canonical_json(value: Any) -> bytes:
    """Serialise a value as canonical JSON: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def row_hash(event: dict[str, Any]) -> str:
    """Return SHA-256 over the previous hash and the canonical JSON of the event's fields."""
    canonical = canonical_event(event)
    digest = hashlib.sha256()
    digest.update(canonical["prev_hash"].encode())
    digest.update(canonical_json(canonical))
    return digest.hexdigest()


def subject_ref(secret: bytes, subject_id: UUID | str) -> str:
    """Return the pseudonymous reference of a subject: a keyed hash of its internal id."""
    mac = hmac.new(secret, f"subject:{subject_id}".encode(), hashlib.sha256).hexdigest()
    return "subj_" + mac[:32]


def _check_details(details: dict[str, Any]) -> dict[str, Any]:
    # Round-trip through canonical JSON so what is hashed is exactly what is stored.
    return json.loads(canonical_json(details))


def record_event(
    conn: psycopg.Connection,
    actor: Actor,
    action: str,
    *,
    target_type: str | None = None,
    target_id: str | UUID | None = None,
    subject_ref: str | None = None,
    outcome: str = "success",
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Append one event to the chain in the caller's transaction and return it.

    The chain head is locked (SELECT ... FOR UPDATE) until the caller commits, so sequence numbers
    are gap-free and in commit order; if this write fails, the caller's action fails with it.
    """
    q = queries()
    head = conn.execute(q["lock_audit_head"]).fetchone()
    event: dict[str, Any] = {
        "seq": head["seq"] + 1,
        "occurred_at": datetime.now(UTC),
        "actor_type": actor.actor_type,
        "actor_key_id": str(actor.key_id) if actor.key_id else None,
        "actor_role": actor.role,
        "action": action,
        "target_type": target_type,
        "target_id": str(target_id) if target_id is not None else None,
        "subject_ref": subject_ref,
        "request_id": actor.request_id,
        "outcome": outcome,
        "details": _check_details(details or {}),
        "prev_hash": head["hash"],
    }
    event["hash"] = row_hash(event)
    conn.execute(q["insert_audit_event"], {**event, "details": Jsonb(event["details"])})
    conn.execute(q["advance_audit_head"], {"seq": event["seq"], "hash": event["hash"]})
    return event
