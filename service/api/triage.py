"""Escalation triage: the legal-review queue, reviews of flagged items, and the rule set."""

from __future__ import annotations

from uuid import UUID

from flask.views import MethodView

from schemas.triage import (
    QueueArgsSchema,
    QueueSchema,
    ReviewRequestSchema,
    RuleSetPutSchema,
    RuleSetSchema,
    TriageReviewResultSchema,
)
from service.api import Blueprint
from service.auth import current_actor, requires
from service.runtime import current_runtime
from service.triage.review import list_queue, review_item
from service.triage.rules import get_rule_set, put_rule_set

blp = Blueprint(
    "triage",
    __name__,
    url_prefix="/v1",
    description="Escalation triage: product-safety reports, legal threats, regulator complaints, "
    "defamation claims, self-harm, abuse and spam reach the right people before a reply.",
)


@blp.route("/triage/queue")
class TriageQueue(MethodView):
    @requires("privacy_officer")
    @blp.arguments(QueueArgsSchema(), location="query")
    @blp.response(200, QueueSchema)
    def get(self, args):
        """List flagged items no review covers, the most serious (self_harm) first."""
        with current_runtime().database.transaction() as conn:
            return list_queue(conn, **args)


@blp.route("/feedback/<uuid:item_id>/review")
class FeedbackReview(MethodView):
    @requires("privacy_officer")
    @blp.arguments(ReviewRequestSchema())
    @blp.response(201, TriageReviewResultSchema)
    def post(self, body, item_id: UUID):
        """Review an item's flags: escalated, dismissed, or hold_placed (places the hold)."""
        with current_runtime().database.transaction() as conn:
            return review_item(conn, current_actor(), current_runtime().dsr, item_id, **body)


@blp.route("/triage/rules")
class TriageRules(MethodView):
    @requires("privacy_officer")
    @blp.response(200, RuleSetSchema)
    def get(self):
        """Show the rules in force: the built-in ones, the deployment's own, and the version."""
        with current_runtime().database.transaction() as conn:
            return get_rule_set(conn)

    @requires("admin")
    @blp.arguments(RuleSetPutSchema())
    @blp.response(200, RuleSetSchema)
    def put(self, body):
        """Replace the deployment's own rules; POST /v1/scans then re-evaluates the archive."""
        with current_runtime().database.transaction() as conn:
            return put_rule_set(conn, current_actor(), body)
