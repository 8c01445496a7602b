-- name: list_platforms
-- List the known platforms with their aliases.
SELECT code, name, aliases FROM platforms ORDER BY code;

-- name: list_subjects_by_handle
-- Find the subjects owning handles, given as parallel arrays of platforms and handles.
SELECT i.platform, i.value, i.subject_id
FROM subject_identifiers i
JOIN unnest(%(platforms)s::text[], %(values)s::text[]) AS wanted (platform, value)
    ON i.platform = wanted.platform AND i.value = wanted.value
WHERE i.kind = 'handle';

-- name: list_subjects_by_contact
-- Find the subjects owning e-mail addresses or phone numbers (parallel arrays of kinds and values).
SELECT i.kind, i.value, i.subject_id
FROM subject_identifiers i
JOIN unnest(%(kinds)s::text[], %(values)s::text[]) AS wanted (kind, value)
    ON i.kind = wanted.kind AND i.value = wanted.value
WHERE i.kind IN ('email', 'phone');

-- name: insert_subjects
-- Create subjects with the given ids.
INSERT INTO subjects (id) SELECT unnest(%(ids)s::uuid[]);

-- name: insert_identifiers
-- Add identifiers to subjects; one already taken (by this subject or another) is left alone.
INSERT INTO subject_identifiers (subject_id, kind, platform, value, value_hash)
SELECT * FROM unnest(
    %(subject_ids)s::uuid[], %(kinds)s::text[], %(platforms)s::text[], %(values)s::text[],
    %(value_hashes)s::bytea[]
)
ON CONFLICT DO NOTHING;

-- name: update_display_names
-- Replace subjects' display names on platforms where they changed.
UPDATE subject_identifiers i
SET value = new.value, value_hash = new.value_hash
FROM unnest(
    %(subject_ids)s::uuid[], %(platforms)s::text[], %(values)s::text[], %(value_hashes)s::bytea[]
) AS new (subject_id, platform, value, value_hash)
WHERE i.kind = 'name'
  AND i.subject_id = new.subject_id
  AND i.platform = new.platform
  AND i.value <> new.value;

-- name: delete_subjects_without_handle
-- Delete subjects (among the given) that own no handle: those another request created first.
DELETE FROM subjects s
WHERE s.id = ANY(%(ids)s::uuid[])
  AND NOT EXISTS (
      SELECT 1 FROM subject_identifiers i WHERE i.subject_id = s.id AND i.kind = 'handle'
  );

-- name: lock_feedback_items
-- Lock the stored items among (platform, external_id) pairs, in id order to avoid deadlocks.
SELECT f.id, f.platform, f.external_id, f.kind, f.visibility, f.author_id,
       f.in_reply_to_external_id, f.text_hash, f.created_at
FROM feedback_items f
JOIN unnest(%(platforms)s::text[], %(external_ids)s::text[]) AS wanted (platform, external_id)
    ON f.platform = wanted.platform AND f.external_id = wanted.external_id
ORDER BY f.id
FOR UPDATE OF f;

-- name: insert_feedback_items
-- Store new items; one stored meanwhile by another request is skipped (and not returned).
INSERT INTO feedback_items (
    platform, external_id, kind, visibility, author_id, in_reply_to_external_id, text, text_hash,
    created_at
)
SELECT * FROM unnest(
    %(platforms)s::text[], %(external_ids)s::text[], %(kinds)s::text[], %(visibilities)s::text[],
    %(author_ids)s::uuid[], %(parents)s::text[], %(texts)s::text[], %(text_hashes)s::bytea[],
    %(created_ats)s::timestamptz[]
)
ON CONFLICT (platform, external_id) DO NOTHING
RETURNING id, platform, external_id;

-- name: update_feedback_items
-- Overwrite changed items; a new parent id unlinks the old parent item.
UPDATE feedback_items f
SET kind = u.kind,
    visibility = u.visibility,
    author_id = u.author_id,
    in_reply_to_id = CASE
        WHEN f.in_reply_to_external_id IS DISTINCT FROM u.parent THEN NULL ELSE f.in_reply_to_id
    END,
    in_reply_to_external_id = u.parent,
    text = u.text,
    text_hash = u.text_hash,
    created_at = u.created_at,
    updated_at = now()
