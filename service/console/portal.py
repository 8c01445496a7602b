"""The subject portal (no sign-in): file a request, confirm it by e-mail, follow its status."""

from __future__ import annotations

import logging
import smtplib
import time
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from flask import Blueprint, Response, current_app, g, redirect, request, url_for
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from schemas.requests import RequestCreateSchema, RequestDetailSchema
from service.audit import Actor
from service.console.base import csrf_failed, domain_error, http_error, security_headers
from service.console.base import start_page as _start_page
from service.console.pages import render_page
from service.dsr.access import download_package
from service.errors import DomainError, TooManyRequests, problem_type_for
from service.mail import send_mail
from service.portal import WrongConfirmationCode, confirm, request_for_token, submit
from service.runtime import Runtime, current_runtime

log = logging.getLogger(__name__)

portal = Blueprint("portal", __name__, url_prefix="/request")
portal.after_request(security_headers)
portal.register_error_handler(CSRFError, csrf_failed)
portal.register_error_handler(DomainError, domain_error)
portal.register_error_handler(HTTPException, http_error)

# Where the person lives decides the law that applies.
PLACES = (
    ("eu", "The European Union, the EEA or the United Kingdom", "gdpr"),
    ("california", "California, United States", "ccpa"),
)
PORTAL_TYPES = ("access", "portability", "erasure", "rectification", "objection", "opt_out")


@portal.before_request
def start_page():
    """Check the CSRF token of forms, then the address's rate for anything it sends."""
    _start_page()
    g.actor = Actor(key_id=None, role="subject", request_id=g.get("request_id"))
    if request.method == "POST":
        limiter = current_app.extensions["privacy.portal_limiter"]
        address = request.remote_addr or ""
        wait = limiter.retry_after(address, time.monotonic())
        if wait is not None:
            raise TooManyRequests(
                f"Too many requests from this address; try again in {wait} seconds.",
                retry_after=wait,
            )
        limiter.failed(address, time.monotonic())


def _lines(name: str) -> list[str]:
    return [line.strip() for line in request.form.get(name, "").splitlines() if line.strip()]


def _payload() -> dict[str, Any]:
    """Return the form as the API's request body (the reply address is an identifier too)."""
    form = request.form
    regime = dict((code, law) for code, _, law in PLACES).get(form.get("place", ""), "")
    reply_to = form.get("email", "").strip()
    emails = [reply_to, *(e for e in _lines("emails") if e.lower() != reply_to.lower())]
    handles = []
    for line in _lines("handles"):
        platform, _, handle = line.partition(":")
        handles.append({"platform": platform.strip(), "handle": handle.strip()})
    return {
        "type": form.get("type", ""),
        "regime": regime,
        # The request reached us when the person sent the form; the statutory clock runs from
        # here, not from when they confirm the e-mailed code.
        "received_at": datetime.now(UTC).isoformat(),
        "subject": {
            "emails": [e for e in emails if e],
            "handles": handles,
            "phones": _lines("phones"),
            "names": _lines("names"),
        },
    }


def _form_page(status: int = 200, **context: Any):
    return render_page(
        "portal_form.html",
        status,
        portal=True,
        places=PLACES,
        types=PORTAL_TYPES,
        form=request.form,
        **context,
    )


def _messages(errors: dict[str, Any], prefix: str = "") -> list[str]:
    found = []
    for field, value in errors.items():
        if isinstance(value, dict):
            found.extend(_messages(value, f"{prefix}{field}."))
        else:
            found.append(f"{prefix}{field}: {' '.join(map(str, value))}")
    return found


@portal.route("", methods=["GET", "POST"])
def portal_form():
    """Show the request form; hold a submission and e-mail its confirmation code."""
    if request.method == "GET":
        return _form_page()
    payload = _payload()
    if not request.form.get("email", "").strip():
        return _form_page(400, error=g.translate("Give the e-mail address for our replies."))
    if not payload["regime"]:
        return _form_page(400, error=g.translate("Say where you live."))
    try:
        RequestCreateSchema().load(payload)
    except ValidationError as exc:
        return _form_page(400, error="; ".join(_messages(exc.messages)))
    runtime = current_runtime()
    with runtime.database.transaction() as conn:
        submission_id, code = submit(conn, g.actor, payload)
    try:
        _send_code(runtime, request.form["email"].strip(), code)
    except (OSError, smtplib.SMTPException):
        log.warning("portal mail not sent", extra={"submission_id": str(submission_id)})
        return _form_page(
            503, error=g.translate("We cannot send e-mail right now; please try again later.")
        )
    return redirect(url_for("portal.portal_confirm", submission_id=submission_id), 303)


def _send_code(runtime: Runtime, to: str, code: str) -> None:
    send_mail(
        runtime,
        to=to,
        subject="Confirm your privacy request",
        body=(
            "To confirm the request you made on our privacy page, enter this code there:\n\n"
            f"    {code}\n\nThe code works for 30 minutes. If you did not make this request, "
            "ignore this message.\n"
        ),
    )


@portal.route("/confirm/<uuid:submission_id>", methods=["GET", "POST"])
def portal_confirm(submission_id: UUID):
    """Ask for the e-mailed code; on a match, file the request and show its status link."""
    if request.method == "GET":
        return render_page("portal_confirm.html", portal=True, submission_id=submission_id)
    runtime = current_runtime()
    try:
        # A wrong code is counted and audited in this transaction, so it must commit.
        with runtime.database.transaction() as conn:
            filed = confirm(
                conn,
                g.actor,
                runtime.dsr,
                submission_id,
                request.form.get("code", ""),
                build_request=RequestCreateSchema().load,
            )
        if filed is None:
            raise WrongConfirmationCode("The code does not match; check the e-mail and try again.")
    except DomainError as exc:
        return render_page(
            "portal_confirm.html",
            problem_type_for(exc).status,
            portal=True,
            submission_id=submission_id,
            error=g.translate(exc.detail),
        )
    record, token = filed
    status_url = url_for("portal.portal_status", token=token, _external=True)
    # The reply address is the first e-mail of the submission (see _payload).
    reply_to = record.subject["emails"][0]
    with suppress(OSError, smtplib.SMTPException):
        # The page shows the link anyway; a mail that fails only loses the copy.
        send_mail(
            runtime,
            to=reply_to,
            subject="Your privacy request was received",
            body=(
                f"We received your request. It is due by {record.row['due_on']}.\n"
                f"Follow it here (keep this link to yourself):\n\n    {status_url}\n"
            ),
        )
    return redirect(status_url, 303)


@portal.get("/status/<token>")
def portal_status(token: str):
    """Show a request's status and, once ready, its package download."""
    with current_runtime().database.transaction() as conn:
        record = request_for_token(conn, token)
    shown = RequestDetailSchema().dump(record)
    return render_page(
        "portal_status.html",
        portal=True,
        r=shown,
        token=token,
        now=datetime.now(UTC),
    )


@portal.get("/status/<token>/package")
def portal_package(token: str):
    """Download the package answering the request (recorded as every download is)."""
    runtime = current_runtime()
    with runtime.database.transaction() as conn:
        record = request_for_token(conn, token)
        content = download_package(conn, g.actor, runtime.dsr, record.row["id"])
    return Response(
        content,
        mimetype="application/zip",
        headers={"Content-Disposition": 'attachment; filename="my-data.zip"'},
    )
