"""The user's own account: the optional second factor (TOTP)."""

from __future__ import annotations

from flask import flash, g, redirect, request, url_for

from service.auth import requires
from service.console.base import console
from service.console.pages import render_page
from service.errors import BadRequest
from service.roles import ROLES
from service.runtime import current_runtime
from service.users import enable_totp, new_totp_secret, totp_uri
from service.users.totp import check_totp_secret


@console.get("/account")
@requires(*ROLES)
def account():
    """Show the account, and a new key to turn on two-factor sign-in when it is off."""
    user = g.console_user
    secret = None if user.has_totp else new_totp_secret()
    return render_page(
        "account.html",
        totp_secret=secret,
        totp_uri=totp_uri(secret, user.email) if secret else None,
    )


@console.post("/account/totp")
@requires(*ROLES)
def account_totp():
    """Turn on two-factor sign-in once the code shows the app holds the key."""
    user = g.console_user
    secret = request.form.get("totp_secret", "")
    try:
        with current_runtime().database.transaction() as conn:
            enable_totp(
                conn,
                g.actor,
                current_runtime().secret,
                user.user_id,
                secret=secret,
                code=request.form.get("code", ""),
            )
    except BadRequest as exc:
        secret = secret if _usable(secret) else new_totp_secret()
        return render_page(
            "account.html",
            400,
            totp_secret=secret,
            totp_uri=totp_uri(secret, user.email),
            error=exc.detail,
        )
    flash(g.translate("Two-factor sign-in is on."))
    return redirect(url_for("console.account"), 303)


def _usable(secret: str) -> bool:
    try:
        check_totp_secret(secret)
    except BadRequest:
        return False
    return True
