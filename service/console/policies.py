"""Administration: the platforms' reply-guard policies (list, edit).

The form is turned into the policy document of `PUT /v1/policies/<platform>`, loaded with the
API's schema and stored by the same `put_policy` (which checks every entity type against the
engine's and records `policy.updated` with the actions, never the allowed values).
"""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, request, url_for
from marshmallow import ValidationError

from schemas.policies import PolicyDocumentSchema
from service.api.policies import known_entities
from service.archive.ingest import find_platform
from service.archive.policies import ACTIONS, GREETINGS, VISIBILITIES, get_policy, put_policy
from service.auth import requires
from service.console.base import console
from service.console.pages import render_page
from service.db import queries
from service.errors import Unprocessable
from service.runtime import current_runtime


def _platforms(conn) -> list[dict[str, Any]]:
    rows = conn.execute(queries()["list_platforms"]).fetchall()
    return [{**row, **get_policy(conn, row["code"])} for row in rows]


@console.get("/policies")
@requires()
def policies():
    """List the platforms with their reply policy: custom or the built-in default."""
    with current_runtime().database.transaction() as conn:
        platforms = _platforms(conn)
    for platform in platforms:
        public = platform["policy"]["public"]
        platform["blocked"] = sorted(e for e, a in public["entities"].items() if a == "block")
        platform["redacted"] = sorted(e for e, a in public["entities"].items() if a == "redact")
    return render_page("policies.html", platforms=platforms)


def _edit_page(platform: str, policy: dict[str, Any], status: int = 200, **context):
    with current_runtime().database.transaction() as conn:
        stored = get_policy(conn, platform)
        name = next((row["name"] for row in _platforms(conn) if row["code"] == platform), platform)
    entities = sorted(
        known_entities()
        | {e for visibility in VISIBILITIES for e in policy[visibility]["entities"]}
    )
    return render_page(
        "policy_edit.html",
        status,
        platform=platform,
        platform_name=name,
        stored=stored,
        policy=policy,
        entities=entities,
        actions=ACTIONS,
        visibilities=VISIBILITIES,
        greetings=GREETINGS,
        **context,
    )


@console.get("/policies/<platform>")
@requires()
def policy_edit(platform: str):
    """Show a platform's policy as a form: per visibility a default and each entity's action."""
    with current_runtime().database.transaction() as conn:
        code = find_platform(conn, platform)
        policy = get_policy(conn, code)["policy"]
    return _edit_page(code, policy)


def policy_from_form(form) -> dict[str, Any]:
    """Return the policy document the form describes (an entity left at "default" follows the
    visibility's default and is not listed)."""
    document: dict[str, Any] = {}
    for visibility in VISIBILITIES:
        prefix = f"{visibility}.entity."
        document[visibility] = {
            "default": form.get(f"{visibility}.default", "pass"),
            "entities": {
                name.removeprefix(prefix): value
                for name, value in form.items()
                if name.startswith(prefix) and value
            },
        }
    document["greet_customer_by"] = form.getlist("greet_customer_by")
    document["allow_values"] = [
        line.strip() for line in form.get("allow_values", "").splitlines() if line.strip()
    ]
    return document


@console.post("/policies/<platform>")
@requires()
def policy_save(platform: str):
    """Store a platform's policy from the form; an invalid one is shown again with the errors."""
    document = policy_from_form(request.form)
    with current_runtime().database.transaction() as conn:
        code = find_platform(conn, platform)
    try:
        body = PolicyDocumentSchema().load(document)
    except ValidationError as exc:
        return _edit_page(code, document, 400, error=_messages(exc.messages))
    try:
        with current_runtime().database.transaction() as conn:
            put_policy(conn, g.actor, code, body, known_entities())
    except Unprocessable as exc:
        return _edit_page(code, document, 422, error=f"{exc.detail} {_messages(exc.errors)}")
    flash(g.translate("Saved the reply policy of {platform}.", platform=code))
    return redirect(url_for("console.policies"), 303)


def _messages(errors: Any, path: str = "") -> str:
    if isinstance(errors, dict):
        return "; ".join(
            _messages(value, f"{path}.{key}" if path else str(key)) for key, value in errors.items()
        )
    if isinstance(errors, list):
        return f"{path}: {' '.join(map(str, errors))}"
    return f"{path}: {errors}"
