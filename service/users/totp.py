"""The optional second factor: TOTP (RFC 6238) codes, secrets stored encrypted, no replays."""

from __future__ import annotations

import base64
import binascii
import hmac
import time
from uuid import UUID

import psycopg
import pyotp

from service.audit import Actor, record_event
from service.db import queries
from service.errors import BadRequest
from service.sealing import seal, unseal
from service.users.accounts import SignInPolicy, mark_signed_in, record_signin_failure

ISSUER = "Privacy Service"
_STEP_SECONDS = 30
# Fixed and public, like the redaction keys' salt: the service secret carries the entropy.
_HKDF_SALT = b"privacy-service/console/totp/v1"


class WrongCode(BadRequest):
    """The second-factor code is wrong, expired or already used."""


def new_totp_secret() -> str:
    """Return a new random TOTP secret (base32, 160 bits)."""
    return pyotp.random_base32(32)


class BadTotpSecret(BadRequest):
    """The key sent back is not a TOTP key this service hands out."""


def check_totp_secret(secret: str) -> str:
    """Return the key when it is base32 of at least 160 bits, else raise BadTotpSecret."""
    try:
        decoded = base64.b32decode(secret, casefold=True)
    except (binascii.Error, ValueError) as exc:
        raise BadTotpSecret("The key is not one this page gave; reload the page.") from exc
    if len(decoded) < 20:
        raise BadTotpSecret("The key is not one this page gave; reload the page.")
    return secret.upper()


def totp_uri(secret: str, email: str) -> str:
    """Return the otpauth:// URI an authenticator app takes."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def encrypt_secret(service_secret: bytes, user_id: UUID, secret: str) -> bytes:
    """Return the TOTP secret sealed (AES-GCM, bound to the user's id) for storage."""
    return seal(
        service_secret, secret.encode(), salt=_HKDF_SALT, purpose=b"totp", context=user_id.bytes
    )


def decrypt_secret(service_secret: bytes, user_id: UUID, stored: bytes) -> str:
    """Return the TOTP secret of its stored form."""
    return unseal(
        service_secret, stored, salt=_HKDF_SALT, purpose=b"totp", context=user_id.bytes
    ).decode()


def matching_step(secret: str, code: str, *, now: float | None = None) -> int | None:
    """Return the time step (now, or one either side for clock drift) whose code this is."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int((time.time() if now is None else now) // _STEP_SECONDS)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.at(step * _STEP_SECONDS), code):
            return step
    return None


def enable_totp(
    conn: psycopg.Connection,
    actor: Actor,
    service_secret: bytes,
    user_id: UUID,
    *,
    secret: str,
    code: str,
) -> None:
    """Turn on the second factor once the user proved the app holds `secret`; audited."""
    secret = check_totp_secret(secret)
    step = matching_step(secret, code)
    if step is None:
        raise WrongCode("The code does not match; check the app's clock and type the new code.")
    conn.execute(
        queries()["update_console_user_totp"],
        {
            "id": user_id,
            "totp_secret": encrypt_secret(service_secret, user_id, secret),
            "last_step": step,
        },
    )
    record_event(conn, actor, "user.totp_enabled", target_type="user", target_id=user_id)


def confirm_second_factor(
    conn: psycopg.Connection,
    actor: Actor,
    service_secret: bytes,
    user_id: UUID,
    code: str,
    *,
    policy: SignInPolicy,
) -> bool:
    """Check a sign-in's code; on success record `user.signed_in`, else count the failure."""
    user = conn.execute(queries()["get_console_user_secrets"], {"id": user_id}).fetchone()
    if user is None or user["disabled_at"] is not None or user["totp_secret"] is None:
        return False
    if user["locked_until"] is not None and user["locked_until"] > user["now"]:
        record_signin_failure(conn, actor, user_id, "locked", lock=None)
        return False
    step = matching_step(decrypt_secret(service_secret, user_id, bytes(user["totp_secret"])), code)
    used = (
        step is not None
        and conn.execute(
            queries()["update_console_user_totp_step"], {"id": user_id, "step": step}
        ).fetchone()
        is not None
    )
    if not used:
        record_signin_failure(conn, actor, user_id, "second_factor", lock=policy)
        return False
    mark_signed_in(conn, actor, user_id, user["role"], second_factor="totp")
    return True
