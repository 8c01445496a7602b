"""Domain exceptions and the one RFC 9457 problem+json error shape."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

PROBLEM_MIMETYPE = "application/problem+json"
PROBLEM_BASE = "https://privacy-service.dev/problems/"


class ProblemError(Exception):
    """An error a client can act on; rendered as problem+json with its status."""

    status = 500
    title = "Internal Server Error"
    slug = "internal"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors
        self.extra = extra or {}
        self.headers = headers or {}


class BadRequest(ProblemError):
    status, title, slug = 400, "Bad Request", "bad-request"


class Unauthorized(ProblemError):
    status, title, slug = 401, "Unauthorized", "unauthorized"


class Forbidden(ProblemError):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(ProblemError):
    status, title, slug = 404, "Not Found", "not-found"


class Conflict(ProblemError):
    status, title, slug = 409, "Conflict", "conflict"


class Gone(ProblemError):
    status, title, slug = 410, "Gone", "gone"


class PayloadTooLarge(ProblemError):
    status, title, slug = 413, "Content Too Large", "payload-too-large"


class UnsupportedMediaType(ProblemError):
    status, title, slug = 415, "Unsupported Media Type", "unsupported-media-type"


class Unprocessable(ProblemError):
    status, title, slug = 422, "Unprocessable Content", "validation"


class TooManyRequests(ProblemError):
    status, title, slug = 429, "Too Many Requests", "too-many-requests"

    def __init__(self, detail: str, *, retry_after: int):
        retry_after = max(1, int(retry_after))
        super().__init__(
            detail, extra={"retry_after": retry_after}, headers={"Retry-After": str(retry_after)}
        )


class ServiceUnavailable(ProblemError):
    status, title, slug = 503, "Service Unavailable", "unavailable"


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    slug: str | None = None,
    errors: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Build a problem+json response."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + (slug or str(status)),
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    if extra:
        body.update(extra)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_MIMETYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _flatten_webargs_messages(messages: dict[str, Any]) -> dict[str, Any]:
    """Turn webargs' {location: {field: [msg]}} into {field: [msg]}."""
    flat: dict[str, Any] = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            for field, msgs in fields.items():
                flat[str(field)] = msgs
        else:
            flat[location] = fields
    return flat


# RFC 9110 names where werkzeug still uses the older ones.
_TITLES = {413: "Content Too Large", 422: "Unprocessable Content"}

_HTTP_DETAILS = {
    400: "The request body is not valid JSON.",
    404: "No resource at this address.",
    405: "This method is not allowed on this resource.",
    415: "Send the body as application/json.",
}


def register_error_handlers(app: Flask) -> None:
    """Render every error, expected or not, as problem+json."""

    @app.errorhandler(ProblemError)
    def handle_problem(exc: ProblemError) -> Response:
        return problem_response(
            exc.status,
            exc.title,
            exc.detail,
            slug=exc.slug,
            errors=exc.errors,
            extra=exc.extra,
            headers=exc.headers,
        )

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException) -> Response:
        status = exc.code or 500
        data = getattr(exc, "data", None) or {}
        errors = None
        if status == 422 and "messages" in data:
            errors = _flatten_webargs_messages(data["messages"])
            detail = "The request did not pass validation; see `errors`."
        elif status == 413:
            limit = request.max_content_length if request else app.config["MAX_CONTENT_LENGTH"]
            detail = f"The request body is larger than {limit} bytes."
        else:
            detail = data.get("message") or _HTTP_DETAILS.get(status) or exc.description or ""
        headers = {}
        if status == 405 and getattr(exc, "valid_methods", None):
            headers["Allow"] = ", ".join(exc.valid_methods)
        slug = "validation" if status == 422 else str(status)
        return problem_response(
            status, _TITLES.get(status, exc.name), detail, slug=slug, errors=errors, headers=headers
        )

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception) -> Response:
        # A bug: log the type and where, never the request body, and answer without internals.
        log.exception("unhandled error", extra={"error_type": type(exc).__name__})
        return problem_response(
            500,
            "Internal Server Error",
            "The service failed to handle this request.",
            slug="internal",
        )
