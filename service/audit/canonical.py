"""The one canonical encoding of audit values (timestamps, JSON), shared by hashing and signing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

# One encoder instance: json.dumps with options builds a new encoder on every call.
_CANONICAL_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def format_timestamp(value: datetime) -> str:
    """Render a timestamp the one way the hash chain uses: UTC, microseconds, trailing Z."""
    value = value.astimezone(UTC)
    if value.year >= 1000:  # isoformat is several times faster than strftime, same text
        return value.isoformat(timespec="microseconds")[:26] + "Z"
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_text(value: Any) -> str:
    """Serialise a value as canonical JSON text: sorted keys, no spaces, no ASCII escaping."""
    return _CANONICAL_ENCODER.encode(value)


def canonical_json(value: Any) -> bytes:
    """Serialise a value as canonical JSON: sorted keys, no spaces, UTF-8."""
    return _CANONICAL_ENCODER.encode(value).encode()
