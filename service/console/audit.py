"""Auditor pages: the event browser, checkpoints, keys and witnesses, exports, verification."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from flask import Response, g, redirect, request, stream_with_context, url_for

from schemas.audit import AuditEventQuerySchema, AuditExportQuerySchema
from service.audit.export import ENCODERS, MEDIA_TYPES
from service.audit.log import (
    AuditFilter,
    NoCheckpoint,
    current_checkpoint,
    export_records,
    keyring,
    list_checkpoints,
    list_events,
    record_export,
)
from service.audit.verification import get_verification, request_verification
from service.audit.witnesses import WitnessStateError, check_state_file, cosigning_witnesses
from service.auth import requires
from service.console.base import console, load_query
from service.console.pages import render_page
from service.errors import BadRequest
from service.runtime import current_runtime

FILTERS = ("since", "until", "actor", "action", "subject_ref", "request_id")
PAGE_SIZE = 50


def _filter(args: dict[str, Any]) -> AuditFilter:
    return AuditFilter(**{name: args.get(name) for name in FILTERS})


@console.get("/audit")
@requires("auditor")
def audit_events():
    """Browse integrated events with the API's filters, a page at a time."""
    filters = {name: request.args.get(name, "") for name in FILTERS}
    try:
        args = load_query(AuditEventQuerySchema(), "filters")
    except BadRequest as exc:
        return render_page("audit_events.html", 400, filters=filters, events=[], error=exc.detail)
    with current_runtime().database.transaction() as conn:
        events, next_cursor = list_events(
            conn, _filter(args), after_seq=int(args.get("cursor", 0)), limit=PAGE_SIZE
        )
    for event in events:
        event["details_text"] = json.dumps(event["details"], sort_keys=True, ensure_ascii=False)
    chosen = {name: value for name, value in filters.items() if value}
    return render_page(
        "audit_events.html",
        filters=filters,
        events=events,
        next_url=url_for("console.audit_events", **chosen, cursor=next_cursor)
        if next_cursor
        else None,
        export_urls={
            fmt: url_for("console.audit_export", **chosen, format=fmt) for fmt in ENCODERS
        },
    )


@console.get("/audit/export")
@requires("auditor")
def audit_export():
    """Download the signed log (or the filtered part, each event with its proof); recorded."""
    args = load_query(AuditExportQuerySchema(), "filters")
    audit_filter = _filter(args)
    export_format = args["format"]
    database = current_runtime().database
    with database.transaction() as conn:
        header = record_export(
            conn, g.actor, audit_filter, export_format, from_size=args.get("from_size")
        )

    def generate():
        with database.transaction() as conn:
            records = export_records(conn, audit_filter, tree_size=header["tree_size"])
            yield from ENCODERS[export_format](_with_header(header, records))

    filename = f"audit-{header['tree_size']}.{export_format}"
    return Response(
        stream_with_context(generate()),
        mimetype=MEDIA_TYPES[export_format].split(";")[0],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _with_header(header: dict, records):
    yield "header", header
    yield from records


@console.get("/audit/checkpoints")
@requires("auditor")
def audit_checkpoints():
    """Show the latest signed checkpoint with its cosignatures, the others, the keys, and what
    the witnesses last saw."""
    return _checkpoints_page()


@console.post("/audit/witness-state")
@requires("auditor")
def audit_witness_state():
    """Check a witness state file against the log: what it last saw, and whether the log's
    latest checkpoint is consistent with it (nothing is stored)."""
    upload = request.files.get("state")
    text = upload.read() if upload else b""
    if not text:
        return _checkpoints_page(400, error=g.translate("Choose the witness's state file."))
    runtime = current_runtime()
    with runtime.database.transaction() as conn:
        try:
            checked = check_state_file(conn, keyring(conn, runtime.audit), text)
        except WitnessStateError as exc:
            return _checkpoints_page(400, error=g.translate(str(exc)))
    return _checkpoints_page(state_check=checked)


def _checkpoints_page(status: int = 200, **context: Any):
    runtime = current_runtime()
    after = request.args.get("cursor", "")
    with runtime.database.transaction() as conn:
        try:
            latest = current_checkpoint(conn)
        except NoCheckpoint:
            latest = None
        checkpoints, next_cursor = list_checkpoints(
            conn, after_size=int(after) if after.isdigit() else -1, limit=PAGE_SIZE
        )
        keys = keyring(conn, runtime.audit)
        witnesses = cosigning_witnesses(conn, keys)
    return render_page(
        "audit_checkpoints.html",
        status,
        latest=latest,
        checkpoints=checkpoints,
        next_url=url_for("console.audit_checkpoints", cursor=next_cursor) if next_cursor else None,
        keys=keys,
        origin=runtime.audit.origin,
        witnesses=witnesses,
        **context,
    )


@console.post("/audit/verifications")
@requires("auditor")
def audit_verify():
    """Start a background verification of the log from a signed size; recorded."""
    raw = request.form.get("from_size", "0").strip() or "0"
    if not raw.isdigit():
        raise BadRequest("The size to start from is a whole number (0: the whole log).")
    with current_runtime().database.transaction() as conn:
        verification = request_verification(conn, g.actor, int(raw))
    return redirect(url_for("console.audit_verification", verification_id=verification["id"]), 303)


@console.get("/audit/verifications/<uuid:verification_id>")
@requires("auditor")
def audit_verification(verification_id: UUID):
    """Show a verification's progress (the page reloads itself until it is done)."""
    with current_runtime().database.transaction() as conn:
        verification = get_verification(conn, verification_id)
    running = verification["status"] in {"queued", "running"}
    return render_page("audit_verification.html", verification=verification, running=running)
