"""Redaction operators: validation, keyed hashing, AES-SIV tokens and numbered pseudonyms."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

import regex as re
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from presidio_anonymizer.entities import OperatorConfig
from presidio_anonymizer.operators import Operator, OperatorType

from service.redaction.errors import RedactionInputError

DEFAULT_OPERATOR_KEY = "DEFAULT"
DEFAULT_OPERATOR: dict[str, Any] = {"type": "replace"}

#: Public operator types and the parameters each one accepts besides "type".
OPERATOR_PARAMETERS: dict[str, frozenset[str]] = {
    "replace": frozenset({"new_value"}),
    "mask": frozenset({"masking_char", "chars_to_keep"}),
    "hash": frozenset(),
    "encrypt": frozenset(),
    "pseudonymize": frozenset(),
    "keep": frozenset(),
}

MAX_NEW_VALUE_LENGTH = 200
MIN_SECRET_KEY_BYTES = 16

# Salt for HKDF: fixed and public; the secret key alone carries the entropy, the salt
# only separates this product's derived keys from any other use of the same secret.
_HKDF_SALT = b"privacy-service/redaction/v1"

#: An encrypt token as it appears in redacted text: [[ENC:<ENTITY_TYPE>:<base64url>]].
ENCRYPT_TOKEN_PATTERN = re.compile(r"\[\[ENC:([^\[\]:\s]*):([^\[\]\s]*)\]\]")
_ENTITY_TYPE_SHAPE = re.compile(r"[A-Z][A-Z0-9_]*")
_BASE64URL_SHAPE = re.compile(r"[A-Za-z0-9_-]+")
_WHITESPACE_RUN = re.compile(r"\s+")


def derive_key(secret_key: bytes, purpose: str, length: int) -> bytes:
    """Derive a purpose-bound key from the engine secret with HKDF-SHA256."""
    return HKDF(
        algorithm=hashes.SHA256(),
        length=length,
        salt=_HKDF_SALT,
        info=purpose.encode("ascii"),
    ).derive(secret_key)


def normalize_value(value: str) -> str:
    """Return the form under which two detected values count as the same value.

    Case, surrounding whitespace, inner runs of whitespace and a leading "@" (a
    handle written with or without it) do not make a different person or address.
    """
    folded = _WHITESPACE_RUN.sub(" ", value.strip()).casefold()
    return folded.lstrip("@").strip()


class KeyedHasher:
    """HMAC-SHA256 over (entity type, normalized value) with a key derived for hashing.

    Output is ``<ENTITY_TYPE:hmac:64 hex digits>``: stable for a given secret and
    value, different for another secret, and not reversible. The entity type is part
    of the MAC input, so the same string detected as two types gets two digests.
    """

    def __init__(self, secret_key: bytes):
        self._key = derive_key(secret_key, "hash", 32)

    def digest(self, entity_type: str, value: str) -> str:
        """Return the hex HMAC of the normalized value under the entity type."""
        message = f"{entity_type}\x1f{normalize_value(value)}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def token(self, entity_type: str, value: str) -> str:
        """Return the text that replaces the value."""
        return f"<{entity_type}:hmac:{self.digest(entity_type, value)}>"


class TokenCipher:
    """Deterministic authenticated encryption of values into text-embeddable tokens.

    AES-SIV with a 64-byte HKDF-derived key (purpose "encrypt") and the entity type
    as associated data: the same value and type always give the same token, and a
    token whose type or ciphertext was altered fails authentication.
    """

    def __init__(self, secret_key: bytes):
        self._siv = AESSIV(derive_key(secret_key, "encrypt", 64))

    def token(self, entity_type: str, value: str) -> str:
        """Encrypt the exact value into ``[[ENC:<ENTITY_TYPE>:<base64url>]]``."""
        ciphertext = self._siv.encrypt(value.encode("utf-8"), [entity_type.encode("ascii")])
        encoded = base64.urlsafe_b64encode(ciphertext).rstrip(b"=").decode("ascii")
        return f"[[ENC:{entity_type}:{encoded}]]"

    def decrypt_token(self, entity_type: str, encoded: str) -> str:
        """Return the plaintext of one token's parts, or raise RedactionInputError."""
        if not _ENTITY_TYPE_SHAPE.fullmatch(entity_type) or not _BASE64URL_SHAPE.fullmatch(encoded):
            raise _undecryptable(entity_type)
        try:
            ciphertext = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            plaintext = self._siv.decrypt(ciphertext, [entity_type.encode("ascii")])
            return plaintext.decode("utf-8")
        except (InvalidTag, binascii.Error, ValueError, UnicodeDecodeError) as error:
            raise _undecryptable(entity_type) from error

    def decrypt_text(self, text: str) -> tuple[str, int]:
        """Replace every encrypt token in the text by its plaintext; return (text, count)."""
        count = 0

        def plaintext_of(match: re.Match) -> str:
            nonlocal count
            count += 1
            return self.decrypt_token(match.group(1), match.group(2))

        return ENCRYPT_TOKEN_PATTERN.sub(plaintext_of, text), count


