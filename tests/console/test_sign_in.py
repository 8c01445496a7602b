"""Sign-in, sessions, CSRF, lockout, second factor and roles, through the console's pages."""

from __future__ import annotations

import time

import pyotp

from tests.console.conftest import PASSWORD, csrf_token, post_form


def _events(conn, action: str) -> list[dict]:
    return conn.execute(
        "SELECT actor_type, actor_key_id, actor_role, target_id, outcome, details"
        " FROM audit_events WHERE action = %s ORDER BY id",
        (action,),
    ).fetchall()


def test_sign_in_opens_a_session_and_sign_out_ends_it_at_once(client, make_user, sign_in, conn):
    user = make_user("privacy_officer")
    assert client.get("/console/").status_code == 302

    signed_in = sign_in(user)
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/console/"
    home = client.get("/console/")
    assert home.status_code == 200
    assert "Signed in as Test privacy_officer" in home.get_data(as_text=True)
    cookie = client.get_cookie("ps_console", path="/console").value

    signed_out = post_form(client, "/console/sign-out", {}, from_page="/console/")
    assert signed_out.status_code == 303
    # The old cookie no longer opens anything: the session is gone from the database.
    client.set_cookie("ps_console", cookie, path="/console")
    assert client.get("/console/").status_code == 302
    assert conn.execute("SELECT count(*) AS n FROM console_sessions").fetchone()["n"] == 0

    [success] = _events(conn, "user.signed_in")
    assert success["actor_type"] == "user" and success["actor_key_id"] == user.id
    assert success["details"] == {"second_factor": "none"}
    [out] = _events(conn, "user.signed_out")
    assert out["target_id"] == str(user.id)


def test_a_wrong_password_fails_alike_for_known_and_unknown_e_mails(
    client, make_user, sign_in, conn
):
    user = make_user("auditor")
    wrong = sign_in(user, password="not the password at all")
    unknown = post_form(
        client, "/console/sign-in", {"email": "nobody@example.org", "password": PASSWORD}
    )
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "Sign-in failed" in response.get_data(as_text=True)
    assert client.get_cookie("ps_console", path="/console") is None
    failures = _events(conn, "user.signin_failed")
    assert [(e["target_id"], e["details"]["reason"], e["outcome"]) for e in failures] == [
        (str(user.id), "password", "denied"),
        (None, "unknown_user", "denied"),
    ]
    # No e-mail or password in the audit log.
    logged = str(conn.execute("SELECT array_agg(leaf) AS l FROM audit_events").fetchone()["l"])
    assert "example.org" not in logged and "not the password" not in logged


def test_repeated_failures_lock_the_account_even_for_the_right_password(
    client, make_user, sign_in, conn
):
    user = make_user("moderator")
    for _ in range(5):
        assert sign_in(user, password="wrong password 123").status_code == 401
    assert sign_in(user).status_code == 401
    reasons = [e["details"]["reason"] for e in _events(conn, "user.signin_failed")]
    assert reasons == ["password"] * 5 + ["locked"]
    conn.execute("UPDATE console_users SET locked_until = now() - interval '1 second'")
    assert sign_in(user).status_code == 303


def test_a_form_without_its_csrf_token_is_refused(client, make_user, sign_in, conn):
    user = make_user("admin")
    no_token = client.post("/console/sign-in", data={"email": user.email, "password": PASSWORD})
    assert no_token.status_code == 400
    assert "did not come from this site" in no_token.get_data(as_text=True)
    assert not _events(conn, "user.signed_in")

    sign_in(user)
    forged = client.post(
        "/console/users",
        data={"email": "x@example.org", "name": "X", "role": "admin", "csrf_token": "forged"},
    )
    assert forged.status_code == 400
    from_elsewhere = client.post(
        "/console/users",
        data={
            "email": "x@example.org",
            "name": "X",
            "role": "admin",
            "csrf_token": csrf_token(client.get("/console/users").get_data(as_text=True)),
        },
        headers={"Origin": "https://attacker.example"},
    )
    assert from_elsewhere.status_code == 400
    assert conn.execute("SELECT count(*) AS n FROM console_users").fetchone()["n"] == 1


def test_each_page_is_for_its_roles(client, make_user, sign_in):
    sign_in(make_user("moderator"))
    refused = client.get("/console/users")
    assert refused.status_code == 403
    assert "Your role may not open this page." in refused.get_data(as_text=True)
    assert client.get("/console/account").status_code == 200


