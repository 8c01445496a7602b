"""Liveness and readiness probes."""

from __future__ import annotations

from flask.views import MethodView

from schemas.health import HealthSchema
from service.api import Blueprint
from service.audit.store import open_alarm
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
        """Report whether the database is migrated and the audit signer has raised no alarm."""
        db = current_runtime().database
        with db.transaction() as conn:
            pending = pending_migrations(conn)
            alarm = None if pending else open_alarm(conn)
        if pending:
            raise ServiceUnavailable(f"{len(pending)} database migration(s) not applied yet.")
        if alarm is not None:
            raise ServiceUnavailable(
                f"The audit signer refused to sign at {alarm['raised_at']:%Y-%m-%dT%H:%M:%SZ}: "
                f"{alarm['reason']}"
            )
        return {"status": "ready"}
