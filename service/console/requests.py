"""Privacy officer pages: the request queue, a request's page with its actions, a new request.

Every form is loaded with the API's own schema and handed to the same domain function as the
API's operation, so the workflow lives in service/dsr only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from flask import Response, g, redirect, request, url_for
from marshmallow import EXCLUDE, Schema, ValidationError

from schemas.recipients import RecipientTaskResolveSchema, RecipientTaskSchema
from schemas.requests import (
    DsrAcknowledgeSchema,
    DsrCancelSchema,
    DsrDenySchema,
    DsrExecuteSchema,
    DsrExtendSchema,
    DsrInformationReceivedSchema,
    DsrLiftSchema,
    DsrRequestInformationSchema,
    DsrVerifySchema,
    NoticeSchema,
    RequestCreateSchema,
    RequestDetailSchema,
    RequestListArgsSchema,
    RequestSchema,
)
from service.auth import requires
from service.console.base import console
from service.console.pages import render_page
from service.dsr.access import download_package
from service.dsr.deadlines import REGIMES, REQUEST_TYPES
from service.dsr.execute import execute_request
from service.dsr.notices import list_notices
from service.dsr.recipients import (
    OPEN_TASK_STATUSES,
    TASK_RESOLUTIONS,
    list_tasks,
    queue_task_again,
    resolve_task,
)
from service.dsr.requests import (
    CHANNELS,
    DENIAL_BASES,
    STATUSES,
    VERIFICATION_METHODS,
    VERIFICATION_REQUIRED,
    acknowledge_request,
    cancel_request,
    create_request,
    deny_request,
    extend_request,
    get_request,
    information_received,
    lift_restriction,
    list_requests,
    request_information,
    verify_request,
)
from service.errors import DomainError, problem_type_for
from service.runtime import current_runtime

# The queue's ready-made views: (label, query).
QUEUE_VIEWS = (
    ("All", {}),
    ("Overdue", {"overdue": "true"}),
    ("Due within 7 days", {"due_soon": "7"}),
    ("Awaiting the subject's identity", {"status": "received"}),
    ("Unacknowledged", {"unacknowledged": "true"}),
)
DATA_POINTS = ("email", "phone", "handle", "name", "order_number", "account_number")

# action -> (the API's schema of its body, the domain function)
ACTIONS: dict[str, tuple[type[Schema], Callable[..., Any]]] = {
    "verify": (DsrVerifySchema, verify_request),
    "acknowledge": (DsrAcknowledgeSchema, acknowledge_request),
    "extend": (DsrExtendSchema, extend_request),
    "deny": (DsrDenySchema, deny_request),
    "cancel": (DsrCancelSchema, cancel_request),
    "request-information": (DsrRequestInformationSchema, request_information),
    "information-received": (DsrInformationReceivedSchema, information_received),
    "lift": (DsrLiftSchema, lift_restriction),
}
# Quoted: werkzeug's `any` converter takes a hyphenated name only as a string.
ACTION_NAMES = ",".join(f"'{name}'" for name in ACTIONS)


class FormInvalid(Exception):
    """A form did not pass the API's schema; `messages` says why, field by field."""

    def __init__(self, messages: dict[str, Any]):
        super().__init__("form invalid")
        self.messages = messages


def _load(schema: Schema, payload: dict[str, Any]) -> dict[str, Any]:
    try:
        return schema.load(payload)
    except ValidationError as exc:
        raise FormInvalid(exc.messages) from exc


def _describe(messages: dict[str, Any], prefix: str = "") -> str:
    parts = []
    for field, value in messages.items():
        name = f"{prefix}{field}"
        if isinstance(value, dict):
            parts.append(_describe(value, f"{name}."))
        else:
            parts.append(f"{name}: {' '.join(map(str, value))}")
    return "; ".join(parts)


def time_left(due_at: datetime, now: datetime) -> str:
    """Return how long is left before a due time ('3 d 4 h left', 'overdue by 2 d')."""
    delta = due_at - now
    span = abs(delta)
    days, hours = span.days, span.seconds // 3600
    text = f"{days} d {hours} h" if days else f"{hours} h {span.seconds % 3600 // 60} min"
    return f"{text} left" if delta >= timedelta(0) else f"overdue by {text}"


