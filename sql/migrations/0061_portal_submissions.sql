-- Requests filed on the subject portal (/request): held here until the person confirms the
-- e-mail address with the code sent to it, then filed as a data-subject request. Only hashes
-- of the code and of the status link's token are stored; the submitted identifiers are dropped
-- once the request is filed (the request holds them) or the submission expires.
CREATE TABLE portal_submissions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    payload jsonb,
    code_hash bytea NOT NULL,
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    confirmed_at timestamptz,
    request_id uuid REFERENCES dsr_requests (id) ON DELETE SET NULL,
    status_token_hash bytea UNIQUE
);
CREATE INDEX portal_submissions_expires ON portal_submissions (expires_at)
    WHERE confirmed_at IS NULL;
