"""Settings of the data-subject request workflow, read from the app's configuration."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from service.dsr.deadlines import (
    DeadlineError,
    HolidayCalendar,
    no_holidays,
    receipt_date,
    us_federal_holidays,
)
from service.dsr.mail import SmtpSettings, parse_smtp_url
from service.dsr.webhooks import WebhookPolicy

DEFAULT_ZONE = "UTC"
# CCPA regulations: the statute is Californian, so a CCPA request's days are counted in
# California unless the request names another zone.
CCPA_DEFAULT_ZONE = "America/Los_Angeles"
DEFAULT_HOLIDAYS = "us-federal"
# CCPA regulations § 7062(b)-(d): the degree of certainty each request type needs by default. A
# business may ask a reasonably high degree for a deletion of sensitive data (§ 7062(d)):
# PRIVACY_CCPA_VERIFICATION_DEGREES="erasure=reasonably_high" does that.
DEFAULT_CCPA_DEGREES = {
    "access": "reasonably_high",
    "portability": "reasonably_high",
    "erasure": "reasonable",
    "rectification": "reasonable",
}
CCPA_DEGREES = ("reasonable", "reasonably_high")
DEFAULT_PACKAGE_TTL_DAYS = 30
# CCPA regulations § 7101(a): request records are kept for at least 24 months.
MIN_RECORD_MONTHS = 24
DEFAULT_LOCK_TIMEOUT_SECONDS = 5.0
# The waits between attempts to deliver a recipient task: five attempts in all by default.
DEFAULT_SEND_RETRY_SECONDS = (60, 120, 240, 480)


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
    # The weekdays the business is closed, for CCPA business-day deadlines.
    holidays: HolidayCalendar = us_federal_holidays
    ccpa_degrees: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_CCPA_DEGREES))
    # § 7062(c) says a reasonably high degree "may include" a signed declaration: off unless
    # the business makes it its rule.
    ccpa_require_signed_declaration: bool = False
    # Notices go by SMTP when set; otherwise they are recorded for the officer to deliver.
    smtp: SmtpSettings | None = None
    # How long a one-time download link to an access package stays valid.
    package_link_hours: int = 72
    # Where the subject opens a download link: the service's public base URL.
    public_url: str = "http://localhost:8000"
    # The daily digest of due-soon and overdue requests: to this address and this webhook.
    officer_email: str | None = None
    digest_webhook_url: str | None = None
    due_soon_days: int = 7
    # Signs webhooks (digest, recipients); default derived from the service's secret key.
    webhook_secret: bytes = b""
    # Which webhook URLs may be called: https to public addresses only, unless allowed.
    webhooks: WebhookPolicy = field(default_factory=WebhookPolicy)
    # Seconds to wait before each further attempt to deliver a recipient task.
    send_retry_seconds: tuple[int, ...] = DEFAULT_SEND_RETRY_SECONDS

    def zone_for(self, regime: str) -> str:
        """Return the zone a request of ``regime`` is counted in when it names none."""
        return CCPA_DEFAULT_ZONE if regime == "ccpa" else self.zone


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
    smtp_url = str(_setting(config, "PRIVACY_SMTP_URL", ""))
    sender = str(_setting(config, "PRIVACY_NOTICE_FROM", "privacy@localhost"))
    return DsrSettings(
        secret=secret,
        webhooks=WebhookPolicy(
            allow_http=_flag(config, "PRIVACY_WEBHOOK_ALLOW_HTTP"),
            allow_private=_flag(config, "PRIVACY_WEBHOOK_ALLOW_PRIVATE"),
        ),
        send_retry_seconds=parse_retry_seconds(
            str(_setting(config, "PRIVACY_DSR_SEND_RETRY_SECONDS", ""))
        ),
        smtp=parse_smtp_url(smtp_url, sender) if smtp_url else None,
        package_link_hours=int(_setting(config, "PRIVACY_PACKAGE_LINK_HOURS", 72)),
        officer_email=_setting(config, "PRIVACY_OFFICER_EMAIL", None),
        digest_webhook_url=_setting(config, "PRIVACY_DSR_DIGEST_WEBHOOK_URL", None),
        due_soon_days=int(_setting(config, "PRIVACY_DSR_DUE_SOON_DAYS", 7)),
        webhook_secret=str(_setting(config, "PRIVACY_WEBHOOK_SECRET", "")).encode()
        or hmac.new(secret, b"privacy-service webhooks", hashlib.sha256).digest(),
        public_url=str(_setting(config, "PRIVACY_PUBLIC_URL", "http://localhost:8000")),
        holidays=load_holidays(str(_setting(config, "PRIVACY_DSR_HOLIDAYS", DEFAULT_HOLIDAYS))),
        ccpa_degrees=parse_ccpa_degrees(
            str(_setting(config, "PRIVACY_CCPA_VERIFICATION_DEGREES", ""))
        ),
        ccpa_require_signed_declaration=str(
            _setting(config, "PRIVACY_CCPA_REQUIRE_SIGNED_DECLARATION", "false")
        ).lower()
        in {"1", "true", "yes", "on"},
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


def _flag(config: Mapping[str, Any], name: str) -> bool:
    return str(_setting(config, name, "false")).strip().lower() in {"1", "true", "yes", "on"}


def parse_retry_seconds(value: str) -> tuple[int, ...]:
    """Return the waits of ``PRIVACY_DSR_SEND_RETRY_SECONDS`` (``60,120,240,480``; ``none``
    for a single attempt); raise ValueError for anything else."""
    text = value.strip()
    if not text:
        return DEFAULT_SEND_RETRY_SECONDS
    if text.lower() == "none":
        return ()
    try:
        waits = tuple(int(part) for part in text.split(","))
    except ValueError:
        waits = ()
    if not waits or any(wait < 0 for wait in waits) or len(waits) > 20:
        raise ValueError(
            "PRIVACY_DSR_SEND_RETRY_SECONDS: give up to 20 comma-separated whole seconds to "
            f"wait before each further attempt (such as 60,120,240,480), or none; not {value!r}"
        )
    return waits


def load_holidays(value: str) -> HolidayCalendar:
    """Return the calendar ``PRIVACY_DSR_HOLIDAYS`` names: us-federal, none, or a file of dates.

    The file lists one ISO date (YYYY-MM-DD) per line; blank lines and ``#`` comments are
    ignored. Every closed weekday must be listed, observed days included.
    """
    if value == "us-federal":
        return us_federal_holidays
    if value == "none":
        return no_holidays
    path = Path(value)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ValueError(
            f"PRIVACY_DSR_HOLIDAYS: give us-federal, none, or a readable file of dates ({exc})"
        ) from exc
    closed: set[date] = set()
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            closed.add(date.fromisoformat(text))
        except ValueError as exc:
            raise ValueError(
                f"PRIVACY_DSR_HOLIDAYS: {path}:{number}: {text!r} is not a YYYY-MM-DD date"
            ) from exc
    frozen = frozenset(closed)

    def from_file(year: int) -> frozenset[date]:
        return frozenset(day for day in frozen if day.year == year)

    return from_file


def parse_ccpa_degrees(value: str) -> dict[str, str]:
    """Return the CCPA degree per request type: the defaults, overridden by ``type=degree,...``."""
    degrees = dict(DEFAULT_CCPA_DEGREES)
    for pair in filter(None, (part.strip() for part in value.split(","))):
        request_type, _, degree = (piece.strip() for piece in pair.partition("="))
        if request_type not in DEFAULT_CCPA_DEGREES or degree not in CCPA_DEGREES:
            raise ValueError(
                f"PRIVACY_CCPA_VERIFICATION_DEGREES: {pair!r}: give type=degree pairs with a type "
                f"among {', '.join(DEFAULT_CCPA_DEGREES)} and a degree among "
                f"{', '.join(CCPA_DEGREES)}"
            )
        degrees[request_type] = degree
    return degrees
