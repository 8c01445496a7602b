"""Feedback archive endpoints: ingest items, list them, read one raw or redacted."""

from __future__ import annotations

from uuid import UUID

from flask import current_app, request
from flask.views import MethodView

from schemas.feedback import (
    FeedbackDetailSchema,
    FeedbackListSchema,
    FeedbackPublicSchema,
    FeedbackQuerySchema,
    IngestRequestSchema,
    IngestResponseSchema,
)
from service.api import Blueprint
from service.archive.identifiers import IdentifierError
from service.archive.ingest import ingest_feedback, platform_codes, resolve_platform
from service.archive.reading import get_feedback_item, get_public_item, list_feedback
from service.archive.settings import ArchiveSettings, load_archive_settings
from service.auth import current_actor, requires
from service.errors import Unprocessable

blp = Blueprint(
    "feedback",
    __name__,
    url_prefix="/v1/feedback",
    description="The feedback archive: items from every platform, scanned for personal data.",
)


def _db():
    return current_app.extensions["privacy.db"]


def archive_settings() -> ArchiveSettings:
    """Return the archive settings of this app (read once)."""
    settings = current_app.extensions.get("privacy.archive")
    if settings is None:
        settings = load_archive_settings(current_app.config)
        current_app.extensions["privacy.archive"] = settings
    return settings


@blp.before_request
def _allow_large_batches() -> None:
    # A batch of 1,000 items is bigger than the service-wide body limit.
    if request.method == "POST":
        request.max_content_length = archive_settings().max_ingest_bytes


def platform_code(conn, value: str | None, field: str = "platform") -> str | None:
    """Return the platform code of a name or alias; raise Unprocessable naming the field."""
    if value is None:
        return None
    try:
        return resolve_platform(platform_codes(conn), value)
    except IdentifierError as exc:
        raise Unprocessable(str(exc), errors={field: [str(exc)]}) from exc


@blp.route("")
class Feedback(MethodView):
    @requires("privacy_officer")
    @blp.arguments(FeedbackQuerySchema, location="query")
    @blp.response(200, FeedbackListSchema)
    def get(self, args):
        """List items newest first, filtered by platform, subject, has_pii, flag or since."""
        with _db().transaction() as conn:
            return list_feedback(
                conn,
                platform=platform_code(conn, args.get("platform")),
                subject_id=args.get("subject"),
                has_pii=args.get("has_pii"),
                flag=args.get("flag"),
                since=args.get("since"),
                cursor=args.get("cursor"),
                limit=args["limit"],
            )

    @requires("privacy_officer")
    @blp.arguments(IngestRequestSchema)
    @blp.response(200, IngestResponseSchema)
    def post(self, body):
        """Ingest up to 1,000 items; idempotent on (platform, external_id)."""
        with _db().transaction() as conn:
            return ingest_feedback(
                conn,
                current_actor(),
                archive_settings(),
                current_app.extensions["privacy.secret"],
                body["items"],
                max_text_chars=current_app.config["PRIVACY_MAX_TEXT_CHARS"],
            )


@blp.route("/<uuid:item_id>")
class FeedbackById(MethodView):
    @requires("privacy_officer")
    @blp.response(200, FeedbackDetailSchema)
    def get(self, item_id: UUID):
        """Read an item with its raw text and findings (the access is audited)."""
        with _db().transaction() as conn:
            return get_feedback_item(
                conn, current_actor(), current_app.extensions["privacy.secret"], item_id
            )


@blp.route("/<uuid:item_id>/public")
class FeedbackPublic(MethodView):
    @requires("moderator", "privacy_officer")
    @blp.response(200, FeedbackPublicSchema)
    def get(self, item_id: UUID):
        """Read the redacted text of an item, never the raw text (null until scanned)."""
        with _db().transaction() as conn:
            return get_public_item(conn, item_id)
