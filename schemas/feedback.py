"""Schemas of the feedback archive: ingestion, listing, one item, and its public view."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from marshmallow import RAISE, Schema, fields, pre_dump, validate

from schemas.triage import ItemTriageSchema
from service.archive.ingest import ITEM_KINDS, VISIBILITIES
from service.archive.reading import DEFAULT_PAGE, MAX_PAGE, StoredItem
from service.archive.settings import MAX_INGEST_ITEMS
from service.triage.engine import FLAGS


class AuthorSchema(Schema):
    class Meta:
        unknown = RAISE

    handle = fields.String(
        required=True,
        validate=validate.Length(min=1, max=320),
        metadata={"description": "Handle on the platform; stored lower-cased without `@`."},
    )
    display_name = fields.String(validate=validate.Length(min=1, max=200), allow_none=True)
    email = fields.Email(validate=validate.Length(max=320), allow_none=True)
    phone = fields.String(
        validate=validate.Length(min=3, max=40),
        allow_none=True,
        metadata={"description": "Stored in E.164; give the country code (+31 ...)."},
    )


class FeedbackItemInSchema(Schema):
    class Meta:
        unknown = RAISE

    external_id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "The post's id on the platform; unique per platform."},
    )
    platform = fields.String(
        required=True,
        validate=validate.Length(min=1, max=40),
        metadata={"description": "x (or twitter), instagram, facebook, tiktok, trustpilot, ..."},
    )
    kind = fields.String(required=True, validate=validate.OneOf(ITEM_KINDS))
    visibility = fields.String(required=True, validate=validate.OneOf(VISIBILITIES))
    author = fields.Nested(AuthorSchema, required=True)
    text = fields.String(required=True, validate=validate.Length(min=1))
    created_at = fields.AwareDateTime(
        required=True,
        default_timezone=UTC,
        metadata={"description": "When it was posted (ISO 8601; without an offset, UTC)."},
    )
    in_reply_to = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "external_id of the post this one answers (same platform)."},
    )


class IngestRequestSchema(Schema):
    class Meta:
        unknown = RAISE

    items = fields.List(
        fields.Nested(FeedbackItemInSchema),
        required=True,
        validate=validate.Length(
            min=1,
            max=MAX_INGEST_ITEMS,
            error=f"Send between 1 and {MAX_INGEST_ITEMS} items per call.",
        ),
    )


class IngestResultItemSchema(Schema):
    id = fields.UUID(required=True)
    external_id = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "created, unchanged or updated"})


class IngestResponseSchema(Schema):
    items = fields.List(fields.Nested(IngestResultItemSchema), required=True)
    scan_id = fields.UUID(
        allow_none=True,
        metadata={"description": "The scan of new and re-worded items (GET /v1/scans/{id})."},
    )


class FeedbackQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    platform = fields.String(validate=validate.Length(min=1, max=40))
    subject = fields.UUID(metadata={"description": "Only items written by this subject."})
    has_pii = fields.Boolean(
        metadata={"description": "true: scanned with findings; false: scanned, none found."}
    )
    flag = fields.String(
        validate=validate.OneOf(FLAGS),
        metadata={"description": "Only items with this triage flag (" + ", ".join(FLAGS) + ")."},
    )
    since = fields.AwareDateTime(default_timezone=UTC, metadata={"description": "created_at >="})
    cursor = fields.String(validate=validate.Length(max=200))
    limit = fields.Integer(load_default=DEFAULT_PAGE, validate=validate.Range(min=1, max=MAX_PAGE))


class FeedbackSummarySchema(Schema):
    id = fields.UUID(required=True)
    platform = fields.String(required=True)
    external_id = fields.String(required=True)
    kind = fields.String(required=True)
    visibility = fields.String(required=True)
    author_id = fields.UUID(required=True, metadata={"description": "The author's subject id."})
    in_reply_to_id = fields.UUID(allow_none=True)
    created_at = fields.DateTime(required=True)
    language = fields.String(allow_none=True)
    public_text = fields.String(
        allow_none=True, metadata={"description": "The redacted text; null until scanned."}
    )
    scan_status = fields.String(required=True, metadata={"description": "pending or done"})
    has_pii = fields.Boolean(allow_none=True)
    finding_count = fields.Integer(allow_none=True)
    flags = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Triage flags, most serious first."},
    )

    @pre_dump
    def _shape(self, row: dict[str, Any], **_: Any) -> dict[str, Any]:
        scanned = row["scanned"]
        return {
            **row,
            "scan_status": _scan_status(scanned),
            "finding_count": row["finding_count"] if scanned else None,
            "has_pii": (row["finding_count"] > 0) if scanned else None,
        }


def _scan_status(scanned: bool) -> str:
    return "done" if scanned else "pending"


class FeedbackListSchema(Schema):
    items = fields.List(fields.Nested(FeedbackSummarySchema), required=True)
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "Pass as `cursor` for the next page."}
    )


class StoredFindingSchema(Schema):
    entity_type = fields.String(required=True)
    start = fields.Integer(
        required=True, attribute="start_offset", metadata={"description": "Offset into `text`."}
    )
    end = fields.Integer(required=True, attribute="end_offset")
    score = fields.Float(required=True)
    recognizer = fields.String(required=True)
    engine_version = fields.String(required=True)
    scanned_at = fields.DateTime(required=True)


class ReplyLinkSchema(Schema):
    id = fields.UUID(allow_none=True, metadata={"description": "null until the parent is stored"})
    external_id = fields.String(required=True)


class ItemAuthorSchema(Schema):
    subject_id = fields.UUID(required=True)
    handle = fields.String(allow_none=True)
    display_name = fields.String(allow_none=True)


class FeedbackDetailSchema(Schema):
    id = fields.UUID(required=True)
    platform = fields.String(required=True)
    external_id = fields.String(required=True)
    kind = fields.String(required=True)
    visibility = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    ingested_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    in_reply_to = fields.Nested(ReplyLinkSchema, allow_none=True)
    author = fields.Nested(ItemAuthorSchema, required=True)
    text = fields.String(required=True, metadata={"description": "The raw text."})
    public_text = fields.String(allow_none=True)
    language = fields.String(allow_none=True)
    scan_status = fields.String(required=True)
    scanned_at = fields.DateTime(allow_none=True)
    engine_version = fields.String(allow_none=True)
    findings = fields.List(fields.Nested(StoredFindingSchema), required=True)
    triage = fields.Nested(
        ItemTriageSchema,
        required=True,
        metadata={"description": "Triage flags with their evidence, reviews, suggested hold."},
    )

    @pre_dump
    def _shape(self, item: StoredItem, **_: Any) -> dict[str, Any]:
        row = item.row
        scanned = row["scanned"]
        return {
            **row,
            "in_reply_to": {
                "id": row["in_reply_to_id"],
                "external_id": row["in_reply_to_external_id"],
            }
            if row["in_reply_to_external_id"]
            else None,
            "author": {
                "subject_id": row["author_id"],
                "handle": row["author_handle"],
                "display_name": row["author_display_name"],
            },
            "public_text": row["public_text"] if scanned else None,
            "scan_status": _scan_status(scanned),
            "findings": item.findings,
            "triage": item.triage,
        }


class FeedbackPublicSchema(Schema):
    id = fields.UUID(required=True)
    platform = fields.String(required=True)
    kind = fields.String(required=True)
    visibility = fields.String(required=True)
    in_reply_to_id = fields.UUID(allow_none=True)
    created_at = fields.DateTime(required=True)
    language = fields.String(allow_none=True)
    text = fields.String(
        allow_none=True,
        metadata={"description": "The redacted text; null while the item awaits its scan."},
    )
    scan_status = fields.String(required=True)
    redactions = fields.Integer(allow_none=True)
    scanned_at = fields.DateTime(allow_none=True)

    @pre_dump
    def _shape(self, row: dict[str, Any], **_: Any) -> dict[str, Any]:
        # Only a scan of the current text may be shown; before it nothing is.
        scanned = row["scanned"]
        return {
            **row,
            "language": row["language"] if scanned else None,
            "text": row["public_text"] if scanned else None,
            "scan_status": _scan_status(scanned),
            "redactions": row["finding_count"] if scanned else None,
            "scanned_at": row["scanned_at"] if scanned else None,
        }
