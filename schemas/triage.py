"""Schemas of the escalation triage: flags, the review queue, reviews and the rule set."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, pre_dump, validate

from service.triage.engine import FLAGS
from service.triage.review import DECISIONS, DEFAULT_PAGE, MAX_PAGE, ItemTriage, SuggestedHold
from service.triage.rules import RuleSetState

FLAG_FIELD_DESCRIPTION = "One of: " + ", ".join(FLAGS) + " (most serious first)."


class TriageFlagSchema(Schema):
    flag = fields.String(required=True, metadata={"enum": list(FLAGS)})
    start = fields.Integer(
        required=True,
        attribute="start_offset",
        metadata={"description": "Offset of the evidence in the raw text."},
    )
    end = fields.Integer(required=True, attribute="end_offset")
    score = fields.Float(required=True)
    rule_id = fields.String(required=True, metadata={"description": "The rule that matched."})
    rules_version = fields.String(required=True)
    flagged_at = fields.DateTime(required=True)
    reviewed = fields.Boolean(required=True, metadata={"description": "A review covers it."})
    current = fields.Boolean(
        required=True,
        metadata={"description": "false once the item's text changed (offsets point nowhere)."},
    )


class TriageFlagWithEvidenceSchema(TriageFlagSchema):
    evidence = fields.String(
        allow_none=True,
        metadata={"description": "The matched words of the raw text (null when not current)."},
    )


class SuggestedHoldSchema(Schema):
    basis = fields.String(required=True)
    scope = fields.Constant("feedback_item", required=True)
    feedback_id = fields.UUID(required=True)
    flags = fields.List(fields.String(), required=True)
    reason = fields.Method("_reason", required=True)
    confirm_with = fields.Method(
        "_confirm_with", required=True, metadata={"description": "The one call to make."}
    )

    def _reason(self, hold: SuggestedHold) -> str:
        return (
            f"Flagged {' and '.join(hold.flags)}: keep the item as evidence for a possible "
            "legal claim."
        )

    def _confirm_with(self, hold: SuggestedHold) -> str:
        return f'POST /v1/feedback/{hold.feedback_id}/review {{"decision": "hold_placed"}}'


class TriageReviewSchema(Schema):
    id = fields.UUID(required=True)
    item_id = fields.UUID(required=True)
    decision = fields.String(required=True, metadata={"enum": list(DECISIONS)})
    flags = fields.List(fields.String(), required=True, metadata={"description": "Covered."})
    notes = fields.String(allow_none=True)
    hold_id = fields.UUID(allow_none=True)
    reviewed_by = fields.UUID(allow_none=True)
    reviewed_at = fields.DateTime(required=True)


class TriageReviewResultSchema(TriageReviewSchema):
    hold_created = fields.Boolean(
        required=True,
        metadata={"description": "hold_placed: true when this call placed a new hold."},
    )


class ItemTriageSchema(Schema):
    flags = fields.List(fields.Nested(TriageFlagWithEvidenceSchema), required=True)
    pending_flags = fields.List(
        fields.String(), required=True, metadata={"description": "Flags no review covers."}
    )
    reviews = fields.List(fields.Nested(TriageReviewSchema), required=True)
    active_hold_ids = fields.List(fields.UUID(), required=True)
    suggested_hold = fields.Nested(SuggestedHoldSchema, allow_none=True)

    @pre_dump
    def _shape(self, triage: ItemTriage, **_: Any) -> dict[str, Any]:
        # The evidence is the item's own words, shown only while the offsets point into them.
        return {
            "flags": [
                {
                    **flag,
                    "evidence": triage.text[flag["start_offset"] : flag["end_offset"]]
                    if flag["current"]
                    else None,
                }
                for flag in triage.flags
            ],
            "pending_flags": [flag["flag"] for flag in triage.flags if not flag["reviewed"]],
            "reviews": triage.reviews,
            "active_hold_ids": triage.hold_ids,
            "suggested_hold": triage.suggested_hold,
        }


class ReviewRequestSchema(Schema):
    class Meta:
        unknown = RAISE

    decision = fields.String(
        required=True,
        validate=validate.OneOf(DECISIONS),
        metadata={
            "description": "hold_placed places a legal hold on the item (basis legal_claims) "
            "in the same call, unless one covers it already."
        },
    )
    notes = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=2000),
        metadata={"description": "Kept with the item (erased with it); never audited."},
    )


class QueueArgsSchema(Schema):
    class Meta:
        unknown = RAISE

    flag = fields.String(
        validate=validate.OneOf(FLAGS), metadata={"description": FLAG_FIELD_DESCRIPTION}
    )
    limit = fields.Integer(load_default=DEFAULT_PAGE, validate=validate.Range(min=1, max=MAX_PAGE))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1_000_000))


class QueueItemSchema(Schema):
    id = fields.UUID(required=True)
    platform = fields.String(required=True)
    kind = fields.String(required=True)
    visibility = fields.String(required=True)
    author_id = fields.UUID(required=True)
    in_reply_to_id = fields.UUID(allow_none=True)
    created_at = fields.DateTime(required=True)
    language = fields.String(allow_none=True)
    public_text = fields.String(
        allow_none=True,
        metadata={
            "description": "The redacted text; the raw text is at GET /v1/feedback/{id} (audited)."
        },
    )
    pending_flags = fields.List(fields.String(), required=True)
    flags = fields.List(fields.Nested(TriageFlagSchema), required=True)
    suggested_hold = fields.Nested(SuggestedHoldSchema, allow_none=True)


class QueueSchema(Schema):
    items = fields.List(fields.Nested(QueueItemSchema), required=True)
    total = fields.Integer(required=True, metadata={"description": "Items waiting in all."})


def _optional_patterns(description: str) -> fields.List:
    """An optional list of regular expressions on a rule (at most 50)."""
    return fields.List(
        fields.String(validate=validate.Length(min=1, max=300)),
        load_default=list,
        validate=validate.Length(max=50),
        metadata={"description": description},
    )


class CustomRuleSchema(Schema):
    class Meta:
        unknown = RAISE

    id = fields.String(required=True, validate=validate.Length(min=1, max=80))
    flag = fields.String(required=True, validate=validate.OneOf(FLAGS))
    score = fields.Float(load_default=0.9, validate=validate.Range(min=0, max=1))
    patterns = fields.List(
        fields.String(validate=validate.Length(min=1, max=300)),
        required=True,
        validate=validate.Length(min=1, max=50),
        metadata={"description": "Python regular expressions, matched case-insensitively."},
    )
    exceptions = _optional_patterns("A match in the same sentence drops the rule's match.")
    context = _optional_patterns(
        "If given, one of these must match in the sentence of the rule's match or the one "
        "before or after it (e.g. a body part or a device)."
    )
    negatable = fields.Boolean(load_default=True)
    joke_factor = fields.Float(load_default=0.3, validate=validate.Range(min=0, max=1))
    hedge_factor = fields.Float(load_default=0.7, validate=validate.Range(min=0, max=1))
    resolved_factor = fields.Float(
        load_default=1.0,
        validate=validate.Range(min=0, max=1),
        metadata={
            "description": "Score factor when a resolution cue ('was fixed', 'opgelost') is in "
            "the sentence; 1 ignores resolutions."
        },
    )
    description = fields.String(load_default="", validate=validate.Length(max=300))


class RuleSetPutSchema(Schema):
    class Meta:
        unknown = RAISE

    rules = fields.List(
        fields.Nested(CustomRuleSchema), load_default=list, validate=validate.Length(max=200)
    )
    disabled = fields.List(
        fields.String(validate=validate.Length(min=1, max=80)),
        load_default=list,
        validate=validate.Length(max=500),
        metadata={"description": "Ids of built-in rules to switch off."},
    )


class BuiltinRuleSchema(Schema):
    id = fields.String(required=True)
    flag = fields.String(required=True)
    score = fields.Float(required=True)
    description = fields.String(required=True)
    patterns = fields.Integer(required=True, metadata={"description": "How many patterns."})
    enabled = fields.Boolean(required=True)


class RuleSetSchema(Schema):
    version = fields.String(
        required=True,
        metadata={"description": "Stamped on flags; POST /v1/scans re-evaluates older ones."},
    )
    custom = fields.Nested(RuleSetPutSchema, required=True)
    builtin = fields.List(fields.Nested(BuiltinRuleSchema), required=True)
    updated_at = fields.DateTime(allow_none=True)

    @pre_dump
    def _shape(self, state: RuleSetState, **_: Any) -> dict[str, Any]:
        disabled = set(state.document.get("disabled", []))
        return {
            "version": state.version,
            "custom": state.document,
            "builtin": [
                {
                    "id": rule["id"],
                    "flag": rule["flag"],
                    "score": rule.get("score", 0.9),
                    "description": rule.get("description", ""),
                    "patterns": len(rule["patterns"]),
                    "enabled": rule["id"] not in disabled,
                }
                for rule in state.builtin
            ],
            "updated_at": state.updated_at,
        }
