"""Liveness and readiness probes."""

from __future__ import annotations

from flask.views import MethodView

from schemas.health import HealthSchema
from service.api import Blueprint
from service.auth import public
from service.db import pending_migrations
from service.errors import ServiceUnavailable
from service.runtime import current_runtime

blp = Blueprint("health", __name__, description="Liveness and readiness probes.")


@blp.route("/health")
class Health(MethodView):
    @public
    @blp.response(200, HealthSchema)
    def get(self):
        """Report that the process is alive (no database check, no key)."""
        return {"status": "ok"}


@blp.route("/ready")
class Ready(MethodView):
    @public
    @blp.problems(503)
    @blp.response(200, HealthSchema)
    def get(self):
        """Report whether the database is reachable and fully migrated."""
        db = current_runtime().database
        with db.transaction() as conn:
            pending = pending_migrations(conn)
        if pending:
            raise ServiceUnavailable(f"{len(pending)} database migration(s) not applied yet.")
        return {"status": "ready"}
