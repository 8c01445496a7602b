"""Legal holds: the list, placing and releasing a hold, and the holds the triage suggests.

Placing and releasing go through service/dsr/holds.py, confirming a suggested hold through the
triage review (`hold_placed`), exactly as `POST /v1/holds`, `DELETE /v1/holds/<id>` and
`POST /v1/feedback/<id>/review` do.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import flash, g, redirect, request, url_for

from schemas.holds import HoldCreateSchema, HoldSchema
from schemas.triage import QueueItemSchema, ReviewRequestSchema
from service.auth import requires
from service.console.base import console
from service.console.pages import render_page
from service.console.requests import FormInvalid, _describe, _load, subject_from_form
from service.dsr.holds import HOLD_BASES, list_holds, place_hold, release_hold
from service.errors import DomainError, problem_type_for
from service.runtime import current_runtime
from service.triage.engine import HOLD_SUGGESTED_FOR
from service.triage.review import MAX_PAGE, list_queue, review_item


def _suggested(conn) -> list[dict[str, Any]]:
    """Return the review queue's items the triage suggests a hold for, most serious first."""
    seen: dict[str, dict[str, Any]] = {}
    for flag in HOLD_SUGGESTED_FOR:
        queue = list_queue(conn, flag=flag, limit=MAX_PAGE)
        for item in QueueItemSchema(many=True).dump(queue["items"]):
            if item["suggested_hold"] and item["id"] not in seen:
                seen[item["id"]] = item
    return list(seen.values())


def _holds_page(status: int = 200, **context: Any):
    include_released = request.args.get("include_released") == "true"
    with current_runtime().database.transaction() as conn:
        holds = HoldSchema(many=True).dump(
            list_holds(conn, include_released=include_released, limit=500)
        )
        suggested = _suggested(conn)
    context.setdefault("form", {})
    return render_page(
        "holds.html",
        status,
        holds=holds,
        suggested=suggested,
        bases=HOLD_BASES,
        include_released=include_released,
        **context,
    )


def _hold_payload() -> dict[str, Any]:
    """Return the place-a-hold form as the API's body: one target, the basis and the reason."""
    form = request.form
    payload: dict[str, Any] = {
        "basis": form.get("basis", ""),
        "reason": form.get("reason", "").strip(),
    }
    for name in ("feedback_id", "subject_id"):
        if form.get(name, "").strip():
            payload[name] = form[name].strip()
    subject = subject_from_form()
    del subject["names"]  # a display name never identifies an archive subject
    if any(subject.values()):
        payload["subject"] = subject
    return payload


@console.get("/holds")
@requires("privacy_officer")
def holds():
    """List legal holds (active first), the holds the triage suggests, and the form to place one."""
    return _holds_page()


@console.post("/holds")
@requires("privacy_officer")
def holds_place():
    """Place a hold on a feedback item, an archive subject, or the subjects identifiers name."""
    runtime = current_runtime()
    try:
        body = _load(HoldCreateSchema(), _hold_payload())
        with runtime.database.transaction() as conn:
            placed = place_hold(conn, g.actor, runtime.dsr, **body)
    except FormInvalid as exc:
        return _holds_page(400, error=_describe(exc.messages), form=request.form)
    except DomainError as exc:
        return _holds_page(problem_type_for(exc).status, error=exc.detail, form=request.form)
    message = g.translate("Placed {count} legal holds.", count=len(placed.holds))
    if placed.unmatched and any(placed.unmatched.values()):
        message += " " + g.translate(
            "Matched nobody: {handles} handles, {emails} e-mail addresses, {phones} phone numbers.",
            **placed.unmatched,
        )
    flash(message)
    return redirect(url_for("console.holds"), 303)


@console.post("/holds/<uuid:hold_id>/release")
@requires("privacy_officer")
def holds_release(hold_id: UUID):
    """Release a hold; what it kept can be erased again."""
    runtime = current_runtime()
    with runtime.database.transaction() as conn:
        release_hold(conn, g.actor, runtime.dsr, hold_id)
    flash(g.translate("The hold was released."))
    return redirect(url_for("console.holds"), 303)


@console.post("/holds/suggested/<uuid:item_id>")
@requires("privacy_officer")
def holds_confirm_suggested(item_id: UUID):
    """Confirm the hold the triage suggests on an item: the review decision `hold_placed`."""
    runtime = current_runtime()
    body = ReviewRequestSchema().load({"decision": "hold_placed"})
    with runtime.database.transaction() as conn:
        review = review_item(conn, g.actor, runtime.dsr, item_id, **body)
    if review["hold_created"]:
        flash(g.translate("The suggested hold was placed."))
    else:
        flash(g.translate("A hold already kept this item; the review was recorded."))
    return redirect(url_for("console.holds"), 303)
