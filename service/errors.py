"""Domain exceptions, the one table mapping them to problem types, and the problem+json handler."""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask, Response

log = logging.getLogger(__name__)

PROBLEM_MIMETYPE = "application/problem+json"
PROBLEM_PATH = "/problems/"
# The members RFC 9457 defines, plus our `errors`; an extension member never reuses one.
PROBLEM_MEMBERS = frozenset({"type", "title", "status", "detail", "instance", "errors"})


class DomainError(Exception):
    """Something a client can act on; the table below gives its status and problem type.

    ``detail`` says what went wrong for this occurrence, ``errors`` maps fields to messages and
    ``extra`` holds further members of the problem (RFC 9457 extension members).
    """

    default_detail = "The request cannot be carried out."

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ):
        super().__init__(detail or self.default_detail)
        clash = set(extra or ()) & PROBLEM_MEMBERS
        if clash:
            raise ValueError(f"extension members may not reuse {sorted(clash)}")
        self.detail = detail or self.default_detail
        self.errors = errors
        self.extra = extra or {}


# The kinds of domain error. A domain module raises one of these, or its own subclass of one
# named in domain words; the subclass takes its kind's status and problem type.
class BadRequest(DomainError):
    """The request itself is malformed."""


class Unauthorized(DomainError):
    """No valid API key came with the request."""


class Forbidden(DomainError):
    """The key's role may not do this."""


class NotFound(DomainError):
    """The thing asked for does not exist."""


class Conflict(DomainError):
    """The thing exists but its state does not allow this now."""


class Gone(DomainError):
    """The thing existed and has been removed for good."""


class PayloadTooLarge(DomainError):
    """The body or a text in it is over a limit."""


class UnsupportedMediaType(DomainError):
    """The body is not JSON."""


class Unprocessable(DomainError):
    """The input is well-formed but not valid."""


class TooManyRequests(DomainError):
    """The client knocked too often; `Retry-After` says when to try again."""

    def __init__(self, detail: str, *, retry_after: int):
        super().__init__(detail, extra={"retry_after": retry_after})
        self.headers = {"Retry-After": str(retry_after)}


class ServiceUnavailable(DomainError):
    """A part the service depends on (the database) cannot be reached or is not ready."""


class UnreviewedLegalFlags(Conflict):
    """An erasure would delete items with legal flags nobody has reviewed yet.

    A kind of its own (a 409 with its own problem type): a client tells it from other
    conflicts by its type, and `items` lists what to review before erasing.
    """


@dataclass(frozen=True)
class ProblemType:
    """A problem type: its status, the slug of its page under /problems/, title and explanation."""

    status: int
    slug: str
    title: str
    explanation: str

    @property
    def uri(self) -> str:
        """Return the type URI, relative to the service (its page is served there)."""
        return PROBLEM_PATH + self.slug


_TYPES = (
    ProblemType(
        400,
        "malformed-request",
        "Bad Request",
        "The request could not be read, usually because the body is not valid JSON. Fix the "
        "syntax and send it again.",
    ),
    ProblemType(
        401,
        "unauthorized",
        "Unauthorized",
        "The request carried no API key, or one the service does not know or has revoked. Send "
        "a valid key as `Authorization: Bearer <key>`.",
    ),
    ProblemType(
        403,
        "forbidden",
        "Forbidden",
        "The API key is valid but its role may not use this operation. Ask an administrator "
        "for a key with a role that may.",
    ),
    ProblemType(
        404,
        "not-found",
        "Not Found",
        "Nothing exists at this address, or no record has the id in the path.",
    ),
    ProblemType(
        405,
        "method-not-allowed",
        "Method Not Allowed",
        "This resource does not accept the request's method; the `Allow` header lists those "
        "it does.",
    ),
    ProblemType(
        409,
        "conflict",
        "Conflict",
        "The record exists but its current state does not allow this step (for example a "
        "closed request, or an item already held). `detail` says why; extension members such "
        "as `request_status` show the state.",
    ),
    ProblemType(
        410,
        "gone",
        "Gone",
        "The resource existed but has been removed for good (for example an access package "
        "past its expiry). It will not come back.",
    ),
    ProblemType(
        413,
        "payload-too-large",
        "Content Too Large",
        "The body, or a text inside it, is over the service's limit. `limit` says the limit "
        "when it is a number of characters; split the input and send it in parts.",
    ),
    ProblemType(
        415,
        "unsupported-media-type",
        "Unsupported Media Type",
        "The body must be JSON, sent with `Content-Type: application/json`.",
    ),
    ProblemType(
        422,
        "validation",
        "Unprocessable Content",
        "The input did not pass validation. `errors` maps each field (or query parameter) at "
        "fault to its messages; unknown fields and unknown query parameters are refused, "
        "never ignored.",
    ),
    ProblemType(
        429,
        "rate-limited",
        "Too Many Requests",
        "Too many attempts from this client in a short time (for example failed "
        "authentications). Wait the seconds the `Retry-After` header (and `retry_after`) give.",
    ),
    ProblemType(
        500,
        "internal",
        "Internal Server Error",
        "The service failed to handle the request. This is a bug; the request id in the "
        "`X-Request-ID` header helps find it in the logs.",
    ),
    ProblemType(
        503,
        "unavailable",
        "Service Unavailable",
        "A part the service depends on, the database, is not reachable or not fully migrated "
        "yet. Try again shortly.",
    ),
)
# Problem types narrower than their status's; each belongs to one kind of error below.
UNREVIEWED_LEGAL_FLAGS = ProblemType(
    409,
    "unreviewed-legal-flags",
    "Unreviewed Legal Flags",
    "The erasure would delete feedback that the triage flagged as a possible legal claim "
    "(a legal threat or a product-safety report) and nobody has reviewed yet: it may be "
    "evidence (GDPR Art. 17(3)(e)). `items` lists each item's id and flags. Review them "
    "first (POST /v1/feedback/{id}/review), or execute again with "
    '`"confirm_unreviewed_flags": true` and a `reason`, which is recorded.',
)
PROBLEM_TYPES: dict[str, ProblemType] = {
    problem.slug: problem for problem in (*_TYPES, UNREVIEWED_LEGAL_FLAGS)
}
# The type an HTTP status stands for when no narrower one applies.
_BY_STATUS: dict[int, ProblemType] = {problem.status: problem for problem in _TYPES}

