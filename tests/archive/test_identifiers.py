"""Identifier normalisation and value hashes: what subject lookup and mention search rely on."""

from __future__ import annotations

import pytest

from service.archive.identifiers import (
    IdentifierError,
    first_name,
    normalize_email,
    normalize_handle,
    normalize_name,
    normalize_phone,
    value_hash,
)

SECRET = b"s" * 32


def test_handles_lose_case_and_at_sign():
    assert normalize_handle("@Sarah_J ") == "sarah_j"
    assert normalize_handle("SARAH_J") == "sarah_j"
    with pytest.raises(IdentifierError):
        normalize_handle(" @ ")


def test_emails_are_lower_cased_and_checked():
    assert normalize_email(" Sarah.Jones@Example.COM ") == "sarah.jones@example.com"
    for bad in ("sarah", "sarah@", "@example.com", "sarah@localhost"):
        with pytest.raises(IdentifierError):
            normalize_email(bad)


def test_phones_become_e164():
    assert normalize_phone("+44 7700 900123") == "+447700900123"
    assert normalize_phone("0031 6 1234 5678") == "+31612345678"
    assert normalize_phone("06-12345678", default_region="NL") == "+31612345678"
    with pytest.raises(IdentifierError, match="country code"):
        normalize_phone("06 12345678")
    with pytest.raises(IdentifierError):
        normalize_phone("+31 12")


def test_names_compare_without_case_and_spacing():
    assert normalize_name("  Sarah   JONES ") == "sarah jones"
    assert first_name("Sarah Jones") == "Sarah"
    assert first_name("@sj") is None


def test_value_hash_matches_identifiers_to_the_entity_types_that_find_them():
    assert value_hash(SECRET, "email", "Bob@Example.com") == value_hash(
        SECRET, "EMAIL_ADDRESS", "bob@example.com"
    )
    assert value_hash(SECRET, "handle", "sarah_j") == value_hash(
        SECRET, "SOCIAL_HANDLE", "@Sarah_J"
    )
    assert value_hash(SECRET, "name", "Sarah Jones") == value_hash(SECRET, "PERSON", "sarah  jones")
    # A phone written nationally or internationally is the same number.
    e164 = value_hash(SECRET, "phone", "+447700900123")
    assert value_hash(SECRET, "PHONE_NUMBER", "07700 900123") == e164
    assert value_hash(SECRET, "PHONE_NUMBER", "0044 7700-900-123") == e164
    assert value_hash(SECRET, "ORDER_NUMBER", "#A-1234 5") == value_hash(
        SECRET, "ORDER_NUMBER", "a12345"
    )


def test_value_hash_depends_on_kind_and_secret():
    assert value_hash(SECRET, "email", "x@example.com") != value_hash(
        SECRET, "name", "x@example.com"
    )
    assert value_hash(SECRET, "email", "x@example.com") != value_hash(
        b"t" * 32, "email", "x@example.com"
    )
    assert len(value_hash(SECRET, "email", "x@example.com")) == 32
