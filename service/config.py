"""Service settings: defaults overridden by PRIVACY_* environment variables."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# name -> (default, parser); every entry is documented in README.md "Configuration".
_SETTINGS: dict[str, tuple[Any, Any]] = {
    "PRIVACY_DATA_DIR": (".data", str),
    "PRIVACY_MAX_BODY_BYTES": (1024 * 1024, int),
    "PRIVACY_MAX_TEXT_CHARS": (100_000, int),
    "PRIVACY_MAX_BATCH": (500, int),
    "PRIVACY_SECRET_KEY": (None, str),
    "PRIVACY_AUDIT_SIGNING_KEY": (None, str),
    "PRIVACY_AUDIT_ORIGIN": ("privacy-service.local/audit", str),
    "PRIVACY_AUDIT_MAX_DELAY": (1.0, float),
    "PRIVACY_AUDIT_VERIFIER_KEY": (None, str),
    "PRIVACY_AUDIT_STATE_FILE": (None, str),
    "PRIVACY_PACKAGE_TTL_DAYS": (30, int),
    "PRIVACY_DB_POOL_MIN": (1, int),
    "PRIVACY_DB_POOL_MAX": (10, int),
    "PRIVACY_DB_TIMEOUT": (5.0, float),
    "PRIVACY_LOG_LEVEL": ("INFO", str),
    "PRIVACY_WARM_ENGINE": (False, lambda v: str(v).lower() in {"1", "true", "yes", "on"}),
    "PRIVACY_HEADER_TIMEOUT_SECONDS": (10.0, float),
    "PRIVACY_BODY_TIMEOUT_SECONDS": (30.0, float),
    "PRIVACY_WORKER_CONNECTIONS": (200, int),
    "PRIVACY_WORKER_MAX_TEXTS": (50_000, int),
    "PRIVACY_WORKER_MAX_RSS_MB": (0, int),
    "PRIVACY_KEY_CACHE_SECONDS": (10.0, float),
    "PRIVACY_AUTH_FAILURES_PER_MINUTE": (30, int),
    "PRIVACY_AUDIT_AGGREGATE_SECONDS": (1.0, float),
    # Read by the redaction engine (service.redaction.get_engine): comma-separated.
    "PRIVACY_BRAND_TERMS": (None, str),
    "PRIVACY_CONSOLE_SESSION_HOURS": (12.0, float),
    "PRIVACY_CONSOLE_IDLE_MINUTES": (30.0, float),
    "PRIVACY_CONSOLE_LOCK_AFTER": (5, int),
    "PRIVACY_CONSOLE_LOCK_MINUTES": (15.0, float),
    "PRIVACY_PROXY_HOPS": (0, int),
    "PRIVACY_PORTAL_PER_MINUTE": (5, int),
    "DATABASE_URL": (None, str),
    "PRIVACY_DATABASE_OWNER_URL": (None, str),
    "PRIVACY_DATABASE_ROLE": ("privacy_service", str),
    # Parsed and checked by the area that uses them (service/archive/settings.py,
    # service/dsr/settings.py); their defaults live there.
    "PRIVACY_SCAN_CHUNK_ITEMS": (None, str),
    "PRIVACY_MAX_INGEST_BYTES": (None, str),
    "PRIVACY_PHONE_REGION": (None, str),
    "PRIVACY_WORKER_HEARTBEAT_SECONDS": (None, str),
    "PRIVACY_WORKER_STALLED_SECONDS": (None, str),
    "PRIVACY_GUARD_CHECKS_PER_ITEM": (None, str),
    "PRIVACY_GUARD_WINDOW_SECONDS": (None, str),
    "PRIVACY_DSR_TIMEZONE": (None, str),
    "PRIVACY_DSR_RECORD_MONTHS": (None, str),
    "PRIVACY_DSR_LOCK_TIMEOUT": (None, str),
    "PRIVACY_DSR_HOLIDAYS": (None, str),
    "PRIVACY_SMTP_URL": (None, str),
    "PRIVACY_NOTICE_FROM": (None, str),
    "PRIVACY_PACKAGE_LINK_HOURS": (None, str),
    "PRIVACY_PUBLIC_URL": (None, str),
    "PRIVACY_LINK_RATE_PER_MINUTE": (10, int),
    "PRIVACY_OFFICER_EMAIL": (None, str),
    "PRIVACY_DSR_DIGEST_WEBHOOK_URL": (None, str),
    "PRIVACY_DSR_DUE_SOON_DAYS": (None, str),
    "PRIVACY_WEBHOOK_SECRET": (None, str),
    "PRIVACY_WEBHOOK_ALLOW_HTTP": (None, str),
    "PRIVACY_WEBHOOK_ALLOW_PRIVATE": (None, str),
    "PRIVACY_DSR_SEND_RETRY_SECONDS": (None, str),
    "PRIVACY_CCPA_VERIFICATION_DEGREES": (None, str),
    "PRIVACY_CCPA_REQUIRE_SIGNED_DECLARATION": (None, str),
    "PRIVACY_CONTROLLER_NAME": (None, str),
    "PRIVACY_CONTROLLER_CONTACT": (None, str),
    "PRIVACY_DPO_CONTACT": (None, str),
}


def load_config(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the settings from defaults, the environment and explicit overrides, in that order."""
    config: dict[str, Any] = {}
    for name, (default, parse) in _SETTINGS.items():
        raw = os.environ.get(name)
        config[name] = parse(raw) if raw not in (None, "") else default
    if overrides:
        config.update(overrides)
    config["PRIVACY_DATA_DIR"] = str(Path(config["PRIVACY_DATA_DIR"]).resolve())
    return config


def data_dir(config: Mapping[str, Any]) -> Path:
    """Return the data folder, creating it (mode 0700) when missing."""
    path = Path(config["PRIVACY_DATA_DIR"])
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def read_or_create_secret(config: Mapping[str, Any], setting: str, filename: str) -> str:
    """Return a secret from its setting, else from the data folder (created on first use)."""
    value = config.get(setting)
    if value:
        return value
    path = data_dir(config) / filename
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    # Write to a private temp file, then link it into place: linking fails if another process
    # won the race, and nobody ever reads a half-written secret.
    value = secrets.token_urlsafe(32)
    tmp = path.with_name(f".{filename}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    try:
        os.link(tmp, path)
    except FileExistsError:
        value = path.read_text().strip()
    finally:
        tmp.unlink()
    return value
