"""The reply guard endpoint: check a brand reply for personal data before it is published."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from schemas.replies import ReplyCheckSchema, ReplyVerdictSchema
from service.api import Blueprint
from service.api.feedback import platform_code
from service.archive.guard import check_reply, take_reply_check
from service.auth import current_actor, requires
from service.errors import PayloadTooLarge, TooManyRequests
from service.runtime import current_runtime

blp = Blueprint(
    "replies",
    __name__,
    url_prefix="/v1/replies",
    description="Keep customers' personal data out of public replies.",
)


# Who may learn whether a value in a reply is the customer's own (`belongs_to`).
OWNER_ROLES = frozenset({"privacy_officer", "admin"})


@blp.route("/check")
class ReplyCheck(MethodView):
    @requires("moderator", "privacy_officer")
    @blp.arguments(ReplyCheckSchema())
    @blp.response(200, ReplyVerdictSchema)
    def post(self, body):
        """Check a reply: allow, redact or block under the platform's policy, with reasons.

        Only privacy officers see whose data a finding is (`belongs_to`). Checks of replies to
        one item are limited per key (`PRIVACY_GUARD_CHECKS_PER_ITEM` per
        `PRIVACY_GUARD_WINDOW_SECONDS`); past the limit the answer is 429, and the refusal is
        audited.
        """
        limit = current_app.config["PRIVACY_MAX_TEXT_CHARS"]
        if len(body["text"]) > limit:
            raise PayloadTooLarge(
                f"`text` is {len(body['text'])} characters; the limit is {limit}.",
                extra={"limit": limit},
            )
        runtime = current_runtime()
        actor = current_actor()
        settings = runtime.archive
        with runtime.database.transaction() as conn:
            retry_after = (
                take_reply_check(
                    conn,
                    actor,
                    runtime.secret,
                    body["in_reply_to"],
                    checks_per_window=settings.guard_checks_per_item,
                    window_seconds=settings.guard_window_seconds,
                )
                if body.get("in_reply_to")
                else None
            )
            if retry_after is None:
                return check_reply(
                    conn,
                    actor,
                    runtime.engine(),
                    runtime.secret,
                    text=body["text"],
                    visibility=body["visibility"],
                    platform=platform_code(conn, body.get("platform")),
                    in_reply_to=body.get("in_reply_to"),
                    reveal_owner=actor.role in OWNER_ROLES,
                )
        # Raised after the commit: the refusal stays counted and audited.
        raise TooManyRequests(
            f"This item's replies were checked {settings.guard_checks_per_item} times in "
            f"{settings.guard_window_seconds} s with this key; try again later.",
            retry_after=retry_after,
        )
