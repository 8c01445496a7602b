"""Normalise identifiers (handles, e-mails, phones, names) and hash values for matching.

A subject's identifiers are stored in their normalised form, and every finding in an item's
text carries ``value_hash`` of its value: hashing a subject's identifiers the same way finds
where anyone mentioned them, without the archive keeping a second copy of the values.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import unicodedata

import phonenumbers

# Identifier kinds stored in subject_identifiers.kind.
IDENTIFIER_KINDS = ("handle", "email", "phone", "name")

# The matching class of each entity type the engine reports that is also an identifier kind.
_ENTITY_CLASS = {
    "SOCIAL_HANDLE": "handle",
    "EMAIL_ADDRESS": "email",
    "PHONE_NUMBER": "phone",
    "PERSON": "name",
    "handle": "handle",
    "email": "email",
    "phone": "phone",
    "name": "name",
}
# Reference numbers are matched on their letters and digits alone: "#A-123 45" is "a12345".
_REFERENCE_TYPES = frozenset(
    {
        "ORDER_NUMBER",
        "ACCOUNT_NUMBER",
        "CREDIT_CARD",
        "IBAN_CODE",
        "US_SSN",
        "NL_BSN",
        "US_DRIVER_LICENSE",
        "POSTCODE",
    }
)
_WHITESPACE = re.compile(r"\s+")
_NOT_ALNUM = re.compile(r"[\W_]+")
_HASH_CONTEXT = b"privacy-service/archive/value-hash/v1"


class IdentifierError(ValueError):
    """An identifier that cannot be normalised; the message says what is wrong."""


def _clean(value: str) -> str:
    """Return the value in Unicode NFKC with surrounding whitespace removed and runs collapsed."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", value)).strip()


def normalize_handle(value: str) -> str:
    """Return a handle lower-cased, without a leading "@" and surrounding whitespace."""
    handle = _clean(value).lstrip("@").strip().casefold()
    if not handle:
        raise IdentifierError("A handle needs at least one character besides '@'.")
    return handle


def normalize_email(value: str) -> str:
    """Return an e-mail address lower-cased and trimmed; raise IdentifierError if malformed."""
    email = _clean(value).casefold()
    local, at, domain = email.rpartition("@")
    if not at or not local or "." not in domain or " " in email:
        raise IdentifierError("Not an e-mail address (expected name@domain).")
    return email


def normalize_phone(value: str, default_region: str | None = None) -> str:
    """Return a phone number in E.164 ("+31612345678"); raise IdentifierError if impossible.

    Numbers without a country code ("06 12345678") need ``default_region`` (ISO 3166 code).
    """
    text = _clean(value)
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else default_region)
    except phonenumbers.NumberParseException as exc:
        if not text.startswith("+") and default_region is None:
            raise IdentifierError(
                "Give the phone number with its country code, like +31 6 12345678."
            ) from exc
        raise IdentifierError("Not a phone number.") from exc
    if not phonenumbers.is_possible_number(number):
        raise IdentifierError("Not a possible phone number (wrong length for its country).")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def clean_display_name(value: str) -> str:
    """Return a display name as it is shown, in NFKC with whitespace collapsed."""
    name = _clean(value)
    if not name:
        raise IdentifierError("A display name needs at least one visible character.")
    return name


def normalize_name(value: str) -> str:
    """Return the form under which two writings of a name are the same: case-folded, trimmed."""
    return _clean(value).casefold()


def _phone_match_key(value: str) -> str:
    """Return the national significant number, so "+44 7700 900123" matches "07700 900123"."""
    text = _clean(value)
    if text.startswith("00"):
        text = "+" + text[2:]
    if text.startswith("+"):
        try:
            return str(phonenumbers.parse(text, None).national_number)
        except phonenumbers.NumberParseException:
            pass
    digits = re.sub(r"\D", "", text)
    # A national number written with its trunk prefix ("0" in most of Europe) drops it.
    return digits[1:] if digits.startswith("0") and not text.startswith("+") else digits


def match_key(kind_or_entity_type: str, value: str) -> tuple[str, str]:
    """Return (matching class, normalised value): what value_hash hashes."""
    kind = _ENTITY_CLASS.get(kind_or_entity_type)
    if kind == "handle":
        return kind, _clean(value).lstrip("@").strip().casefold()
    if kind == "email":
        return kind, _clean(value).casefold()
    if kind == "phone":
        return kind, _phone_match_key(value)
    if kind == "name":
        return kind, normalize_name(value)
    if kind_or_entity_type in _REFERENCE_TYPES:
        return kind_or_entity_type, _NOT_ALNUM.sub("", value).casefold()
    return kind_or_entity_type, normalize_name(value)


def value_hash(secret: bytes, kind_or_entity_type: str, value: str) -> bytes:
    """Return the keyed hash (HMAC-SHA256) of a value under its identifier kind or entity type.

    Identifier kinds and the entity types that detect them hash alike: ``value_hash(s, "email",
    x) == value_hash(s, "EMAIL_ADDRESS", x)``, likewise handle/SOCIAL_HANDLE, phone/PHONE_NUMBER
    and name/PERSON. Handles hash without their platform; phones by their national number.
    """
    kind, normalised = match_key(kind_or_entity_type, value)
    return hmac.new(_hash_key(secret), f"{kind}\x1f{normalised}".encode(), hashlib.sha256).digest()


@functools.lru_cache(maxsize=8)
def _hash_key(secret: bytes) -> bytes:
    """Return the key derived from the server secret for value hashes (not used elsewhere)."""
    return hmac.new(secret, _HASH_CONTEXT, hashlib.sha256).digest()


def first_name(display_name: str) -> str | None:
    """Return the first word of a display name that looks like a given name, if any."""
    for word in _clean(display_name).split(" "):
        word = word.strip(".,;:!?\"'()")
        if len(word) >= 2 and word[0].isalpha() and not word.startswith("@"):
            return word
    return None
