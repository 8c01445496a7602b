"""API keys, roles, and the per-request authentication and authorization check."""

from __future__ import annotations

import hashlib
import math
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

import psycopg
from flask import Flask, current_app, g, request

from service.audit import Actor, record_event
from service.db import queries
from service.errors import Conflict, Forbidden, NotFound, TooManyRequests, Unauthorized
from service.roles import ROLES
from service.runtime import current_runtime

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
    row = conn.execute(queries()["update_api_key_revoked"], {"id": key_id}).fetchone()
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


@dataclass
class _CachedKey:
    id: UUID
    role: str
    checked_at: float
    touched_at: float


class KeyCache:
    """Verified keys held in the process, so a request needs no database round trip to pass.

    An entry is trusted for `ttl` seconds after it was read from the database; then the next
    request with that key reads it again. So a key revoked in another process stops working
    within `ttl` seconds (in the process that revoked it, at once). `last_used_at` is written
    at most once per `touch_every` seconds per key.
    """

    def __init__(self, *, ttl: float, touch_every: float = 60.0, max_keys: int = 10_000):
        self.ttl = ttl
        self.touch_every = touch_every
        self.max_keys = max_keys
        self._keys: OrderedDict[bytes, _CachedKey] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key_hash: bytes, now: float) -> _CachedKey | None:
        """Return the entry when it is still fresh."""
        with self._lock:
            entry = self._keys.get(key_hash)
            if entry is None or now - entry.checked_at >= self.ttl:
                return None
            return entry

    def put(self, key_hash: bytes, key_id: UUID, role: str, now: float, touched: bool) -> None:
        """Remember a key the database just confirmed as live."""
        with self._lock:
            previous = self._keys.pop(key_hash, None)
            touched_at = now if touched or previous is None else previous.touched_at
            self._keys[key_hash] = _CachedKey(key_id, role, now, touched_at)
            while len(self._keys) > self.max_keys:
                self._keys.popitem(last=False)

    def needs_touch(self, entry: _CachedKey, now: float) -> bool:
        """Tell whether `last_used_at` is due, and claim it so only one request writes it."""
        with self._lock:
            if now - entry.touched_at < self.touch_every:
                return False
            entry.touched_at = now
            return True

    def forget(self, key_id: UUID) -> None:
        """Drop a key at once (it was revoked here)."""
        with self._lock:
            for key_hash in [h for h, e in self._keys.items() if e.id == key_id]:
                del self._keys[key_hash]


class FailureLimiter:
    """A token bucket of failed authentications per client address, kept in the process.

    Each address may fail `per_minute` times in a burst, refilled at `per_minute` a minute; past
    that, requests whose key is not already verified get 429 with Retry-After, before any
    database work. Each gunicorn worker keeps its own buckets.
    """

    def __init__(self, *, per_minute: int, max_addresses: int = 100_000):
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.max_addresses = max_addresses
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def _tokens(self, address: str, now: float) -> float:
        tokens, at = self._buckets.get(address, (self.capacity, now))
        return min(self.capacity, tokens + (now - at) * self.rate)

    def retry_after(self, address: str, now: float) -> int | None:
        """Return the seconds to wait when the address has no failures left, else None."""
        if self.capacity <= 0:
            return None
        with self._lock:
            tokens = self._tokens(address, now)
        if tokens >= 1.0:
            return None
        return max(1, math.ceil((1.0 - tokens) / self.rate))

    def failed(self, address: str, now: float) -> None:
        """Spend one failure of the address's bucket."""
        if self.capacity <= 0:
            return
        with self._lock:
            tokens = self._tokens(address, now)
            self._buckets.pop(address, None)
            self._buckets[address] = (max(0.0, tokens - 1.0), now)
            while len(self._buckets) > self.max_addresses:
                self._buckets.popitem(last=False)