def test_a_one_time_password_must_be_changed_first(client, make_user, sign_in, conn):
    user = make_user("auditor", must_change=True)
    assert sign_in(user).status_code == 303
    assert client.get("/console/").headers["Location"] == "/console/account/password"
    page = "/console/account/password"
    short = post_form(
        client,
        page,
        {"current_password": user.password, "new_password": "short", "new_password_again": "short"},
    )
    assert short.status_code == 400 and "at least 12 characters" in short.get_data(as_text=True)
    changed = post_form(
        client,
        page,
        {
            "current_password": user.password,
            "new_password": "a much longer passphrase",
            "new_password_again": "a much longer passphrase",
        },
    )
    assert changed.status_code == 303
    assert client.get("/console/").status_code == 200
    assert len(_events(conn, "user.password_changed")) == 1


def test_disabling_a_user_ends_their_session_at_once(app, make_user, sign_in, client):
    target = make_user("privacy_officer")
    sign_in(target)
    assert client.get("/console/").status_code == 200

    admin_client = app.test_client()
    admin = make_user("admin")
    post_form(admin_client, "/console/sign-in", {"email": admin.email, "password": PASSWORD})
    disabled = post_form(
        admin_client, f"/console/users/{target.id}/disable", {}, from_page="/console/users"
    )
    assert disabled.status_code == 303
    assert client.get("/console/").status_code == 302
    assert "disabled" in admin_client.get("/console/users").get_data(as_text=True)


def test_two_factor_sign_in_takes_each_code_once(client, make_user, sign_in, conn):
    user = make_user("auditor")
    sign_in(user)
    account = client.get("/console/account").get_data(as_text=True)
    secret = account.split('id="totp-secret">')[1].split("<")[0]
    totp = pyotp.TOTP(secret)
    wrong = post_form(
        client,
        "/console/account/totp",
        {"totp_secret": secret, "code": "000000"},
        from_page="/console/account",
    )
    assert wrong.status_code == 400
    code = totp.now()
    enabled = post_form(
        client,
        "/console/account/totp",
        {"totp_secret": secret, "code": code},
        from_page="/console/account",
    )
    assert enabled.status_code == 303
    post_form(client, "/console/sign-out", {}, from_page="/console/")

    first = sign_in(user)
    assert first.headers["Location"].startswith("/console/sign-in/code")
    assert client.get("/console/").headers["Location"] == "/console/sign-in/code"
    # The code used to turn the factor on is spent: replaying it fails.
    replay = post_form(client, "/console/sign-in/code", {"code": code})
    assert replay.status_code == 401
    # The next step's code is within the drift allowed, and later than the one used.
    passed = post_form(client, "/console/sign-in/code", {"code": totp.at(time.time() + 30)})
    assert passed.status_code == 303
    assert client.get("/console/").status_code == 200
    assert _events(conn, "user.signed_in")[-1]["details"] == {"second_factor": "totp"}
    stored = conn.execute("SELECT totp_secret FROM console_users WHERE id = %s", (user.id,))
    assert secret.encode() not in bytes(stored.fetchone()["totp_secret"])


def test_pages_carry_the_security_headers(client):
    response = client.get("/console/sign-in")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Strict-Transport-Security" not in response.headers
    secure = client.get("/console/sign-in", base_url="https://console.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_after_sign_in_only_our_own_pages_are_a_destination(client, make_user):
    user = make_user("admin")
    response = post_form(
        client,
        "/console/sign-in",
        {"email": user.email, "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.headers["Location"] == "/console/"


def test_dutch_labels(client):
    page = client.get("/console/sign-in?lang=nl").get_data(as_text=True)
    assert "Inloggen" in page and 'lang="nl"' in page
    assert "Inloggen" in client.get("/console/sign-in").get_data(as_text=True)  # remembered


def test_a_key_the_page_did_not_give_is_refused(client, make_user, sign_in):
    sign_in(make_user("moderator"))
    response = post_form(
        client,
        "/console/account/totp",
        {"totp_secret": "not base32!", "code": "123456"},
        from_page="/console/account",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "reload the page" in page
    assert 'id="totp-secret">' in page  # a fresh key to start again with
