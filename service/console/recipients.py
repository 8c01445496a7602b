"""The register of recipients and processors: list, add, edit, archive (disable).

Each form is loaded with the schema of `POST /v1/recipients` and handed to the functions of
`service.dsr.recipients`: `register_recipient` and `archive_recipient` as the API, and
`update_recipient` for an edit (recorded as `recipient.registered`, `.updated`, `.archived`).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import flash, g, redirect, request, url_for
from marshmallow import ValidationError

from schemas.recipients import RecipientCreateSchema
from service.auth import requires
from service.console.base import console
from service.console.pages import render_page
from service.dsr.recipients import (
    RECIPIENT_KINDS,
    archive_recipient,
    get_recipient,
    list_recipients,
    register_recipient,
    update_recipient,
)
from service.errors import Unprocessable
from service.runtime import current_runtime


def _lines(text: str) -> list[str]:
    """One entry per line (or comma-separated on one line), blanks dropped."""
    return [part.strip() for line in text.splitlines() for part in line.split(",") if part.strip()]


def recipient_from_form(form) -> dict[str, Any]:
    """Return the recipient the form describes, in the API's field names."""
    return {
        "name": form.get("name", "").strip(),
        "kind": form.get("kind", ""),
        "contact_email": form.get("contact_email", "").strip() or None,
        "webhook_url": form.get("webhook_url", "").strip() or None,
        "data_categories": _lines(form.get("data_categories", "")),
        "purposes": _lines(form.get("purposes", "")),
        "sale_or_sharing": form.get("sale_or_sharing") == "yes",
    }


def _load(form) -> dict[str, Any]:
    """Load the form with the schema of `POST /v1/recipients`: a recipient the form leaves
    without an e-mail or a webhook has none (so an edit can remove one of them)."""
    given = {
        name: value for name, value in recipient_from_form(form).items() if value not in (None, "")
    }
    return {"contact_email": None, "webhook_url": None, **RecipientCreateSchema().load(given)}


def _errors(exc: ValidationError | Unprocessable) -> str:
    messages = exc.messages if isinstance(exc, ValidationError) else (exc.errors or {})
    seen: dict[str, None] = {}
    for errors in messages.values():
        for message in errors if isinstance(errors, list) else [errors]:
            seen[str(message)] = None
    text = " ".join(seen)
    if isinstance(exc, ValidationError):
        return g.translate("Check the fields: {messages}", messages=text)
    return exc.detail or text


def _list_page(status: int = 200, **context):
    include_archived = request.args.get("include_archived") == "1"
    with current_runtime().database.transaction() as conn:
        recipients = list_recipients(conn, include_archived=include_archived)
    return render_page(
        "recipients.html",
        status,
        recipients=recipients,
        kinds=RECIPIENT_KINDS,
        include_archived=include_archived,
        form=context.pop("form", {}),
        **context,
    )


@console.get("/recipients")
@requires("privacy_officer")
def recipients():
    """List the register (active first; archived ones on request) with a form to add one."""
    return _list_page()


@console.post("/recipients")
@requires("privacy_officer")
def recipients_add():
    """Register a recipient or processor."""
    try:
        body = _load(request.form)
        with current_runtime().database.transaction() as conn:
            row = register_recipient(conn, g.actor, current_runtime().dsr, body)
    except (ValidationError, Unprocessable) as exc:
        return _list_page(400, error=_errors(exc), form=request.form)
    flash(g.translate("Added {name} to the register.", name=row["name"]))
    return redirect(url_for("console.recipients"), 303)


@console.get("/recipients/<uuid:recipient_id>")
@requires("privacy_officer")
def recipient_edit(recipient_id: UUID):
    """Show a recipient as a form to change it."""
    with current_runtime().database.transaction() as conn:
        row = get_recipient(conn, recipient_id)
    return render_page(
        "recipient_edit.html", recipient=row, form=_as_form(row), kinds=RECIPIENT_KINDS
    )


@console.post("/recipients/<uuid:recipient_id>")
@requires("privacy_officer")
def recipient_save(recipient_id: UUID):
    """Change a recipient (the form holds all of its fields); it must stay reachable."""
    try:
        body = _load(request.form)
        with current_runtime().database.transaction() as conn:
            row = update_recipient(conn, g.actor, current_runtime().dsr, recipient_id, body)
    except (ValidationError, Unprocessable) as exc:
        with current_runtime().database.transaction() as conn:
            row = get_recipient(conn, recipient_id)
        return render_page(
            "recipient_edit.html",
            400,
            recipient=row,
            form=request.form,
            kinds=RECIPIENT_KINDS,
            error=_errors(exc),
        )
    flash(g.translate("Saved {name}.", name=row["name"]))
    return redirect(url_for("console.recipients"), 303)


@console.post("/recipients/<uuid:recipient_id>/archive")
@requires("privacy_officer")
def recipient_archive(recipient_id: UUID):
    """Archive a recipient: new requests are no longer passed on to it; its tasks stay."""
    with current_runtime().database.transaction() as conn:
        row = archive_recipient(conn, g.actor, recipient_id)
    flash(
        g.translate(
            "Archived {name}: new requests are no longer passed on to it.", name=row["name"]
        )
    )
    return redirect(url_for("console.recipients"), 303)


def _as_form(row: dict[str, Any]) -> dict[str, str]:
    return {
        "name": row["name"],
        "kind": row["kind"],
        "contact_email": row["contact_email"] or "",
        "webhook_url": row["webhook_url"] or "",
        "data_categories": "\n".join(row["data_categories"]),
        "purposes": "\n".join(row["purposes"]),
        "sale_or_sharing": "yes" if row["sale_or_sharing"] else "",
    }
