"""Administration: API keys (list, create with the key shown once, revoke after a confirmation).

The same `create_key`, `list_keys` and `revoke_key` as `/v1/keys`, recorded the same way
(`key.created`, `key.revoked`, by the signed-in user). A console request has no key of its own,
so the API's rule that a key cannot revoke itself never applies here; revoking asks first.
"""

from __future__ import annotations

from uuid import UUID

from flask import current_app, flash, g, redirect, request, url_for
from marshmallow import ValidationError

from schemas.keys import KeyCreateSchema
from service.auth import create_key, list_keys, requires, revoke_key
from service.console.base import console
from service.console.pages import render_page
from service.errors import NotFound
from service.roles import ROLES
from service.runtime import current_runtime


def _keys_page(status: int = 200, **context):
    with current_runtime().database.transaction() as conn:
        keys = list_keys(conn)
    return render_page(
        "keys.html",
        status,
        keys=keys,
        roles=ROLES,
        cache_seconds=int(current_app.config["PRIVACY_KEY_CACHE_SECONDS"]),
        **context,
    )


@console.get("/keys")
@requires()
def keys():
    """List the API keys: name, role, created, last used, revoked (never the keys)."""
    return _keys_page()


@console.post("/keys")
@requires()
def keys_create():
    """Create an API key and show it once."""
    try:
        body = KeyCreateSchema().load(
            {"name": request.form.get("name", "").strip(), "role": request.form.get("role", "")}
        )
    except ValidationError as exc:
        messages = "; ".join(
            f"{field}: {' '.join(map(str, errors))}" for field, errors in exc.messages.items()
        )
        return _keys_page(
            400, error=g.translate("Check the fields ({messages}).", messages=messages)
        )
    with current_runtime().database.transaction() as conn:
        row, raw = create_key(conn, g.actor, name=body["name"], role=body["role"])
    return _keys_page(201, created=row, secret=raw)


def _find_key(key_id: UUID) -> dict:
    with current_runtime().database.transaction() as conn:
        for key in list_keys(conn):
            if key["id"] == key_id:
                return key
    raise NotFound(f"No API key with id {key_id}.")


@console.get("/keys/<uuid:key_id>/revoke")
@requires()
def keys_revoke_confirm(key_id: UUID):
    """Ask before revoking a key: the programs using it stop working."""
    return render_page(
        "key_revoke.html",
        key=_find_key(key_id),
        cache_seconds=int(current_app.config["PRIVACY_KEY_CACHE_SECONDS"]),
    )


@console.post("/keys/<uuid:key_id>/revoke")
@requires()
def keys_revoke(key_id: UUID):
    """Revoke a key; it stops working within the key cache's time everywhere."""
    with current_runtime().database.transaction() as conn:
        row = revoke_key(conn, g.actor, key_id)
    # After the commit, as the API does: a request in between would cache the key as live again.
    current_app.extensions["privacy.key_cache"].forget(key_id)
    flash(g.translate("Revoked the key {name}.", name=row["name"]))
    return redirect(url_for("console.keys"), 303)
