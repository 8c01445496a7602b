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
from service.archive.ingest import ingest_feedback, platform_code
from service.archive.reading import get_feedback_item, get_public_item, list_feedback
from service.auth import current_actor, requires
from service.runtime import current_runtime

blp = Blueprint(
    "feedback",
    __name__,
    url_prefix="/v1/feedback",
    description="The feedback archive: items from every platform, scanned for personal data.",
)


@blp.before_request
def _allow_large_batches() -> None:
    # A batch of 1,000 items is bigger than the service-wide body limit.
    if request.method == "POST":
        request.max_content_length = current_runtime().archive.max_ingest_bytes


@blp.route("")
class Feedback(MethodView):
    @requires("privacy_officer")
    @blp.arguments(FeedbackQuerySchema(), location="query")
    @blp.response(200, FeedbackListSchema)
    def get(self, args):
        """List items newest first (filter by platform, subject, has_pii, flag, since; paged)."""
        with current_runtime().database.transaction() as conn:
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
    @blp.problems(409)
    @blp.arguments(IngestRequestSchema())
    @blp.response(200, IngestResponseSchema)
    def post(self, body):
        """Ingest up to 1,000 items; idempotent on (platform, external_id)."""
        with current_runtime().database.transaction() as conn:
            return ingest_feedback(
                conn,
                current_actor(),
                current_runtime().archive,
                current_runtime().secret,
                body["items"],
                max_text_chars=current_app.config["PRIVACY_MAX_TEXT_CHARS"],
            )


@blp.route("/<uuid:item_id>")
class FeedbackById(MethodView):
    @requires("privacy_officer")
    @blp.response(200, FeedbackDetailSchema)
    def get(self, item_id: UUID):
        """Read an item with its raw text and findings (the access is audited)."""
        with current_runtime().database.transaction() as conn:
            return get_feedback_item(conn, current_actor(), current_runtime().secret, item_id)


@blp.route("/<uuid:item_id>/public")
class FeedbackPublic(MethodView):
    @requires("moderator", "privacy_officer")
    @blp.response(200, FeedbackPublicSchema)
    def get(self, item_id: UUID):
        """Read the redacted text of an item, never the raw text (null until scanned)."""
        with current_runtime().database.transaction() as conn:
            return get_public_item(conn, item_id)
