"""Request records (CCPA regulations § 7101) and yearly metrics (§ 7102)."""

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg

from service.db import queries
from service.dsr.deadlines import REQUEST_TYPES, receipt_date
from service.dsr.settings import DsrSettings

OUTCOMES = ("complied", "complied_in_part", "denied", "cancelled", "open")


def nature_of_response(status: str, kept_by_hold: int) -> str:
    """Return how a request was answered: complied (in whole or part), denied, withdrawn, open."""
    if status == "completed":
        return "complied_in_part" if kept_by_hold else "complied"
    if status == "denied":
        return "denied"
    if status == "cancelled":
        return "withdrawn"
    return "open"


def dsr_metrics(
    conn: psycopg.Connection, settings: DsrSettings, *, year: int, regime: str | None = None
) -> dict[str, Any]:
    """Return, for requests received in ``year``, counts per type and outcome and the median days.

    Days to respond are calendar days from the receipt date to the date the request was completed
    or denied (in the deployment's zone); cancelled and open requests have no response time.
    """
    params = {
        "start": date(year, 1, 1),
        "end": date(year + 1, 1, 1),
        "regime": regime,
        "zone": settings.zone,
    }
    rows = {
        row["type"]: row for row in conn.execute(queries()["list_dsr_metrics"], params).fetchall()
    }
    by_type = []
    totals = dict.fromkeys(("received", *OUTCOMES), 0)
    for request_type in REQUEST_TYPES:
        row = rows.get(request_type)
        counts = {key: int(row[key]) if row else 0 for key in ("received", *OUTCOMES)}
        for key, value in counts.items():
            totals[key] += value
        by_type.append(
            {
                "type": request_type,
                **counts,
                "median_days_to_respond": _number(row["median_days_to_respond"]) if row else None,
                "mean_days_to_respond": _number(row["mean_days_to_respond"]) if row else None,
            }
        )
    overall = conn.execute(queries()["get_dsr_median_days"], params).fetchone()
    return {
        "year": year,
        "regime": regime,
        "by_type": by_type,
        "totals": {
            **totals,
            "median_days_to_respond": _number(overall["median_days_to_respond"]),
        },
    }


def dsr_records(
    conn: psycopg.Connection,
    settings: DsrSettings,
    *,
    start: date,
    end: date,
    regime: str | None = None,
) -> list[dict[str, Any]]:
    """Return the record of every request received from ``start`` up to (not incl.) ``end``."""
    rows = conn.execute(
        queries()["list_dsr_records"], {"start": start, "end": end, "regime": regime}
    ).fetchall()
    return [
        {
            "id": row["id"],
            "regime": row["regime"],
            "type": row["type"],
            "received_on": row["received_on"],
            "received_at": row["received_at"],
            "manner": row["channel"],
            "requester_kind": row["requester_kind"],
            "due_on": row["due_on"],
            "extended": row["extended_at"] is not None,
            "status": row["status"],
            "response_date": (
                receipt_date(row["closed_at"], settings.zone) if row["closed_at"] else None
            ),
            "nature_of_response": nature_of_response(row["status"], row["kept_by_hold"]),
            "denial_basis": row["denial_basis"],
            "verification_degree": row["verification_degree"],
        }
        for row in rows
    ]


def _number(value: Any) -> float | None:
    return None if value is None else round(float(value), 2)
