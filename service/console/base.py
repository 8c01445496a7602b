"""The console's blueprint: session loading, role checks, CSRF, security headers, error pages.

Console pages do not take API keys: a staff user signs in and gets a server-side session (a
random token in an HttpOnly cookie, its hash in PostgreSQL), so signing out or disabling the
user ends it at once. Every form carries a CSRF token (flask-wtf), every page the security
headers below, and every view names the roles it is for with the API's `requires(...)`; a view
nobody marked is for admins only.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, g, redirect, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from marshmallow import EXCLUDE, Schema
from marshmallow import ValidationError as SchemaError
from werkzeug.exceptions import HTTPException
from wtforms import ValidationError

from service.audit import Actor
from service.console.i18n import LANGUAGE_COOKIE, LANGUAGES, choose_language, translator
from service.console.pages import render_error
from service.errors import BadRequest, DomainError, problem_type_for
from service.runtime import current_runtime
from service.users import load_session

SESSION_COOKIE = "ps_console"
# The views a visitor reaches without a session.
OPEN_VIEWS = {"console.sign_in", "console.static"}
# The views a session that still owes something (a code, a new password) may reach.
SECOND_FACTOR_VIEWS = {"console.second_factor", "console.sign_out"}
PASSWORD_CHANGE_VIEWS = {"console.change_password", "console.sign_out"}

# No inline script or style, nothing from elsewhere, no framing, forms only to us.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

console = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
)


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie (it holds only the CSRF token), Secure whenever the request is."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure or super().get_cookie_secure(app)

    def open_session(self, app: Flask, request):
        # No cookie at all (every API call): nothing to verify, no signing serializer to build.
        if app.secret_key and not request.environ.get("HTTP_COOKIE"):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session, response) -> None:
        # An empty session nobody read or wrote (every API call) sets, deletes and varies
        # nothing: what Flask's own save would do, without looking up the cookie settings.
        if not session and not session.accessed and not session.modified:
            return
        super().save_session(app, session, response)


def settings() -> dict:
    """Return the console's settings as plain numbers."""
    config = current_app.config
    return {
        "lifetime_seconds": int(config["PRIVACY_CONSOLE_SESSION_HOURS"] * 3600),
        "idle_seconds": int(config["PRIVACY_CONSOLE_IDLE_MINUTES"] * 60),
    }


def _view_roles() -> frozenset[str]:
    # The API's `requires` marks console views too; a view nobody marked is for admins only.
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "required_roles", frozenset({"admin"}))


def start_page() -> None:
    """Pick the page language, start as nobody, and check a form's CSRF token."""
    g.language = choose_language(request)
    g.translate = translator(g.language)
    g.actor = Actor(key_id=None, role=None, request_id=g.get("request_id"))
    if request.method == "POST":
        _check_csrf()


@console.before_request
def load_user():
    """Check the form's CSRF token, load the session, and send the user where they may go."""
    start_page()
    g.console_user = None
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with current_runtime().database.transaction() as conn:
            g.console_user = load_session(conn, token, idle_seconds=settings()["idle_seconds"])
    user = g.console_user
    if request.endpoint in OPEN_VIEWS:
        return None
    if user is None:
        return redirect(url_for("console.sign_in", next=request.full_path.rstrip("?")))
    g.actor = Actor(
        key_id=None, role=user.role, request_id=g.get("request_id"), user_id=user.user_id
    )
    if user.second_factor_pending:
        if request.endpoint not in SECOND_FACTOR_VIEWS:
            return redirect(url_for("console.second_factor"))
        return None
    if user.password_must_change and request.endpoint not in PASSWORD_CHANGE_VIEWS:
        return redirect(url_for("console.change_password"))
    if user.role not in _view_roles():
        abort(403)
    return None


def _check_csrf() -> None:
    origin = request.headers.get("Origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.host:
        raise CSRFError("The form was sent from another site.")
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError as exc:
        raise CSRFError(str(exc)) from exc


@console.after_request
def security_headers(response):
    """Add the console's security headers; no page of a session is cached."""
    headers = response.headers
    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if request.is_secure:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if request.endpoint != "console.static":
        headers["Cache-Control"] = "no-store"
    if request.args.get("lang") in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            request.args["lang"],
            max_age=365 * 86400,
            samesite="Lax",
            secure=request.is_secure,
            httponly=True,
        )
    return response


def pages_for(role: str) -> list[tuple[str, str]]:
    """Return (label, url) of each console area open to the role."""
    areas = [
        ("Requests", "console.request_queue", {"privacy_officer"}),
        ("New request", "console.request_new", {"privacy_officer"}),
        ("Legal holds", "console.holds", {"privacy_officer"}),
        ("Feedback archive", "console.archive", {"privacy_officer"}),
        ("Reply checker", "console.reply_checker", {"moderator", "privacy_officer"}),
        ("Redaction playground", "console.playground", {"moderator"}),
        ("Audit log", "console.audit_events", {"auditor"}),
        ("Users", "console.users", set()),
        ("Reports", "console.reports", {"privacy_officer"}),
        ("Recipients", "console.recipients", {"privacy_officer"}),
        ("API keys", "console.keys", set()),
        ("Reply policies", "console.policies", set()),
    ]
    return [
        (label, url_for(endpoint))
        for label, endpoint, roles in areas
        if (role in roles or role == "admin") and endpoint in _registered()
    ]


def _registered() -> set[str]:
    return set(current_app.view_functions)


@console.app_context_processor
def template_helpers() -> dict:
    """Give templates the CSRF token, the translator and the signed-in user."""
    return {
        "csrf_token": generate_csrf,
        "_": g.get("translate") or (lambda text, **values: text.format(**values)),
        "console_user": g.get("console_user"),
        "nav_areas": pages_for(g.console_user.role) if g.get("console_user") else [],
        "language": g.get("language", "en"),
    }


@console.errorhandler(CSRFError)
def csrf_failed(exc: CSRFError):
    return render_error(
        400,
        "This form has expired or did not come from this site. Reload the page and try again.",
    )


@console.errorhandler(DomainError)
def domain_error(exc: DomainError):
    return render_error(problem_type_for(exc).status, exc.detail)


@console.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    messages = {
        403: "Your role may not open this page.",
        404: "There is no such page.",
        405: "This page does not take that method.",
        413: "The form is too large.",
    }
    return render_error(exc.code or 500, messages.get(exc.code or 500, exc.description or ""))


def load_query(schema: Schema, what: str) -> dict[str, Any]:
    """Load the page's query string with the API's schema (empty fields dropped); a refusal is
    a 400 page saying "Check the <what> (...)" with the schema's messages."""
    given = {name: value for name, value in request.args.items() if value.strip()}
    try:
        return schema.load(given, unknown=EXCLUDE)
    except SchemaError as exc:
        messages = "; ".join(
            f"{field}: {' '.join(map(str, errors))}" for field, errors in exc.messages.items()
        )
        raise BadRequest(f"Check the {what} ({messages}).") from exc