FROM unnest(
    %(ids)s::uuid[], %(kinds)s::text[], %(visibilities)s::text[], %(author_ids)s::uuid[],
    %(parents)s::text[], %(texts)s::text[], %(text_hashes)s::bytea[],
    %(created_ats)s::timestamptz[]
) AS u (id, kind, visibility, author_id, parent, text, text_hash, created_at)
WHERE f.id = u.id;

-- name: update_items_unscanned
-- Forget the scan results of items whose text changed: findings, triage flags, redacted text,
-- scan state.
WITH cleared AS (
    DELETE FROM findings WHERE item_id = ANY(%(ids)s::uuid[])
), cleared_flags AS (
    DELETE FROM triage_flags WHERE item_id = ANY(%(ids)s::uuid[])
)
UPDATE feedback_items
SET language = NULL, public_text = NULL, finding_count = NULL, scanned_text_hash = NULL,
    scanned_at = NULL, engine_version = NULL, triage_version = NULL
WHERE id = ANY(%(ids)s::uuid[]);

-- name: update_reply_links
-- Point replies at their parent item, for replies and parents among the given items.
WITH links AS (
    SELECT c.id AS child_id, p.id AS parent_id
    FROM feedback_items c
    JOIN feedback_items p ON p.platform = c.platform AND p.external_id = c.in_reply_to_external_id
    WHERE c.id = ANY(%(ids)s::uuid[]) AND c.in_reply_to_id IS NULL
    UNION
    SELECT c.id, p.id
    FROM feedback_items p
    JOIN feedback_items c ON c.platform = p.platform AND c.in_reply_to_external_id = p.external_id
    WHERE p.id = ANY(%(ids)s::uuid[]) AND c.in_reply_to_id IS NULL
)
UPDATE feedback_items f
SET in_reply_to_id = links.parent_id
FROM links
WHERE f.id = links.child_id AND links.child_id <> links.parent_id;

-- name: insert_scan_run
-- Create a scan of a number of items split into chunks; a scan of nothing is done at once.
INSERT INTO scan_runs (
    reason, requested_by, platform, since, rescan, items_total, chunks_total, started_at,
    finished_at
)
VALUES (
    %(reason)s, %(requested_by)s, %(platform)s, %(since)s, %(rescan)s, %(items_total)s,
    %(chunks_total)s,
    CASE WHEN %(items_total)s = 0 THEN now() END,
    CASE WHEN %(items_total)s = 0 THEN now() END
)
RETURNING id;

-- name: insert_scan_chunks
-- Split item ids into numbered chunks of at most chunk_size ids; return the chunk numbers.
INSERT INTO scan_chunks (scan_id, chunk, item_ids)
SELECT %(scan_id)s, (n - 1) / %(chunk_size)s, array_agg(item_id ORDER BY n)
FROM unnest(%(item_ids)s::uuid[]) WITH ORDINALITY AS numbered (item_id, n)
GROUP BY (n - 1) / %(chunk_size)s
RETURNING chunk;

-- name: list_items_to_scan
-- Select the ids of items a requested scan covers: all (rescan) or those not scanned as they are.
-- Items of subjects whose processing is restricted (restriction, objection, hold) are left out.
SELECT id
FROM feedback_items
WHERE (%(platform)s::text IS NULL OR platform = %(platform)s)
  AND author_id NOT IN (
      SELECT subject_id FROM dsr_processing_exclusions WHERE processing = 'analysis'
  )
  AND (%(since)s::timestamptz IS NULL OR created_at >= %(since)s)
  AND (
      %(rescan)s
      OR scanned_text_hash IS DISTINCT FROM text_hash
      OR engine_version IS DISTINCT FROM %(engine_version)s
      OR triage_version IS DISTINCT FROM %(triage_version)s
  )
