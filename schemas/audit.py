"""Schemas of the audit log resource: filters, events, checkpoints, verification."""

from __future__ import annotations

from datetime import UTC

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from schemas import Timestamp

ACTION_PATTERN = r"^[a-z_]+(\.[a-z_]+)+$"
SUBJECT_REF_PATTERN = r"^subj_[0-9a-f]{32}$"
REQUEST_ID_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
CURSOR_PATTERN = r"^[0-9]{1,18}$"
MAX_SIZE = 2**62  # tree sizes and seqs fit PostgreSQL bigint
TIMESTAMP_DESCRIPTION = "UTC, microseconds, trailing Z: the exact text the hash covers."


class AuditFilterSchema(Schema):
    since = Timestamp(
        default_timezone=UTC,
        metadata={"description": "ISO 8601; events that occurred at or after it (UTC if naive)."},
    )
    until = Timestamp(
        default_timezone=UTC,
        metadata={"description": "ISO 8601; events that occurred at or before it (UTC if naive)."},
    )
    actor = fields.UUID(metadata={"description": "The API key id that acted."})
    action = fields.String(
        validate=validate.Regexp(ACTION_PATTERN, error="An action looks like `key.created`.")
    )
    subject_ref = fields.String(
        validate=validate.Regexp(
            SUBJECT_REF_PATTERN, error="A subject reference looks like `subj_` + 32 hex digits."
        )
    )
    request_id = fields.String(
        validate=validate.Regexp(
            REQUEST_ID_PATTERN, error="A request id has 1 to 64 letters, digits, `.`, `_`, `-`."
        )
    )

    @validates_schema
    def check_range(self, data, **kwargs):
        """Reject a time range that ends before it starts."""
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise ValidationError("`until` is before `since`.", field_name="until")


class AuditEventQuerySchema(AuditFilterSchema):
    cursor = fields.String(
        validate=validate.Regexp(CURSOR_PATTERN, error="Pass back a `next_cursor` as it came."),
        metadata={"description": "`next_cursor` of the previous page (opaque)."},
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class AuditExportQuerySchema(AuditFilterSchema):
    format = fields.String(load_default="jsonl", validate=validate.OneOf(("jsonl", "csv")))
    from_size = fields.Integer(
        validate=validate.Range(min=0, max=MAX_SIZE),
        metadata={
            "description": "The size of a checkpoint you hold: the export then carries a "
            "consistency proof from it to the export's tree."
        },
    )


BASE64_HASH = "Base64 SHA-256 hash."


class AuditEventSchema(Schema):
    seq = fields.Integer(required=True, metadata={"description": "Tree position: leaf index + 1."})
    id = fields.Integer(required=True, metadata={"description": "The event's insert id."})
    occurred_at = fields.String(required=True, metadata={"description": TIMESTAMP_DESCRIPTION})
    actor_type = fields.String(required=True)
    actor_key_id = fields.String(allow_none=True)
    actor_role = fields.String(allow_none=True)
    action = fields.String(required=True)
    target_type = fields.String(allow_none=True)
    target_id = fields.String(allow_none=True)
    subject_ref = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)
    outcome = fields.String(required=True)
    details = fields.Dict(required=True)
    leaf_hash = fields.String(
        required=True, metadata={"description": "Base64 RFC 9162 leaf hash SHA-256(0x00 || leaf)."}
    )


class AuditEventLeafSchema(AuditEventSchema):
    leaf = fields.String(
        required=True,
        metadata={"description": "Base64 of the leaf: the canonical JSON of the fields above."},
    )


class AuditEventPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEventSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class CheckpointSchema(Schema):
    tree_size = fields.Integer(required=True)
    root_hash = fields.String(required=True, metadata={"description": BASE64_HASH})
    key_id = fields.String(required=True, metadata={"description": "Hex key id of the signer."})
    signed_at = fields.String(required=True, metadata={"description": TIMESTAMP_DESCRIPTION})
    note = fields.String(
        required=True,
        metadata={
            "description": "The C2SP signed note of the tlog-checkpoint (with cosignatures)."
        },
    )


