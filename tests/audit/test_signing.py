"""The checkpoint signing key: where it comes from, the forms it may take, what it signs."""

from __future__ import annotations

import base64
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from service import create_app
from service.audit.signing import (
    CHECKPOINT_CONTEXT,
    AuditKeyError,
    checkpoint_message,
    encode_public_key,
    load_audit_settings,
    parse_public_key,
    parse_signing_key,
    signature_is_valid,
)

SEED = bytes(range(32))
SEED_B64 = base64.b64encode(SEED).decode()


def _public(key: Ed25519PrivateKey) -> str:
    return encode_public_key(key.public_key())


EXPECTED = _public(Ed25519PrivateKey.from_private_bytes(SEED))


@pytest.mark.parametrize(
    "value",
    [
        base64.b64encode(SEED).decode(),
        base64.urlsafe_b64encode(SEED).decode().rstrip("="),
        "  " + base64.b64encode(SEED).decode() + "\n",
        Ed25519PrivateKey.from_private_bytes(SEED)
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode(),
    ],
    ids=["base64", "urlsafe-unpadded", "whitespace", "pem"],
)
def test_signing_key_forms(value):
    assert _public(parse_signing_key(value)) == EXPECTED


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (base64.b64encode(b"short").decode(), "32-byte"),
        ("not base64 at all!", "neither PEM nor base64"),
        (
            generate_private_key(SECP256R1())
            .private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            .decode(),
            "must be an Ed25519 key",
        ),
    ],
)
def test_unusable_signing_keys_are_refused_with_a_reason(value, message):
    with pytest.raises(AuditKeyError, match=message):
        parse_signing_key(value)


def test_an_unusable_key_stops_the_app_from_starting(app_config):
    with pytest.raises(AuditKeyError, match="32-byte"):
        create_app({**app_config, "PRIVACY_AUDIT_SIGNING_KEY": "c2hvcnQ="})


def test_without_a_key_one_is_generated_once_into_the_data_folder(tmp_path):
    config = {"PRIVACY_DATA_DIR": str(tmp_path)}
    first = load_audit_settings(config)
    second = load_audit_settings(config)
    assert first.public_key == second.public_key
    path = tmp_path / "audit-signing.key"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert len(base64.urlsafe_b64decode(path.read_text() + "=")) == 32


def test_a_configured_key_wins_and_nothing_is_written(tmp_path):
    settings = load_audit_settings(
        {"PRIVACY_DATA_DIR": str(tmp_path), "PRIVACY_AUDIT_SIGNING_KEY": SEED_B64}
    )
    assert settings.public_key == EXPECTED
    assert not os.listdir(tmp_path)


def test_a_signature_covers_seq_hash_and_time():
    settings = load_audit_settings(
        {"PRIVACY_DATA_DIR": "/nonexistent", "PRIVACY_AUDIT_SIGNING_KEY": SEED_B64}
    )
    checkpoint = settings.sign_checkpoint(42, "ab" * 32)
    public = parse_public_key(settings.public_key)
    assert signature_is_valid(public, checkpoint)
    for change in ({"seq": 43}, {"hash": "cd" * 32}, {"signed_at": "2020-01-01T00:00:00.000000Z"}):
        assert not signature_is_valid(public, {**checkpoint, **change})
    assert not signature_is_valid(public, {**checkpoint, "signature": "!!"})
    message = checkpoint_message(42, "ab" * 32, checkpoint["signed_at"])
    assert message.startswith(CHECKPOINT_CONTEXT)
    signed_at = checkpoint["signed_at"].encode()
    assert message.endswith(
        b'{"hash":"' + b"ab" * 32 + b'","seq":42,"signed_at":"' + signed_at + b'"}'
    )


@pytest.mark.parametrize("value", ["", "AAAA", '{"no": "key"}'])
def test_unusable_public_keys_are_refused(value):
    with pytest.raises(AuditKeyError):
        parse_public_key(value)
