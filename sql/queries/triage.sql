-- name: get_triage_rule_set
-- Read the deployment's own triage rules (none until an admin stores some).
SELECT document, updated_at, updated_by FROM triage_rule_sets WHERE singleton;

-- name: upsert_triage_rule_set
-- Store the deployment's own triage rules.
INSERT INTO triage_rule_sets (singleton, document, updated_by)
VALUES (true, %(document)s, %(updated_by)s)
ON CONFLICT (singleton) DO UPDATE
SET document = EXCLUDED.document, updated_at = now(), updated_by = EXCLUDED.updated_by;

-- name: list_triage_flag_types_of_items
-- List the flags currently raised on items (to tell which ones a new scan raised).
SELECT item_id, flag FROM triage_flags WHERE item_id = ANY(%(ids)s::uuid[]);

-- name: delete_triage_flags_of_items
-- Delete the flags of items (a scan replaces them).
DELETE FROM triage_flags WHERE item_id = ANY(%(ids)s::uuid[]);

-- name: insert_triage_flags
-- Store flags (parallel arrays), each with the text hash its offsets point into.
INSERT INTO triage_flags (
    item_id, flag, start_offset, end_offset, score, rule_id, rules_version, text_hash, flagged_at
)
SELECT item_id, flag, start_offset, end_offset, score, rule_id, %(rules_version)s, text_hash,
       %(flagged_at)s
FROM unnest(
    %(item_ids)s::uuid[], %(flags)s::text[], %(starts)s::integer[], %(ends)s::integer[],
    %(scores)s::real[], %(rule_ids)s::text[], %(text_hashes)s::bytea[]
) AS t (item_id, flag, start_offset, end_offset, score, rule_id, text_hash);

-- name: set_items_triage_version
-- Record which rules version evaluated items.
UPDATE feedback_items SET triage_version = %(rules_version)s WHERE id = ANY(%(ids)s::uuid[]);

-- name: list_triage_flags_of_items
-- List the flags of items with whether a review covers each, most serious first.
SELECT t.item_id, t.flag, t.start_offset, t.end_offset, t.score, t.rule_id, t.rules_version,
       t.flagged_at, t.text_hash, t.text_hash = f.text_hash AS current,
       EXISTS (
           SELECT 1 FROM triage_reviews r
           WHERE r.item_id = t.item_id AND t.flag = ANY(r.flags) AND r.text_hash = t.text_hash
       ) AS reviewed
FROM triage_flags t
JOIN feedback_items f ON f.id = t.item_id
WHERE t.item_id = ANY(%(ids)s::uuid[])
ORDER BY t.item_id, array_position(%(severity)s::text[], t.flag);

-- name: list_triage_reviews_of_item
-- List the reviews of an item, newest first.
SELECT id, item_id, decision, flags, notes, hold_id, reviewed_by, reviewed_at
FROM triage_reviews
WHERE item_id = %(item_id)s
ORDER BY reviewed_at DESC, id;

-- name: list_triage_queue
-- List items with flags no review covers, most serious flag first, then oldest first.
WITH pending AS (
    SELECT t.item_id,
           array_agg(t.flag ORDER BY array_position(%(severity)s::text[], t.flag)) AS flags,
           min(array_position(%(severity)s::text[], t.flag)) AS rank
    FROM triage_flags t
    WHERE NOT EXISTS (
        SELECT 1 FROM triage_reviews r
        WHERE r.item_id = t.item_id AND t.flag = ANY(r.flags) AND r.text_hash = t.text_hash
    )
    GROUP BY t.item_id
)
SELECT f.id, f.platform, f.kind, f.visibility, f.author_id, f.in_reply_to_id, f.created_at,
       f.language, f.public_text, p.flags AS pending_flags, count(*) OVER () AS total
FROM pending p
JOIN feedback_items f ON f.id = p.item_id
WHERE (%(flag)s::text IS NULL OR %(flag)s = ANY(p.flags))
ORDER BY p.rank, f.created_at, f.id
LIMIT %(limit)s OFFSET %(offset)s;

-- name: lock_item_for_review
-- Lock an item while it is reviewed; return its author and current text hash.
SELECT id, author_id, text_hash FROM feedback_items WHERE id = %(id)s FOR UPDATE;

-- name: insert_triage_review
-- Record a review of an item's flags.
INSERT INTO triage_reviews (item_id, decision, flags, notes, hold_id, reviewed_by, text_hash)
VALUES (
    %(item_id)s, %(decision)s, %(flags)s, %(notes)s, %(hold_id)s, %(reviewed_by)s, %(text_hash)s
)
RETURNING id, item_id, decision, flags, notes, hold_id, reviewed_by, reviewed_at;

-- name: list_active_holds_covering_items
-- List the active holds on items or on their authors.
SELECT f.id AS item_id, h.id AS hold_id, h.basis
FROM feedback_items f
JOIN legal_holds h ON h.released_at IS NULL AND (h.feedback_id = f.id OR h.subject_id = f.author_id)
WHERE f.id = ANY(%(ids)s::uuid[])
ORDER BY f.id, h.placed_at;

-- name: list_thread_items
-- Read the items of the thread an item belongs to (its ancestors, and everything under the
-- top one), with whether the current text has been evaluated by the triage rules.
WITH RECURSIVE up AS (
    SELECT id, in_reply_to_id, 0 AS depth FROM feedback_items WHERE id = %(id)s
    UNION ALL
    SELECT p.id, p.in_reply_to_id, up.depth + 1
    FROM feedback_items p
    JOIN up ON p.id = up.in_reply_to_id
    WHERE up.depth < %(max_depth)s
),
top AS (
    SELECT id FROM up ORDER BY depth DESC LIMIT 1
),
down AS (
    SELECT id, 0 AS depth FROM top
    UNION ALL
    SELECT c.id, down.depth + 1
    FROM feedback_items c
    JOIN down ON c.in_reply_to_id = down.id
    WHERE down.depth < %(max_depth)s
)
SELECT f.id, f.text, f.text_hash,
       f.triage_version IS NOT NULL AND f.scanned_text_hash IS NOT DISTINCT FROM f.text_hash
           AS triaged
FROM feedback_items f
WHERE f.id IN (SELECT id FROM up UNION SELECT id FROM down)
ORDER BY f.created_at, f.id
LIMIT %(max_items)s;

-- name: list_reviewed_flags_of_items
-- List (item, flag, text hash) covered by reviews of items.
SELECT r.item_id, unnest(r.flags) AS flag, r.text_hash
FROM triage_reviews r
WHERE r.item_id = ANY(%(ids)s::uuid[]);

-- name: list_unreviewed_legal_items_of_authors
-- List the items of authors with flags no review covers and no active hold keeps.
SELECT t.item_id, array_agg(t.flag ORDER BY array_position(%(severity)s::text[], t.flag)) AS flags
FROM triage_flags t
JOIN feedback_items f ON f.id = t.item_id
WHERE f.author_id = ANY(%(subject_ids)s::uuid[])
  AND t.flag = ANY(%(flags)s::text[])
  AND NOT EXISTS (
      SELECT 1 FROM triage_reviews r
      WHERE r.item_id = t.item_id AND t.flag = ANY(r.flags) AND r.text_hash = t.text_hash
  )
  AND NOT EXISTS (
      SELECT 1 FROM legal_holds h
      WHERE h.released_at IS NULL AND (h.feedback_id = f.id OR h.subject_id = f.author_id)
  )
GROUP BY t.item_id
ORDER BY t.item_id;
