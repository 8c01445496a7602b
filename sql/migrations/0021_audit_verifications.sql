-- Full verifications of the audit log, run as background jobs; progress is updated as they go.
CREATE TABLE audit_verifications (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    requested_by uuid,
    status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    from_size bigint NOT NULL DEFAULT 0 CHECK (from_size >= 0),
    tree_size bigint,
    checked bigint NOT NULL DEFAULT 0,
    ok boolean,
    first_bad_seq bigint,
    reason text,
    created_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz
);
