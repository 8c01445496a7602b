"""API keys, roles, and the per-request authentication and authorization check."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from typing import Any
from uuid import UUID

import psycopg
from flask import Flask, current_app, g, request

from service.audit import Actor, record_event
from service.db import queries
from service.errors import Conflict, Forbidden, NotFound, Unauthorized

ROLES = ("moderator", "privacy_officer", "auditor", "admin")
KEY_PREFIX = "psk_"

PUBLIC = frozenset({"*"})


def requires(*roles: str) -> Callable:
    """Mark a view (function or MethodView method) as open to these roles; admin always passes."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")

    def mark(view: Callable) -> Callable:
        view.required_roles = frozenset(roles) | {"admin"}
        return view

    return mark


def public(view: Callable) -> Callable:
    """Mark a view as open without a key."""
    view.required_roles = PUBLIC
    return view


def generate_key() -> str:
    """Return a new random API key."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(raw_key: str) -> bytes:
    """Return the stored form of a key (SHA-256; keys are 256-bit random, so no salt is needed)."""
    return hashlib.sha256(raw_key.encode()).digest()


def create_key(conn: psycopg.Connection, actor: Actor, *, name: str, role: str) -> tuple[dict, str]:
    """Create a key, record `key.created`, return (row, raw key); the raw key is never stored."""
    raw = generate_key()
    row = conn.execute(
        queries()["insert_api_key"], {"name": name, "role": role, "key_hash": hash_key(raw)}
    ).fetchone()
    record_event(
        conn,
        actor,
        "key.created",
        target_type="api_key",
        target_id=row["id"],
        details={"role": role},
    )
    return row, raw


def list_keys(conn: psycopg.Connection, *, include_revoked: bool = True) -> list[dict]:
    """Return every key's metadata, newest first."""
    return conn.execute(queries()["list_api_keys"], {"include_revoked": include_revoked}).fetchall()


def revoke_key(conn: psycopg.Connection, actor: Actor, key_id: UUID) -> dict:
    """Revoke a key (idempotent) and record `key.revoked`; raise NotFound for an unknown id.

    A key cannot revoke itself (Conflict): an admin would lock itself out with its last key.
    """
    if actor.key_id is not None and actor.key_id == key_id:
        raise Conflict(
            "This is the key of this request: revoke it with another admin key "
            "(or `privacy-service keys revoke`)."
        )
    row = conn.execute(queries()["revoke_api_key"], {"id": key_id}).fetchone()
    if row is None:
        raise NotFound(f"No API key with id {key_id}.")
    record_event(
        conn,
        actor,
        "key.revoked",
        target_type="api_key",
        target_id=key_id,
        details={"role": row["role"]},
    )
    return row


def count_keys(conn: psycopg.Connection) -> int:
    """Return how many keys exist, revoked or not."""
    return conn.execute(queries()["count_api_keys"]).fetchone()["count"]


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _required_roles(app: Flask) -> frozenset[str] | None:
    """Return the roles the matched view requires, or None when no route matched."""
    if request.url_rule is None or request.endpoint is None:
        return None
    if request.endpoint in app.extensions.get("privacy.public_endpoints", ()):
        return PUBLIC
    view = app.view_functions.get(request.endpoint)
    view_class = getattr(view, "view_class", None)
    handler = view
    if view_class is not None:
        method = request.method.lower()
        if method == "head":
            method = "get"
        handler = getattr(view_class, method, None)
    # Secure by default: a view nobody marked is for admins only.
    return getattr(handler, "required_roles", frozenset({"admin"}))


def _deny(error: Unauthorized | Forbidden, reason: str, key: dict | None) -> None:
    """Record the denial in its own transaction, then raise it."""
    actor = Actor(
        key_id=key["id"] if key else None,
        role=key["role"] if key else None,
        request_id=g.get("request_id"),
    )
    with current_app.extensions["privacy.db"].transaction() as conn:
        record_event(
            conn,
            actor,
            "auth.denied",
            target_type="route",
            target_id=f"{request.method} {request.url_rule.rule}",
            outcome="denied",
            details={"reason": reason},
        )
    raise error


def authenticate_request() -> None:
    """Check the bearer key and role for the matched route (a Flask before_request hook)."""
    g.actor = Actor(key_id=None, role=None, request_id=g.get("request_id"))
    if request.method == "OPTIONS":
        return
    required = _required_roles(current_app)
    if required is None or required == PUBLIC:
        return
    token = _bearer_token()
    if token is None:
        _deny(
            Unauthorized("Send an API key as `Authorization: Bearer <key>`."), "missing_key", None
        )
    db = current_app.extensions["privacy.db"]
    with db.transaction() as conn:
        key = conn.execute(queries()["find_api_key"], {"key_hash": hash_key(token)}).fetchone()
        if key is not None and key["revoked_at"] is None:
            conn.execute(queries()["touch_api_key"], {"id": key["id"]})
    if key is None:
        _deny(Unauthorized("This API key is not known."), "unknown_key", None)
    if key["revoked_at"] is not None:
        _deny(Unauthorized("This API key has been revoked."), "revoked_key", key)
    if key["role"] not in required:
        _deny(Forbidden(f"The role '{key['role']}' may not use this endpoint."), "wrong_role", key)
    g.actor = Actor(key_id=key["id"], role=key["role"], request_id=g.get("request_id"))


def current_actor() -> Actor:
    """Return the actor of the current request."""
    return g.actor


def key_public_fields(row: dict[str, Any]) -> dict[str, Any]:
    """Return the fields of a key row that may be shown (never the hash)."""
    return {k: row[k] for k in ("id", "name", "role", "created_at", "last_used_at", "revoked_at")}
