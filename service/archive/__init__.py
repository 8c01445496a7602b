"""Feedback archive: ingestion, background PII scans on workers, reading, and the reply guard."""

from __future__ import annotations

from service.archive.identifiers import (
    IDENTIFIER_KINDS,
    IdentifierError,
    clean_display_name,
    normalize_email,
    normalize_handle,
    normalize_name,
    normalize_phone,
    value_hash,
)
from service.archive.scanning import engine_version
from service.archive.subjects import find_mentions, find_subjects

__all__ = [
    "IDENTIFIER_KINDS",
    "IdentifierError",
    "clean_display_name",
    "engine_version",
    "find_mentions",
    "find_subjects",
    "normalize_email",
    "normalize_handle",
    "normalize_name",
    "normalize_phone",
    "value_hash",
]
