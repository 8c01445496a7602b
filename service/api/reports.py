"""Reports on data-subject requests: yearly metrics and the request records."""

from __future__ import annotations

from flask.views import MethodView

from schemas.reports import (
    DsrMetricsArgsSchema,
    DsrMetricsSchema,
    DsrRecordListSchema,
    DsrRecordsArgsSchema,
)
from service.api import Blueprint
from service.auth import requires
from service.dsr.reports import dsr_metrics, dsr_records
from service.errors import Unprocessable
from service.runtime import current_runtime

blp = Blueprint(
    "dsr_reports",
    __name__,
    url_prefix="/v1/reports",
    description="Metrics and records of data-subject requests (CCPA regulations §§ 7101-7102).",
)


@blp.route("/dsr-metrics")
class DsrMetrics(MethodView):
    @requires("privacy_officer")
    @blp.arguments(DsrMetricsArgsSchema(), location="query")
    @blp.response(200, DsrMetricsSchema)
    def get(self, args):
        """Count the requests received in a year per type and outcome; median days to respond."""
        with current_runtime().database.transaction() as conn:
            return dsr_metrics(conn, current_runtime().dsr, **args)


@blp.route("/dsr-records")
class DsrRecords(MethodView):
    @requires("privacy_officer")
    @blp.arguments(DsrRecordsArgsSchema(), location="query")
    @blp.response(200, DsrRecordListSchema)
    def get(self, args):
        """List the record of each request received in a period: dates, manner, response."""
        if args["received_before"] <= args["received_from"]:
            raise Unprocessable(
                "The period is empty.",
                errors={"received_before": ["Must be after received_from."]},
            )
        with current_runtime().database.transaction() as conn:
            return {
                "items": dsr_records(
                    conn,
                    current_runtime().dsr,
                    start=args["received_from"],
                    end=args["received_before"],
                    regime=args["regime"],
                )
            }
