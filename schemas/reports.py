"""Schemas of the data-subject request reports."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from schemas import Timestamp
from service.dsr.deadlines import REGIMES


class DsrMetricsArgsSchema(Schema):
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=9998))
    regime = fields.String(
        required=True,
        validate=validate.OneOf(REGIMES),
        metadata={"description": "One regime per report: GDPR and CCPA figures never mix."},
    )


class DsrRecordsArgsSchema(Schema):
    received_from = fields.Date(
        required=True, metadata={"description": "First receipt date included."}
    )
    received_before = fields.Date(
        required=True, metadata={"description": "First receipt date no longer included."}
    )
    regime = fields.String(
        required=True,
        validate=validate.OneOf(REGIMES),
        metadata={"description": "One regime per record set: GDPR and CCPA records never mix."},
    )


class DsrTotalsSchema(Schema):
    received = fields.Integer()
    complied = fields.Integer()
    complied_in_part = fields.Integer()
    no_data_held = fields.Integer(
        metadata={"description": "Completed with nothing to do: the identifiers matched nobody."}
    )
    categories_only = fields.Integer(
        metadata={"description": "CCPA requests to know answered with categories (§ 7024(a))."}
    )
    denied = fields.Integer()
    cancelled = fields.Integer()
    open = fields.Integer()
    median_days_to_respond = fields.Float(allow_none=True)
    mean_days_to_respond = fields.Float(allow_none=True)


class DsrTypeMetricsSchema(DsrTotalsSchema):
    type = fields.String()


class DsrCategoryMetricsSchema(DsrTotalsSchema):
    category = fields.String(
        metadata={
            "description": "CCPA: know (access + portability), delete, correct, opt_out, limit."
        }
    )
    types = fields.List(fields.String())


class DsrMetricsSchema(Schema):
    year = fields.Integer()
    regime = fields.String()
    by_type = fields.List(fields.Nested(DsrTypeMetricsSchema))
    by_category = fields.List(
        fields.Nested(DsrCategoryMetricsSchema),
        metadata={"description": "CCPA reports only (regulations § 7102(a))."},
    )
    totals = fields.Nested(DsrTotalsSchema)


class DsrRecordSchema(Schema):
    id = fields.UUID()
    regime = fields.String()
    type = fields.String()
    received_on = fields.Date()
    received_at = Timestamp()
    manner = fields.String()
    requester_kind = fields.String()
    due_on = fields.Date()
    extended = fields.Boolean()
    status = fields.String()
    response_date = fields.Date(allow_none=True)
    nature_of_response = fields.String()
    denial_basis = fields.String(allow_none=True)
    verification_degree = fields.String(allow_none=True)


class DsrRecordListSchema(Schema):
    items = fields.List(fields.Nested(DsrRecordSchema))
