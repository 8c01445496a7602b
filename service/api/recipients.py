"""The register of recipients and processors, and the tasks that pass requests on to them."""

from __future__ import annotations

from uuid import UUID

from flask.views import MethodView

from schemas.recipients import (
    RecipientCreateSchema,
    RecipientListArgsSchema,
    RecipientListSchema,
    RecipientSchema,
    RecipientTaskListSchema,
    RecipientTaskResolveSchema,
    RecipientTaskSchema,
    RecipientUpdateSchema,
)
from service.api import Blueprint
from service.auth import current_actor, requires
from service.dsr.recipients import (
    archive_recipient,
    get_recipient,
    list_recipients,
    list_tasks,
    queue_task_again,
    register_recipient,
    resolve_task,
    update_recipient,
)
from service.runtime import current_runtime

blp = Blueprint(
    "dsr_recipients",
    __name__,
    description="Recipients and processors, told of erasures, corrections, restrictions and "
    "opt-outs (GDPR Art. 19; CCPA regulations § 7022, § 7023, § 7026).",
)


@blp.route("/v1/recipients")
class Recipients(MethodView):
    @requires("privacy_officer")
    @blp.arguments(RecipientListArgsSchema(), location="query")
    @blp.response(200, RecipientListSchema)
    def get(self, args):
        """List the register, active recipients first."""
        with current_runtime().database.transaction() as conn:
            return {"items": list_recipients(conn, **args)}

    @requires("privacy_officer")
    @blp.arguments(RecipientCreateSchema())
    @blp.response(201, RecipientSchema)
    def post(self, body):
        """Register a recipient or processor.

        A `webhook_url` must be https and resolve to public addresses only (422 otherwise, on
        `webhook_url`), unless `PRIVACY_WEBHOOK_ALLOW_HTTP` / `PRIVACY_WEBHOOK_ALLOW_PRIVATE`.
        """
        runtime = current_runtime()
        with runtime.database.transaction() as conn:
            return register_recipient(conn, current_actor(), runtime.dsr, body)


@blp.route("/v1/recipients/<uuid:recipient_id>")
class RecipientById(MethodView):
    @requires("privacy_officer")
    @blp.response(200, RecipientSchema)
    def get(self, recipient_id: UUID):
        """Show a recipient."""
        with current_runtime().database.transaction() as conn:
            return get_recipient(conn, recipient_id)

    @requires("privacy_officer")
    @blp.problems(409)
    @blp.arguments(RecipientUpdateSchema())
    @blp.response(200, RecipientSchema)
    def patch(self, body, recipient_id: UUID):
        """Change a recipient's entry (only the fields given; a webhook URL is checked as at
        registration). 409 for an archived recipient."""
        runtime = current_runtime()
        with runtime.database.transaction() as conn:
            return update_recipient(conn, current_actor(), runtime.dsr, recipient_id, body)

    @requires("privacy_officer")
    @blp.response(200, RecipientSchema)
    def delete(self, recipient_id: UUID):
        """Archive a recipient: new requests are no longer passed on to it; its tasks stay."""
        with current_runtime().database.transaction() as conn:
            return archive_recipient(conn, current_actor(), recipient_id)


@blp.route("/v1/requests/<uuid:request_id>/tasks")
class RequestTasks(MethodView):
    @requires("privacy_officer")
    @blp.response(200, RecipientTaskListSchema)
    def get(self, request_id: UUID):
        """List the recipients a request was passed on to, and how each task stands."""
        with current_runtime().database.transaction() as conn:
            return {"items": list_tasks(conn, request_id)}


@blp.route("/v1/requests/<uuid:request_id>/tasks/<uuid:task_id>/resolve")
class RequestTaskResolution(MethodView):
    @requires("privacy_officer")
    @blp.problems(409)
    @blp.arguments(RecipientTaskResolveSchema())
    @blp.response(200, RecipientTaskSchema)
    def post(self, body, request_id: UUID, task_id: UUID):
        """End a task (done, with evidence; or impossible or disproportionate, with a reason).

        The last open task completes the request.
        """
        runtime = current_runtime()
        with runtime.database.transaction() as conn:
            return resolve_task(conn, current_actor(), runtime.dsr, request_id, task_id, **body)


@blp.route("/v1/requests/<uuid:request_id>/tasks/<uuid:task_id>/send")
class RequestTaskSending(MethodView):
    @requires("privacy_officer")
    @blp.problems(409)
    @blp.response(202, RecipientTaskSchema)
    def post(self, request_id: UUID, task_id: UUID):
        """Queue a task that was not delivered (send_failed, or still pending) again.

        A worker makes a fresh round of attempts under a new delivery id; the task shows
        `pending` until then. 409 for a task already delivered or resolved.
        """
        runtime = current_runtime()
        with runtime.database.transaction() as conn:
            return queue_task_again(conn, current_actor(), runtime.dsr, request_id, task_id)
