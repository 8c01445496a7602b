"""The web console: server-rendered pages for staff over the same domain functions as the API."""

from __future__ import annotations

import hashlib
import hmac

from flask import Flask

from service.auth import FailureLimiter
from service.console import (
    account,
    admin,
    archive,
    audit,
    auth,
    holds,
    home,
    keys,
    moderation,
    policies,
    recipients,
    reports,
    requests,
)
from service.console.base import CookieSessionInterface, console
from service.console.portal import portal

# The view modules add their views to the blueprint when imported.
VIEW_MODULES = (
    account,
    admin,
    archive,
    audit,
    auth,
    holds,
    home,
    keys,
    moderation,
    policies,
    recipients,
    reports,
    requests,
)


def register_console(app: Flask) -> None:
    """Attach the console to the app and open its views to the API's key check."""
    secret = app.extensions["privacy"].secret
    app.secret_key = hmac.new(secret, b"console cookie signing", hashlib.sha256).hexdigest()
    app.session_interface = CookieSessionInterface()
    app.config.update(
        SESSION_COOKIE_NAME="ps_csrf",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=8 * 3600,
    )
    app.register_blueprint(console)
    app.register_blueprint(portal)
    app.extensions["privacy.portal_limiter"] = FailureLimiter(
        per_minute=app.config["PRIVACY_PORTAL_PER_MINUTE"]
    )
    app.extensions["privacy.html_blueprints"] = {"console", "portal"}
    app.extensions["privacy.public_endpoints"] = app.extensions.get(
        "privacy.public_endpoints", set()
    ) | {
        endpoint for endpoint in app.view_functions if endpoint.startswith(("console.", "portal."))
    }
