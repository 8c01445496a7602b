"""Escalation triage: flags for product-safety reports, legal threats, regulator complaints,
defamation claims, self-harm, abuse and spam, raised by an explainable rule set, and the
legal-review queue that works them."""

from __future__ import annotations

from service.triage.engine import (
    FLAGS,
    HOLD_SUGGESTED_FOR,
    LEGAL_FLAGS,
    REPLY_BLOCKING_FLAGS,
    SEVERITY,
    Flag,
    RuleSet,
    evaluate,
)

__all__ = [
    "FLAGS",
    "HOLD_SUGGESTED_FOR",
    "LEGAL_FLAGS",
    "REPLY_BLOCKING_FLAGS",
    "SEVERITY",
    "Flag",
    "RuleSet",
    "evaluate",
]
