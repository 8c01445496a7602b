"""The console's start page: what the signed-in user's role can open."""

from __future__ import annotations

from flask import g

from service.auth import requires
from service.console.base import console, pages_for
from service.console.pages import render_page
from service.roles import ROLES


@console.get("/")
@requires(*ROLES)
def home():
    """Show the areas the user's role may open."""
    return render_page("home.html", areas=pages_for(g.console_user.role))
