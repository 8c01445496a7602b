"""Staff users of the web console: accounts, passwords, second factor, server-side sessions."""

from service.users.accounts import (
    ROLES,
    SignInPolicy,
    SignInResult,
    change_password,
    create_user,
    disable_user,
    list_users,
    sign_in,
)
from service.users.sessions import Session, end_session, load_session, open_session
from service.users.totp import confirm_second_factor, enable_totp, new_totp_secret, totp_uri

__all__ = [
    "ROLES",
    "Session",
    "SignInPolicy",
    "SignInResult",
    "change_password",
    "confirm_second_factor",
    "create_user",
    "disable_user",
    "enable_totp",
    "end_session",
    "list_users",
    "load_session",
    "new_totp_secret",
    "open_session",
    "sign_in",
    "totp_uri",
]
