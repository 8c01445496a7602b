"""Audit keys and settings: what every process knows, and what only the signer holds."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from service.audit.note import NoteError, Signer, Verifier, check_key_name, parse_verifier_key
from service.config import data_dir, read_or_create_secret

ALGORITHM = "Ed25519"
SIGNING_KEY_SETTING = "PRIVACY_AUDIT_SIGNING_KEY"
SIGNING_KEY_FILE = "audit-signing.key"


class AuditKeyError(ValueError):
    """A signing or public key that cannot be used; the message says what was expected."""


def _b64decode(text: str) -> bytes:
    """Decode standard or URL-safe base64, with or without padding."""
    compact = "".join(text.split()).replace("-", "+").replace("_", "/")
    return base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)


def parse_signing_key(value: str) -> Ed25519PrivateKey:
    """Read an Ed25519 private key from a base64 32-byte seed or a PKCS#8 PEM block."""
    text = value.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(text.encode(), password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            raise AuditKeyError(f"the audit signing key is not a readable PEM key: {exc}") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise AuditKeyError("the audit signing key must be an Ed25519 key")
        return key
    try:
        seed = _b64decode(text)
    except (binascii.Error, ValueError) as exc:
        raise AuditKeyError("the audit signing key is neither PEM nor base64") from exc
    if len(seed) != 32:
        raise AuditKeyError(
            f"the audit signing key must be a 32-byte Ed25519 seed, got {len(seed)} bytes"
        )
    return Ed25519PrivateKey.from_private_bytes(seed)


def parse_public_key(value: str) -> Ed25519PublicKey:
    """Read an Ed25519 public key: base64 of the raw 32 bytes, a PEM block, or /public-key JSON."""
    text = value.strip()
    if text.startswith("{"):
        try:
            text = str(json.loads(text)["public_key"])
        except (ValueError, KeyError, TypeError) as exc:
            raise AuditKeyError("the JSON holds no `public_key`") from exc
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode())
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise AuditKeyError(f"the public key is not a readable PEM key: {exc}") from exc
        if not isinstance(key, Ed25519PublicKey):
            raise AuditKeyError("the public key must be an Ed25519 key")
        return key
    try:
        raw = _b64decode(text)
    except (binascii.Error, ValueError) as exc:
        raise AuditKeyError("the public key is neither base64 nor PEM") from exc
    if len(raw) != 32:
        raise AuditKeyError(f"an Ed25519 public key has 32 bytes, this one has {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


def encode_public_key(key: Ed25519PublicKey) -> str:
    """Return the standard base64 of the raw 32-byte public key."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


DEFAULT_ORIGIN = "privacy-service.local/audit"
STATE_FILE = "audit-signer.state"


@dataclass(frozen=True)
class AuditSettings:
    """What every process knows of the audit log: its origin, pace and trusted verifier keys.

    `verifier_keys` pins the keys checkpoints must verify under (PRIVACY_AUDIT_VERIFIER_KEY);
    when empty, the keyring the signer recorded in the database is shown and used.
    """

    origin: str = DEFAULT_ORIGIN
    max_delay: float = 1.0
    verifier_keys: tuple[Verifier, ...] = ()


@dataclass(frozen=True)
class SignerSettings:
    """What only the signer process holds: the signing key and where its own state lives."""

    audit: AuditSettings
    signer: Signer
    state_path: Path

    @cached_property
    def verifier(self) -> Verifier:
        """Return the verifier of the signing key."""
        return self.signer.verifier


def load_audit_settings(config: Mapping[str, Any]) -> AuditSettings:
    """Build the audit settings every process uses (no signing key)."""
    origin = check_key_name(str(config.get("PRIVACY_AUDIT_ORIGIN") or DEFAULT_ORIGIN))
    max_delay = float(config.get("PRIVACY_AUDIT_MAX_DELAY") or 1.0)
    if not 0 < max_delay <= 3600:
        raise AuditKeyError("PRIVACY_AUDIT_MAX_DELAY is a number of seconds above 0, up to 3600")
    pinned = str(config.get("PRIVACY_AUDIT_VERIFIER_KEY") or "")
    try:
        keys = tuple(parse_verifier_key(text) for text in pinned.replace(",", " ").split())
    except NoteError as exc:
        raise AuditKeyError(f"PRIVACY_AUDIT_VERIFIER_KEY: {exc}") from exc
    return AuditSettings(origin=origin, max_delay=max_delay, verifier_keys=keys)


def load_signer_settings(config: Mapping[str, Any]) -> SignerSettings:
    """Build the signer's settings: the key (generated on first use if unset) and state file."""
    audit = load_audit_settings(config)
    # A generated secret is token_urlsafe(32): URL-safe base64 of a 32-byte seed.
    key = parse_signing_key(read_or_create_secret(config, SIGNING_KEY_SETTING, SIGNING_KEY_FILE))
    state = config.get("PRIVACY_AUDIT_STATE_FILE") or data_dir(config) / STATE_FILE
    return SignerSettings(audit=audit, signer=Signer(audit.origin, key), state_path=Path(state))
