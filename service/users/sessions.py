"""Server-side console sessions: a random token in a cookie, its SHA-256 in the database."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from uuid import UUID

import psycopg

from service.db import queries


@dataclass(frozen=True)
class Session:
    """A live session and the user it belongs to."""

    token_hash: bytes
    user_id: UUID
    email: str
    name: str
    role: str
    second_factor_pending: bool
    password_must_change: bool
    has_totp: bool


def hash_token(token: str) -> bytes:
    """Return the stored form of a session token."""
    return hashlib.sha256(token.encode()).digest()


def open_session(
    conn: psycopg.Connection,
    user_id: UUID,
    *,
    lifetime_seconds: int,
    second_factor_pending: bool = False,
) -> str:
    """Open a session for a user and return its token (never stored)."""
    token = secrets.token_urlsafe(32)
    conn.execute(
        queries()["insert_console_session"],
        {
            "token_hash": hash_token(token),
            "user_id": user_id,
            "second_factor_pending": second_factor_pending,
            "lifetime_seconds": lifetime_seconds,
        },
    )
    return token


def load_session(conn: psycopg.Connection, token: str, *, idle_seconds: int) -> Session | None:
    """Return the live session of a token (its user enabled), noting its use; else None."""
    token_hash = hash_token(token)
    row = conn.execute(
        queries()["get_console_session"], {"token_hash": token_hash, "idle_seconds": idle_seconds}
    ).fetchone()
    if row is None:
        return None
    conn.execute(queries()["update_console_session_seen"], {"token_hash": token_hash})
    return Session(
        token_hash=token_hash,
        user_id=row["user_id"],
        email=row["email"],
        name=row["name"],
        role=row["role"],
        second_factor_pending=row["second_factor_pending"],
        password_must_change=row["password_must_change"],
        has_totp=row["has_totp"],
    )


def end_session(conn: psycopg.Connection, token: str) -> UUID | None:
    """End a session at once; return its user's id (None when there was none)."""
    row = conn.execute(
        queries()["delete_console_session"], {"token_hash": hash_token(token)}
    ).fetchone()
    return row["user_id"] if row else None


def delete_expired_sessions(conn: psycopg.Connection, *, idle_seconds: int) -> None:
    """Drop sessions past their lifetime or idle limit."""
    conn.execute(queries()["delete_console_sessions_expired"], {"idle_seconds": idle_seconds})
