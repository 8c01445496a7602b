"""Ed25519 signatures over audit checkpoints, and the audit settings each process runs with."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from service.audit.canonical import canonical_json, format_timestamp
from service.config import read_or_create_secret

ALGORITHM = "Ed25519"
SIGNING_KEY_SETTING = "PRIVACY_AUDIT_SIGNING_KEY"
SIGNING_KEY_FILE = "audit-signing.key"
# Domain separation: these signatures can never be mistaken for signatures over anything else.
CHECKPOINT_CONTEXT = b"privacy-service audit checkpoint v1\n"


class AuditKeyError(ValueError):
    """A signing or public key that cannot be used; the message says what was expected."""


def checkpoint_message(seq: int, hash_: str, signed_at: str) -> bytes:
    """Return the exact bytes a checkpoint signature covers."""
    return CHECKPOINT_CONTEXT + canonical_json({"hash": hash_, "seq": seq, "signed_at": signed_at})


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


def signature_is_valid(public_key: Ed25519PublicKey, checkpoint: Mapping[str, Any]) -> bool:
    """Tell whether a checkpoint's signature covers its seq, hash and signed_at under this key."""
    try:
        signature = base64.b64decode(checkpoint["signature"], validate=True)
        message = checkpoint_message(checkpoint["seq"], checkpoint["hash"], checkpoint["signed_at"])
        public_key.verify(signature, message)
    except (InvalidSignature, binascii.Error, KeyError, TypeError, ValueError):
        return False
    return True


@dataclass(frozen=True)
class AuditSettings:
    """The checkpoint signing key and how many events may pass between two checkpoints."""

    signing_key: Ed25519PrivateKey
    checkpoint_every: int = 1000

    @cached_property
    def public_key(self) -> str:
        """Return the base64 raw public key that verifies this process's checkpoints."""
        return encode_public_key(self.signing_key.public_key())

    def checkpoint_due(self, seq: int, last_checkpoint_seq: int) -> bool:
        """Tell whether the event at `seq` must be signed (0 disables automatic checkpoints)."""
        return self.checkpoint_every > 0 and seq - last_checkpoint_seq >= self.checkpoint_every

    def sign_checkpoint(self, seq: int, hash_: str) -> dict[str, Any]:
        """Sign the chain head (seq, hash) now and return the checkpoint."""
        signed_at = format_timestamp(datetime.now(UTC))
        signature = self.signing_key.sign(checkpoint_message(seq, hash_, signed_at))
        return {
            "seq": seq,
            "hash": hash_,
            "signed_at": signed_at,
            "signature": base64.b64encode(signature).decode(),
        }


def load_audit_settings(config: Mapping[str, Any]) -> AuditSettings:
    """Build the audit settings from configuration; the key is generated on first use if unset."""
    # A generated secret is token_urlsafe(32): URL-safe base64 of a 32-byte seed.
    key = parse_signing_key(read_or_create_secret(config, SIGNING_KEY_SETTING, SIGNING_KEY_FILE))
    return AuditSettings(
        signing_key=key, checkpoint_every=int(config.get("PRIVACY_AUDIT_CHECKPOINT_EVERY", 1000))
    )
