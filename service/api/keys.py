"""API keys: list, create, revoke (admin only)."""

from __future__ import annotations

from uuid import UUID

from flask import current_app
from flask.views import MethodView

from schemas.keys import KeyCreateSchema, KeyListSchema, KeySchema, NewKeySchema
from service.api import Blueprint
from service.auth import create_key, current_actor, list_keys, requires, revoke_key
from service.runtime import current_runtime

blp = Blueprint("keys", __name__, url_prefix="/v1/keys", description="API keys and roles.")


@blp.route("")
class Keys(MethodView):
    @requires("admin")
    @blp.response(200, KeyListSchema)
    def get(self):
        """List API keys (never the keys themselves)."""
        with current_runtime().database.transaction() as conn:
            return {"items": list_keys(conn)}

    @requires("admin")
    @blp.arguments(KeyCreateSchema())
    @blp.response(201, NewKeySchema)
    def post(self, body):
        """Create an API key; the response shows the key once."""
        with current_runtime().database.transaction() as conn:
            row, raw = create_key(conn, current_actor(), name=body["name"], role=body["role"])
        return {**row, "key": raw}


@blp.route("/<uuid:key_id>")
class KeyById(MethodView):
    @requires("admin")
    @blp.response(200, KeySchema)
    def delete(self, key_id: UUID):
        """Revoke an API key; it stops working within `PRIVACY_KEY_CACHE_SECONDS` everywhere."""
        with current_runtime().database.transaction() as conn:
            row = revoke_key(conn, current_actor(), key_id)
        # After the commit: a request in between would otherwise cache the key as live again.
        current_app.extensions["privacy.key_cache"].forget(key_id)
        return row