def _undecryptable(entity_type: str) -> RedactionInputError:
    """Build the error for a token that was tampered with or made with another key."""
    return RedactionInputError(
        "text",
        f"an encrypted {entity_type or 'value'} token cannot be decrypted: it was altered "
        "or was not produced with this service's key",
    )


class PseudonymTable:
    """Numbered placeholders per entity type, shared by every text of one request.

    The same normalized value always gets the same number; numbers are handed out
    per entity type in the order values are first seen.
    """

    def __init__(self) -> None:
        self._numbers: dict[tuple[str, str], int] = {}
        self._counters: dict[str, int] = {}

    def label(self, entity_type: str, value: str) -> str:
        """Return the placeholder for the value, numbering it if it is new."""
        key = (entity_type, normalize_value(value))
        number = self._numbers.get(key)
        if number is None:
            number = self._counters.get(entity_type, 0) + 1
            self._counters[entity_type] = number
            self._numbers[key] = number
        return f"<{entity_type}_{number}>"


def mask_value(value: str, masking_char: str = "*", chars_to_keep: int = 0) -> str:
    """Mask a value keeping its length and at most its last ``chars_to_keep`` characters.

    At least one character is always masked, so a large ``chars_to_keep`` never
    reveals a short value whole.
    """
    keep = min(chars_to_keep, max(len(value) - 1, 0))
    return masking_char * (len(value) - keep) + value[len(value) - keep :]


def validate_operator_config(key: str, config: Any) -> None:
    """Raise RedactionInputError unless the config is a valid operator for ``key``."""
    if not isinstance(config, Mapping):
        raise RedactionInputError("operators", f"{key}: operator must be an object with a type")
    operator_type = config.get("type")
    if operator_type not in OPERATOR_PARAMETERS:
        allowed = ", ".join(sorted(OPERATOR_PARAMETERS))
        raise RedactionInputError(
            "operators", f"{key}: unknown operator type {operator_type!r} (use one of {allowed})"
        )
    unknown = set(config) - {"type"} - OPERATOR_PARAMETERS[operator_type]
    if unknown:
        raise RedactionInputError(
            "operators",
            f"{key}: {operator_type} does not take {', '.join(sorted(map(str, unknown)))}",
        )
    if operator_type == "replace" and "new_value" in config:
        new_value = config["new_value"]
        if not isinstance(new_value, str) or len(new_value) > MAX_NEW_VALUE_LENGTH:
            raise RedactionInputError(
                "operators",
                f"{key}: new_value must be a string of at most {MAX_NEW_VALUE_LENGTH} characters",
            )
    if operator_type == "mask":
        masking_char = config.get("masking_char", "*")
        if not isinstance(masking_char, str) or len(masking_char) != 1:
            raise RedactionInputError("operators", f"{key}: masking_char must be one character")
        chars_to_keep = config.get("chars_to_keep", 0)
        if (
            not isinstance(chars_to_keep, int)
            or isinstance(chars_to_keep, bool)
            or chars_to_keep < 0
        ):
            raise RedactionInputError(
                "operators", f"{key}: chars_to_keep must be a non-negative integer"
            )


class _MaskKeepingLast(Operator):
    """Presidio operator: mask the value, keeping its last N characters."""

    def operate(self, text: str = None, params: dict | None = None) -> str:
        """Return the masked value."""
        return mask_value(text, params["masking_char"], params["chars_to_keep"])

    def validate(self, params: dict | None = None) -> None:
        """Accept parameters already checked by validate_operator_config."""

    def operator_name(self) -> str:
        """Return the name the engine registers this operator under."""
        return "mask_keep_last"

    def operator_type(self) -> OperatorType:
        """Return that this operator anonymizes."""
        return OperatorType.Anonymize