class CheckpointQuerySchema(Schema):
    cursor = fields.String(
        validate=validate.Regexp(CURSOR_PATTERN, error="Pass back a `next_cursor` as it came.")
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class CheckpointPageSchema(Schema):
    items = fields.List(fields.Nested(CheckpointSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class VerifierKeySchema(Schema):
    verifier_key = fields.String(
        required=True,
        metadata={"description": "C2SP note verifier key: name+hexkeyid+base64(0x01 || key)."},
    )
    key_id = fields.String(required=True)
    fingerprint = fields.String(
        required=True, metadata={"description": "SHA-256 (hex) of the verifier key string."}
    )
    public_key = fields.String(required=True, metadata={"description": "Base64 of the raw key."})


class PublicKeySchema(VerifierKeySchema):
    algorithm = fields.String(required=True)
    origin = fields.String(required=True, metadata={"description": "The checkpoints' origin line."})
    keyring = fields.List(
        fields.Nested(VerifierKeySchema),
        required=True,
        metadata={"description": "Every key checkpoints were signed with, newest first."},
    )


class InclusionQuerySchema(Schema):
    seq = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_SIZE))
    tree_size = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_SIZE))


class InclusionProofSchema(Schema):
    leaf_index = fields.Integer(required=True)
    tree_size = fields.Integer(required=True)
    hashes = fields.List(fields.String(), required=True, metadata={"description": BASE64_HASH})


class ConsistencyQuerySchema(Schema):
    first = fields.Integer(required=True, validate=validate.Range(min=0, max=MAX_SIZE))
    second = fields.Integer(required=True, validate=validate.Range(min=0, max=MAX_SIZE))

    @validates_schema
    def check_order(self, data, **kwargs):
        """Reject a second tree smaller than the first."""
        if data.get("first", 0) > data.get("second", 0):
            raise ValidationError("`second` is smaller than `first`.", field_name="second")


class ConsistencyProofSchema(Schema):
    first = fields.Integer(required=True)
    second = fields.Integer(required=True)
    hashes = fields.List(fields.String(), required=True, metadata={"description": BASE64_HASH})


class VerifyQuerySchema(Schema):
    from_size = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=MAX_SIZE),
        metadata={"description": "The size of a signed checkpoint already verified (0: all)."},
    )


class VerificationSchema(Schema):
    ok = fields.Boolean(required=True)
    from_size = fields.Integer(required=True)
    tree_size = fields.Integer(required=True, metadata={"description": "Latest signed size."})
    checked = fields.Integer(required=True, metadata={"description": "Events re-hashed."})
    checkpoints_checked = fields.Integer(required=True)
    first_bad_seq = fields.Integer(allow_none=True, required=True)
    reason = fields.String(allow_none=True, required=True)
    checkpoint = fields.String(
        allow_none=True, required=True, metadata={"description": "The note verified up to."}
    )


class CosignatureRequestSchema(Schema):
    tree_size = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_SIZE))
    verifier_key = fields.String(
        required=True,
        validate=validate.Length(max=500),
        metadata={"description": "The witness's verifier key, signature type 0x04."},
    )
    signature_line = fields.String(
        required=True,
        validate=validate.Length(max=500),
        metadata={"description": "The C2SP tlog-cosignature/v1 signature line."},
    )


class CosignatureSchema(Schema):
    tree_size = fields.Integer(required=True)
    witness = fields.String(required=True)
    timestamp = fields.Integer(required=True, metadata={"description": "POSIX seconds."})
    note = fields.String(required=True, metadata={"description": "The note with cosignatures."})


class VerificationRequestSchema(VerifyQuerySchema):
    """The body of a background verification: where to start, as for `GET /verify`."""


class VerificationJobSchema(Schema):
    id = fields.UUID(required=True)
    status = fields.String(
        required=True, metadata={"description": "`queued`, `running`, `done` or `failed`."}
    )
    from_size = fields.Integer(required=True)
    tree_size = fields.Integer(allow_none=True, required=True)
    checked = fields.Integer(required=True, metadata={"description": "Events re-hashed so far."})
    ok = fields.Boolean(allow_none=True, required=True)
    first_bad_seq = fields.Integer(allow_none=True, required=True)
    reason = fields.String(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)
    started_at = fields.DateTime(allow_none=True, required=True)
    finished_at = fields.DateTime(allow_none=True, required=True)
