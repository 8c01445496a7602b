"""Schemas of the audit log resource: filters, events, checkpoints, verification."""

from __future__ import annotations

from datetime import UTC

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from schemas import Timestamp

ACTION_PATTERN = r"^[a-z_]+(\.[a-z_]+)+$"
SUBJECT_REF_PATTERN = r"^subj_[0-9a-f]{32}$"
REQUEST_ID_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
CURSOR_PATTERN = r"^[0-9]{1,18}$"
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


class AuditEventSchema(Schema):
    seq = fields.Integer(required=True)
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
    prev_hash = fields.String(required=True)
    hash = fields.String(required=True)


class AuditEventPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEventSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class CheckpointSchema(Schema):
    seq = fields.Integer(required=True)
    hash = fields.String(required=True)
    signed_at = fields.String(required=True, metadata={"description": TIMESTAMP_DESCRIPTION})
    signature = fields.String(required=True, metadata={"description": "Base64 Ed25519 signature."})


class CheckpointQuerySchema(Schema):
    cursor = fields.String(
        validate=validate.Regexp(CURSOR_PATTERN, error="Pass back a `next_cursor` as it came.")
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class CheckpointPageSchema(Schema):
    items = fields.List(fields.Nested(CheckpointSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class PublicKeySchema(Schema):
    public_key = fields.String(required=True, metadata={"description": "Base64 of the raw key."})
    algorithm = fields.String(required=True)


class VerificationSchema(Schema):
    ok = fields.Boolean(required=True)
    checked = fields.Integer(required=True, metadata={"description": "Events that verified."})
    checkpoints_checked = fields.Integer(required=True)
    first_bad_seq = fields.Integer(allow_none=True, required=True)
    reason = fields.String(allow_none=True, required=True)
    last_checkpoint = fields.Nested(CheckpointSchema, allow_none=True, required=True)
    unsigned = fields.Integer(
        required=True, metadata={"description": "Events after the last checkpoint."}
    )
