"""Errors raised by the redaction engine for invalid caller input."""

from __future__ import annotations


class RedactionInputError(ValueError):
    """A request field holds a value the engine cannot work with.

    ``field`` names the offending request field (``"text"``, ``"language"``,
    ``"entities"``, ``"operators"``, ...) so an API layer can report it, e.g. as a 422.
    """

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
