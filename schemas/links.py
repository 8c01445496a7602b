"""Schemas of the one-time download links to access packages."""

from __future__ import annotations

from marshmallow import Schema, fields


class PackageLinkCreateSchema(Schema):
    notify = fields.Boolean(
        load_default=True,
        metadata={"description": "Send the link to the subject in a package_link notice."},
    )


class PackageLinkSchema(Schema):
    id = fields.UUID(required=True)
    request_id = fields.UUID(required=True)
    created_at = fields.AwareDateTime(required=True)
    expires_at = fields.AwareDateTime(required=True)
    used_at = fields.AwareDateTime(allow_none=True)
    revoked_at = fields.AwareDateTime(allow_none=True)


class PackageLinkCreatedSchema(PackageLinkSchema):
    url = fields.String(
        required=True, metadata={"description": "Opens the package once; shown only now."}
    )


class PackageLinkListSchema(Schema):
    items = fields.List(fields.Nested(PackageLinkSchema), required=True)
