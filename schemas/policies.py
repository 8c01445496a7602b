"""Schemas of the reply-guard policies per platform."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from service.archive.policies import ACTIONS, GREETINGS


class VisibilityRulesSchema(Schema):
    class Meta:
        unknown = RAISE

    default = fields.String(load_default="pass", validate=validate.OneOf(ACTIONS))
    entities = fields.Dict(
        keys=fields.String(),
        values=fields.String(validate=validate.OneOf(ACTIONS)),
        load_default=dict,
        metadata={"description": "Entity type -> block, redact or pass."},
    )


class PolicyDocumentSchema(Schema):
    class Meta:
        unknown = RAISE

    public = fields.Nested(VisibilityRulesSchema, required=True)
    private = fields.Nested(VisibilityRulesSchema, required=True)
    greet_customer_by = fields.List(
        fields.String(validate=validate.OneOf(GREETINGS)),
        load_default=lambda: ["first_name", "handle"],
    )
    allow_values = fields.List(
        fields.String(validate=validate.Length(min=1, max=200)),
        load_default=list,
        validate=validate.Length(max=200),
        metadata={"description": "Values that always pass: the brand's own address, handle."},
    )


class PolicySchema(Schema):
    platform = fields.String(required=True)
    source = fields.String(required=True, metadata={"description": "custom or default"})
    updated_at = fields.DateTime(allow_none=True)
    policy = fields.Nested(PolicyDocumentSchema, required=True)
