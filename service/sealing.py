"""Sealing: AES-256-GCM encryption of a small secret for storage in the database.

The key is derived (HKDF-SHA256) from the service's secret key, which is kept outside the
database (``PRIVACY_SECRET_KEY`` or the data folder's ``secret.key``), with a ``purpose`` of
its own, so a database dump alone opens nothing and a value sealed for one purpose cannot be
opened for another. Each sealed value is bound to ``context`` (the id of the row it belongs
to) as associated data: copied onto another row it no longer opens. Stored form:
12-byte random nonce, then ciphertext and tag.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_NONCE_BYTES = 12


class SealError(ValueError):
    """A sealed value does not open: another key, purpose or context, or altered."""


def _cipher(service_secret: bytes, salt: bytes, purpose: bytes) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=purpose).derive(service_secret)
    return AESGCM(key)


def seal(
    service_secret: bytes, plaintext: bytes, *, salt: bytes, purpose: bytes, context: bytes
) -> bytes:
    """Return ``plaintext`` encrypted for storage, bound to ``purpose`` and ``context``.

    ``salt`` is fixed and public per use (the service secret carries the entropy).
    """
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + _cipher(service_secret, salt, purpose).encrypt(nonce, plaintext, context)


def unseal(
    service_secret: bytes, sealed: bytes, *, salt: bytes, purpose: bytes, context: bytes
) -> bytes:
    """Return the plaintext of a sealed value; raise SealError when it does not open."""
    try:
        return _cipher(service_secret, salt, purpose).decrypt(
            sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], context
        )
    except (InvalidTag, ValueError) as exc:
        raise SealError("the sealed value does not open with this key") from exc
