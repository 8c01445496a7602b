"""Retention of request records: minimise the personal data of old closed requests, keep the record.

A closed request keeps its identifiers, free-text reasons and package for ``record_months``
(at least the 24 months of CCPA regulations § 7101); after that, ``minimise_closed_requests``
drops them and leaves the record (dates, type, manner, response, basis for denial). Expired
packages lose their content as soon as a new package is stored, or here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg

from service.audit import SYSTEM, Actor, record_event
from service.db import Database, queries
from service.dsr.deadlines import add_calendar_months, receipt_date
from service.dsr.settings import DsrSettings


def minimise_closed_requests(
    conn: psycopg.Connection,
    actor: Actor,
    settings: DsrSettings,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Drop the identifiers, reasons and packages of requests closed over ``record_months`` ago."""
    now = now or datetime.now(UTC)
    q = queries()
    cutoff_day = add_calendar_months(receipt_date(now, "UTC"), -settings.record_months)
    cutoff = datetime(cutoff_day.year, cutoff_day.month, cutoff_day.day, tzinfo=UTC)
    minimised = 0
    for row in conn.execute(q["list_dsr_requests_to_minimise"], {"cutoff": cutoff}).fetchall():
        counts = conn.execute(
            q["update_dsr_request_minimised"], {"id": row["id"], "now": now}
        ).fetchone()
        record_event(
            conn,
            actor,
            "dsr.minimised",
            target_type="dsr_request",
            target_id=row["id"],
            subject_ref=row["subject_ref"],
            details={
                "identifiers_dropped": counts["identifiers_dropped"],
                "reasons_cleared": counts["reasons_cleared"],
            },
        )
        minimised += 1
    purged = conn.execute(q["update_dsr_packages_expired"], {"now": now}).rowcount
    return {"requests_minimised": minimised, "packages_purged": purged, "cutoff": cutoff}


def run_retention(database: Database, settings: DsrSettings) -> dict[str, Any]:
    """Minimise closed requests past their record period and purge expired packages, now."""
    with database.transaction() as conn:
        return minimise_closed_requests(conn, SYSTEM, settings)
