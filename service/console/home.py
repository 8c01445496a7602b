"""The console's start page: what the signed-in user's role can open."""

from __future__ import annotations

from flask import g, url_for

from service.auth import requires
from service.console.base import console
from service.console.pages import render_page
from service.roles import ROLES


def pages_for(role: str) -> list[tuple[str, str]]:
    """Return (label, url) of each console area open to the role."""
    areas = [
        ("Requests", "console.request_queue", {"privacy_officer"}),
        ("New request", "console.request_new", {"privacy_officer"}),
        ("Reply checker", "console.reply_checker", {"moderator", "privacy_officer"}),
        ("Redaction playground", "console.playground", {"moderator"}),
        ("Audit log", "console.audit_events", {"auditor"}),
        ("Users", "console.users", set()),
    ]
    return [
        (label, url_for(endpoint))
        for label, endpoint, roles in areas
        if (role in roles or role == "admin") and endpoint in _registered()
    ]


def _registered() -> set[str]:
    from flask import current_app

    return set(current_app.view_functions)


@console.get("/")
@requires(*ROLES)
def home():
    """Show the areas the user's role may open."""
    return render_page("home.html", areas=pages_for(g.console_user.role))