ORDER BY id;

-- name: get_scan_chunk
-- Read a chunk of a scan, with the scan's rescan flag.
SELECT c.item_ids, c.done_at, r.rescan
FROM scan_chunks c
JOIN scan_runs r ON r.id = c.scan_id
WHERE c.scan_id = %(scan_id)s AND c.chunk = %(chunk)s;

-- name: update_scan_started
-- Record when the first chunk of a scan started.
UPDATE scan_runs SET started_at = now() WHERE id = %(scan_id)s AND started_at IS NULL;

-- name: list_items_of_scan_chunk
-- Read the text and scan state of items, and whether their author's processing is restricted.
SELECT f.id, f.author_id, f.text, f.text_hash, f.scanned_text_hash, f.engine_version,
       f.triage_version,
       EXISTS (SELECT 1 FROM dsr_processing_exclusions x WHERE x.subject_id = f.author_id AND x.processing = 'analysis') AS processing_restricted
FROM feedback_items f
WHERE f.id = ANY(%(ids)s::uuid[]);

-- name: lock_scan_chunk
-- Lock a chunk until the transaction ends; tells whether another run of its job finished it.
SELECT done_at FROM scan_chunks
WHERE scan_id = %(scan_id)s AND chunk = %(chunk)s
FOR UPDATE;

-- name: lock_items_for_scan
-- Lock items in id order and return the hash of their current text.
SELECT id, text_hash FROM feedback_items
WHERE id = ANY(%(ids)s::uuid[])
ORDER BY id
FOR UPDATE;

-- name: delete_item_findings
-- Delete the findings of items.
DELETE FROM findings WHERE item_id = ANY(%(ids)s::uuid[]);

-- name: insert_findings
-- Store findings (parallel arrays).
INSERT INTO findings (
    item_id, entity_type, start_offset, end_offset, score, recognizer, value_hash,
    engine_version, scanned_at
)
SELECT item_id, entity_type, start_offset, end_offset, score, recognizer, value_hash,
       %(engine_version)s, %(scanned_at)s
FROM unnest(
    %(item_ids)s::uuid[], %(entity_types)s::text[], %(starts)s::integer[], %(ends)s::integer[],
    %(scores)s::real[], %(recognizers)s::text[], %(value_hashes)s::bytea[]
) AS f (item_id, entity_type, start_offset, end_offset, score, recognizer, value_hash);

-- name: update_items_scanned
-- Record the scan of items: language, redacted text, finding count, which text it covered.
UPDATE feedback_items f
SET language = r.language,
    public_text = r.public_text,
    finding_count = r.finding_count,
    scanned_text_hash = f.text_hash,
    scanned_at = %(scanned_at)s,
    engine_version = %(engine_version)s
FROM unnest(
    %(ids)s::uuid[], %(languages)s::text[], %(public_texts)s::text[], %(finding_counts)s::integer[]
) AS r (id, language, public_text, finding_count)
WHERE f.id = r.id;

-- name: update_scan_chunk_done
-- Mark a chunk done.
UPDATE scan_chunks SET done_at = now()
WHERE scan_id = %(scan_id)s AND chunk = %(chunk)s AND done_at IS NULL;

-- name: update_scan_run_progress
-- Count a finished chunk into its scan; the last chunk finishes the scan.
UPDATE scan_runs
SET items_done = items_done + %(items)s,
    items_skipped = items_skipped + %(skipped)s,
    findings_found = findings_found + %(findings)s,
    chunks_done = chunks_done + 1,
    started_at = coalesce(started_at, now()),
    finished_at = CASE WHEN chunks_done + 1 = chunks_total THEN now() END
WHERE id = %(scan_id)s
RETURNING id, reason, items_total, items_done, items_skipped, findings_found, chunks_total,
          chunks_done, finished_at;

