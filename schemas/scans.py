"""Schemas of scans: request a (re)scan of stored feedback and follow its progress."""

from __future__ import annotations

from datetime import UTC

from marshmallow import RAISE, Schema, fields, validate

from schemas import Timestamp


class ScanRequestSchema(Schema):
    class Meta:
        unknown = RAISE

    since = Timestamp(
        default_timezone=UTC,
        allow_none=True,
        metadata={"description": "Only items posted at or after this time."},
    )
    platform = fields.String(allow_none=True, validate=validate.Length(min=1, max=40))
    rescan = fields.Boolean(
        load_default=False,
        metadata={
            "description": "true: scan every matching item again; false: only those not yet "
            "scanned as they are now by this engine version."
        },
    )


class ScanSchema(Schema):
    id = fields.UUID(required=True)
    status = fields.String(required=True, metadata={"description": "queued, running, done, failed"})
    reason = fields.String(required=True, metadata={"description": "ingest or request"})
    platform = fields.String(allow_none=True)
    since = fields.DateTime(allow_none=True)
    rescan = fields.Boolean(required=True)
    items_total = fields.Integer(required=True)
    items_done = fields.Integer(required=True)
    items_skipped = fields.Integer(
        required=True,
        metadata={"description": "Done without a new scan: already up to date, changed or gone."},
    )
    findings_found = fields.Integer(required=True)
    chunks_total = fields.Integer(required=True)
    chunks_done = fields.Integer(required=True)
    chunks_failed = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
