"""Console user accounts: creation, argon2id passwords, sign-in with lockout, disabling."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import psycopg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from service.audit import Actor, record_event
from service.db import queries
from service.errors import BadRequest, Conflict, NotFound
from service.roles import ROLES

__all__ = ["ROLES"]

# argon2-cffi's defaults are RFC 9106's second recommended profile (argon2id, 64 MiB, t=3).
_HASHER = PasswordHasher()
# Verified against when the e-mail is unknown, so that answer takes as long as a wrong password.
_UNKNOWN_USER_HASH = _HASHER.hash(secrets.token_urlsafe(16))
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_CHARS = 12
# argon2 hashes any length, but a megabyte of password is an attack, not a password.
MAX_PASSWORD_CHARS = 256


class UserExists(Conflict):
    """A user with this e-mail exists already."""


class UnknownUser(NotFound):
    """No user has this id or e-mail."""


class WeakPassword(BadRequest):
    """The new password does not meet the policy."""


class WrongPassword(BadRequest):
    """The current password given for a change is wrong."""


@dataclass(frozen=True)
class SignInPolicy:
    """How many failures lock an account, and for how long."""

    lock_after: int = 5
    lock_seconds: int = 900


@dataclass(frozen=True)
class SignInResult:
    """The outcome of a password check: `ok`, `second_factor` (a code is due) or `failed`."""

    status: str
    user_id: UUID | None = None
    role: str | None = None
    locked_until: datetime | None = None


def normalize_email(email: str) -> str:
    """Return the e-mail as stored (trimmed, lower case), or raise BadRequest."""
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 320:
        raise BadRequest("Give an e-mail address such as name@example.org.", errors={"email": []})
    return email


def one_time_password() -> str:
    """Return a random password for a new or reset account (to be changed at first sign-in)."""
    return secrets.token_urlsafe(18)


def check_password_policy(password: str, *, email: str | None = None) -> None:
    """Raise WeakPassword unless the password is long enough and not the e-mail."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise WeakPassword(f"Choose a password of at least {MIN_PASSWORD_CHARS} characters.")
    if len(password) > MAX_PASSWORD_CHARS:
        raise WeakPassword(f"Choose a password of at most {MAX_PASSWORD_CHARS} characters.")
    if email and password.strip().lower() == email:
        raise WeakPassword("The password may not be the e-mail address.")


def create_user(
    conn: psycopg.Connection, actor: Actor, *, email: str, name: str, role: str
) -> tuple[dict, str]:
    """Create a user with a one-time password; record `user.created`; return (row, password)."""
    if role not in ROLES:
        raise BadRequest(f"Pick a role of {', '.join(ROLES)}.", errors={"role": []})
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise BadRequest("Give a name of 1 to 200 characters.", errors={"name": []})
    email = normalize_email(email)
    password = one_time_password()
    try:
        with conn.transaction():
            row = conn.execute(
                queries()["insert_console_user"],
                {
                    "email": email,
                    "name": name,
                    "role": role,
                    "password_hash": _HASHER.hash(password),
                },
            ).fetchone()
    except psycopg.errors.UniqueViolation as exc:
        raise UserExists("A user with this e-mail exists already.") from exc
    record_event(
        conn, actor, "user.created", target_type="user", target_id=row["id"], details={"role": role}
    )
    return row, password


def list_users(conn: psycopg.Connection) -> list[dict]:
    """Return every user's account data (never a secret), oldest first."""
    return conn.execute(queries()["list_console_users"]).fetchall()


def count_users(conn: psycopg.Connection) -> int:
    """Return how many users exist, disabled ones included."""
    return conn.execute(queries()["count_console_users"]).fetchone()["count"]


def find_user_id(conn: psycopg.Connection, reference: str) -> UUID:
    """Return the id of the user a CLI argument names (its id or its e-mail)."""
    try:
        return UUID(reference)
    except ValueError:
        pass
    row = conn.execute(
        queries()["get_console_user_id_by_email"], {"email": reference.strip().lower()}
    ).fetchone()
    if row is None:
        raise UnknownUser("No user has this e-mail.")
    return row["id"]


def disable_user(conn: psycopg.Connection, actor: Actor, user_id: UUID) -> dict:
    """Disable a user and end its sessions at once; record `user.disabled` (idempotent)."""
    row = conn.execute(queries()["update_console_user_disabled"], {"id": user_id}).fetchone()
    if row is None:
        raise UnknownUser(f"No user with id {user_id}.")
    conn.execute(queries()["delete_console_sessions_of_user"], {"user_id": user_id})
    record_event(conn, actor, "user.disabled", target_type="user", target_id=user_id, details={})
    return row


def reset_password(conn: psycopg.Connection, actor: Actor, user_id: UUID) -> str:
    """Give a user a new one-time password, end its sessions; record `user.password_reset`."""
    password = one_time_password()
    row = conn.execute(
        queries()["update_console_user_password"],
        {"id": user_id, "password_hash": _HASHER.hash(password), "must_change": True},
    ).fetchone()
    if row is None:
        raise UnknownUser(f"No user with id {user_id}.")
    conn.execute(queries()["delete_console_sessions_of_user"], {"user_id": user_id})
    record_event(conn, actor, "user.password_reset", target_type="user", target_id=user_id)
    return password