class _KeyedHash(Operator):
    """Presidio operator: replace the value by its keyed HMAC token."""

    def operate(self, text: str = None, params: dict | None = None) -> str:
        """Return the HMAC token of the value."""
        return params["hasher"].token(params["entity_type"], text)

    def validate(self, params: dict | None = None) -> None:
        """Accept parameters the engine itself supplies."""

    def operator_name(self) -> str:
        """Return the name the engine registers this operator under."""
        return "keyed_hash"

    def operator_type(self) -> OperatorType:
        """Return that this operator anonymizes."""
        return OperatorType.Anonymize


class _SivEncrypt(Operator):
    """Presidio operator: replace the value by its AES-SIV token."""

    def operate(self, text: str = None, params: dict | None = None) -> str:
        """Return the encrypt token of the value."""
        return params["cipher"].token(params["entity_type"], text)

    def validate(self, params: dict | None = None) -> None:
        """Accept parameters the engine itself supplies."""

    def operator_name(self) -> str:
        """Return the name the engine registers this operator under."""
        return "siv_encrypt"

    def operator_type(self) -> OperatorType:
        """Return that this operator anonymizes."""
        return OperatorType.Anonymize


class _Pseudonym(Operator):
    """Presidio operator: replace the value by its numbered placeholder."""

    def operate(self, text: str = None, params: dict | None = None) -> str:
        """Return the request-wide placeholder of the value."""
        return params["table"].label(params["entity_type"], text)

    def validate(self, params: dict | None = None) -> None:
        """Accept parameters the engine itself supplies."""

    def operator_name(self) -> str:
        """Return the name the engine registers this operator under."""
        return "pseudonym"

    def operator_type(self) -> OperatorType:
        """Return that this operator anonymizes."""
        return OperatorType.Anonymize


#: Operator classes the engine adds to its Presidio AnonymizerEngine.
CUSTOM_PRESIDIO_OPERATORS: tuple[type[Operator], ...] = (
    _MaskKeepingLast,
    _KeyedHash,
    _SivEncrypt,
    _Pseudonym,
)


class OperatorPlan:
    """One request's operators, resolved to Presidio operator configs per entity type."""

    def __init__(
        self,
        operators: Mapping[str, Mapping[str, Any]] | None,
        *,
        hasher: KeyedHasher,
        cipher: TokenCipher,
        pseudonyms: PseudonymTable,
    ):
        operators = dict(operators or {})
        self._default = operators.pop(DEFAULT_OPERATOR_KEY, DEFAULT_OPERATOR)
        self._by_entity = operators
        self._state = {"hasher": hasher, "cipher": cipher, "table": pseudonyms}
        self.pseudonyms = pseudonyms
        self.presidio_configs: dict[str, OperatorConfig] = {
            key: self._presidio_config(config) for key, config in operators.items()
        }
        self.presidio_configs[DEFAULT_OPERATOR_KEY] = self._presidio_config(self._default)

    def operator_type(self, entity_type: str) -> str:
        """Return the public operator type applied to an entity type."""
        return self._by_entity.get(entity_type, self._default)["type"]

    def _presidio_config(self, config: Mapping[str, Any]) -> OperatorConfig:
        """Translate a validated public operator config into a Presidio OperatorConfig."""
        operator_type = config["type"]
        if operator_type == "replace":
            new_value = config.get("new_value")
            return OperatorConfig("replace", {"new_value": new_value} if new_value else {})
        if operator_type == "mask":
            return OperatorConfig(
                "mask_keep_last",
                {
                    "masking_char": config.get("masking_char", "*"),
                    "chars_to_keep": config.get("chars_to_keep", 0),
                },
            )
        if operator_type == "hash":
            return OperatorConfig("keyed_hash", {"hasher": self._state["hasher"]})
        if operator_type == "encrypt":
            return OperatorConfig("siv_encrypt", {"cipher": self._state["cipher"]})
        if operator_type == "pseudonymize":
            return OperatorConfig("pseudonym", {"table": self._state["table"]})
        return OperatorConfig("keep")
