"""Audit log: events, streamed exports, signed checkpoints, public key and verification."""

from __future__ import annotations

from flask import Response, stream_with_context
from flask.views import MethodView

from schemas.audit import (
    AuditEventPageSchema,
    AuditEventQuerySchema,
    AuditExportQuerySchema,
    CheckpointPageSchema,
    CheckpointQuerySchema,
    CheckpointSchema,
    PublicKeySchema,
    VerificationSchema,
)
from service.api import Blueprint
from service.audit.export import ENCODERS, MEDIA_TYPES
from service.audit.log import (
    AuditFilter,
    checkpoint_now,
    export_records,
    list_checkpoints,
    list_events,
    record_export,
    verify_log,
)
from service.audit.signing import ALGORITHM
from service.auth import current_actor, requires
from service.runtime import current_runtime

blp = Blueprint(
    "audit",
    __name__,
    url_prefix="/v1/audit",
    description="Tamper-evident audit log: a hash chain with signed checkpoints.",
)


def _filter(args: dict) -> AuditFilter:
    return AuditFilter(
        since=args.get("since"),
        until=args.get("until"),
        actor=args.get("actor"),
        action=args.get("action"),
        subject_ref=args.get("subject_ref"),
        request_id=args.get("request_id"),
    )


@blp.route("/events")
class AuditEvents(MethodView):
    @requires("auditor")
    @blp.arguments(AuditEventQuerySchema, location="query")
    @blp.response(200, AuditEventPageSchema)
    def get(self, args):
        """List audit events in seq order, filtered, one page at a time."""
        with current_runtime().database.transaction() as conn:
            items, next_cursor = list_events(
                conn, _filter(args), after_seq=int(args.get("cursor", 0)), limit=args["limit"]
            )
        return {"items": items, "next_cursor": next_cursor}


@blp.route("/export")
class AuditExport(MethodView):
    @requires("auditor")
    @blp.arguments(AuditExportQuerySchema, location="query")
    @blp.response(
        200,
        description="JSON lines (`format=jsonl`, default) or CSV (`format=csv`): a header, the "
        "events, the checkpoints that sign them, an end line. See README, Audit log.",
        content_type=MEDIA_TYPES["jsonl"],
    )
    def get(self, args):
        """Stream the log, or a filtered part, with the checkpoints needed to verify it."""
        audit_filter = _filter(args)
        export_format = args["format"]
        db = current_runtime().database
        # Recorded (and committed) before the first byte: the count is only known at the end,
        # but the event's seq fixes exactly which rows the export holds.
        with db.transaction() as conn:
            header = record_export(
                conn, current_runtime().audit, current_actor(), audit_filter, export_format
            )

        def generate():
            with db.transaction() as conn:
                records = export_records(conn, audit_filter, through_seq=header["through_seq"])
                yield from ENCODERS[export_format](_with_header(header, records))

        filename = f"audit-{header['through_seq']}.{export_format}"
        return Response(
            stream_with_context(generate()),
            mimetype=MEDIA_TYPES[export_format].split(";")[0],
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )


def _with_header(header: dict, records):
    yield "header", header
    yield from records


@blp.route("/checkpoints")
class AuditCheckpoints(MethodView):
    @requires("auditor")
    @blp.arguments(CheckpointQuerySchema, location="query")
    @blp.response(200, CheckpointPageSchema)
    def get(self, args):
        """List signed checkpoints in seq order (keep copies elsewhere to anchor the log)."""
        with current_runtime().database.transaction() as conn:
            items, next_cursor = list_checkpoints(
                conn, after_seq=int(args.get("cursor", 0)), limit=args["limit"]
            )
        return {"items": items, "next_cursor": next_cursor}

    @requires("auditor")
    @blp.response(201, CheckpointSchema)
    def post(self):
        """Sign a checkpoint at the head now (recorded as `audit.checkpointed`)."""
        with current_runtime().database.transaction() as conn:
            return checkpoint_now(conn, current_runtime().audit, current_actor())


@blp.route("/public-key")
class AuditPublicKey(MethodView):
    @requires("auditor")
    @blp.response(200, PublicKeySchema)
    def get(self):
        """Show the Ed25519 public key that verifies checkpoints."""
        return {"public_key": current_runtime().audit.public_key, "algorithm": ALGORITHM}


@blp.route("/verify")
class AuditVerify(MethodView):
    @requires("auditor")
    @blp.response(200, VerificationSchema)
    def get(self):
        """Recompute the whole chain, check every checkpoint and the head (about 10 s per 1M)."""
        public_key = current_runtime().audit.signing_key.public_key()
        with current_runtime().database.transaction() as conn:
            report = verify_log(conn, public_key)
        return report
