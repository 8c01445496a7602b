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
    RequestSchema,
)
from service.auth import requires
from service.console.base import console
from service.console.pages import render_page
from service.dsr.access import download_package
from service.dsr.deadlines import REGIMES, REQUEST_TYPES
from service.dsr.execute import execute_request
from service.dsr.requests import (
    CHANNELS,
    DENIAL_BASES,
    STATUSES,
    VERIFICATION_METHODS,
    acknowledge_request,
    cancel_request,
    create_request,
    deny_request,
    extend_request,
    get_request,
    list_requests,
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
}


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


def _new_request_payload() -> dict[str, Any]:
    form = request.form
    handles = []
    for line in _lines("handles"):
        platform, _, handle = line.partition(":")
        handles.append({"platform": platform.strip(), "handle": handle.strip()})
    payload: dict[str, Any] = {
        "type": form.get("type", ""),
        "regime": form.get("regime", ""),
        "channel": form.get("channel", "other"),
        "subject": {
            "emails": _lines("emails"),
            "phones": _lines("phones"),
            "names": _lines("names"),
            "handles": handles,
        },
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
    shown = RequestDetailSchema().dump(record)
    context.setdefault("open_action", None)
    return render_page(
        "request.html",
        status,
        r=shown,
        time_left=time_left(record.row["due_at"], now),
        methods=VERIFICATION_METHODS,
        data_points=DATA_POINTS,
        channels=CHANNELS,
        bases=DENIAL_BASES,
        **context,
    )


@console.get("/requests/<uuid:request_id>")
@requires("privacy_officer")
def request_page(request_id: UUID):
    """Show a request: identifiers, deadlines, history, and the actions its status allows."""
    return _request_page(request_id)


@console.post("/requests/<uuid:request_id>/<any(verify,acknowledge,extend,deny,cancel):action>")
@requires("privacy_officer")
def request_action(request_id: UUID, action: str):
    """Verify, acknowledge, extend, deny or cancel a request, as the API's operation does."""
    schema, operation = ACTIONS[action]
    runtime = current_runtime()
    try:
        body = _load(schema(), _form_payload(action))
        with runtime.database.transaction() as conn:
            operation(conn, g.actor, runtime.dsr, request_id, **body)
    except FormInvalid as exc:
        return _request_page(request_id, 400, error=_describe(exc.messages), open_action=action)
    except DomainError as exc:
        status = problem_type_for(exc).status
        if status == 404:
            raise
        return _request_page(request_id, status, error=exc.detail, open_action=action)
    return redirect(url_for("console.request_page", request_id=request_id), 303)


@console.post("/requests/<uuid:request_id>/execute")
@requires("privacy_officer")
def request_execute(request_id: UUID):
    """Carry out a request (package, erasure, flags), as the API's operation does."""
    runtime = current_runtime()
    try:
        body = _load(DsrExecuteSchema(), _form_payload("execute"))
        execute_request(runtime.database, g.actor, runtime.dsr, request_id, **body)
    except FormInvalid as exc:
        return _request_page(request_id, 400, error=_describe(exc.messages), open_action="execute")
    except DomainError as exc:
        status = problem_type_for(exc).status
        if status == 404:
            raise
        return _request_page(request_id, status, error=exc.detail, open_action="execute")
    return redirect(url_for("console.request_page", request_id=request_id), 303)


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
