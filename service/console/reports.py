"""Reports: the yearly § 7102 metrics of one regime with a chart, and the records as CSV.

Both come from the functions behind `GET /v1/reports/dsr-metrics` and `/dsr-records`, loaded
with the API's own argument schemas: the page shows the API's figures, the CSV its records.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Any

from flask import Response, request, url_for

from schemas.reports import (
    DsrMetricsArgsSchema,
    DsrRecordsArgsSchema,
    DsrRecordSchema,
)
from service.auth import requires
from service.console.base import console, load_query
from service.console.pages import render_page
from service.dsr.deadlines import REGIMES
from service.dsr.reports import OUTCOMES, dsr_metrics, dsr_records
from service.errors import BadRequest
from service.runtime import current_runtime

# The CSV's columns: the fields of a record in the API, in its order.
RECORD_COLUMNS = tuple(DsrRecordSchema().fields)
# The chart's geometry (SVG user units; the picture scales to the page's width).
CHART_WIDTH = 640
LABEL_WIDTH = 170
BAR_HEIGHT = 22
BAR_GAP = 10
VALUE_SPACE = 40


def bar_chart(rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """Lay out a horizontal bar chart of the requests received per row (type or category)."""
    largest = max((row["received"] for row in rows), default=0) or 1
    span = CHART_WIDTH - LABEL_WIDTH - VALUE_SPACE
    bars = []
    for index, row in enumerate(rows):
        width = round(span * row["received"] / largest, 1)
        y = index * (BAR_HEIGHT + BAR_GAP)
        bars.append(
            {
                "label": row[key],
                "count": row["received"],
                "x": LABEL_WIDTH,
                "y": y,
                "width": width,
                "height": BAR_HEIGHT,
                "text_y": y + BAR_HEIGHT * 0.7,
                "value_x": LABEL_WIDTH + width + 6,
            }
        )
    return {
        "bars": bars,
        "width": CHART_WIDTH,
        "height": max(len(rows) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP, BAR_HEIGHT),
        "label_x": LABEL_WIDTH - 8,
    }


@console.get("/reports")
@requires("privacy_officer")
def reports():
    """Show one regime's metrics of a year: counts per outcome, mean and median days, a chart."""
    chosen = {
        "regime": request.args.get("regime", ""),
        "year": request.args.get("year", "") or str(datetime.now(UTC).year),
    }
    page = {"chosen": chosen, "regimes": REGIMES, "outcomes": OUTCOMES}
    if not chosen["regime"]:
        # As in the API, a report is of one regime: GDPR and CCPA figures never mix.
        return render_page("reports.html", **page, metrics=None)
    try:
        args = load_query(DsrMetricsArgsSchema(), "report's fields")
    except BadRequest as exc:
        return render_page("reports.html", 400, **page, metrics=None, error=exc.detail)
    runtime = current_runtime()
    with runtime.database.transaction() as conn:
        metrics = dsr_metrics(conn, runtime.dsr, **args)
    rows, key = (
        (metrics["by_category"], "category")
        if "by_category" in metrics
        else (metrics["by_type"], "type")
    )
    year = metrics["year"]
    return render_page(
        "reports.html",
        **page,
        metrics=metrics,
        chart=bar_chart(rows, key),
        chart_key=key,
        csv_url=url_for(
            "console.report_records",
            regime=metrics["regime"],
            received_from=date(year, 1, 1).isoformat(),
            received_before=date(year + 1, 1, 1).isoformat(),
        ),
    )


@console.get("/reports/records.csv")
@requires("privacy_officer")
def report_records():
    """Download the records of one regime's requests received in a period, as CSV."""
    args = load_query(DsrRecordsArgsSchema(), "report's fields")
    if args["received_before"] <= args["received_from"]:
        raise BadRequest("The period is empty: received_before must be after received_from.")
    runtime = current_runtime()
    with runtime.database.transaction() as conn:
        records = dsr_records(
            conn,
            runtime.dsr,
            start=args["received_from"],
            end=args["received_before"],
            regime=args["regime"],
        )
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=RECORD_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    # The API's own serialisation of a record, so the CSV's values are the JSON's.
    for record in DsrRecordSchema(many=True).dump(records):
        writer.writerow({column: _cell(record.get(column)) for column in RECORD_COLUMNS})
    filename = f"dsr-records-{args['regime']}-{args['received_from']}-{args['received_before']}.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
