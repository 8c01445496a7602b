"""Audit log: events with their leaves, signed checkpoints, proofs, exports and verification."""

from __future__ import annotations

from dataclasses import asdict

from flask import Response, stream_with_context
from flask.views import MethodView

from schemas.audit import (
    MAX_SIZE,
    AuditEventLeafSchema,
    AuditEventPageSchema,
    AuditEventQuerySchema,
    AuditExportQuerySchema,
    CheckpointPageSchema,
    CheckpointQuerySchema,
    ConsistencyProofSchema,
    ConsistencyQuerySchema,
    CosignatureRequestSchema,
    CosignatureSchema,
    InclusionProofSchema,
    InclusionQuerySchema,
    PublicKeySchema,
    VerificationJobSchema,
    VerificationRequestSchema,
    VerificationSchema,
    VerifyQuerySchema,
)
from service.api import Blueprint
from service.audit.export import ENCODERS, MEDIA_TYPES
from service.audit.log import (
    AuditFilter,
    add_cosignature,
    consistency,
    current_checkpoint,
    export_records,
    get_event,
    inclusion,
    keyring,
    list_checkpoints,
    list_events,
    record_export,
    verify_log,
)
from service.audit.signing import ALGORITHM
from service.audit.verification import get_verification, request_verification
from service.auth import current_actor, requires
from service.errors import NotFound, Unprocessable
from service.runtime import current_runtime

blp = Blueprint(
    "audit",
    __name__,
    url_prefix="/v1/audit",
    description="Verifiable audit log: an RFC 9162 Merkle tree with C2SP signed checkpoints.",
)

# Verification inside a request stops here; beyond it, start from a more recent checkpoint.
INLINE_VERIFY_EVENTS = 200_000


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
    @blp.arguments(AuditEventQuerySchema(), location="query")
    @blp.response(200, AuditEventPageSchema)
    def get(self, args):
        """List integrated audit events in seq order, filtered, one page at a time."""
        with current_runtime().database.transaction() as conn:
            items, next_cursor = list_events(
                conn, _filter(args), after_seq=int(args.get("cursor", 0)), limit=args["limit"]
            )
        return {"items": items, "next_cursor": next_cursor}


@blp.route("/events/<int:seq>")
class AuditEventBySeq(MethodView):
    @requires("auditor")
    @blp.response(200, AuditEventLeafSchema)
    def get(self, seq: int):
        """Show one event with its leaf (base64 of the bytes the tree commits to)."""
        event = None
        if seq <= MAX_SIZE:
            with current_runtime().database.transaction() as conn:
                event = get_event(conn, seq)
        if event is None:
            raise NotFound(f"No event has tree position {seq} (yet).")
        return event


@blp.route("/export")
class AuditExport(MethodView):
    @requires("auditor")
    @blp.problems(404)
    @blp.arguments(AuditExportQuerySchema(), location="query")
    @blp.response(
        200,
        description="JSON lines (`format=jsonl`, default) or CSV (`format=csv`): a header bound "
        "to the latest signed checkpoint, the events with their leaves (and inclusion proofs "
        "when filtered), an end line. See README, Audit log.",
        content_type=MEDIA_TYPES["jsonl"],
    )
    def get(self, args):
        """Stream the signed log, or a filtered part with a proof per event."""
        audit_filter = _filter(args)
        export_format = args["format"]
        db = current_runtime().database
        with db.transaction() as conn:
            header = record_export(
                conn, current_actor(), audit_filter, export_format, from_size=args.get("from_size")
            )

        def generate():
            with db.transaction() as conn:
                records = export_records(conn, audit_filter, tree_size=header["tree_size"])
                yield from ENCODERS[export_format](_with_header(header, records))

        filename = f"audit-{header['tree_size']}.{export_format}"
        return Response(
            stream_with_context(generate()),
            mimetype=MEDIA_TYPES[export_format].split(";")[0],
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )


def _with_header(header: dict, records):
    yield "header", header
    yield from records


@blp.route("/checkpoint")
class AuditCheckpoint(MethodView):
    @requires("auditor")
    @blp.problems(404)
    @blp.response(
        200,
        description="The latest signed checkpoint: a C2SP signed note (tlog-checkpoint).",
        content_type="text/plain",
    )
    def get(self):
        """Show the latest signed checkpoint note, with any witness cosignatures."""
        with current_runtime().database.transaction() as conn:
            note = current_checkpoint(conn)["note"]
        return Response(note, mimetype="text/plain")