-- name: get_scan_run
-- Read a scan and how many of its jobs failed for good.
SELECT r.id, r.reason, r.requested_by, r.platform, r.since, r.rescan, r.items_total,
       r.items_done, r.items_skipped, r.findings_found, r.chunks_total, r.chunks_done,
       r.created_at, r.started_at, r.finished_at,
       (
           SELECT count(*) FROM procrastinate_jobs j
           WHERE j.task_name = ANY(%(task_names)s)
             AND j.status = 'failed'
             AND j.args ->> 'scan_id' = r.id::text
       ) AS chunks_failed
FROM scan_runs r
WHERE r.id = %(id)s;

-- name: list_feedback
-- List items newest first, filtered, after a (created_at, id) cursor.
SELECT f.id, f.platform, f.external_id, f.kind, f.visibility, f.author_id, f.in_reply_to_id,
       f.created_at, f.public_text, f.finding_count, f.language,
       f.scanned_text_hash IS NOT DISTINCT FROM f.text_hash AS scanned,
       EXISTS (SELECT 1 FROM dsr_processing_exclusions x WHERE x.subject_id = f.author_id AND x.processing = 'analysis') AS processing_restricted,
       ARRAY(
           SELECT t.flag FROM triage_flags t WHERE t.item_id = f.id
           ORDER BY array_position(%(severity)s::text[], t.flag)
       ) AS flags
FROM feedback_items f
WHERE (%(platform)s::text IS NULL OR f.platform = %(platform)s)
  AND (
      %(flag)s::text IS NULL
      OR EXISTS (SELECT 1 FROM triage_flags t WHERE t.item_id = f.id AND t.flag = %(flag)s)
  )
  AND (%(subject_id)s::uuid IS NULL OR f.author_id = %(subject_id)s)
  AND (%(has_pii)s::boolean IS NULL OR (f.finding_count > 0) = %(has_pii)s)
  AND (%(since)s::timestamptz IS NULL OR f.created_at >= %(since)s)
  AND (
      %(before_created_at)s::timestamptz IS NULL
      OR (f.created_at, f.id) < (%(before_created_at)s, %(before_id)s::uuid)
  )
ORDER BY f.created_at DESC, f.id DESC
LIMIT %(limit)s;

-- name: get_feedback_item
-- Read one item with its author's handle and display name on the item's platform.
SELECT f.id, f.platform, f.external_id, f.kind, f.visibility, f.author_id, f.in_reply_to_id,
       f.in_reply_to_external_id, f.text, f.created_at, f.ingested_at, f.updated_at, f.language,
       f.public_text, f.finding_count, f.scanned_at, f.engine_version,
       f.scanned_text_hash IS NOT DISTINCT FROM f.text_hash AS scanned,
       EXISTS (SELECT 1 FROM dsr_processing_exclusions x WHERE x.subject_id = f.author_id AND x.processing = 'analysis') AS processing_restricted,
       (
           SELECT i.value FROM subject_identifiers i
           WHERE i.subject_id = f.author_id AND i.kind = 'handle' AND i.platform = f.platform
           ORDER BY i.id LIMIT 1
       ) AS author_handle,
       (
           SELECT i.value FROM subject_identifiers i
           WHERE i.subject_id = f.author_id AND i.kind = 'name' AND i.platform = f.platform
       ) AS author_display_name
FROM feedback_items f
WHERE f.id = %(id)s;

-- name: list_item_findings
-- List the findings of one item in text order.
SELECT entity_type, start_offset, end_offset, score, recognizer, engine_version, scanned_at
FROM findings
WHERE item_id = %(id)s
ORDER BY start_offset, end_offset, entity_type;

-- name: get_public_item
-- Read what anyone with a moderator key may see of an item: never its raw text.
SELECT f.id, f.platform, f.kind, f.visibility, f.in_reply_to_id, f.created_at, f.language,
       f.public_text, f.finding_count, f.scanned_at,
       f.scanned_text_hash IS NOT DISTINCT FROM f.text_hash AS scanned,
       EXISTS (SELECT 1 FROM dsr_processing_exclusions x WHERE x.subject_id = f.author_id AND x.processing = 'analysis') AS processing_restricted
