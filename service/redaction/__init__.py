"""Find and redact personal data in English and Dutch social-media text."""

from __future__ import annotations

from service.redaction.engine import (
    DEFAULT_SCORE_THRESHOLD,
    DENY_LIST_ENTITY,
    AnalysisResult,
    Finding,
    RedactionEngine,
    RedactionResult,
    get_engine,
)
from service.redaction.errors import RedactionInputError

__all__ = [
    "DEFAULT_SCORE_THRESHOLD",
    "DENY_LIST_ENTITY",
    "AnalysisResult",
    "Finding",
    "RedactionEngine",
    "RedactionInputError",
    "RedactionResult",
    "get_engine",
]
