"""Settings of the feedback archive and its scan workers, from the app configuration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Most items in one POST /v1/feedback.
MAX_INGEST_ITEMS = 1000


@dataclass(frozen=True)
class ArchiveSettings:
    """What ingestion, scanning and the workers need from the deployment."""

    scan_chunk_items: int = 100
    max_ingest_bytes: int = 16 * 1024 * 1024
    phone_region: str | None = None
    heartbeat_seconds: float = 10.0
    stalled_seconds: float = 30.0
    # The reply guard: at most this many checks of one item by one key per window.
    guard_checks_per_item: int = 20
    guard_window_seconds: int = 3600


def _setting(config: Mapping[str, Any], name: str) -> Any:
    # service.config.load_config has read the environment into the configuration.
    value = config.get(name)
    return None if value in (None, "") else value


def load_archive_settings(config: Mapping[str, Any]) -> ArchiveSettings:
    """Return the archive settings; raise ValueError naming a bad setting."""
    defaults = ArchiveSettings()
    values: dict[str, Any] = {}
    for name, field, parse in (
        ("PRIVACY_SCAN_CHUNK_ITEMS", "scan_chunk_items", int),
        ("PRIVACY_MAX_INGEST_BYTES", "max_ingest_bytes", int),
        ("PRIVACY_PHONE_REGION", "phone_region", lambda v: str(v).strip().upper()),
        ("PRIVACY_WORKER_HEARTBEAT_SECONDS", "heartbeat_seconds", float),
        ("PRIVACY_WORKER_STALLED_SECONDS", "stalled_seconds", float),
        ("PRIVACY_GUARD_CHECKS_PER_ITEM", "guard_checks_per_item", int),
        ("PRIVACY_GUARD_WINDOW_SECONDS", "guard_window_seconds", int),
    ):
        raw = _setting(config, name)
        if raw is None:
            continue
        try:
            values[field] = parse(raw)
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from exc
    settings = ArchiveSettings(**{**defaults.__dict__, **values})
    if not 1 <= settings.scan_chunk_items <= 1000:
        raise ValueError("PRIVACY_SCAN_CHUNK_ITEMS must be between 1 and 1000")
    if settings.heartbeat_seconds <= 0 or settings.stalled_seconds <= settings.heartbeat_seconds:
        raise ValueError(
            "PRIVACY_WORKER_STALLED_SECONDS must be larger than PRIVACY_WORKER_HEARTBEAT_SECONDS"
        )
    if settings.guard_checks_per_item < 1 or settings.guard_window_seconds < 1:
        raise ValueError(
            "PRIVACY_GUARD_CHECKS_PER_ITEM and PRIVACY_GUARD_WINDOW_SECONDS must be at least 1"
        )
    if settings.phone_region is not None and len(settings.phone_region) != 2:
        raise ValueError("PRIVACY_PHONE_REGION must be a two-letter country code, like NL")
    return settings
