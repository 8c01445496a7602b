"""Request records (CCPA regulations § 7101) and yearly metrics (§ 7102), one regime at a time."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import psycopg

from service.db import queries
from service.dsr.deadlines import REQUEST_TYPES, receipt_date
from service.dsr.settings import DsrSettings

# How a request ended. "no_data_held" is not "complied": nothing was done because the
# identifiers matched nobody. "categories_only" answered a CCPA request to know with the
# categories only (§ 7024(a)).
OUTCOMES = (
    "complied",
    "complied_in_part",
    "no_data_held",
    "categories_only",
    "denied",
    "cancelled",
    "open",
)
# CCPA regulations § 7102(a)(1): the metrics are per kind of request, and a request to know
# covers both access to specific pieces and a copy for portability.
CCPA_CATEGORIES: dict[str, tuple[str, ...]] = {
    "know": ("access", "portability"),
    "delete": ("erasure",),
    "correct": ("rectification",),
    "opt_out": ("opt_out",),
    "limit": ("restriction",),
}


def nature_of_response(status: str, outcome: str | None) -> str:
    """Return how a request was answered: its outcome, denied, withdrawn or open."""
    if status == "completed":
        return outcome or "complied"
    if status == "denied":
        return "denied"
    if status == "cancelled":
        return "withdrawn"
    return "open"


def dsr_metrics(
    conn: psycopg.Connection, settings: DsrSettings, *, year: int, regime: str
) -> dict[str, Any]:
    """Return, for one regime's requests received in ``year``: counts and days to respond.

    Counted per type, per CCPA category (for a CCPA report: know = access + portability,
    delete, correct, opt out, limit) and in total. Days to respond are calendar days from the
    receipt date to the date of the answer (completed or denied), both in the request's own
    zone; the mean and the median are given, cancelled and open requests have no response time.
    """
    params = {"start": date(year, 1, 1), "end": date(year + 1, 1, 1), "regime": regime}
    rows = conn.execute(queries()["list_dsr_metrics"], params).fetchall()
    by_type = [
        {"type": request_type, **_summary(row for row in rows if row["type"] == request_type)}
        for request_type in REQUEST_TYPES
    ]
    report: dict[str, Any] = {
        "year": year,
        "regime": regime,
        "by_type": by_type,
        "totals": _summary(rows),
    }
    if regime == "ccpa":
        report["by_category"] = [
            {
                "category": category,
                "types": list(types),
                **_summary(row for row in rows if row["type"] in types),
            }
            for category, types in CCPA_CATEGORIES.items()
        ]
    return report


def _summary(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    counts = dict.fromkeys(("received", *OUTCOMES), 0)
    days: list[int] = []
    for row in rows:
        counts["received"] += 1
        if row["status"] == "completed":
            counts[row["outcome"] or "complied"] += 1
        elif row["status"] == "denied":
            counts["denied"] += 1
        elif row["status"] == "cancelled":
            counts["cancelled"] += 1
        else:
            counts["open"] += 1
        if row["days_to_respond"] is not None:
            days.append(row["days_to_respond"])
    return {
        **counts,
        "median_days_to_respond": _number(statistics.median(days)) if days else None,
        "mean_days_to_respond": _number(statistics.fmean(days)) if days else None,
    }


def dsr_records(
    conn: psycopg.Connection,
    settings: DsrSettings,
    *,
    start: date,
    end: date,
    regime: str,
) -> list[dict[str, Any]]:
    """Return the record of every request of one regime received from ``start`` up to (not
    incl.) ``end``."""
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
                receipt_date(row["closed_at"], row["time_zone"]) if row["closed_at"] else None
            ),
            "nature_of_response": nature_of_response(row["status"], row["outcome"]),
            "denial_basis": row["denial_basis"],
            "verification_degree": row["verification_degree"],
        }
        for row in rows
    ]


def _number(value: Any) -> float | None:
    return None if value is None else round(float(value), 2)
