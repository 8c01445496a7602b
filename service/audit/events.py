"""Append audit events to the hash chain inside the caller's transaction."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring as json_string  # the C encoder where available
from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from service.audit.canonical import canonical_json, canonical_text, format_timestamp
from service.audit.signing import AuditSettings
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
_SORTED_FIELDS = tuple(sorted(HASHED_FIELDS))
# The canonical JSON of the hashed fields with the values left open (keys already sorted).
_CANONICAL_TEMPLATE = "{" + ",".join(f'"{name}":%s' for name in _SORTED_FIELDS) + "}"


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


def canonical_event_json(event: dict[str, Any]) -> bytes:
    """Return canonical_json(canonical_event(event)), built field by field for speed."""
    # Verifying a million events spends most of its time here: plain values are escaped one by
    # one with the JSON encoder's own string function and slotted into a template.
    values = []
    for name in _SORTED_FIELDS:
        value = event.get(name)
        kind = type(value)
        if kind is str:
            values.append(json_string(value))
        elif value is None:
            values.append("{}" if name == "details" else "null")
        elif kind is int:
            values.append(int.__repr__(value))
        elif isinstance(value, datetime):
            values.append('"' + format_timestamp(value) + '"')
        elif isinstance(value, UUID):
            values.append('"' + str(value) + '"')
        else:
            values.append(canonical_text(value))
    return (_CANONICAL_TEMPLATE % tuple(values)).encode()


def row_hash(event: dict[str, Any]) -> str:
    """Return SHA-256 over the previous hash and the canonical JSON of the event's fields."""
    digest = hashlib.sha256(event["prev_hash"].encode())
    digest.update(canonical_event_json(event))
    return digest.hexdigest()


def subject_ref(secret: bytes, subject_id: UUID | str) -> str:
    """Return the pseudonymous reference of a subject: a keyed hash of its internal id."""
    mac = hmac.new(secret, f"subject:{subject_id}".encode(), hashlib.sha256).hexdigest()
    return "subj_" + mac[:32]


def _check_details(details: dict[str, Any]) -> dict[str, Any]:
    # Round-trip through canonical JSON so what is hashed is exactly what is stored.
    return _jsonb_stable(json.loads(canonical_json(details)))


def _jsonb_stable(value: Any) -> Any:
    """Return the value as jsonb will give it back, or raise for numbers it would rewrite.

    jsonb stores numbers as decimals: -0.0 comes back as 0.0, and 1e+16 as 10000000000000000
    (an integer), which would change the event's hash when read back.
    """
    if isinstance(value, float):
        if value == 0:
            return 0.0
        if "e+" in repr(value):
            raise ValueError(
                f"audit details cannot hold the number {value!r}: store it as an integer or text"
            )
        return value
    if isinstance(value, dict):
        return {key: _jsonb_stable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonb_stable(item) for item in value]
    return value


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

    The chain head row stays locked (FOR UPDATE) until the caller commits, so sequence numbers
    are gap-free and in commit order; if this write fails, the caller's action fails with it.
    When the connection's audit settings say a checkpoint is due, it is signed and stored in the
    same transaction.
    """
    event, _ = _append_event(
        conn,
        actor,
        action,
        fields={
            "target_type": target_type,
            "target_id": target_id,
            "subject_ref": subject_ref,
            "outcome": outcome,
            "details": details,
        },
        sign_with=None,
    )
    return event


def record_signed_event(
    conn: psycopg.Connection,
    settings: AuditSettings,
    actor: Actor,
    action: str,
    *,
    target_type: str | None = None,
    target_id: str | UUID | None = None,
    details: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Append one event and sign a checkpoint at it, in the caller's transaction."""
    event, checkpoint = _append_event(
        conn,
        actor,
        action,
        fields={
            "target_type": target_type,
            "target_id": target_id,
            "subject_ref": None,
            "outcome": "success",
            "details": details,
        },
        sign_with=settings,
    )
    assert checkpoint is not None  # sign_with always signs
    return event, checkpoint


def _append_event(
    conn: psycopg.Connection,
    actor: Actor,
    action: str,
    *,
    fields: dict[str, Any],
    sign_with: AuditSettings | None,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Append an event; sign a checkpoint at it when asked to or when one is due."""
    details = _check_details(fields["details"] or {})  # before the lock: bad details fail fast
    q = queries()
    head = conn.execute(q["lock_audit_head"]).fetchone()
    target_id = fields["target_id"]
    event: dict[str, Any] = {
        "seq": head["seq"] + 1,
        "occurred_at": datetime.now(UTC),
        "actor_type": actor.actor_type,
        "actor_key_id": str(actor.key_id) if actor.key_id else None,
        "actor_role": actor.role,
        "action": action,
        "target_type": fields["target_type"],
        "target_id": str(target_id) if target_id is not None else None,
        "subject_ref": fields["subject_ref"],
        "request_id": actor.request_id,
        "outcome": fields["outcome"],
        "details": details,
        "prev_hash": head["hash"],
    }
    event["hash"] = row_hash(event)
    conn.execute(q["insert_audit_event"], {**event, "details": Jsonb(event["details"])})

    checkpoint = None
    checkpoint_seq = head["checkpoint_seq"]
    # Connections from the runtime's database carry its audit settings; plain ones do not.
    settings = sign_with or getattr(conn, "audit_settings", None)
    if sign_with is not None or (
        settings is not None and settings.checkpoint_due(event["seq"], checkpoint_seq)
    ):
        checkpoint = settings.sign_checkpoint(event["seq"], event["hash"])
        conn.execute(q["insert_audit_checkpoint"], checkpoint)
        checkpoint_seq = event["seq"]
    conn.execute(
        q["update_audit_head"],
        {"seq": event["seq"], "hash": event["hash"], "checkpoint_seq": checkpoint_seq},
    )
    return event, checkpoint