FROM feedback_items f
WHERE f.id = %(id)s;

-- name: get_subject_processing_restricted
-- Tell whether processing beyond storage of a subject's data is restricted.
SELECT EXISTS (SELECT 1 FROM dsr_processing_exclusions x WHERE x.subject_id = %(subject_id)s::uuid AND x.processing = 'analysis') AS restricted;

-- name: list_thread_ancestors
-- Read an item and the items it replies to, nearest first, up to max_depth levels up.
WITH RECURSIVE chain AS (
    SELECT id, in_reply_to_id, author_id, platform, text, 0 AS depth,
           scanned_text_hash IS NOT DISTINCT FROM text_hash AS scanned
    FROM feedback_items
    WHERE id = %(id)s
    UNION ALL
    SELECT p.id, p.in_reply_to_id, p.author_id, p.platform, p.text, chain.depth + 1,
           p.scanned_text_hash IS NOT DISTINCT FROM p.text_hash
    FROM feedback_items p
    JOIN chain ON p.id = chain.in_reply_to_id
    WHERE chain.depth < %(max_depth)s
)
SELECT id, author_id, platform, text, depth, scanned FROM chain ORDER BY depth;

-- name: list_findings_of_items
-- List the findings (type and offsets) of several items.
SELECT item_id, entity_type, start_offset, end_offset
FROM findings
WHERE item_id = ANY(%(ids)s::uuid[])
ORDER BY item_id, start_offset;

-- name: list_subject_identifiers
-- List a subject's identifiers.
SELECT kind, platform, value FROM subject_identifiers
WHERE subject_id = %(subject_id)s
ORDER BY kind, id;

-- name: list_subjects_by_value_hash
-- Find the subjects with an identifier of this hash, optionally of one kind and platform.
SELECT DISTINCT subject_id
FROM subject_identifiers
WHERE value_hash = %(value_hash)s
  AND (%(kind)s::text IS NULL OR kind = %(kind)s)
  AND (%(platform)s::text IS NULL OR platform = %(platform)s);

-- name: list_findings_by_value_hashes
-- List findings whose value hashes to one of the given hashes: mentions of those values.
SELECT item_id, entity_type, start_offset, end_offset
FROM findings
WHERE value_hash = ANY(%(value_hashes)s::bytea[])
ORDER BY item_id, start_offset;

-- name: get_reply_policy
-- Read the stored reply policy of a platform.
SELECT platform, policy, updated_at FROM reply_policies WHERE platform = %(platform)s;

-- name: upsert_reply_policy
-- Store the reply policy of a platform.
INSERT INTO reply_policies (platform, policy, updated_by)
VALUES (%(platform)s, %(policy)s, %(updated_by)s)
ON CONFLICT (platform) DO UPDATE
SET policy = EXCLUDED.policy, updated_at = now(), updated_by = EXCLUDED.updated_by
RETURNING platform, policy, updated_at;

-- name: upsert_reply_check_window
-- Count one reply check of an item by a checker (an API key or a console user); a window
-- older than window_seconds starts afresh.
INSERT INTO reply_check_counts AS w (checker, checker_id, item_id, window_started_at, checks)
VALUES (%(checker)s, %(checker_id)s, %(item_id)s, now(), 1)
ON CONFLICT (checker, checker_id, item_id) DO UPDATE SET
    checks = CASE
        WHEN w.window_started_at <= now() - make_interval(secs => %(window_seconds)s) THEN 1
        ELSE w.checks + 1
    END,
    window_started_at = CASE
        WHEN w.window_started_at <= now() - make_interval(secs => %(window_seconds)s) THEN now()
        ELSE w.window_started_at
    END
RETURNING checks,
    extract(epoch FROM w.window_started_at + make_interval(secs => %(window_seconds)s) - now())
        AS seconds_left;

-- name: get_feedback_item_author
-- Read who wrote an item (for the reply guard's limit), nothing else.
SELECT id, author_id FROM feedback_items WHERE id = %(id)s;
