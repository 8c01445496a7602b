-- name: insert_audit_event
-- Append one audit event (its tree position is given later by the signer). Positional values, in
-- this order: occurred_at (the leaf's text), actor_type, actor_key_id, actor_role, action,
-- target_type, target_id, subject_ref, request_id, outcome, details (the leaf's JSON text), leaf.
INSERT INTO audit_events (
    occurred_at, actor_type, actor_key_id, actor_role, action, target_type, target_id,
    subject_ref, request_id, outcome, details, leaf
) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
RETURNING id;

-- name: get_audit_snapshot_xmin
-- Every transaction with an xid below this one has finished (committed or not).
SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin;

-- name: list_unintegrated_audit_events
-- Committed events without a tree position, written at or after a transaction horizon, by id.
SELECT e.id, e.leaf
FROM audit_events e
WHERE e.written_xid >= %(horizon)s::text::xid8
    AND NOT EXISTS (SELECT 1 FROM audit_leaves l WHERE l.event_id = e.id)
ORDER BY e.id
LIMIT %(limit)s;

-- name: get_audit_tree_size
-- The number of leaves with a tree position.
SELECT coalesce(max(seq), 0) AS size FROM audit_leaves;

-- name: list_audit_tree_hashes
-- Stored complete-subtree hashes by (level, idx).
SELECT t.level, t.idx, t.hash
FROM unnest(%(levels)s::smallint[], %(indexes)s::bigint[]) AS wanted (level, idx)
JOIN audit_tree t USING (level, idx);

-- name: copy_in_audit_leaves
-- Give events their tree positions.
COPY audit_leaves (seq, event_id) FROM STDIN;

-- name: copy_in_audit_tree
-- Store complete-subtree hashes.
COPY audit_tree (level, idx, hash) FROM STDIN;

-- name: insert_audit_checkpoint
-- Store a signed checkpoint (again after a restart: the same size is kept once).
INSERT INTO audit_checkpoints (tree_size, root_hash, key_id, note)
VALUES (%(tree_size)s, %(root_hash)s, %(key_id)s, %(note)s)
ON CONFLICT (tree_size) DO NOTHING;

-- name: insert_audit_signer_key
-- Record a verifier key the signer signs with.
INSERT INTO audit_signer_keys (key_id, verifier_key) VALUES (%(key_id)s, %(verifier_key)s)
ON CONFLICT DO NOTHING;

-- name: list_audit_signer_keys
-- The signer's verifier keys, newest first.
SELECT key_id, verifier_key, first_used_at FROM audit_signer_keys ORDER BY first_used_at DESC;

-- name: insert_audit_alarm
-- Record that the signer refused to sign.
INSERT INTO audit_alarms (reason) VALUES (%(reason)s);

-- name: get_audit_open_alarm
-- The newest alarm raised after the last checkpoint was signed, if any.
SELECT a.raised_at, a.reason
FROM audit_alarms a
WHERE a.raised_at > coalesce((SELECT max(signed_at) FROM audit_checkpoints), '-infinity')
ORDER BY a.id DESC
LIMIT 1;

-- name: get_latest_audit_checkpoint
-- The checkpoint of the largest signed tree.
SELECT tree_size, root_hash, key_id, note,
    to_char(signed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS signed_at
FROM audit_checkpoints
ORDER BY tree_size DESC
LIMIT 1;

-- name: get_audit_checkpoint
-- The checkpoint of one tree size.
SELECT tree_size, root_hash, key_id, note,
    to_char(signed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS signed_at
FROM audit_checkpoints
WHERE tree_size = %(tree_size)s;

-- name: list_audit_checkpoints
-- Signed checkpoints by tree size, after a size.
SELECT tree_size, root_hash, key_id, note,
    to_char(signed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS signed_at
FROM audit_checkpoints
WHERE tree_size > %(after_size)s
ORDER BY tree_size
LIMIT %(limit)s;

-- name: list_audit_cosignatures
-- Witness cosignature lines of a checkpoint.
SELECT witness, signature_line FROM audit_cosignatures
WHERE tree_size = %(tree_size)s ORDER BY witness;

-- name: insert_audit_cosignature
-- Store a witness cosignature of a checkpoint (a witness's newer line for it is ignored).
INSERT INTO audit_cosignatures (tree_size, witness, signature_line)
VALUES (%(tree_size)s, %(witness)s, %(signature_line)s)
ON CONFLICT DO NOTHING;

-- name: set_audit_snapshot
-- Read the audit tables from one snapshot (first statement of a transaction).
SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY;

-- name: get_audit_event
-- One integrated event by seq: its position, id and leaf.
SELECT l.seq, e.id, e.leaf
FROM audit_leaves l JOIN audit_events e ON e.id = l.event_id
WHERE l.seq = %(seq)s;

-- name: list_audit_events
-- Integrated events in seq order within a seq range, filtered on their columns.
SELECT l.seq, e.id, e.leaf
FROM audit_leaves l JOIN audit_events e ON e.id = l.event_id
WHERE l.seq > %(after_seq)s AND l.seq <= %(last_seq)s
    AND (%(since)s::timestamptz IS NULL OR e.occurred_at >= %(since)s::timestamptz)
    AND (%(until)s::timestamptz IS NULL OR e.occurred_at <= %(until)s::timestamptz)
    AND (%(actor)s::uuid IS NULL OR e.actor_key_id = %(actor)s::uuid)
    AND (%(action)s::text IS NULL OR e.action = %(action)s::text)
    AND (%(subject_ref)s::text IS NULL OR e.subject_ref = %(subject_ref)s::text)
    AND (%(request_id)s::text IS NULL OR e.request_id = %(request_id)s::text)
ORDER BY l.seq
LIMIT %(limit)s;

-- name: copy_out_audit_leaf_events
-- Stream integrated events of a seq range in seq order (binary COPY: no hex for the bytes):
-- position, id, leaf, the stored leaf hash, and (when asked) whether the columns still say what
-- it says.
COPY (
    SELECT l.seq, e.id, e.leaf, t.hash,
        NOT %(check_columns)s OR convert_from(e.leaf, 'UTF8')::jsonb = jsonb_build_object(
            'occurred_at',
            to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
            'actor_type', e.actor_type, 'actor_key_id', e.actor_key_id::text,
            'actor_role', e.actor_role, 'action', e.action, 'target_type', e.target_type,
            'target_id', e.target_id, 'subject_ref', e.subject_ref, 'request_id', e.request_id,
            'outcome', e.outcome, 'details', e.details)
    FROM audit_leaves l
    CROSS JOIN LATERAL (
        SELECT id, leaf, occurred_at, actor_type, actor_key_id, actor_role, action, target_type,
            target_id, subject_ref, request_id, outcome, details
        FROM audit_events WHERE id = l.event_id LIMIT 1
    ) e
    LEFT JOIN LATERAL (
        SELECT hash FROM audit_tree WHERE level = 0 AND idx = l.seq - 1 LIMIT 1
    ) t ON true
    WHERE l.seq > %(after_seq)s AND l.seq <= %(last_seq)s
    ORDER BY l.seq
) TO STDOUT (FORMAT BINARY);

-- name: lock_audit_signer
-- Take the one signer's advisory lock for this session, if no other session holds it.
SELECT pg_try_advisory_lock(%(lock_id)s) AS locked;

-- name: insert_audit_verification
-- Queue a verification of the log from a signed tree size.
INSERT INTO audit_verifications (requested_by, from_size)
VALUES (%(requested_by)s, %(from_size)s)
RETURNING id;

-- name: get_audit_verification
-- One verification with its progress.
SELECT id, status, from_size, tree_size, checked, ok, first_bad_seq, reason, created_at,
    started_at, finished_at
FROM audit_verifications WHERE id = %(id)s;

-- name: update_audit_verification_progress
-- Record how far a running verification got.
UPDATE audit_verifications
SET status = %(status)s, tree_size = %(tree_size)s, checked = %(checked)s,
    started_at = coalesce(started_at, now())
WHERE id = %(id)s;

-- name: update_audit_verification_result
-- Record the outcome of a verification.
UPDATE audit_verifications
SET status = %(status)s, tree_size = %(tree_size)s, checked = %(checked)s, ok = %(ok)s,
    first_bad_seq = %(first_bad_seq)s, reason = %(reason)s, finished_at = now()
WHERE id = %(id)s;

-- name: list_audit_witnesses
-- Per witness, its cosignature of the largest tree it cosigned, with that checkpoint.
SELECT DISTINCT ON (c.witness)
    c.witness, c.tree_size, c.signature_line, c.received_at, k.root_hash, k.note
FROM audit_cosignatures c
JOIN audit_checkpoints k USING (tree_size)
ORDER BY c.witness, c.tree_size DESC;
