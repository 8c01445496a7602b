"""Reply-guard policy endpoints: read and set which entity types block, redact or pass."""

from __future__ import annotations

from flask.views import MethodView

from schemas.policies import PolicyDocumentSchema, PolicySchema
from service.api import Blueprint
from service.archive.ingest import find_platform
from service.archive.policies import get_policy, put_policy
from service.auth import current_actor, requires
from service.redaction import DENY_LIST_ENTITY
from service.runtime import current_runtime

blp = Blueprint(
    "policies",
    __name__,
    url_prefix="/v1/policies",
    description="Per-platform policies of the reply guard.",
)


def known_entities() -> set[str]:
    """Return every entity type the engine reports, in any language."""
    engine = current_runtime().engine()
    return {
        entity
        for entities in engine.supported_entities().values()
        for entity in entities
        if entity != DENY_LIST_ENTITY
    }


@blp.route("/<platform>")
class PolicyByPlatform(MethodView):
    @requires("admin")
    @blp.response(200, PolicySchema)
    def get(self, platform: str):
        """Read a platform's reply policy (the built-in default until one is set)."""
        with current_runtime().database.transaction() as conn:
            return get_policy(conn, find_platform(conn, platform))

    @requires("admin")
    @blp.arguments(PolicyDocumentSchema())
    @blp.response(200, PolicySchema)
    def put(self, body, platform: str):
        """Set a platform's reply policy; an unknown entity type is refused (422)."""
        entities = known_entities()
        with current_runtime().database.transaction() as conn:
            return put_policy(conn, current_actor(), find_platform(conn, platform), body, entities)
