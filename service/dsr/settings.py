"""Settings of the data-subject request workflow, read from the app's configuration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from service.dsr.deadlines import DeadlineError, receipt_date

DEFAULT_ZONE = "UTC"
DEFAULT_PACKAGE_TTL_DAYS = 30
# CCPA regulations § 7101(a): request records are kept for at least 24 months.
MIN_RECORD_MONTHS = 24
DEFAULT_LOCK_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class DsrSettings:
    """What the request workflow needs from the deployment: zone, lifetimes, secret, notice."""

    secret: bytes
    zone: str = DEFAULT_ZONE
    package_ttl_days: int = DEFAULT_PACKAGE_TTL_DAYS
    record_months: int = MIN_RECORD_MONTHS
    lock_timeout_seconds: float = DEFAULT_LOCK_TIMEOUT_SECONDS
    # Country assumed for phone numbers written without one (the archive's setting).
    phone_region: str | None = None
    controller: dict[str, Any] = field(default_factory=dict)


def _setting(config: Mapping[str, Any], name: str, default: Any) -> Any:
    # service.config.load_config has read the environment into the configuration.
    value = config.get(name)
    return default if value in (None, "") else value


def load_dsr_settings(config: Mapping[str, Any], secret: bytes) -> DsrSettings:
    """Return the workflow's settings from the app configuration (see service.config)."""
    zone = str(_setting(config, "PRIVACY_DSR_TIMEZONE", DEFAULT_ZONE))
    try:
        # Resolving the zone once here turns a typo into a start-up error, not a failed request.
        receipt_date(datetime(2000, 1, 1, tzinfo=UTC), zone)
    except DeadlineError as exc:
        raise ValueError(f"PRIVACY_DSR_TIMEZONE: {exc}") from exc
    record_months = int(_setting(config, "PRIVACY_DSR_RECORD_MONTHS", MIN_RECORD_MONTHS))
    if record_months < MIN_RECORD_MONTHS:
        raise ValueError(
            f"PRIVACY_DSR_RECORD_MONTHS must be at least {MIN_RECORD_MONTHS} (CCPA regulations "
            "§ 7101)"
        )
    controller = {
        "name": _setting(config, "PRIVACY_CONTROLLER_NAME", None),
        "contact": _setting(config, "PRIVACY_CONTROLLER_CONTACT", None),
        "dpo_contact": _setting(config, "PRIVACY_DPO_CONTACT", None),
    }
    return DsrSettings(
        secret=secret,
        zone=zone,
        package_ttl_days=int(
            _setting(config, "PRIVACY_PACKAGE_TTL_DAYS", DEFAULT_PACKAGE_TTL_DAYS)
        ),
        record_months=record_months,
        lock_timeout_seconds=float(
            _setting(config, "PRIVACY_DSR_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT_SECONDS)
        ),
        phone_region=(str(_setting(config, "PRIVACY_PHONE_REGION", "")).strip().upper() or None),
        controller={key: value for key, value in controller.items() if value is not None},
    )
