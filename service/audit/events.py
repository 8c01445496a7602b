"""Audit events: appended in the caller's transaction, encoded as the leaves of the Merkle tree."""

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

from service.audit.canonical import canonical_json, canonical_text, format_timestamp
from service.db import queries

# The fields of an event's leaf, the bytes the Merkle tree commits to (canonical JSON of these).
LEAF_FIELDS = (
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
)
_SORTED_FIELDS = tuple(sorted(LEAF_FIELDS))
# The canonical JSON of the leaf fields with the values left open (keys already sorted).
_CANONICAL_TEMPLATE = "{" + ",".join(f'"{name}":%s' for name in _SORTED_FIELDS) + "}"


@dataclass(frozen=True)
class Actor:
    """Who performs an action: an API key or a console user (id and role) or the system, plus
    the request id."""

    key_id: UUID | None
    role: str | None
    request_id: str | None = None
    user_id: UUID | None = None

    @property
    def actor_type(self) -> str:
        """Return 'key', 'user', 'system' or 'anonymous' (a request without a valid key)."""
        if self.key_id is not None:
            return "key"
        if self.user_id is not None:
            return "user"
        return "system" if self.role == "system" else "anonymous"

    @property
    def actor_id(self) -> UUID | None:
        """Return the id of the key or user acting (the event's `actor_key_id`), if any."""
        return self.key_id if self.key_id is not None else self.user_id


SYSTEM = Actor(key_id=None, role="system")


def leaf_bytes(event: dict[str, Any]) -> bytes:
    """Return an event's leaf: the canonical JSON of its LEAF_FIELDS (sorted keys, UTF-8)."""
    # Integrating and verifying a million events spends most of its time here: plain values are
    # escaped one by one with the JSON encoder's own string function and slotted into a template.
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


def parse_leaf(data: bytes) -> dict[str, Any]:
    """Return the fields of a leaf, or raise ValueError when it is not an event's leaf."""
    event = json.loads(data)
    if not isinstance(event, dict) or set(event) != set(LEAF_FIELDS):
        raise ValueError("the leaf is not an audit event")
    return event


def subject_ref(secret: bytes, subject_id: UUID | str) -> str:
    """Return the pseudonymous reference of a subject: a keyed hash of its internal id."""
    mac = hmac.new(secret, f"subject:{subject_id}".encode(), hashlib.sha256).hexdigest()
    return "subj_" + mac[:32]


# Detail values that canonical JSON renders as themselves and jsonb gives back unchanged.
_PLAIN_DETAIL_TYPES = frozenset((str, int, bool, type(None)))


def _check_details(details: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Return the details as jsonb will give them back, and their canonical JSON text.

    What is hashed is exactly what is stored: a flat object of text keys and plain values is
    taken as it is; anything else (floats, nesting, tuples, other keys) goes through canonical
    JSON and back.
    """
    if type(details) is dict and all(
        type(key) is str and type(value) in _PLAIN_DETAIL_TYPES for key, value in details.items()
    ):
        stable = dict(sorted(details.items()))
    else:
        stable = _jsonb_stable(json.loads(canonical_json(details)))
    return stable, canonical_text(stable)


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


def _insert_cursor(conn: psycopg.Connection) -> psycopg.Cursor:
    """Return the connection's own cursor for appending events, made on its first event.

    A cursor keeps the value adapters it has looked up; a new cursor per event would look them
    up again every time. It lives as long as the connection (which one thread uses at a time).
    """
    cursor = conn.__dict__.get("_audit_insert_cursor")
    if cursor is None or cursor.closed:
        cursor = conn.__dict__["_audit_insert_cursor"] = conn.cursor()
    return cursor


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
    """Insert one event in the caller's transaction and return it (with its id, not yet a seq).

    A plain insert: nothing shared is locked, so concurrent actions append in parallel. The
    event commits with the action or not at all; the signer then gives it its tree position.
    The row holds the event's leaf (the bytes the tree commits to) beside the same values in
    columns, which only serve to find events.

    One statement, one round trip, prepared by the driver after a few calls: the timestamp and
    the details are encoded once, for the leaf, and the column values are sent as that same
    text, so what the columns hold cannot differ from what the leaf says.
    """
    occurred_at = datetime.now(UTC)
    stamp = format_timestamp(occurred_at)
    stable, details_text = _check_details(details) if details else ({}, "{}")
    actor_id = actor.actor_id
    event: dict[str, Any] = {
        "occurred_at": occurred_at,
        "actor_type": actor.actor_type,
        "actor_key_id": str(actor_id) if actor_id else None,
        "actor_role": actor.role,
        "action": action,
        "target_type": target_type,
        "target_id": str(target_id) if target_id is not None else None,
        "subject_ref": subject_ref,
        "request_id": actor.request_id,
        "outcome": outcome,
        "details": stable,
    }
    leaf = leaf_bytes({**event, "occurred_at": stamp})
    row = (
        _insert_cursor(conn)
        .execute(
            queries()["insert_audit_event"],
            (
                stamp,
                event["actor_type"],
                event["actor_key_id"],
                event["actor_role"],
                action,
                target_type,
                event["target_id"],
                subject_ref,
                event["request_id"],
                outcome,
                details_text,
                leaf,
            ),
        )
        .fetchone()
    )
    event["id"] = row["id"] if isinstance(row, dict) else row[0]
    return event