def _form_payload(action: str) -> dict[str, Any]:
    """Return an action's form as the API's body (empty fields left out)."""
    form = request.form
    payload: dict[str, Any] = {
        name: value.strip()
        for name, value in form.items()
        if name not in {"csrf_token", "matched_data_points", "signed_declaration"} and value.strip()
    }
    if action == "verify":
        payload["matched_data_points"] = form.getlist("matched_data_points")
        payload["signed_declaration"] = "signed_declaration" in form
    if action == "execute":
        payload["confirm_unreviewed_flags"] = "confirm_unreviewed_flags" in form
    return payload


def _lines(name: str) -> list[str]:
    return [line.strip() for line in request.form.get(name, "").splitlines() if line.strip()]


def subject_from_form() -> dict[str, list]:
    """Return a form's identifiers (one a line; handles as platform:handle) as the API's
    ``subject``."""
    handles = []
    for line in _lines("handles"):
        platform, _, handle = line.partition(":")
        handles.append({"platform": platform.strip(), "handle": handle.strip()})
    return {
        "emails": _lines("emails"),
        "phones": _lines("phones"),
        "names": _lines("names"),
        "handles": handles,
    }


def _new_request_payload() -> dict[str, Any]:
    form = request.form
    payload: dict[str, Any] = {
        "type": form.get("type", ""),
        "regime": form.get("regime", ""),
        "channel": form.get("channel", "other"),
        "subject": subject_from_form(),
    }
    received_at = _received_at(form.get("received_at", ""), form.get("regime", ""))
    if received_at is not None:
        payload["received_at"] = received_at
    if form.get("requester_kind") == "authorized_agent":
        payload["requester"] = {
            "kind": "authorized_agent",
            "name": form.get("agent_name", "").strip() or None,
            "proof": form.get("agent_proof", "").strip() or None,
        }
    return payload


def _received_at(local: str, regime: str) -> str | None:
    """Return the form's local receipt time (``datetime-local``) with the zone the request is
    counted in, as the API's ``received_at``; None when missing, the text itself when it does
    not parse (the schema then names the field)."""
    if not local.strip():
        return None
    try:
        moment = datetime.fromisoformat(local.strip())
    except ValueError:
        return local
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(current_runtime().dsr.zone_for(regime)))
    return moment.isoformat()


@console.get("/requests")
@requires("privacy_officer")
def request_queue():
    """List requests, most urgent first, with the time left and the API's filters."""
    args = {name: value for name, value in request.args.items() if value.strip()}
    due_soon = args.pop("due_soon", None)
    now = datetime.now(UTC)
    if due_soon and due_soon.isdigit():
        args["due_before"] = (now.date() + timedelta(days=int(due_soon) + 1)).isoformat()
    error = None
    try:
        query = RequestListArgsSchema().load(args, unknown=EXCLUDE)
    except ValidationError as exc:
        error, query = f"Check the filters ({_describe(exc.messages)}).", {}
    with current_runtime().database.transaction() as conn:
        listed = list_requests(conn, now=now, **query)
    rows = [
        {
            **RequestSchema().dump(record),
            "time_left": time_left(record.row["due_at"], now)
            if record.row["closed_at"] is None
            else None,
        }
        for record in listed["items"]
    ]
    return render_page(
        "requests.html",
        400 if error else 200,
        error=error,
        requests=rows,
        total=listed["total"],
        views=[(label, url_for("console.request_queue", **q)) for label, q in QUEUE_VIEWS],
        filters=request.args,
        statuses=STATUSES,
        types=REQUEST_TYPES,
        regimes=REGIMES,
    )


def _request_page(request_id: UUID, status: int = 200, **context: Any):
    now = datetime.now(UTC)
    with current_runtime().database.transaction() as conn:
        record = get_request(conn, request_id, now=now)
        tasks = RecipientTaskSchema(many=True).dump(list_tasks(conn, request_id))
        notices = NoticeSchema(many=True).dump(list_notices(conn, request_id))
    shown = RequestDetailSchema().dump(record)
    context.setdefault("open_action", None)
    context.setdefault("open_task", None)
    return render_page(
        "request.html",
        status,
        r=shown,
        time_left=time_left(record.row["due_at"], now),
        methods=VERIFICATION_METHODS,
        data_points=DATA_POINTS,
        channels=CHANNELS,
        bases=DENIAL_BASES,
        verification_required=record.row["type"] in VERIFICATION_REQUIRED,
        tasks=tasks,
        open_task_statuses=OPEN_TASK_STATUSES,
        resolutions=TASK_RESOLUTIONS,
        notices=notices,
        **context,
    )


@console.get("/requests/<uuid:request_id>")
@requires("privacy_officer")
def request_page(request_id: UUID):
    """Show a request: identifiers, deadlines, history, and the actions its status allows."""
    return _request_page(request_id)