def sign_in(
    conn: psycopg.Connection,
    actor: Actor,
    *,
    email: str,
    password: str,
    policy: SignInPolicy,
) -> SignInResult:
    """Check an e-mail and password; count failures, lock after too many; audit the outcome.

    Every failure (unknown e-mail, wrong password, locked or disabled account) gives the same
    `failed` result, so the answer reveals nothing about which accounts exist. The audit event
    names the user by id only, never the e-mail tried.
    """
    email = email.strip().lower()
    user = conn.execute(queries()["get_console_user_for_signin"], {"email": email}).fetchone()
    if user is None:
        _verify(_UNKNOWN_USER_HASH, password)
        _failed(conn, actor, None, "unknown_user")
        return SignInResult("failed")
    if user["disabled_at"] is not None:
        _verify(user["password_hash"], password)
        _failed(conn, actor, user, "disabled")
        return SignInResult("failed")
    if user["locked_until"] is not None and user["locked_until"] > user["now"]:
        _verify(user["password_hash"], password)
        _failed(conn, actor, user, "locked")
        return SignInResult("failed", locked_until=user["locked_until"])
    if not _verify(user["password_hash"], password):
        counted = conn.execute(
            queries()["update_console_user_signin_failed"],
            {"id": user["id"], "limit": policy.lock_after, "lock_seconds": policy.lock_seconds},
        ).fetchone()
        _failed(conn, actor, user, "password", failures=counted["failed_signins"])
        return SignInResult("failed", locked_until=counted["locked_until"])
    if _HASHER.check_needs_rehash(user["password_hash"]):
        conn.execute(
            queries()["update_console_user_password"],
            {
                "id": user["id"],
                "password_hash": _HASHER.hash(password),
                "must_change": user["password_must_change"],
            },
        )
    if user["totp_secret"] is not None:
        # The password counts as a success only with the code; failures stay counted till then.
        return SignInResult("second_factor", user_id=user["id"], role=user["role"])
    mark_signed_in(conn, actor, user["id"], user["role"], second_factor=None)
    return SignInResult("ok", user_id=user["id"], role=user["role"])


def mark_signed_in(
    conn: psycopg.Connection,
    actor: Actor,
    user_id: UUID,
    role: str,
    *,
    second_factor: str | None,
) -> None:
    """Clear the failure count and record `user.signed_in` as the user."""
    conn.execute(queries()["update_console_user_signed_in"], {"id": user_id})
    record_event(
        conn,
        Actor(key_id=None, role=role, request_id=actor.request_id, user_id=user_id),
        "user.signed_in",
        target_type="user",
        target_id=user_id,
        details={"second_factor": second_factor or "none"},
    )


def record_signin_failure(
    conn: psycopg.Connection,
    actor: Actor,
    user_id: UUID,
    reason: str,
    *,
    lock: SignInPolicy | None,
) -> None:
    """Audit a failed second step; count it like a wrong password when `lock` is given."""
    failures = None
    if lock is not None:
        failures = conn.execute(
            queries()["update_console_user_signin_failed"],
            {"id": user_id, "limit": lock.lock_after, "lock_seconds": lock.lock_seconds},
        ).fetchone()["failed_signins"]
    _failed(conn, actor, {"id": user_id}, reason, failures=failures)


def change_password(
    conn: psycopg.Connection, actor: Actor, user_id: UUID, *, current: str, new: str, email: str
) -> None:
    """Replace the user's password after checking the current one; end the user's sessions.

    Records `user.password_changed`; the caller opens a fresh session for the user.
    """
    user = conn.execute(queries()["get_console_user_secrets"], {"id": user_id}).fetchone()
    if user is None or user["disabled_at"] is not None:
        raise UnknownUser(f"No user with id {user_id}.")
    if not _verify(user["password_hash"], current):
        raise WrongPassword("The current password is wrong.")
    check_password_policy(new, email=email)
    if new == current:
        raise WeakPassword("Choose a password other than the current one.")
    conn.execute(
        queries()["update_console_user_password"],
        {"id": user_id, "password_hash": _HASHER.hash(new), "must_change": False},
    )
    conn.execute(queries()["delete_console_sessions_of_user"], {"user_id": user_id})
    record_event(conn, actor, "user.password_changed", target_type="user", target_id=user_id)


def _verify(password_hash: str, password: str) -> bool:
    if len(password) > MAX_PASSWORD_CHARS:
        return False
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _failed(
    conn: psycopg.Connection,
    actor: Actor,
    user: dict | None,
    reason: str,
    *,
    failures: int | None = None,
) -> None:
    details: dict = {"reason": reason}
    if failures is not None:
        details["failures"] = failures
    record_event(
        conn,
        actor,
        "user.signin_failed",
        target_type="user" if user else None,
        target_id=user["id"] if user else None,
        outcome="denied",
        details=details,
    )
