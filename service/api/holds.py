"""Legal holds: place, list, show and release."""

from __future__ import annotations

from uuid import UUID

from flask.views import MethodView

from schemas.holds import (
    HoldCreateSchema,
    HoldListArgsSchema,
    HoldListSchema,
    HoldPlacedSchema,
    HoldSchema,
)
from service.api import Blueprint
from service.auth import current_actor, requires
from service.dsr.holds import get_hold, list_holds, place_hold, release_hold
from service.runtime import current_runtime

blp = Blueprint(
    "legal_holds",
    __name__,
    url_prefix="/v1/holds",
    description="Legal holds: data that erasure keeps, and why.",
)


@blp.route("")
class Holds(MethodView):
    @requires("privacy_officer")
    @blp.arguments(HoldListArgsSchema(), location="query")
    @blp.response(200, HoldListSchema)
    def get(self, args):
        """List holds, active ones first."""
        with current_runtime().database.transaction() as conn:
            return {"items": list_holds(conn, **args)}

    @requires("privacy_officer")
    @blp.arguments(HoldCreateSchema())
    @blp.response(201, HoldPlacedSchema)
    def post(self, body):
        """Place a hold on a feedback item, an archive subject, or the subjects identifiers name."""
        with current_runtime().database.transaction() as conn:
            return place_hold(conn, current_actor(), current_runtime().dsr, **body)


@blp.route("/<uuid:hold_id>")
class HoldById(MethodView):
    @requires("privacy_officer")
    @blp.response(200, HoldSchema)
    def get(self, hold_id: UUID):
        """Show a hold."""
        with current_runtime().database.transaction() as conn:
            return get_hold(conn, hold_id)

    @requires("privacy_officer")
    @blp.response(200, HoldSchema)
    def delete(self, hold_id: UUID):
        """Release a hold; what it kept can be erased again."""
        with current_runtime().database.transaction() as conn:
            return release_hold(conn, current_actor(), current_runtime().dsr, hold_id)
