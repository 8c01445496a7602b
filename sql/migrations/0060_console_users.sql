-- Staff users of the web console (API keys stay for machines) and their server-side sessions.
-- A password is stored only as an argon2id hash; a TOTP secret only encrypted with a key derived
-- from the service secret, which the database never sees.
CREATE TABLE console_users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email text NOT NULL CHECK (length(email) BETWEEN 3 AND 320 AND email = lower(email)),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    role text NOT NULL CHECK (role IN ('moderator', 'privacy_officer', 'auditor', 'admin')),
    password_hash text NOT NULL,
    -- A password someone else saw (the one-time password of `users create`) must be replaced.
    password_must_change boolean NOT NULL DEFAULT true,
    totp_secret bytea,
    -- The last time step accepted, so one code cannot be used twice.
    totp_last_step bigint,
    failed_signins integer NOT NULL DEFAULT 0 CHECK (failed_signins >= 0),
    locked_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_signin_at timestamptz,
    disabled_at timestamptz
);
CREATE UNIQUE INDEX console_users_email ON console_users (email);

-- Only a SHA-256 of the session token (256 random bits) is stored. A session that still waits
-- for its second factor has `second_factor_pending`; it opens nothing but the code form.
CREATE TABLE console_sessions (
    token_hash bytea PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES console_users (id) ON DELETE CASCADE,
    second_factor_pending boolean NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);

-- Console users act in the audit log as `user` actors, their id in the actor id column (the
-- constraint kept the name of the table before its rename).
ALTER TABLE audit_events DROP CONSTRAINT audit_log_events_actor_type_check;
ALTER TABLE audit_events ADD CONSTRAINT audit_log_events_actor_type_check
    CHECK (actor_type IN ('key', 'system', 'anonymous', 'user'));
