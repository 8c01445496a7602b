-- name: insert_console_user
-- Store a new console user with a password hash that must be changed at first sign-in.
INSERT INTO console_users (email, name, role, password_hash)
VALUES (%(email)s, %(name)s, %(role)s, %(password_hash)s)
RETURNING id, email, name, role, created_at, last_signin_at, disabled_at;

-- name: list_console_users
-- List users, oldest first.
SELECT id, email, name, role, totp_secret IS NOT NULL AS has_totp, created_at, last_signin_at,
    disabled_at
FROM console_users
ORDER BY created_at, id;

-- name: count_console_users
-- Count users, disabled ones included.
SELECT count(*) AS count FROM console_users;

-- name: get_console_user_for_signin
-- Find a user by e-mail for a sign-in attempt, locking the row so failures count one by one.
SELECT id, role, password_hash, password_must_change, totp_secret, totp_last_step,
    failed_signins, locked_until, disabled_at, now() AS now
FROM console_users WHERE email = %(email)s
FOR UPDATE;

-- name: get_console_user_secrets
-- Read a user's secrets (password hash, TOTP secret) for a change made by the user.
SELECT id, role, password_hash, totp_secret, totp_last_step, locked_until, disabled_at,
    now() AS now
FROM console_users WHERE id = %(id)s
FOR UPDATE;

-- name: update_console_user_signin_failed
-- Count a failed sign-in; past the limit the account is locked for a while.
UPDATE console_users
SET failed_signins = failed_signins + 1,
    locked_until = CASE WHEN failed_signins + 1 >= %(limit)s
        THEN now() + make_interval(secs => %(lock_seconds)s) ELSE locked_until END
WHERE id = %(id)s
RETURNING failed_signins, locked_until;

-- name: update_console_user_signed_in
-- Clear the failure count after a successful sign-in.
UPDATE console_users
SET failed_signins = 0, locked_until = NULL, last_signin_at = now()
WHERE id = %(id)s;

-- name: update_console_user_password
-- Replace a user's password hash (`must_change` for a one-time password).
UPDATE console_users
SET password_hash = %(password_hash)s, password_must_change = %(must_change)s,
    failed_signins = 0, locked_until = NULL
WHERE id = %(id)s
RETURNING id;

-- name: update_console_user_totp
-- Set or clear a user's encrypted TOTP secret.
UPDATE console_users SET totp_secret = %(totp_secret)s, totp_last_step = %(last_step)s
WHERE id = %(id)s;

-- name: update_console_user_totp_step
-- Record the TOTP time step just used, unless a later one was already used.
UPDATE console_users SET totp_last_step = %(step)s
WHERE id = %(id)s AND (totp_last_step IS NULL OR totp_last_step < %(step)s)
RETURNING id;

-- name: update_console_user_disabled
-- Disable a user; keeps the first time it was disabled.
UPDATE console_users SET disabled_at = coalesce(disabled_at, now())
WHERE id = %(id)s
RETURNING id, email, name, role, created_at, last_signin_at, disabled_at;

-- name: get_console_user_id_by_email
-- Find a user's id by e-mail.
SELECT id FROM console_users WHERE email = %(email)s;

-- name: insert_console_session
-- Open a session.
INSERT INTO console_sessions (token_hash, user_id, second_factor_pending, expires_at)
VALUES (%(token_hash)s, %(user_id)s, %(second_factor_pending)s,
    now() + make_interval(secs => %(lifetime_seconds)s));

-- name: get_console_session
-- Find a live session and its (enabled) user; an idle or expired session is not found.
SELECT s.token_hash, s.second_factor_pending, s.created_at, s.last_seen_at, s.expires_at,
    u.id AS user_id, u.email, u.name, u.role, u.password_must_change,
    u.totp_secret IS NOT NULL AS has_totp
FROM console_sessions s JOIN console_users u ON u.id = s.user_id
WHERE s.token_hash = %(token_hash)s AND u.disabled_at IS NULL
    AND s.expires_at > now() AND s.last_seen_at > now() - make_interval(secs => %(idle_seconds)s);

-- name: update_console_session_seen
-- Note a session's use, at most once a minute to spare writes.
UPDATE console_sessions SET last_seen_at = now()
WHERE token_hash = %(token_hash)s AND last_seen_at < now() - interval '1 minute';

-- name: delete_console_session
-- End one session.
DELETE FROM console_sessions WHERE token_hash = %(token_hash)s RETURNING user_id;

-- name: delete_console_sessions_of_user
-- End every session of a user (disabled, or a new password).
DELETE FROM console_sessions WHERE user_id = %(user_id)s;

-- name: delete_console_sessions_expired
-- Drop sessions that can no longer be used.
DELETE FROM console_sessions
WHERE expires_at <= now() OR last_seen_at <= now() - make_interval(secs => %(idle_seconds)s);
