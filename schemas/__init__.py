"""Marshmallow schemas: request validation, response shape and OpenAPI documentation."""

from __future__ import annotations

from datetime import UTC

from marshmallow import ValidationError, fields


class Timestamp(fields.AwareDateTime):
    """An ISO 8601 timestamp with a time zone, held in UTC.

    A valid text can still name an instant outside what a datetime holds once moved to UTC
    (`0001-01-01T00:00:00+14:00`): it is refused here, at parse time, not when it is used.
    """

    def _deserialize(self, value, attr, data, **kwargs):
        parsed = super()._deserialize(value, attr, data, **kwargs)
        try:
            return parsed.astimezone(UTC)
        except OverflowError as exc:
            raise ValidationError(
                "The time is out of range: it must fall between the years 1 and 9999 in UTC."
            ) from exc
