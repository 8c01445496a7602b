"""Moderator pages: the reply checker and the redaction playground, over the API's functions."""

from __future__ import annotations

from uuid import UUID

from flask import current_app, g, request

from service.api.redaction import finding_counts
from service.archive.guard import check_reply, take_reply_check
from service.archive.ingest import platform_code, platform_codes
from service.archive.policies import VISIBILITIES
from service.auth import requires
from service.console.base import console
from service.console.pages import highlight, render_page
from service.errors import (
    BadRequest,
    DomainError,
    PayloadTooLarge,
    TooManyRequests,
    problem_type_for,
)
from service.runtime import current_runtime

# The operators a moderator can try in the playground (encrypt needs a privacy officer to undo).
PLAYGROUND_OPERATORS = ("replace", "mask", "hash", "pseudonymize")
PLAYGROUND_LANGUAGES = ("", "en", "nl")


def _text(field: str = "text") -> str:
    text = request.form.get(field, "")
    limit = current_app.config["PRIVACY_MAX_TEXT_CHARS"]
    if not text.strip():
        raise BadRequest("Type or paste a text first.")
    if len(text) > limit:
        raise PayloadTooLarge(f"The text is {len(text)} characters; the limit is {limit}.")
    return text


def _platforms() -> list[str]:
    with current_runtime().database.transaction() as conn:
        return sorted(set(platform_codes(conn).values()))


@console.route("/replies/check", methods=["GET", "POST"])
@requires("moderator", "privacy_officer")
def reply_checker():
    """Check a reply before it is posted: verdict, findings in the text, reasons, suggestion."""
    form = request.form
    context = {
        "platforms": _platforms(),
        "visibilities": VISIBILITIES,
        "form": form,
    }
    if request.method == "GET":
        return render_page("reply_checker.html", **context)
    runtime = current_runtime()
    try:
        text = _text()
        visibility = form.get("visibility", "public")
        if visibility not in VISIBILITIES:
            raise BadRequest("Pick public or private.")
        raw_item = form.get("in_reply_to", "").strip()
        try:
            in_reply_to = UUID(raw_item) if raw_item else None
        except ValueError as exc:
            raise BadRequest("The thread item is an id like 6f1c0d2e-....") from exc
        settings = runtime.archive
        with runtime.database.transaction() as conn:
            # Held to the same limit per item as an API key: guesses cannot be tried at speed.
            retry_after = (
                take_reply_check(
                    conn,
                    g.actor,
                    runtime.secret,
                    in_reply_to,
                    checks_per_window=settings.guard_checks_per_item,
                    window_seconds=settings.guard_window_seconds,
                )
                if in_reply_to is not None
                else None
            )
            if retry_after is None:
                verdict = check_reply(
                    conn,
                    g.actor,
                    runtime.engine(),
                    runtime.secret,
                    text=text,
                    visibility=visibility,
                    platform=platform_code(conn, form.get("platform") or None),
                    in_reply_to=in_reply_to,
                )
        if retry_after is not None:
            # Raised after the commit: the refusal stays counted and audited.
            raise TooManyRequests(
                f"This item's replies were checked {settings.guard_checks_per_item} times in "
                f"{settings.guard_window_seconds} s by you; try again in {retry_after} s.",
                retry_after=retry_after,
            )
    except DomainError as exc:
        status = problem_type_for(exc).status
        page = render_page("reply_checker.html", status, error=exc.detail, **context)
        return (*page, getattr(exc, "headers", None) or {})
    return render_page(
        "reply_checker.html",
        verdict=verdict,
        segments=highlight(text, verdict["findings"]),
        **context,
    )


@console.route("/redaction", methods=["GET", "POST"])
@requires("moderator")
def playground():
    """Try the redaction engine: findings highlighted with their explanation, an operator."""
    form = request.form
    context = {
        "operators": PLAYGROUND_OPERATORS,
        "languages": PLAYGROUND_LANGUAGES,
        "form": form,
    }
    if request.method == "GET":
        return render_page("playground.html", **context)
    engine = current_runtime().engine()
    operator = form.get("operator", "replace")
    language = form.get("language") or None
    try:
        text = _text()
        if operator not in PLAYGROUND_OPERATORS:
            raise BadRequest(f"Pick an operator of {', '.join(PLAYGROUND_OPERATORS)}.")
        analysis = engine.analyze(text, language=language, return_explanation=True)
        redacted = engine.redact(text, language=language, operators={"DEFAULT": {"type": operator}})
    except DomainError as exc:
        status = problem_type_for(exc).status
        return render_page("playground.html", status, error=exc.detail, **context)
    current_app.extensions["privacy.audit_aggregate"].add(
        g.actor,
        "redact.performed",
        {
            **finding_counts([redacted.findings]),
            "languages": [redacted.language],
            "operators": ["DEFAULT"],
        },
    )
    findings = [
        {
            "entity_type": f.entity_type,
            "start": f.start,
            "end": f.end,
            "score": f.score,
            "recognizer": f.recognizer,
            "explanation": f.explanation or {},
        }
        for f in analysis.findings
    ]
    return render_page(
        "playground.html",
        language=analysis.language,
        findings=findings,
        segments=highlight(text, findings),
        redacted=redacted.text,
        **context,
    )
