"""Schemas of the data-subject request reports."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from schemas import Timestamp
from service.dsr.deadlines import REGIMES


class DsrMetricsArgsSchema(Schema):
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=9998))
    regime = fields.String(validate=validate.OneOf(REGIMES), load_default=None)


class DsrRecordsArgsSchema(Schema):
    received_from = fields.Date(
        required=True, metadata={"description": "First receipt date included."}
    )
    received_before = fields.Date(
        required=True, metadata={"description": "First receipt date no longer included."}
    )
    regime = fields.String(validate=validate.OneOf(REGIMES), load_default=None)


class DsrTotalsSchema(Schema):
    received = fields.Integer()
    complied = fields.Integer()
    complied_in_part = fields.Integer()
    denied = fields.Integer()
    cancelled = fields.Integer()
    open = fields.Integer()
    median_days_to_respond = fields.Float(allow_none=True)


class DsrTypeMetricsSchema(DsrTotalsSchema):
    type = fields.String()
    mean_days_to_respond = fields.Float(allow_none=True)


class DsrMetricsSchema(Schema):
    year = fields.Integer()
    regime = fields.String(allow_none=True)
    by_type = fields.List(fields.Nested(DsrTypeMetricsSchema))
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
