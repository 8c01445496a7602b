-- Signed checkpoints of the audit chain: (seq, hash) of an event, signed with Ed25519.
CREATE TABLE audit_checkpoints (
    seq bigint PRIMARY KEY CHECK (seq > 0),
    hash text NOT NULL,
    signed_at timestamptz NOT NULL,
    signature text NOT NULL
);

-- Where the last checkpoint was taken: the next is due PRIVACY_AUDIT_CHECKPOINT_EVERY events later.
ALTER TABLE audit_head ADD COLUMN checkpoint_seq bigint NOT NULL DEFAULT 0;

CREATE FUNCTION audit_checkpoints_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_checkpoints is append-only (% rejected)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_append_only();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoints_append_only();