@blp.route("/checkpoints")
class AuditCheckpoints(MethodView):
    @requires("auditor")
    @blp.arguments(CheckpointQuerySchema(), location="query")
    @blp.response(200, CheckpointPageSchema)
    def get(self, args):
        """List signed checkpoints by tree size, each with its note."""
        with current_runtime().database.transaction() as conn:
            items, next_cursor = list_checkpoints(
                conn, after_size=int(args.get("cursor", -1)), limit=args["limit"]
            )
        return {"items": items, "next_cursor": next_cursor}


@blp.route("/cosignatures")
class AuditCosignatures(MethodView):
    @requires("auditor")
    @blp.problems(404)
    @blp.arguments(CosignatureRequestSchema())
    @blp.response(201, CosignatureSchema)
    def post(self, body):
        """Add a witness's cosignature (C2SP tlog-cosignature/v1) to a checkpoint (recorded)."""
        with current_runtime().database.transaction() as conn:
            return add_cosignature(
                conn,
                current_actor(),
                body["tree_size"],
                body["verifier_key"],
                body["signature_line"],
            )


def _key_out(verifier) -> dict:
    import base64

    return {
        "verifier_key": verifier.verifier_key,
        "key_id": verifier.key_id.hex(),
        "fingerprint": verifier.fingerprint,
        "public_key": base64.b64encode(verifier.raw_key).decode(),
    }


@blp.route("/public-key")
class AuditPublicKey(MethodView):
    @requires("auditor")
    @blp.problems(404)
    @blp.response(200, PublicKeySchema)
    def get(self):
        """Show the note verifier key checkpoints are signed with (and the whole keyring)."""
        with current_runtime().database.transaction() as conn:
            keys = keyring(conn, current_runtime().audit)
        if not keys:
            raise NotFound("No signing key is known yet: start the audit signer.")
        return {
            **_key_out(keys[0]),
            "algorithm": ALGORITHM,
            "origin": current_runtime().audit.origin,
            "keyring": [_key_out(key) for key in keys],
        }


@blp.route("/proof/inclusion")
class AuditInclusionProof(MethodView):
    @requires("auditor")
    @blp.arguments(InclusionQuerySchema(), location="query")
    @blp.response(200, InclusionProofSchema)
    def get(self, args):
        """Prove that the event at `seq` is in the tree of `tree_size` events (RFC 9162)."""
        with current_runtime().database.transaction() as conn:
            return inclusion(conn, args["seq"], args["tree_size"])


@blp.route("/proof/consistency")
class AuditConsistencyProof(MethodView):
    @requires("auditor")
    @blp.arguments(ConsistencyQuerySchema(), location="query")
    @blp.response(200, ConsistencyProofSchema)
    def get(self, args):
        """Prove that the tree of `first` events is a prefix of the tree of `second` (RFC 9162)."""
        with current_runtime().database.transaction() as conn:
            return consistency(conn, args["first"], args["second"])


@blp.route("/verify")
class AuditVerify(MethodView):
    @requires("auditor")
    @blp.problems(404)
    @blp.arguments(VerifyQuerySchema(), location="query")
    @blp.response(200, VerificationSchema)
    def get(self, args):
        """Re-hash the events signed since a checkpoint you hold and check every signature."""
        with current_runtime().database.transaction() as conn:
            latest = current_checkpoint(conn)
            if latest["tree_size"] - args["from_size"] > INLINE_VERIFY_EVENTS:
                raise Unprocessable(
                    f"More than {INLINE_VERIFY_EVENTS} events to check: pass the size of a "
                    "more recent checkpoint you verified as `from_size`, or start a background "
                    "verification with POST /v1/audit/verifications."
                )
            keys = keyring(conn, current_runtime().audit)
        with current_runtime().database.transaction() as conn:
            report = verify_log(conn, keys, from_size=args["from_size"])
        return asdict(report)


@blp.route("/verifications")
class AuditVerifications(MethodView):
    @requires("auditor")
    @blp.arguments(VerificationRequestSchema())
    @blp.response(201, VerificationJobSchema)
    def post(self, body):
        """Start a background verification of the log from a signed size (recorded)."""
        with current_runtime().database.transaction() as conn:
            return request_verification(conn, current_actor(), body["from_size"])


@blp.route("/verifications/<uuid:verification_id>")
class AuditVerificationById(MethodView):
    @requires("auditor")
    @blp.response(200, VerificationJobSchema)
    def get(self, verification_id):
        """Show a background verification's progress and outcome."""
        with current_runtime().database.transaction() as conn:
            return get_verification(conn, verification_id)
