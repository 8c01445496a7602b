"""Privacy service: finds personal data in social-media feedback, answers data-subject requests."""

from __future__ import annotations

import logging
import re
import time
import types
import uuid
from typing import Any

from flask import Flask, g, request

from service.api import Api
from service.errors import UnsupportedMediaType, register_error_handlers
from service.jsonprovider import JsonProvider
from service.runtime import Runtime, bootstrap

log = logging.getLogger("service.request")

# A client's request id is kept only when it is opaque (hex or a UUID): it lands in logs and in
# the audit log, so free text such as a name must never pass.
_REQUEST_ID = re.compile(
    r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
)
_BODY_METHODS = {"POST", "PUT", "PATCH"}


def create_app(config: dict[str, Any] | None = None, *, runtime: Runtime | None = None) -> Flask:
    """Build the Flask application on a runtime (bootstrapped from `config` unless given).

    The database is not migrated here: `privacy-service migrate` and `serve` do that once, before
    any app starts.
    """
    if runtime is None:
        runtime = bootstrap(config)
    settings = runtime.config
    app = Flask(__name__)
    _remember_sync_functions(app)
    app.config.update(settings)
    app.config.update(
        MAX_CONTENT_LENGTH=settings["PRIVACY_MAX_BODY_BYTES"],
        API_TITLE="Privacy Service",
        API_VERSION="1.0",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        # Served from the installed swagger-ui-bundle: the docs work without internet access.
        OPENAPI_SWAGGER_UI_URL="/docs/assets/",
        API_SPEC_OPTIONS={
            "info": {
                "description": "Redaction, feedback archive, data-subject requests and a "
                "tamper-evident audit log."
            },
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearerAuth": []}],
        },
    )
    app.extensions["privacy"] = runtime
    if settings["PRIVACY_WARM_ENGINE"]:
        runtime.engine()

    from service.audit.aggregate import AuditAggregator, database_writer
    from service.auth import FailureLimiter, KeyCache

    app.extensions["privacy.key_cache"] = KeyCache(ttl=settings["PRIVACY_KEY_CACHE_SECONDS"])
    app.extensions["privacy.auth_failures"] = FailureLimiter(
        per_minute=settings["PRIVACY_AUTH_FAILURES_PER_MINUTE"]
    )
    # Download-link attempts (GET /p/{token}) per client address: every attempt spends one.
    app.extensions["privacy.link_attempts"] = FailureLimiter(
        per_minute=settings["PRIVACY_LINK_RATE_PER_MINUTE"]
    )
    app.extensions["privacy.audit_aggregate"] = AuditAggregator(
        database_writer(runtime.database.transaction),
        interval=settings["PRIVACY_AUDIT_AGGREGATE_SECONDS"],
    )
    runtime.database.before_close.append(app.extensions["privacy.audit_aggregate"].close)
    app.json = JsonProvider(app)

    api = Api(app)
    from service.auth import public

    register_error_handlers(app, public)
    _register_request_hooks(app)
    _register_blueprints(api)
    _register_docs_assets(app)
    from service.console import register_console

    register_console(app)
    if settings["PRIVACY_PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = settings["PRIVACY_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app


def _remember_sync_functions(app: Flask) -> None:
    """Ask once per function, not on every call, whether it is a coroutine function.

    Flask asks for every hook and view of every request (inspect's checks cost more than some
    hooks); a plain function stays one, so the answer is remembered for plain functions (and
    the functions of bound methods). Coroutine functions still go to Flask each time.
    """
    flask_ensure_sync = app.ensure_sync
    plain: set = set()

    def ensure_sync(func):
        function = getattr(func, "__func__", func)
        if type(function) is not types.FunctionType:
            return flask_ensure_sync(func)
        if function in plain:
            return func
        wrapped = flask_ensure_sync(func)
        if wrapped is func:
            plain.add(function)
        return wrapped

    app.ensure_sync = ensure_sync


def _register_docs_assets(app: Flask) -> None:
    """Serve Swagger UI's files locally and open the API documentation to everyone."""
    import swagger_ui_bundle
    from flask import send_from_directory

    from service.auth import public

    @app.get("/docs/assets/<path:filename>")
    @public
    def docs_assets(filename: str):
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename, max_age=86400)

    # flask-smorest's own views (the OpenAPI document and the UI) are bound methods: list them.
    app.extensions["privacy.public_endpoints"] = {
        endpoint for endpoint in app.view_functions if endpoint.startswith("api-docs.")
    }


def _register_blueprints(api: Api) -> None:
    from service.api import (
        audit,
        feedback,
        health,
        holds,
        keys,
        links,
        policies,
        recipients,
        redaction,
        replies,
        reports,
        requests,
        scans,
        triage,
    )

    for module in (
        health,
        keys,
        redaction,
        audit,
        requests,
        links,
        recipients,
        holds,
        reports,
        feedback,
        scans,
        replies,
        policies,
        triage,
    ):
        api.register_blueprint(module.blp)


def _register_request_hooks(app: Flask) -> None:
    from service.auth import authenticate_request

    @app.before_request
    def start_request() -> None:
        context = g._get_current_object()
        context.started = time.perf_counter()
        supplied = request.environ.get("HTTP_X_REQUEST_ID", "")
        context.request_id = supplied if _REQUEST_ID.match(supplied) else uuid.uuid4().hex

    app.before_request(authenticate_request)

    @app.before_request
    def check_body_type() -> None:
        # After authentication: a client without a key learns nothing about a route's body.
        # A body on a write must be JSON in UTF-8 (the console's forms excepted); an empty
        # body is left to the schema to judge.
        req = request._get_current_object()
        if not (
            req.method in _BODY_METHODS
            and req.blueprint not in app.extensions.get("privacy.html_blueprints", ())
            and req.url_rule is not None
            and (req.content_length or req.headers.get("Transfer-Encoding"))
        ):
            return
        if not req.is_json:
            raise UnsupportedMediaType(
                f"Send the body as application/json, not {req.mimetype or 'no content type'}."
            )
        charset = req.mimetype_params.get("charset", "utf-8").strip().lower()
        if charset not in ("utf-8", "utf8"):
            raise UnsupportedMediaType(
                f"Send the body in UTF-8 (RFC 8259), not in {charset[:40]}.",
                extra={"accepted_charsets": ["utf-8"]},
            )

    @app.after_request
    def log_request(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        if not log.isEnabledFor(logging.INFO):
            return response  # the line would be dropped: not built either
        actor = g.get("actor")
        path = request.path
        log.info(
            "request",
            extra={
                "request_id": g.get("request_id"),
                "method": request.method,
                # A download link's token opens a package: it never reaches a log.
                "path": "/p/<token>" if path.startswith("/p/") else path,
                "status": response.status_code,
                "duration_ms": round(
                    (time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 2
                ),
                "key_id": str(actor.key_id) if actor and actor.key_id else None,
            },
        )
        return response
