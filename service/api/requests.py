"""Data-subject requests: file, verify, acknowledge, extend, deny, cancel, execute, download."""

from __future__ import annotations

from uuid import UUID

from flask import Response
from flask.views import MethodView

from schemas.requests import (
    DsrAcknowledgeSchema,
    DsrCancelSchema,
    DsrDenySchema,
    DsrExecuteSchema,
    DsrExtendSchema,
    DsrVerifySchema,
    RequestCreateSchema,
    RequestDetailSchema,
    RequestListArgsSchema,
    RequestListSchema,
)
from service.api import Blueprint
from service.auth import current_actor, requires
from service.dsr.access import download_package
from service.dsr.execute import execute_request
from service.dsr.requests import (
    acknowledge_request,
    cancel_request,
    create_request,
    deny_request,
    extend_request,
    get_request,
    list_requests,
    verify_request,
)
from service.errors import UnreviewedLegalFlags
from service.runtime import current_runtime

blp = Blueprint(
    "dsr_requests",
    __name__,
    url_prefix="/v1/requests",
    description="Data-subject requests under the GDPR and the CCPA.",
)


@blp.route("")
class Requests(MethodView):
    @requires("privacy_officer")
    @blp.arguments(RequestListArgsSchema(), location="query")
    @blp.response(200, RequestListSchema)
    def get(self, args):
        """List requests, most urgent first, filtered by status, type, regime and deadlines."""
        with current_runtime().database.transaction() as conn:
            return list_requests(conn, **args)

    @requires("privacy_officer")
    @blp.arguments(RequestCreateSchema())
    @blp.response(201, RequestDetailSchema)
    def post(self, body):
        """File a request; the response shows its statutory due date."""
        with current_runtime().database.transaction() as conn:
            return create_request(conn, current_actor(), current_runtime().dsr, **body)


@blp.route("/<uuid:request_id>")
class RequestById(MethodView):
    @requires("privacy_officer")
    @blp.response(200, RequestDetailSchema)
    def get(self, request_id: UUID):
        """Show a request with its identifiers, history and result."""
        with current_runtime().database.transaction() as conn:
            return get_request(conn, request_id)


@blp.route("/<uuid:request_id>/verify")
class RequestVerification(MethodView):
    @requires("privacy_officer")
    @blp.problems(409)
    @blp.arguments(DsrVerifySchema())
    @blp.response(200, RequestDetailSchema)
    def post(self, body, request_id: UUID):
        """Record how the data subject's identity was established."""
        with current_runtime().database.transaction() as conn:
            return verify_request(conn, current_actor(), current_runtime().dsr, request_id, **body)


@blp.route("/<uuid:request_id>/acknowledge")
class RequestAcknowledgement(MethodView):
    @requires("privacy_officer")
    @blp.problems(409)
    @blp.arguments(DsrAcknowledgeSchema())
    @blp.response(200, RequestDetailSchema)
    def post(self, body, request_id: UUID):
        """Record that receipt of a CCPA request was confirmed to the consumer (§ 7021(a))."""
        with current_runtime().database.transaction() as conn:
            return acknowledge_request(
                conn, current_actor(), current_runtime().dsr, request_id, **body
            )


@blp.route("/<uuid:request_id>/extend")
class RequestExtension(MethodView):
    @requires("privacy_officer")
    @blp.problems(409)
    @blp.arguments(DsrExtendSchema())
    @blp.response(200, RequestDetailSchema)
    def post(self, body, request_id: UUID):
        """Extend the due date (GDPR: 1 or 2 months; CCPA: 45 days), before it passes."""
        with current_runtime().database.transaction() as conn:
            return extend_request(conn, current_actor(), current_runtime().dsr, request_id, **body)


@blp.route("/<uuid:request_id>/deny")
class RequestDenial(MethodView):
    @requires("privacy_officer")
    @blp.problems(409)
    @blp.arguments(DsrDenySchema())
    @blp.response(200, RequestDetailSchema)
    def post(self, body, request_id: UUID):
        """Deny a request, with a reason and its basis."""
        with current_runtime().database.transaction() as conn:
            return deny_request(conn, current_actor(), current_runtime().dsr, request_id, **body)


@blp.route("/<uuid:request_id>/cancel")
class RequestCancellation(MethodView):
    @requires("privacy_officer")
    @blp.problems(409)
    @blp.arguments(DsrCancelSchema())
    @blp.response(200, RequestDetailSchema)
    def post(self, body, request_id: UUID):
        """Cancel a request (withdrawn, or filed by mistake)."""
        with current_runtime().database.transaction() as conn:
            return cancel_request(conn, current_actor(), current_runtime().dsr, request_id, **body)


@blp.route("/<uuid:request_id>/execute")
class RequestExecution(MethodView):
    @requires("privacy_officer")
    @blp.problems(409, UnreviewedLegalFlags)
    @blp.arguments(DsrExecuteSchema())
    @blp.response(200, RequestDetailSchema)
    def post(self, body, request_id: UUID):
        """Carry out a request: build the package, erase, rectify or flag; retry after a failure."""
        return execute_request(
            current_runtime().database, current_actor(), current_runtime().dsr, request_id, **body
        )


@blp.route("/<uuid:request_id>/package")
class RequestPackage(MethodView):
    @requires("privacy_officer")
    @blp.problems(410)
    @blp.response(
        200,
        content_type="application/zip",
        description="The access package (410 once it has expired).",
    )
    def get(self, request_id: UUID):
        """Download the ZIP answering an access or portability request."""
        with current_runtime().database.transaction() as conn:
            content = download_package(conn, current_actor(), current_runtime().dsr, request_id)
        return Response(
            content,
            mimetype="application/zip",
            headers={
                "Content-Disposition": f'attachment; filename="dsr-{request_id}.zip"',
                "Cache-Control": "no-store",
            },
        )