def _bearer_token(req) -> str | None:
    header = req.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _required_roles(app: Flask, req) -> frozenset[str] | None:
    """Return the roles the matched view requires, or None when no route matched.

    Worked out once per endpoint and method (views and their marks are fixed once the app
    serves), then remembered.
    """
    endpoint = req.endpoint
    if req.url_rule is None or endpoint is None:
        return None
    known = app.extensions.setdefault("privacy.required_roles", {})
    key = (endpoint, req.method)
    roles = known.get(key)
    if roles is None:
        roles = known[key] = _view_roles(app, endpoint, req.method)
    return roles


def _view_roles(app: Flask, endpoint: str, method: str) -> frozenset[str]:
    if endpoint in app.extensions.get("privacy.public_endpoints", ()):
        return PUBLIC
    view = app.view_functions.get(endpoint)
    view_class = getattr(view, "view_class", None)
    handler = view
    if view_class is not None:
        method = method.lower()
        if method == "head":
            method = "get"
        handler = getattr(view_class, method, None)
    # Secure by default: a view nobody marked is for admins only.
    return getattr(handler, "required_roles", frozenset({"admin"}))


def _deny(error: Unauthorized | Forbidden, reason: str, key: dict | None) -> None:
    """Count the denial in the audit aggregate (one event per reason and route per interval)."""
    actor = Actor(
        key_id=key["id"] if key else None,
        role=key["role"] if key else None,
        request_id=None,
    )
    if isinstance(error, Unauthorized):
        current_app.extensions["privacy.auth_failures"].failed(
            request.remote_addr or "", time.monotonic()
        )
    current_app.extensions["privacy.audit_aggregate"].add(
        actor,
        "auth.denied",
        {"reasons": {reason: 1}},
        target_type="route",
        target_id=f"{request.method} {request.url_rule.rule}",
        outcome="denied",
    )
    raise error


def authenticate_request() -> None:
    """Check the bearer key and role for the matched route (a Flask before_request hook)."""
    req = request._get_current_object()
    context = g._get_current_object()
    context.actor = Actor(key_id=None, role=None, request_id=context.get("request_id"))
    if req.method == "OPTIONS":
        return
    required = _required_roles(current_app._get_current_object(), req)
    if required is None or required == PUBLIC:
        return
    token = _bearer_token(req)
    if token is None:
        _deny(
            Unauthorized("Send an API key as `Authorization: Bearer <key>`."), "missing_key", None
        )
    key = _look_up_key(token)
    if key is None:
        _deny(Unauthorized("This API key is not known."), "unknown_key", None)
    if key["revoked_at"] is not None:
        _deny(Unauthorized("This API key has been revoked."), "revoked_key", key)
    if key["role"] not in required:
        _deny(Forbidden(f"The role '{key['role']}' may not use this endpoint."), "wrong_role", key)
    context.actor = Actor(key_id=key["id"], role=key["role"], request_id=context.get("request_id"))


def _look_up_key(token: str) -> dict | None:
    """Return the key row for a token: from the process's cache, else from the database."""
    cache: KeyCache = current_app.extensions["privacy.key_cache"]
    key_hash = hash_key(token)
    now = time.monotonic()
    cached = cache.get(key_hash, now)
    if cached is not None:
        if cache.needs_touch(cached, now):
            with current_runtime().database.transaction() as conn:
                conn.execute(queries()["update_api_key_last_used"], {"id": cached.id})
        return {"id": cached.id, "role": cached.role, "revoked_at": None}
    wait = current_app.extensions["privacy.auth_failures"].retry_after(
        request.remote_addr or "", now
    )
    if wait is not None:
        raise TooManyRequests(
            f"Too many failed authentications from this address; retry in {wait} s.",
            retry_after=wait,
        )
    with current_runtime().database.transaction() as conn:
        key = conn.execute(queries()["get_api_key_by_hash"], {"key_hash": key_hash}).fetchone()
        if key is not None and key["revoked_at"] is None:
            conn.execute(queries()["update_api_key_last_used"], {"id": key["id"]})
            cache.put(key_hash, key["id"], key["role"], now, touched=True)
    return key


def current_actor() -> Actor:
    """Return the actor of the current request."""
    return g.actor
