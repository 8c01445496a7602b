"""Sign-in (password, then the code when the user has a second factor), sign-out, new password."""

from __future__ import annotations

import time

from flask import current_app, flash, g, redirect, request, session, url_for

from service.audit import record_event
from service.auth import requires
from service.console.base import SESSION_COOKIE, console, settings
from service.console.pages import render_page
from service.errors import BadRequest
from service.roles import ROLES
from service.runtime import current_runtime
from service.users import (
    SignInPolicy,
    change_password,
    confirm_second_factor,
    end_session,
    open_session,
    sign_in,
)
from service.users.sessions import delete_expired_sessions

# A session that still owes its second factor lives only this long.
SECOND_FACTOR_SECONDS = 300


def _policy() -> SignInPolicy:
    config = current_app.config
    return SignInPolicy(
        lock_after=config["PRIVACY_CONSOLE_LOCK_AFTER"],
        lock_seconds=int(config["PRIVACY_CONSOLE_LOCK_MINUTES"] * 60),
    )


def _safe_next(target: str | None) -> str:
    """Return where to go after signing in: a console path of ours, never another site."""
    if target and target.startswith("/console") and not target.startswith("//"):
        return target
    return url_for("console.home")


def _with_session(response, token: str):
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
        path="/console",
    )
    return response


@console.route("/sign-in", methods=["GET", "POST"], endpoint="sign_in")
def sign_in_page():
    """Show the sign-in form; check a password and open a session."""
    next_path = request.values.get("next")
    if request.method == "GET":
        return render_page("sign_in.html", next=next_path)
    limiter = current_app.extensions["privacy.auth_failures"]
    address = request.remote_addr or ""
    wait = limiter.retry_after(address, time.monotonic())
    if wait is not None:
        message = g.translate(
            "Too many failed sign-ins from this address; try again in {seconds} seconds.",
            seconds=wait,
        )
        page, status = render_page("sign_in.html", 429, next=next_path, error=message)
        return page, status, {"Retry-After": str(wait)}
    with current_runtime().database.transaction() as conn:
        result = sign_in(
            conn,
            g.actor,
            email=request.form.get("email", ""),
            password=request.form.get("password", ""),
            policy=_policy(),
        )
        token = None
        if result.status != "failed":
            # Sessions nobody can use any more go when someone signs in: no job needed.
            delete_expired_sessions(conn, idle_seconds=settings()["idle_seconds"])
            pending = result.status == "second_factor"
            lifetime = SECOND_FACTOR_SECONDS if pending else settings()["lifetime_seconds"]
            token = open_session(
                conn,
                result.user_id,
                lifetime_seconds=lifetime,
                second_factor_pending=pending,
            )
    if token is None:
        limiter.failed(address, time.monotonic())
        message = g.translate(
            "Sign-in failed: the e-mail or password is wrong, or the account is locked for a "
            "while after repeated failures."
        )
        return render_page("sign_in.html", 401, next=next_path, error=message)
    # A new CSRF token for the new session: one seen before sign-in is no use after it.
    session.clear()
    if result.status == "second_factor":
        target = url_for("console.second_factor", next=_safe_next(next_path))
    else:
        target = _safe_next(next_path)
    return _with_session(redirect(target, 303), token)


@console.route("/sign-in/code", methods=["GET", "POST"])
@requires(*ROLES)
def second_factor():
    """Ask for the authenticator code; on success replace the pending session by a full one."""
    next_path = request.values.get("next")
    if request.method == "GET":
        return render_page("second_factor.html", next=next_path)
    user = g.console_user
    with current_runtime().database.transaction() as conn:
        passed = confirm_second_factor(
            conn,
            g.actor,
            current_runtime().secret,
            user.user_id,
            request.form.get("code", ""),
            policy=_policy(),
        )
        token = None
        if passed:
            end_session(conn, request.cookies[SESSION_COOKIE])
            token = open_session(
                conn, user.user_id, lifetime_seconds=settings()["lifetime_seconds"]
            )
    if token is None:
        message = g.translate("The code is wrong or was already used.")
        return render_page("second_factor.html", 401, next=next_path, error=message)
    session.clear()
    return _with_session(redirect(_safe_next(next_path), 303), token)


@console.post("/sign-out")
@requires(*ROLES)
def sign_out():
    """End the session at once and go back to the sign-in form."""
    with current_runtime().database.transaction() as conn:
        user_id = end_session(conn, request.cookies[SESSION_COOKIE])
        if user_id is not None:
            record_event(conn, g.actor, "user.signed_out", target_type="user", target_id=user_id)
    session.clear()
    response = redirect(url_for("console.sign_in"), 303)
    response.delete_cookie(SESSION_COOKIE, path="/console")
    return response


@console.route("/account/password", methods=["GET", "POST"], endpoint="change_password")
@requires(*ROLES)
def change_password_page():
    """Let the user replace their password (a one-time password first of all)."""
    user = g.console_user
    if request.method == "GET":
        return render_page("change_password.html")
    new = request.form.get("new_password", "")
    if new != request.form.get("new_password_again", ""):
        return render_page(
            "change_password.html", 400, error=g.translate("The two new passwords differ.")
        )
    try:
        with current_runtime().database.transaction() as conn:
            change_password(
                conn,
                g.actor,
                user.user_id,
                current=request.form.get("current_password", ""),
                new=new,
                email=user.email,
            )
            token = open_session(
                conn, user.user_id, lifetime_seconds=settings()["lifetime_seconds"]
            )
    except BadRequest as exc:
        return render_page("change_password.html", 400, error=exc.detail)
    session.clear()
    flash(g.translate("Your password has been changed."))
    return _with_session(redirect(url_for("console.home"), 303), token)
