-- name: lock_audit_head
-- Lock the head of the audit chain until the transaction ends.
SELECT seq, hash FROM audit_head WHERE id FOR UPDATE;

-- name: insert_audit_event
-- Append one audit event.
INSERT INTO audit_events (
    seq, occurred_at, actor_type, actor_key_id, actor_role, action, target_type, target_id,
    subject_ref, request_id, outcome, details, prev_hash, hash
) VALUES (
    %(seq)s, %(occurred_at)s, %(actor_type)s, %(actor_key_id)s, %(actor_role)s, %(action)s,
    %(target_type)s, %(target_id)s, %(subject_ref)s, %(request_id)s, %(outcome)s, %(details)s,
    %(prev_hash)s, %(hash)s
);

-- name: advance_audit_head
-- Move the chain head to the event just appended.
UPDATE audit_head SET seq = %(seq)s, hash = %(hash)s WHERE id;
