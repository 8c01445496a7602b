"""Schemas of the data-subject request resource."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, pre_dump, validate

from service.dsr.deadlines import REGIMES, REQUEST_TYPES
from service.dsr.requests import (
    CHANNELS,
    DENIAL_BASES,
    REQUESTER_KINDS,
    STATUSES,
    VERIFICATION_METHODS,
    DsrRequestRecord,
)

_TEXT = validate.Length(min=1, max=2000)
_MAX_PER_KIND = 50


class DsrHandleSchema(Schema):
    platform = fields.String(required=True, validate=validate.Length(min=1, max=50))
    handle = fields.String(required=True, validate=validate.Length(min=1, max=200))


class DsrSubjectSchema(Schema):
    handles = fields.List(
        fields.Nested(DsrHandleSchema),
        load_default=list,
        validate=validate.Length(max=_MAX_PER_KIND),
    )
    emails = fields.List(
        fields.Email(validate=validate.Length(max=320)),
        load_default=list,
        validate=validate.Length(max=_MAX_PER_KIND),
    )
    phones = fields.List(
        fields.String(validate=validate.Regexp(r"^\+?[0-9 ().\-/]{4,40}$")),
        load_default=list,
        validate=validate.Length(max=_MAX_PER_KIND),
    )
    names = fields.List(
        fields.String(validate=validate.Length(min=1, max=200)),
        load_default=list,
        validate=validate.Length(max=_MAX_PER_KIND),
    )


class DsrRequesterSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(REQUESTER_KINDS))
    name = fields.String(validate=validate.Length(min=1, max=200), allow_none=True)
    proof = fields.String(
        validate=_TEXT,
        allow_none=True,
        metadata={"description": "How an authorized agent shows their authority."},
    )


class RequestCreateSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(REQUEST_TYPES))
    regime = fields.String(required=True, validate=validate.OneOf(REGIMES))
    subject = fields.Nested(DsrSubjectSchema, required=True)
    requester = fields.Nested(DsrRequesterSchema, load_default=None)
    received_at = fields.AwareDateTime(
        load_default=None, metadata={"description": "When the request arrived; default now."}
    )
    channel = fields.String(
        load_default="other",
        validate=validate.OneOf(CHANNELS),
        metadata={"description": "How the request was made (the CCPA's 'manner')."},
    )


class RequestListArgsSchema(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    type = fields.String(validate=validate.OneOf(REQUEST_TYPES))
    regime = fields.String(validate=validate.OneOf(REGIMES))
    overdue = fields.Boolean(
        metadata={"description": "true: open requests past their due time; false: the others."}
    )
    due_before = fields.Date(metadata={"description": "Requests due strictly before this date."})
    unacknowledged = fields.Boolean(
        metadata={
            "description": "true: open requests whose receipt is still to be confirmed (CCPA "
            "know, delete, correct), soonest acknowledge_by first; false: the others."
        }
    )
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10_000_000))


class DsrVerifySchema(Schema):
    method = fields.String(required=True, validate=validate.OneOf(VERIFICATION_METHODS))
    matched_data_points = fields.List(
        fields.String(validate=validate.Length(min=1, max=100)),
        load_default=list,
        validate=validate.Length(max=20),
        metadata={
            "description": "The kinds of data that matched what is held (e.g. email, phone, "
            "handle), never the values."
        },
    )
    signed_declaration = fields.Boolean(
        load_default=False,
        metadata={"description": "A declaration under penalty of perjury was signed (CCPA)."},
    )
    notes = fields.String(validate=_TEXT, load_default=None, allow_none=True)


class DsrAcknowledgeSchema(Schema):
    channel = fields.String(
        validate=validate.OneOf(CHANNELS),
        load_default=None,
        allow_none=True,
        metadata={"description": "How the confirmation of receipt was sent."},
    )
    notes = fields.String(validate=_TEXT, load_default=None, allow_none=True)


class DsrExtendSchema(Schema):
    months = fields.Integer(
        validate=validate.OneOf([1, 2]),
        load_default=None,
        allow_none=True,
        metadata={"description": "GDPR only: 1 or 2. A CCPA extension is always 45 days."},
    )
    reason = fields.String(required=True, validate=_TEXT)


class DsrDenySchema(Schema):
    reason = fields.String(required=True, validate=_TEXT)
    basis = fields.String(required=True, validate=validate.OneOf(DENIAL_BASES))


class DsrCancelSchema(Schema):
    reason = fields.String(required=True, validate=_TEXT)


class DsrCorrectionSchema(Schema):
    kind = fields.String(
        required=True, validate=validate.OneOf(["handle", "email", "phone", "name"])
    )
    platform = fields.String(validate=validate.Length(min=1, max=50), load_default=None)
    old = fields.String(required=True, validate=validate.Length(min=1, max=320))
    new = fields.String(required=True, validate=validate.Length(min=1, max=320))


class DsrExecuteSchema(Schema):
    corrections = fields.List(
        fields.Nested(DsrCorrectionSchema),
        load_default=list,
        validate=validate.Length(max=50),
        metadata={"description": "Rectification only: the identifiers or names to correct."},
    )
    reason = fields.String(validate=_TEXT, load_default=None, allow_none=True)
    confirm_unreviewed_flags = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Erasure only: go ahead although the subject's items carry legal "
            "triage flags nobody reviewed (409 otherwise); give a `reason`."
        },
    )


class DsrVerificationSchema(Schema):
    method = fields.String()
    degree = fields.String(allow_none=True)
    matched_data_points = fields.List(fields.String())
    signed_declaration = fields.Boolean()
    verified_at = fields.AwareDateTime()


class DsrAcknowledgementSchema(Schema):
    acknowledged_at = fields.AwareDateTime()
    on_time = fields.Boolean(
        metadata={"description": "Confirmed before acknowledge_by ended (CCPA regs § 7021(a))."}
    )
    channel = fields.String(allow_none=True)


class DsrDenialSchema(Schema):
    basis = fields.String()
    reason = fields.String(allow_none=True)


class DsrPackageSummarySchema(Schema):
    created_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime()
    expired = fields.Boolean()
    size_bytes = fields.Integer()
    sha256 = fields.String()
    download_count = fields.Integer()


class DsrActorSchema(Schema):
    key_id = fields.UUID(allow_none=True)
    role = fields.String(allow_none=True)


class DsrHistoryEntrySchema(Schema):
    occurred_at = fields.AwareDateTime()
    action = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    actor = fields.Nested(DsrActorSchema)
    reason = fields.String(allow_none=True)
    basis = fields.String(allow_none=True)
    details = fields.Dict()


class RequestSchema(Schema):
    id = fields.UUID(required=True)
    type = fields.String(required=True)
    regime = fields.String(required=True)
    status = fields.String(required=True)
    channel = fields.String()
    requester_kind = fields.String()
    received_at = fields.AwareDateTime()
    received_on = fields.Date()
    due_on = fields.Date(metadata={"description": "Respond by the end of this day."})
    due_at = fields.AwareDateTime(
        metadata={"description": "The instant due_on ends in the deployment's zone (UTC here)."}
    )
    original_due_on = fields.Date()
    acknowledge_by = fields.Date(
        allow_none=True, metadata={"description": "CCPA: confirm receipt by the end of this day."}
    )
    acknowledged_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "When receipt was confirmed (CCPA)."}
    )
    acknowledgement = fields.Nested(DsrAcknowledgementSchema, allow_none=True)
    extended_until = fields.Date(allow_none=True)
    extended_at = fields.AwareDateTime(allow_none=True)
    overdue = fields.Boolean()
    verification = fields.Nested(DsrVerificationSchema, allow_none=True)
    denial = fields.Nested(DsrDenialSchema, allow_none=True)
    verified_at = fields.AwareDateTime(allow_none=True)
    started_at = fields.AwareDateTime(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    result = fields.Dict(allow_none=True)
    package = fields.Nested(DsrPackageSummarySchema, allow_none=True)
    subject_ref = fields.String(
        metadata={"description": "The pseudonymous reference used in the audit log."}
    )
    identifiers_minimised_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()

    @pre_dump
    def _shape(self, record: DsrRequestRecord, **_: Any) -> dict[str, Any]:
        return request_fields(record)


class RequestDetailSchema(RequestSchema):
    subject = fields.Nested(DsrSubjectSchema, allow_none=True)
    requester = fields.Nested(DsrRequesterSchema)
    history = fields.List(fields.Nested(DsrHistoryEntrySchema))

    @pre_dump
    def _shape(self, record: DsrRequestRecord, **_: Any) -> dict[str, Any]:
        shown = request_fields(record)
        if shown["denial"] is not None:
            shown["denial"]["reason"] = record.denial_reason
        requester = {"kind": record.row["requester_kind"], "name": None, "proof": None}
        for identifier in record.identifiers:
            if identifier["party"] == "requester":
                requester[identifier["kind"]] = identifier["value"]
        shown["subject"] = record.subject
        shown["requester"] = requester
        shown["history"] = [
            {
                **entry,
                "actor": {"key_id": entry["actor_key_id"], "role": entry["actor_role"]},
            }
            for entry in record.history
        ]
        return shown


def request_fields(record: DsrRequestRecord) -> dict[str, Any]:
    """Return a request's row with the parts RequestSchema shows as objects (no identifiers)."""
    row = record.row
    return {
        **row,
        "extended_until": row["due_on"] if row["extended_at"] is not None else None,
        "overdue": record.overdue,
        "verification": (
            {
                "method": row["verification_method"],
                "degree": row["verification_degree"],
                "matched_data_points": row["matched_data_points"] or [],
                "signed_declaration": bool(row["signed_declaration"]),
                "verified_at": row["verified_at"],
            }
            if row["verified_at"] is not None
            else None
        ),
        "acknowledgement": (
            {
                "acknowledged_at": row["acknowledged_at"],
                "on_time": row["acknowledged_on_time"],
                "channel": row["acknowledgement_channel"],
            }
            if row["acknowledged_at"] is not None
            else None
        ),
        "denial": (
            {"basis": row["denial_basis"], "reason": None} if row["status"] == "denied" else None
        ),
        "package": (
            {
                "created_at": row["package_created_at"],
                "expires_at": row["package_expires_at"],
                "expired": record.package_expired,
                "size_bytes": row["package_size_bytes"],
                "sha256": row["package_sha256"],
                "download_count": row["package_download_count"],
            }
            if row.get("package_created_at") is not None
            else None
        ),
    }


class RequestListSchema(Schema):
    items = fields.List(fields.Nested(RequestSchema), required=True)
    total = fields.Integer(required=True)
