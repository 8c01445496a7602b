-- name: copy_bench_audit_events
-- Bulk-append events in text COPY format (benchmarks; the caller computes the chain).
COPY audit_events (
    seq, occurred_at, actor_type, actor_key_id, actor_role, action, target_type, target_id,
    subject_ref, request_id, outcome, details, prev_hash, hash
) FROM STDIN;

-- name: copy_bench_audit_checkpoints
-- Bulk-append signed checkpoints in text COPY format.
COPY audit_checkpoints (seq, hash, signed_at, signature) FROM STDIN;

-- name: analyze_bench_audit_tables
-- Refresh planner statistics after a bulk load.
ANALYZE audit_events, audit_checkpoints;