def _act(
    request_id: UUID,
    open_action: str,
    operation: Callable[[], Any],
    *,
    open_task: UUID | None = None,
):
    """Run a form's operation; back to the request page on success, or the page with the
    form open and what went wrong."""
    try:
        operation()
    except FormInvalid as exc:
        return _request_page(
            request_id,
            400,
            error=_describe(exc.messages),
            open_action=open_action,
            open_task=open_task,
        )
    except DomainError as exc:
        status = problem_type_for(exc).status
        if status == 404:
            raise
        return _request_page(
            request_id, status, error=exc.detail, open_action=open_action, open_task=open_task
        )
    return redirect(url_for("console.request_page", request_id=request_id), 303)


@console.post(f"/requests/<uuid:request_id>/<any({ACTION_NAMES}):action>")
@requires("privacy_officer")
def request_action(request_id: UUID, action: str):
    """Verify, acknowledge, extend, deny, cancel, ask the subject for information, resume once
    it arrived, or lift a restriction, as the API's operation does."""
    schema, operation = ACTIONS[action]
    runtime = current_runtime()

    def run() -> None:
        body = _load(schema(), _form_payload(action))
        with runtime.database.transaction() as conn:
            operation(conn, g.actor, runtime.dsr, request_id, **body)

    return _act(request_id, action, run)


@console.post("/requests/<uuid:request_id>/execute")
@requires("privacy_officer")
def request_execute(request_id: UUID):
    """Carry out a request (package, erasure, flags), as the API's operation does."""
    runtime = current_runtime()

    def run() -> None:
        body = _load(DsrExecuteSchema(), _form_payload("execute"))
        execute_request(runtime.database, g.actor, runtime.dsr, request_id, **body)

    return _act(request_id, "execute", run)


@console.post("/requests/<uuid:request_id>/tasks/<uuid:task_id>/resolve")
@requires("privacy_officer")
def request_task_resolve(request_id: UUID, task_id: UUID):
    """End a recipient's task: done with evidence, or closed as impossible or disproportionate
    with a reason (the last open task completes the request), as the API's operation does."""
    runtime = current_runtime()

    def run() -> None:
        body = _load(RecipientTaskResolveSchema(), _form_payload("resolve"))
        with runtime.database.transaction() as conn:
            resolve_task(conn, g.actor, runtime.dsr, request_id, task_id, **body)

    return _act(request_id, "resolve", run, open_task=task_id)


@console.post("/requests/<uuid:request_id>/tasks/<uuid:task_id>/send")
@requires("privacy_officer")
def request_task_send(request_id: UUID, task_id: UUID):
    """Send a task that was not delivered (send_failed, or left pending) again."""
    runtime = current_runtime()
    return _act(
        request_id,
        "send",
        lambda: resend_task(runtime, g.actor, request_id, task_id),
        open_task=task_id,
    )


def resend_task(runtime: Any, actor: Any, request_id: UUID, task_id: UUID) -> None:
    """Queue a recipient's task for sending again, as the API's `POST .../tasks/<id>/send`
    does (a worker delivers it)."""
    with runtime.database.transaction() as conn:
        queue_task_again(conn, actor, runtime.dsr, request_id, task_id)


@console.get("/requests/<uuid:request_id>/package")
@requires("privacy_officer")
def request_package(request_id: UUID):
    """Download the access package (recorded as the API's download is)."""
    runtime = current_runtime()
    with runtime.database.transaction() as conn:
        content = download_package(conn, g.actor, runtime.dsr, request_id)
    return Response(
        content,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="dsr-{request_id}.zip"'},
    )


@console.route("/requests/new", methods=["GET", "POST"])
@requires("privacy_officer")
def request_new():
    """File a request received by mail, phone or in person; show its due date."""
    context = {"types": REQUEST_TYPES, "regimes": REGIMES, "channels": CHANNELS}
    if request.method == "GET":
        return render_page("request_new.html", form=request.form, **context)
    runtime = current_runtime()
    try:
        body = _load(RequestCreateSchema(), _new_request_payload())
        with runtime.database.transaction() as conn:
            record = create_request(conn, g.actor, runtime.dsr, **body)
    except FormInvalid as exc:
        return render_page(
            "request_new.html", 400, form=request.form, error=_describe(exc.messages), **context
        )
    except DomainError as exc:
        status = problem_type_for(exc).status
        return render_page(
            "request_new.html", status, form=request.form, error=exc.detail, **context
        )
    return redirect(url_for("console.request_page", request_id=record.row["id"]), 303)
