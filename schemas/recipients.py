"""Schemas of the register of recipients and processors, and of a request's recipient tasks."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from service.dsr.recipients import RECIPIENT_KINDS, TASK_RESOLUTIONS

_SHORT = validate.Length(min=1, max=200)
_TEXT = validate.Length(min=1, max=2000)


class RecipientCreateSchema(Schema):
    name = fields.String(required=True, validate=_SHORT)
    kind = fields.String(
        required=True,
        validate=validate.OneOf(RECIPIENT_KINDS),
        metadata={
            "description": "processor (acts on our instructions; CCPA service provider or "
            "contractor), controller (decides its own purposes) or third_party."
        },
    )
    contact_email = fields.Email(
        validate=validate.Length(max=320),
        metadata={"description": "Where a task is mailed when there is no webhook_url."},
    )
    webhook_url = fields.Url(
        schemes={"http", "https"},
        validate=validate.Length(max=2000),
        metadata={
            "description": "Receives each task as signed JSON (X-Privacy-Signature, "
            "X-Privacy-Delivery, Idempotency-Key). Must be https and resolve to public "
            "addresses only (422 otherwise), unless PRIVACY_WEBHOOK_ALLOW_HTTP / "
            "PRIVACY_WEBHOOK_ALLOW_PRIVATE."
        },
    )
    data_categories = fields.List(
        fields.String(validate=_SHORT),
        validate=validate.Length(max=50),
        load_default=list,
        metadata={"description": "Which personal data it receives."},
    )
    purposes = fields.List(
        fields.String(validate=_SHORT),
        validate=validate.Length(max=50),
        load_default=list,
        metadata={"description": "Which processing it does with them."},
    )
    sale_or_sharing = fields.Boolean(
        load_default=False,
        metadata={
            "description": "CCPA: we sell to or share with it; it is told of opt-outs "
            "(regulations § 7026(f))."
        },
    )

    @validates_schema
    def _reachable(self, data, **_):
        if not data.get("contact_email") and not data.get("webhook_url"):
            message = "Give a contact_email or a webhook_url: a recipient must be reachable."
            raise ValidationError({"contact_email": [message], "webhook_url": [message]})


class RecipientUpdateSchema(Schema):
    """The fields to change; null clears ``contact_email`` or ``webhook_url``."""

    name = fields.String(validate=_SHORT)
    kind = fields.String(validate=validate.OneOf(RECIPIENT_KINDS))
    contact_email = fields.Email(validate=validate.Length(max=320), allow_none=True)
    webhook_url = fields.Url(
        schemes={"http", "https"}, validate=validate.Length(max=2000), allow_none=True
    )
    data_categories = fields.List(fields.String(validate=_SHORT), validate=validate.Length(max=50))
    purposes = fields.List(fields.String(validate=_SHORT), validate=validate.Length(max=50))
    sale_or_sharing = fields.Boolean()

    @validates_schema
    def _something(self, data, **_):
        if not data:
            raise ValidationError({"_schema": ["Give at least one field to change."]})


class RecipientListArgsSchema(Schema):
    include_archived = fields.Boolean(load_default=False)


class RecipientSchema(Schema):
    id = fields.UUID(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    contact_email = fields.String(allow_none=True)
    webhook_url = fields.String(allow_none=True)
    data_categories = fields.List(fields.String(), required=True)
    purposes = fields.List(fields.String(), required=True)
    sale_or_sharing = fields.Boolean(required=True)
    created_at = fields.AwareDateTime(required=True)
    archived_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "No longer told of new requests since."}
    )


class RecipientListSchema(Schema):
    items = fields.List(fields.Nested(RecipientSchema), required=True)


class RecipientTaskSchema(Schema):
    id = fields.UUID(required=True)
    request_id = fields.UUID(required=True)
    recipient_id = fields.UUID(required=True)
    recipient_name = fields.String(required=True)
    recipient_kind = fields.String(required=True)
    action = fields.String(
        required=True, metadata={"description": "erase, rectify, restrict or opt_out."}
    )
    channel = fields.String(required=True, metadata={"description": "webhook or notice (e-mail)."})
    status = fields.String(
        required=True,
        metadata={
            "description": "pending (queued for a worker, or waiting to retry), sent, "
            "send_failed (every attempt failed), completed (with evidence) or closed "
            "(impossible or disproportionate, with a reason)."
        },
    )
    last_error = fields.String(
        allow_none=True,
        metadata={
            "description": "Why the last attempt failed, as a category: connection_refused, "
            "timeout, tls, dns, address_refused (the host resolves to an address webhooks may "
            "not reach), redirect, http_4xx, http_5xx, connection_error, smtp, no_smtp, "
            "invalid_url. Never a response body."
        },
    )
    delivery_id = fields.UUID(
        required=True,
        metadata={
            "description": "The current round of attempts (X-Privacy-Delivery); a resend "
            "starts a new one."
        },
    )
    attempts = fields.Integer(required=True, metadata={"description": "Attempts this round."})
    last_attempt_at = fields.AwareDateTime(allow_none=True)
    next_attempt_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "When the next attempt is queued for."}
    )
    evidence = fields.String(allow_none=True)
    closed_as = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    created_at = fields.AwareDateTime(required=True)
    sent_at = fields.AwareDateTime(allow_none=True)
    resolved_at = fields.AwareDateTime(allow_none=True)


class RecipientTaskListSchema(Schema):
    items = fields.List(fields.Nested(RecipientTaskSchema), required=True)


class RecipientTaskResolveSchema(Schema):
    resolution = fields.String(
        required=True,
        validate=validate.OneOf(TASK_RESOLUTIONS),
        metadata={
            "description": "completed (the recipient did it: give evidence), or impossible / "
            "disproportionate (GDPR Art. 19: give the reason)."
        },
    )
    evidence = fields.String(validate=_TEXT)
    reason = fields.String(validate=_TEXT)

    @validates_schema
    def _explained(self, data, **_):
        if data.get("resolution") == "completed" and not data.get("evidence"):
            raise ValidationError({"evidence": ["Say what shows the recipient did it."]})
        if data.get("resolution") in ("impossible", "disproportionate") and not data.get("reason"):
            raise ValidationError({"reason": ["Say why."]})
