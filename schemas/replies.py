"""Schemas of the reply guard: check a reply before it is published."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from service.archive.policies import ACTIONS, VISIBILITIES


class ReplyCheckSchema(Schema):
    class Meta:
        unknown = RAISE

    text = fields.String(required=True, validate=validate.Length(min=1))
    platform = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=40),
        metadata={"description": "Whose policy applies; default: the platform of in_reply_to."},
    )
    visibility = fields.String(required=True, validate=validate.OneOf(VISIBILITIES))
    in_reply_to = fields.UUID(
        allow_none=True,
        metadata={"description": "Id of the feedback item answered: its author is the customer."},
    )


class GuardFindingSchema(Schema):
    entity_type = fields.String(required=True)
    start = fields.Integer(required=True)
    end = fields.Integer(required=True)
    score = fields.Float(required=True)
    recognizer = fields.String(required=True)
    action = fields.String(required=True, metadata={"enum": list(ACTIONS)})
    belongs_to = fields.String(
        required=True, metadata={"description": "customer, other, or unknown (no in_reply_to)"}
    )
    greeting = fields.String(
        allow_none=True, metadata={"description": "first name, full name or handle"}
    )


class HeldBySchema(Schema):
    item_id = fields.UUID(required=True, metadata={"description": "The flagged item."})
    flags = fields.List(fields.String(), required=True, metadata={"description": "Unreviewed."})


class ReplyVerdictSchema(Schema):
    verdict = fields.String(
        required=True,
        metadata={
            "description": "allow, redact, block, or hold_for_review (a public reply in a "
            "thread with an unreviewed legal_threat, product_safety or self_harm flag)"
        },
    )
    text = fields.String(
        required=True,
        metadata={
            "description": "The reply as it may be posted: blocked and redacted data "
            "replaced by <ENTITY_TYPE>."
        },
    )
    findings = fields.List(fields.Nested(GuardFindingSchema), required=True)
    reasons = fields.List(fields.String(), required=True)
    suggestion = fields.String(
        metadata={"description": "A public reply that continues the conversation privately."}
    )
    held_by = fields.List(
        fields.Nested(HeldBySchema),
        metadata={"description": "hold_for_review: the thread's items awaiting review."},
    )
