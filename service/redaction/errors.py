"""Errors raised by the redaction engine for invalid caller input."""

from __future__ import annotations

from service.errors import Unprocessable


class RedactionInputError(Unprocessable, ValueError):
    """A request field holds a value the engine cannot work with (a 422 naming the field).

    ``field`` names the offending request field (``"text"``, ``"language"``,
    ``"entities"``, ``"operators"``, ...).
    """

    def __init__(self, field: str, message: str):
        super().__init__(message, errors={field: [message]})
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"
