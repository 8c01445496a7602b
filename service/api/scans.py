"""Scan endpoints: queue a (re)scan of stored feedback and follow its progress."""

from __future__ import annotations

from uuid import UUID

from flask.views import MethodView

from schemas.scans import ScanRequestSchema, ScanSchema
from service.api import Blueprint
from service.api.feedback import platform_code
from service.archive.scanning import get_scan, request_scan
from service.auth import current_actor, requires
from service.runtime import current_runtime

blp = Blueprint(
    "scans",
    __name__,
    url_prefix="/v1/scans",
    description="Scans of the archive for personal data, run by the workers.",
)


@blp.route("")
class Scans(MethodView):
    @requires("privacy_officer")
    @blp.arguments(ScanRequestSchema())
    @blp.response(202, ScanSchema)
    def post(self, body):
        """Queue a scan of stored items, e.g. after the recognizers changed."""
        with current_runtime().database.transaction() as conn:
            return request_scan(
                conn,
                current_actor(),
                platform=platform_code(conn, body.get("platform")),
                since=body.get("since"),
                rescan=body["rescan"],
                chunk_size=current_runtime().archive.scan_chunk_items,
            )


@blp.route("/<uuid:scan_id>")
class ScanById(MethodView):
    @requires("privacy_officer")
    @blp.response(200, ScanSchema)
    def get(self, scan_id: UUID):
        """Show a scan's progress: items done of total, findings, status."""
        with current_runtime().database.transaction() as conn:
            return get_scan(conn, scan_id)
