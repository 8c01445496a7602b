"""Administration: console users (create with a one-time password, disable)."""

from __future__ import annotations

from uuid import UUID

from flask import flash, g, redirect, request, url_for

from service.auth import requires
from service.console.base import console
from service.console.pages import render_page
from service.errors import BadRequest, Conflict
from service.roles import ROLES
from service.runtime import current_runtime
from service.users import create_user, disable_user, list_users


def _users_page(status: int = 200, **context):
    with current_runtime().database.transaction() as conn:
        users = list_users(conn)
    return render_page("users.html", status, users=users, roles=ROLES, **context)


@console.get("/users")
@requires()
def users():
    """List the console's users."""
    return _users_page()


@console.post("/users")
@requires()
def users_create():
    """Create a user and show its one-time password once."""
    form = request.form
    try:
        with current_runtime().database.transaction() as conn:
            row, password = create_user(
                conn,
                g.actor,
                email=form.get("email", ""),
                name=form.get("name", ""),
                role=form.get("role", ""),
            )
    except (BadRequest, Conflict) as exc:
        return _users_page(400, error=exc.detail)
    return _users_page(201, created=row, one_time_password=password)


@console.post("/users/<uuid:user_id>/disable")
@requires()
def users_disable(user_id: UUID):
    """Disable a user; their sessions end at once."""
    with current_runtime().database.transaction() as conn:
        row = disable_user(conn, g.actor, user_id)
    flash(g.translate("Disabled {email}; their sessions have ended.", email=row["email"]))
    return redirect(url_for("console.users"), 303)
