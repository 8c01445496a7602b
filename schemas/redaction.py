"""Schemas of the redaction endpoints: analyze, redact, batch, decrypt, entities."""

from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

OPERATOR_TYPES = ("replace", "mask", "hash", "encrypt", "pseudonymize", "keep")


class OperatorSchema(Schema):
    class Meta:
        unknown = RAISE

    type = fields.String(required=True, validate=validate.OneOf(OPERATOR_TYPES))
    new_value = fields.String(
        metadata={"description": "replace: text to put instead of `<ENTITY_TYPE>`."}
    )
    masking_char = fields.String(
        validate=validate.Length(equal=1), metadata={"description": "mask: default `*`."}
    )
    chars_to_keep = fields.Integer(
        validate=validate.Range(min=0, max=1000),
        metadata={"description": "mask: keep this many characters at the end."},
    )


class DetectionOptionsSchema(Schema):
    class Meta:
        unknown = RAISE

    language = fields.String(
        allow_none=True,
        metadata={"description": "`en` or `nl`; detected when missing.", "example": "en"},
    )
    entities = fields.List(
        fields.String(),
        allow_none=True,
        metadata={"description": "Only these entity types (see GET /v1/entities)."},
    )
    score_threshold = fields.Float(
        allow_none=True,
        validate=validate.Range(min=0, max=1),
        metadata={"description": "Minimum score of a finding (default 0.4)."},
    )
    allow_list = fields.List(
        fields.String(), allow_none=True, metadata={"description": "Values never reported."}
    )


class RedactionOptionsSchema(DetectionOptionsSchema):
    deny_list = fields.List(
        fields.String(), allow_none=True, metadata={"description": "Values always reported."}
    )
    operators = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(OperatorSchema),
        allow_none=True,
        metadata={
            "description": "Entity type (or DEFAULT) -> operator; default replace (`<PERSON>`).",
            "example": {"DEFAULT": {"type": "replace"}, "PHONE_NUMBER": {"type": "mask"}},
        },
    )


class AnalyzeRequestSchema(DetectionOptionsSchema):
    text = fields.String(required=True, metadata={"example": "Hi, I'm Sarah Jones, 07700 900123"})
    return_explanation = fields.Boolean(load_default=False)


_PLAIN_REDACT_KEYS = frozenset({"text", "language"})


class RedactRequestSchema(RedactionOptionsSchema):
    text = fields.String(required=True, metadata={"example": "Mail me at sarah@example.com"})

    def load(self, data, *, many=None, partial=None, unknown=None):
        # Most calls send a text and perhaps its language: for those the fields' load is
        # known (strings stay themselves), so it is not run field by field. Anything else,
        # an error included, goes through marshmallow.
        if (
            many is None
            and not self.many
            and partial is None
            and type(data) is dict
            and data.keys() <= _PLAIN_REDACT_KEYS
            and type(data.get("text")) is str
            and (data.get("language") is None or type(data["language"]) is str)
        ):
            return dict(data)
        return super().load(data, many=many, partial=partial, unknown=unknown)


class BatchItemSchema(Schema):
    class Meta:
        unknown = RAISE

    id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    text = fields.String(required=True)
    language = fields.String(allow_none=True)


class BatchRequestSchema(RedactionOptionsSchema):
    items = fields.List(
        fields.Nested(BatchItemSchema), required=True, validate=validate.Length(min=1)
    )

    @validates_schema
    def ids_are_unique(self, data, **kwargs):
        ids = [item["id"] for item in data.get("items", [])]
        if len(set(ids)) != len(ids):
            raise ValidationError("Item ids must be unique within a batch.", "items")


class FindingSchema(Schema):
    entity_type = fields.String(required=True)
    start = fields.Integer(required=True, metadata={"description": "Offset in the original text."})
    end = fields.Integer(required=True)
    score = fields.Float(required=True)
    recognizer = fields.String(required=True)
    explanation = fields.Dict(allow_none=True)


class AnalyzeResponseSchema(Schema):
    language = fields.String(required=True)
    findings = fields.List(fields.Nested(FindingSchema), required=True)


class RedactResponseSchema(AnalyzeResponseSchema):
    text = fields.String(required=True)


class BatchResultItemSchema(RedactResponseSchema):
    id = fields.String(required=True)


class BatchResponseSchema(Schema):
    items = fields.List(fields.Nested(BatchResultItemSchema), required=True)


class DecryptRequestSchema(Schema):
    class Meta:
        unknown = RAISE

    text = fields.String(required=True, metadata={"description": "Text with encrypt tokens."})


class DecryptResponseSchema(Schema):
    text = fields.String(required=True)
    decrypted = fields.Integer(required=True, metadata={"description": "Tokens decrypted."})


class EntitiesResponseSchema(Schema):
    languages = fields.Dict(
        keys=fields.String(), values=fields.List(fields.String()), required=True
    )
