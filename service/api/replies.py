"""The reply guard endpoint: check a brand reply for personal data before it is published."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from schemas.replies import ReplyCheckSchema, ReplyVerdictSchema
from service.api import Blueprint
from service.api.feedback import platform_code
from service.archive.guard import check_reply
from service.auth import current_actor, requires
from service.errors import PayloadTooLarge
from service.runtime import current_runtime

blp = Blueprint(
    "replies",
    __name__,
    url_prefix="/v1/replies",
    description="Keep customers' personal data out of public replies.",
)


@blp.route("/check")
class ReplyCheck(MethodView):
    @requires("moderator", "privacy_officer")
    @blp.arguments(ReplyCheckSchema())
    @blp.response(200, ReplyVerdictSchema)
    def post(self, body):
        """Check a reply: allow, redact or block under the platform's policy, with reasons."""
        limit = current_app.config["PRIVACY_MAX_TEXT_CHARS"]
        if len(body["text"]) > limit:
            raise PayloadTooLarge(
                f"`text` is {len(body['text'])} characters; the limit is {limit}.",
                extra={"limit": limit},
            )
        secret = current_runtime().secret
        with current_runtime().database.transaction() as conn:
            return check_reply(
                conn,
                current_actor(),
                current_runtime().engine(),
                secret,
                text=body["text"],
                visibility=body["visibility"],
                platform=platform_code(conn, body.get("platform")),
                in_reply_to=body.get("in_reply_to"),
            )
