-- name: lock_audit_head
-- Lock the head of the audit chain until the transaction ends.
SELECT seq, hash, checkpoint_seq FROM audit_head WHERE id FOR UPDATE;

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

-- name: update_audit_head
-- Move the chain head to the event just appended (and to its checkpoint, if one was signed).
UPDATE audit_head SET seq = %(seq)s, hash = %(hash)s, checkpoint_seq = %(checkpoint_seq)s
WHERE id;

-- name: insert_audit_checkpoint
-- Store a signed checkpoint.
INSERT INTO audit_checkpoints (seq, hash, signed_at, signature)
VALUES (%(seq)s, %(hash)s, %(signed_at)s, %(signature)s);

-- name: set_audit_snapshot
-- Read the audit tables from one snapshot (first statement of a transaction).
SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY;

-- name: get_audit_head
-- Read the head of the audit chain without locking it.
SELECT seq, hash, checkpoint_seq FROM audit_head WHERE id;

-- name: get_audit_seq_range
-- Turn a time range into the run of seqs from the first event at or after `since` to the last
-- at or before `until` (NULL when no event qualifies).
SELECT
    CASE WHEN %(since)s::timestamptz IS NULL THEN 1
        ELSE (SELECT min(seq) FROM audit_events WHERE occurred_at >= %(since)s::timestamptz)
    END AS first_seq,
    CASE WHEN %(until)s::timestamptz IS NULL THEN (SELECT seq FROM audit_head WHERE id)
        ELSE (SELECT max(seq) FROM audit_events WHERE occurred_at <= %(until)s::timestamptz)
    END AS last_seq;

-- name: list_audit_events
-- Audit events in seq order within a seq range, filtered; timestamps in the hashed form.
SELECT
    seq,
    to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS occurred_at,
    actor_type, actor_key_id::text AS actor_key_id, actor_role, action, target_type, target_id,
    subject_ref, request_id, outcome, details, prev_hash, hash
FROM audit_events
WHERE seq > %(after_seq)s AND seq <= %(last_seq)s
    AND (%(actor)s::uuid IS NULL OR actor_key_id = %(actor)s::uuid)
    AND (%(action)s::text IS NULL OR action = %(action)s::text)
    AND (%(subject_ref)s::text IS NULL OR subject_ref = %(subject_ref)s::text)
    AND (%(request_id)s::text IS NULL OR request_id = %(request_id)s::text)
ORDER BY seq
LIMIT %(limit)s;

-- name: copy_audit_events
-- Stream audit events in seq order within a seq range, filtered, as COPY rows in export column
-- order (details as JSON text, timestamps in the hashed form).
COPY (
    SELECT
        seq,
        to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        actor_type, actor_key_id, actor_role, action, target_type, target_id,
        subject_ref, request_id, outcome, details, prev_hash, hash
    FROM audit_events
    WHERE seq > %(after_seq)s AND seq <= %(last_seq)s
        AND (%(actor)s::uuid IS NULL OR actor_key_id = %(actor)s::uuid)
        AND (%(action)s::text IS NULL OR action = %(action)s::text)
        AND (%(subject_ref)s::text IS NULL OR subject_ref = %(subject_ref)s::text)
        AND (%(request_id)s::text IS NULL OR request_id = %(request_id)s::text)
    ORDER BY seq
) TO STDOUT;

-- name: list_audit_checkpoints
-- Signed checkpoints in seq order within a seq range; timestamps in the signed form.
SELECT
    seq, hash,
    to_char(signed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS signed_at,
    signature
FROM audit_checkpoints
WHERE seq > %(after_seq)s AND seq <= %(last_seq)s
ORDER BY seq
LIMIT %(limit)s;

-- name: get_next_audit_checkpoint
-- The seq of the first checkpoint at or after a seq.
SELECT min(seq) AS seq FROM audit_checkpoints WHERE seq >= %(seq)s;

-- name: get_audit_last_seqs
-- The highest seq in the events and in the checkpoints (NULL when empty).
SELECT
    (SELECT max(seq) FROM audit_events) AS last_event_seq,
    (SELECT max(seq) FROM audit_checkpoints) AS last_checkpoint_seq;
