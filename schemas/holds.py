"""Schemas of the legal hold resource."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, pre_dump, validate

from schemas import Timestamp
from schemas.requests import DsrSubjectSchema
from service.dsr.holds import HOLD_BASES, HOLD_REGIMES, PlacedHolds


class HoldCreateSchema(Schema):
    feedback_id = fields.UUID(
        load_default=None,
        metadata={"description": "Hold one feedback item (or give subject_id or subject)."},
    )
    subject_id = fields.UUID(
        load_default=None,
        metadata={
            "description": "Hold everything of one archive subject (or give feedback_id or "
            "subject)."
        },
    )
    subject = fields.Nested(
        DsrSubjectSchema,
        load_default=None,
        metadata={
            "description": "Hold everything of the archive subjects these identifiers name, as "
            "a request names its subject (a handle, e-mail or phone is needed; names alone "
            "match nobody). Or give feedback_id or subject_id."
        },
    )
    basis = fields.String(required=True, validate=validate.OneOf(sorted(HOLD_BASES)))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class HoldListArgsSchema(Schema):
    include_released = fields.Boolean(load_default=False)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10_000_000))


class HoldSchema(Schema):
    id = fields.UUID(required=True)
    feedback_id = fields.UUID(allow_none=True)
    subject_id = fields.UUID(allow_none=True)
    basis = fields.String(required=True)
    basis_description = fields.String(allow_none=True)
    regimes = fields.List(
        fields.String(),
        metadata={
            "description": "The regimes whose erasure exceptions this basis is; under any other "
            "the hold keeps nothing (GDPR Art. 17(3) is exhaustive)."
        },
    )
    reason = fields.String()
    active = fields.Boolean()
    placed_at = Timestamp()
    placed_by = fields.UUID(allow_none=True)
    released_at = Timestamp(allow_none=True)
    released_by = fields.UUID(allow_none=True)

    @pre_dump
    def _shape(self, hold: dict[str, Any], **_: Any) -> dict[str, Any]:
        return hold_fields(hold)


def hold_fields(hold: dict[str, Any]) -> dict[str, Any]:
    """Return a hold row with the statute behind its basis and whether it is active."""
    return {
        **hold,
        "basis_description": HOLD_BASES.get(hold["basis"]),
        "regimes": list(HOLD_REGIMES.get(hold["basis"], ())),
        "active": hold["released_at"] is None,
    }


class HoldUnmatchedSchema(Schema):
    handles = fields.Integer()
    emails = fields.Integer()
    phones = fields.Integer()


class HoldPlacedSchema(HoldSchema):
    holds = fields.List(
        fields.Nested(HoldSchema),
        required=True,
        metadata={
            "description": "Every hold placed: one, or one per archive subject `subject` "
            "matched. The top-level fields are the first of them."
        },
    )
    unmatched = fields.Nested(
        HoldUnmatchedSchema,
        allow_none=True,
        metadata={
            "description": "With subject: per kind, the identifiers that matched no archive "
            "subject."
        },
    )

    @pre_dump
    def _shape(self, placed: PlacedHolds, **_: Any) -> dict[str, Any]:
        return {
            **hold_fields(placed.holds[0]),
            "holds": placed.holds,
            "unmatched": placed.unmatched,
        }


class HoldListSchema(Schema):
    items = fields.List(fields.Nested(HoldSchema), required=True)
