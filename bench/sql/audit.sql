-- name: copy_bench_audit_events
-- Bulk-append events with their leaves in text COPY format.
COPY audit_events (
    occurred_at, actor_type, actor_key_id, actor_role, action, target_type, target_id,
    subject_ref, request_id, outcome, details, leaf
) FROM STDIN;

-- name: analyze_bench_audit_tables
-- Refresh planner statistics after a bulk load.
ANALYZE audit_events, audit_leaves, audit_tree, audit_checkpoints;

-- name: list_bench_audit_signature_delays
-- Seconds from each appended event's occurred_at to the first checkpoint covering it.
SELECT extract(epoch FROM c.signed_at - e.occurred_at) AS delay
FROM audit_leaves l
JOIN audit_events e ON e.id = l.event_id
CROSS JOIN LATERAL (
    SELECT signed_at FROM audit_checkpoints c
    WHERE c.tree_size >= l.seq ORDER BY c.tree_size LIMIT 1
) c
WHERE e.action = 'bench.appended';
