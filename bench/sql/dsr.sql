-- name: copy_bench_subjects
-- Bulk-load subjects.
COPY subjects (id) FROM STDIN;

-- name: copy_bench_identifiers
-- Bulk-load subject identifiers.
COPY subject_identifiers (subject_id, kind, platform, value, value_hash) FROM STDIN;

-- name: copy_bench_items
-- Bulk-load feedback items, scanned as they are.
COPY feedback_items (
    id, platform, external_id, kind, visibility, author_id, in_reply_to_external_id,
    in_reply_to_id, text, text_hash, created_at, language, public_text, finding_count,
    scanned_text_hash, scanned_at, engine_version
) FROM STDIN;

-- name: copy_bench_findings
-- Bulk-load findings.
COPY findings (
    item_id, entity_type, start_offset, end_offset, score, recognizer, value_hash,
    engine_version, scanned_at
) FROM STDIN;

-- name: analyze_bench_archive
-- Refresh planner statistics after the bulk load.
ANALYZE;

-- name: count_bench_items
-- Count the items left in the archive.
SELECT count(*) AS n FROM feedback_items;