# The one table: each kind of domain error, its status and problem type.
ERRORS: dict[type[DomainError], ProblemType] = {
    BadRequest: _BY_STATUS[400],
    Unauthorized: _BY_STATUS[401],
    Forbidden: _BY_STATUS[403],
    NotFound: _BY_STATUS[404],
    Conflict: _BY_STATUS[409],
    Gone: _BY_STATUS[410],
    PayloadTooLarge: _BY_STATUS[413],
    UnsupportedMediaType: _BY_STATUS[415],
    Unprocessable: _BY_STATUS[422],
    TooManyRequests: _BY_STATUS[429],
    ServiceUnavailable: _BY_STATUS[503],
    UnreviewedLegalFlags: UNREVIEWED_LEGAL_FLAGS,
}

# Details for errors werkzeug raises (routing, body parsing, size limits).
_HTTP_DETAILS = {
    400: "The request body is not valid JSON.",
    404: "No resource at this address.",
    405: "This method is not allowed on this resource.",
    415: "Send the body as application/json.",
}


def problem_type_for(exc: DomainError) -> ProblemType:
    """Return the problem type of a domain error (its nearest kind in the table)."""
    for cls in type(exc).__mro__:
        if cls in ERRORS:
            return ERRORS[cls]
    return _BY_STATUS[500]


def problem_type_for_status(status: int) -> ProblemType:
    """Return the problem type of an HTTP status, or an `about:blank`-like one for others."""
    known = _BY_STATUS.get(status)
    if known is not None:
        return known
    from http import HTTPStatus

    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    return ProblemType(status, "", phrase, "")


def problem_body(
    problem: ProblemType,
    detail: str,
    *,
    errors: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Return the members of a problem+json document."""
    body: dict[str, Any] = {
        "type": problem.uri if problem.slug else "about:blank",
        "title": problem.title,
        "status": problem.status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return body


def problem_response(
    problem: ProblemType,
    detail: str,
    *,
    errors: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Build a problem+json response."""
    from flask import Response, json

    body = problem_body(problem, detail, errors=errors, extra=extra)
    response = Response(json.dumps(body), status=problem.status, mimetype=PROBLEM_MIMETYPE)
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


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1><p>HTTP status {status}.</p><p>{explanation}</p>
<p>Error responses are <code>application/problem+json</code> (RFC 9457): <code>type</code>,
<code>title</code>, <code>status</code>, <code>detail</code> and, for validation,
<code>errors</code>.</p></body></html>
"""


def register_error_handlers(app: Flask, public: Callable[[Callable], Callable]) -> None:
    """Render every error, expected or not, as problem+json; serve a page per problem type.

    `public` is the auth module's marker for views open without a key; it is passed in so that
    this module, which every layer imports, imports none of them.
    """
    from flask import abort
    from werkzeug.exceptions import HTTPException

    @app.errorhandler(DomainError)
    def handle_domain_error(exc: DomainError) -> Response:
        return problem_response(
            problem_type_for(exc),
            exc.detail,
            errors=exc.errors,
            extra=exc.extra,
            headers=getattr(exc, "headers", None),
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
            limit = app.config.get("MAX_CONTENT_LENGTH")
            detail = f"The request body is larger than {limit} bytes."
        else:
            detail = data.get("message") or _HTTP_DETAILS.get(status) or exc.description or ""
        headers = {}
        if status == 405 and getattr(exc, "valid_methods", None):
            headers["Allow"] = ", ".join(exc.valid_methods)
        return problem_response(
            problem_type_for_status(status), detail, errors=errors, headers=headers
        )

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception) -> Response:
        # A bug: log the type and where, never the request body, and answer without internals.
        log.exception("unhandled error", extra={"error_type": type(exc).__name__})
        return problem_response(_BY_STATUS[500], "The service failed to handle this request.")

    @app.get(PROBLEM_PATH + "<slug>")
    @public
    def problem_page(slug: str):
        problem = PROBLEM_TYPES.get(slug)
        if problem is None:
            abort(404)
        page = _PAGE.format(
            title=html.escape(problem.title),
            status=problem.status,
            explanation=html.escape(problem.explanation),
        )
        return (
            page,
            200,
            {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "max-age=86400"},
        )
