"""Schemas of the API key resource."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from service.auth import ROLES


class KeyCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class KeySchema(Schema):
    id = fields.UUID(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    last_used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class NewKeySchema(KeySchema):
    key = fields.String(required=True, metadata={"description": "Shown once; only a hash is kept."})


class KeyListSchema(Schema):
    items = fields.List(fields.Nested(KeySchema), required=True)
