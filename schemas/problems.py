"""The problem+json document (RFC 9457) every error response carries."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields


class ProblemSchema(Schema):
    """An error: what kind (`type`, `title`), the status, what happened here, field messages."""

    class Meta:
        # Extension members (`limit`, `status` of a request, `expired_at`, ...) may follow.
        unknown = INCLUDE

    type = fields.String(
        required=True,
        metadata={
            "format": "uri-reference",
            "description": "The problem type: a page under /problems/ that explains it, or "
            "`about:blank`.",
            "example": "/problems/validation",
        },
    )
    title = fields.String(
        required=True, metadata={"description": "A short summary of the problem type."}
    )
    status = fields.Integer(required=True, metadata={"description": "The HTTP status code."})
    detail = fields.String(
        required=True,
        metadata={"description": "What went wrong in this occurrence, for a person to act on."},
    )
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        metadata={
            "description": "Validation failures: each field or query parameter at fault -> its "
            "messages (a list, or an object of nested fields)."
        },
    )
