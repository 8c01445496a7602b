-- name: insert_dsr_request
-- Store a new data-subject request with its statutory dates.
INSERT INTO dsr_requests (
    id, type, regime, channel, requester_kind, received_at, received_on, original_due_on,
    due_on, due_at, acknowledge_by, subject_ref, time_zone, language
) VALUES (
    %(id)s, %(type)s, %(regime)s, %(channel)s, %(requester_kind)s, %(received_at)s,
    %(received_on)s, %(due_on)s, %(due_on)s, %(due_at)s, %(acknowledge_by)s, %(subject_ref)s,
    %(time_zone)s, %(language)s
);

-- name: insert_dsr_request_identifier
-- Store one identifier a request carries (the subject's, or the requester's name or proof).
INSERT INTO dsr_request_identifiers (request_id, party, kind, platform, value)
VALUES (%(request_id)s, %(party)s, %(kind)s, %(platform)s, %(value)s);

-- name: insert_dsr_history
-- Append one entry to a request's history.
INSERT INTO dsr_request_history (
    request_id, action, from_status, to_status, actor_key_id, actor_role, reason, basis, details
) VALUES (
    %(request_id)s, %(action)s, %(from_status)s, %(to_status)s, %(actor_key_id)s,
    %(actor_role)s, %(reason)s, %(basis)s, %(details)s
);

-- name: get_dsr_request
-- Fetch one request with a summary of its access package.
SELECT r.*, p.created_at AS package_created_at, p.expires_at AS package_expires_at,
       p.size_bytes AS package_size_bytes, p.sha256 AS package_sha256,
       p.download_count AS package_download_count
FROM dsr_requests r
LEFT JOIN dsr_packages p ON p.request_id = r.id
WHERE r.id = %(id)s;

-- name: lock_dsr_request
-- Fetch one request and lock it until the transaction ends (transitions are serialised).
SELECT * FROM dsr_requests WHERE id = %(id)s FOR UPDATE;

-- name: list_dsr_request_identifiers
-- List the identifiers a request carries, in the order they were given.
SELECT party, kind, platform, value
FROM dsr_request_identifiers
WHERE request_id = %(request_id)s
ORDER BY id;

-- name: list_dsr_history
-- List a request's history, oldest first.
SELECT occurred_at, action, from_status, to_status, actor_key_id, actor_role, reason, basis,
       details
FROM dsr_request_history
WHERE request_id = %(request_id)s
ORDER BY id;

-- name: list_dsr_requests
-- List requests matching the filters, most urgent first: open ones by due time, then closed
-- ones, most recently closed first (receipts still to confirm: by acknowledge_by).
SELECT r.*, count(*) OVER () AS total,
       p.created_at AS package_created_at, p.expires_at AS package_expires_at,
       p.size_bytes AS package_size_bytes, p.sha256 AS package_sha256,
       p.download_count AS package_download_count
FROM dsr_requests r
LEFT JOIN dsr_packages p ON p.request_id = r.id
WHERE (%(status)s::text IS NULL OR r.status = %(status)s)
  AND (%(type)s::text IS NULL OR r.type = %(type)s)
  AND (%(regime)s::text IS NULL OR r.regime = %(regime)s)
  AND (%(overdue)s::boolean IS NULL
       OR %(overdue)s = (r.closed_at IS NULL AND r.due_at <= %(now)s
                         AND NOT (r.status = 'awaiting_subject' AND r.regime = 'gdpr')))
  AND (%(due_before)s::date IS NULL OR r.due_on < %(due_before)s)
  AND (%(unacknowledged)s::boolean IS NULL
       OR %(unacknowledged)s = (r.closed_at IS NULL AND r.acknowledge_by IS NOT NULL
                                AND r.acknowledged_at IS NULL))
ORDER BY CASE WHEN %(unacknowledged)s::boolean THEN r.acknowledge_by END,
         r.closed_at IS NOT NULL,
         CASE WHEN r.closed_at IS NULL THEN r.due_at END,
         r.closed_at DESC,
         r.received_at,
         r.id
LIMIT %(limit)s OFFSET %(offset)s;

-- name: update_dsr_verified
-- Record how the data subject's identity was established.
UPDATE dsr_requests
SET status = 'verified', verified_at = %(now)s, verification_method = %(method)s,
    verification_degree = %(degree)s, verification_scope = %(scope)s,
    matched_data_points = %(matched_data_points)s,
    signed_declaration = %(signed_declaration)s, updated_at = %(now)s
WHERE id = %(id)s;

-- name: update_dsr_paused
-- Wait for the data subject (identity or clarification), remembering the status to resume.
UPDATE dsr_requests
SET status = 'awaiting_subject', paused_at = %(now)s, paused_from_status = %(from_status)s,
    updated_at = %(now)s
WHERE id = %(id)s;

-- name: update_dsr_resumed
-- Resume a request the data subject answered, moving its dates by the days waited.
UPDATE dsr_requests
SET status = %(status)s, paused_at = NULL, paused_from_status = NULL,
    paused_days = paused_days + %(days)s, original_due_on = %(original_due_on)s,
    due_on = %(due_on)s, due_at = %(due_at)s, updated_at = %(now)s
WHERE id = %(id)s;

-- name: update_dsr_lifted
-- Record that the restriction or objection a request obtained no longer applies.
UPDATE dsr_requests SET lifted_at = %(now)s, updated_at = %(now)s WHERE id = %(id)s;

-- name: update_dsr_flags_lifted
-- Lift the processing flags a request set; return how many.
UPDATE dsr_processing_flags SET lifted_at = %(now)s
WHERE request_id = %(request_id)s AND lifted_at IS NULL
RETURNING id;

-- name: update_dsr_failed
-- Record why the execution of an in_progress request failed (it can be retried).
UPDATE dsr_requests SET failed_at = %(now)s, failure_reason = %(reason)s, updated_at = %(now)s
WHERE id = %(id)s AND status = 'in_progress';

-- name: insert_dsr_notice
-- Store a notice as rendered and the one address it went to.
INSERT INTO dsr_notices (
    request_id, kind, template, language, channel, recipient, subject_line, body, status,
    created_at
) VALUES (
    %(request_id)s, %(kind)s, %(template)s, %(language)s, %(channel)s, %(recipient)s,
    %(subject_line)s, %(body)s, %(status)s, %(now)s
)
RETURNING *;

-- name: update_dsr_notice_delivery
-- Record how sending a notice went.
UPDATE dsr_notices
SET channel = %(channel)s, status = %(status)s, error = %(error)s, sent_at = %(sent_at)s
WHERE id = %(id)s
RETURNING *;

-- name: list_dsr_notices
-- The notices of a request, oldest first.
SELECT * FROM dsr_notices WHERE request_id = %(request_id)s ORDER BY created_at, id;

-- name: update_dsr_extended
-- Move a request's due date after a lawful extension.
UPDATE dsr_requests
SET due_on = %(due_on)s, due_at = %(due_at)s, extended_at = %(now)s, updated_at = %(now)s
WHERE id = %(id)s;

-- name: update_dsr_acknowledged
-- Record that receipt of a request was confirmed to the consumer (CCPA regulations § 7021(a)).
UPDATE dsr_requests
SET acknowledged_at = %(now)s, acknowledged_on_time = %(on_time)s,
    acknowledgement_channel = %(channel)s, updated_at = %(now)s
WHERE id = %(id)s;

-- name: update_dsr_started
-- Mark a request as being carried out.
UPDATE dsr_requests
SET status = 'in_progress', started_at = coalesce(started_at, %(now)s), updated_at = %(now)s
WHERE id = %(id)s;

-- name: update_dsr_closed
-- Close a request (completed, denied or cancelled) with its result and outcome.
UPDATE dsr_requests
SET status = %(status)s, closed_at = %(now)s, denial_basis = %(denial_basis)s,
    result = %(result)s, outcome = %(outcome)s, paused_at = NULL, paused_from_status = NULL,
    failed_at = NULL, failure_reason = NULL, updated_at = %(now)s
WHERE id = %(id)s;

-- name: set_dsr_lock_timeout
-- Give up (instead of queueing) when a row stays locked longer than this, for this transaction.
SELECT set_config('lock_timeout', %(timeout)s, true);

-- name: insert_legal_hold
-- Place a legal hold on a feedback item or on everything of one archive subject.
INSERT INTO legal_holds (feedback_id, subject_id, basis, reason, placed_by)
VALUES (%(feedback_id)s, %(subject_id)s, %(basis)s, %(reason)s, %(placed_by)s)
RETURNING *;

-- name: lock_legal_hold
-- Fetch one hold and lock it until the transaction ends.
SELECT * FROM legal_holds WHERE id = %(id)s FOR UPDATE;

-- name: get_legal_hold
-- Fetch one hold.
SELECT * FROM legal_holds WHERE id = %(id)s;

-- name: update_legal_hold_released
-- Release a hold; the row stays as the record of what was kept.
UPDATE legal_holds SET released_at = %(now)s, released_by = %(released_by)s
WHERE id = %(id)s
RETURNING *;

-- name: list_legal_holds
-- List holds, active ones first, newest first.
SELECT * FROM legal_holds
WHERE %(include_released)s OR released_at IS NULL
ORDER BY released_at IS NOT NULL, placed_at DESC, id
LIMIT %(limit)s OFFSET %(offset)s;

-- name: upsert_dsr_package
-- Store (or replace) the access package of a request.
INSERT INTO dsr_packages (request_id, content, size_bytes, sha256, created_at, expires_at)
VALUES (%(request_id)s, %(content)s, %(size_bytes)s, %(sha256)s, %(now)s, %(expires_at)s)
ON CONFLICT (request_id) DO UPDATE
SET content = excluded.content, size_bytes = excluded.size_bytes, sha256 = excluded.sha256,
    created_at = excluded.created_at, expires_at = excluded.expires_at, download_count = 0;

-- name: get_dsr_package
-- Fetch a request's package (its content is NULL once purged).
SELECT request_id, content, size_bytes, sha256, created_at, expires_at, download_count
FROM dsr_packages WHERE request_id = %(request_id)s;

-- name: update_dsr_package_downloaded
-- Count one download of a package.
UPDATE dsr_packages SET download_count = download_count + 1 WHERE request_id = %(request_id)s;

-- name: update_dsr_packages_expired
-- Drop the content of every expired package; the row stays as a record that one was sent.
UPDATE dsr_packages SET content = NULL
WHERE content IS NOT NULL AND expires_at <= %(now)s;

-- name: list_dsr_metrics
-- Each request of one regime received in a period: its type, how it ended and, once answered
-- (completed or denied), the calendar days from receipt to the answer in its own zone.
SELECT type, status, outcome,
       CASE WHEN status IN ('completed', 'denied')
            THEN (closed_at AT TIME ZONE time_zone)::date - received_on END AS days_to_respond
FROM dsr_requests
WHERE received_on >= %(start)s AND received_on < %(end)s AND regime = %(regime)s;

-- name: list_dsr_records
-- The record of each request (CCPA regulations § 7101): date, type, manner, response date,
-- nature of the response and basis for denial; no identifiers.
SELECT id, regime, type, channel, requester_kind, received_at, received_on, due_on, status,
       closed_at, denial_basis, outcome, time_zone, extended_at, verification_degree
FROM dsr_requests
WHERE received_on >= %(start)s AND received_on < %(end)s AND regime = %(regime)s
ORDER BY received_at, id;

-- name: list_dsr_requests_to_minimise
-- Requests closed before the cut-off whose identifiers are still held.
SELECT id, subject_ref FROM dsr_requests
WHERE closed_at < %(cutoff)s AND identifiers_minimised_at IS NULL
ORDER BY closed_at
FOR UPDATE;

-- name: update_dsr_request_minimised
-- Drop the personal data a closed request carries, keeping its record.
WITH dropped AS (
    DELETE FROM dsr_request_identifiers WHERE request_id = %(id)s RETURNING 1
), cleared AS (
    UPDATE dsr_request_history SET reason = NULL
    WHERE request_id = %(id)s AND reason IS NOT NULL RETURNING 1
), package AS (
    UPDATE dsr_packages SET content = NULL WHERE request_id = %(id)s RETURNING 1
), notices AS (
    -- The record that a notice was sent stays; its address and the reasons it quoted go.
    UPDATE dsr_notices SET recipient = NULL, body = '(minimised)'
    WHERE request_id = %(id)s AND (recipient IS NOT NULL OR body <> '(minimised)') RETURNING 1
)
UPDATE dsr_requests SET identifiers_minimised_at = %(now)s, updated_at = %(now)s
WHERE id = %(id)s
RETURNING (SELECT count(*) FROM dropped) AS identifiers_dropped,
          (SELECT count(*) FROM cleared) AS reasons_cleared,
          (SELECT count(*) FROM notices) AS notices_minimised;

-- name: list_dsr_platform_names
-- List every platform code with its aliases, to resolve the platform of a handle.
SELECT code, aliases FROM platforms;

-- name: list_dsr_identifiers_by_hash
-- Find the archive's handles, e-mail addresses and phone numbers with one of these hashes.
SELECT subject_id, kind, platform, value
FROM subject_identifiers
WHERE value_hash = ANY(%(value_hashes)s::bytea[]) AND kind IN ('handle', 'email', 'phone');

-- name: list_dsr_identifiers_of_subjects
-- List every identifier of the given subjects.
SELECT id, subject_id, kind, platform, value, value_hash, created_at
FROM subject_identifiers
WHERE subject_id = ANY(%(subject_ids)s::uuid[])
ORDER BY subject_id, kind, id;

-- name: lock_dsr_subjects
-- Lock subjects for erasure (ingestion adding items for them waits), in id order.
SELECT id FROM subjects WHERE id = ANY(%(subject_ids)s::uuid[]) ORDER BY id FOR UPDATE;

-- name: list_dsr_items_by_authors
-- The feedback items the given subjects wrote, oldest first.
SELECT id, platform, external_id, kind, visibility, author_id, in_reply_to_id,
       in_reply_to_external_id, text, public_text, created_at, ingested_at, updated_at, language,
       scanned_text_hash IS NOT DISTINCT FROM text_hash AS scanned
FROM feedback_items
WHERE author_id = ANY(%(subject_ids)s::uuid[])
ORDER BY created_at, id;

-- name: list_dsr_thread_items
-- Other people's items around the subjects' own: those they replied to and the direct replies.
SELECT f.id, f.platform, f.external_id, f.kind, f.visibility, f.author_id, f.in_reply_to_id,
       f.text, f.public_text, f.created_at,
       f.scanned_text_hash IS NOT DISTINCT FROM f.text_hash AS scanned
FROM feedback_items f
WHERE f.id IN (
          SELECT own.in_reply_to_id FROM feedback_items own
          WHERE own.author_id = ANY(%(subject_ids)s::uuid[]) AND own.in_reply_to_id IS NOT NULL
      )
  AND f.author_id <> ALL(%(subject_ids)s::uuid[])
UNION
SELECT f.id, f.platform, f.external_id, f.kind, f.visibility, f.author_id, f.in_reply_to_id,
       f.text, f.public_text, f.created_at,
       f.scanned_text_hash IS NOT DISTINCT FROM f.text_hash AS scanned
FROM feedback_items own
JOIN feedback_items f ON f.in_reply_to_id = own.id
WHERE own.author_id = ANY(%(subject_ids)s::uuid[])
  AND f.author_id <> ALL(%(subject_ids)s::uuid[])
ORDER BY created_at, id;

-- name: list_dsr_mention_items
-- Other people's items with a finding whose value hashes to one of the subject's identifiers.
SELECT f.id, f.platform, f.external_id, f.kind, f.visibility, f.author_id, f.in_reply_to_id,
       f.text, f.public_text, f.created_at,
       f.scanned_text_hash IS NOT DISTINCT FROM f.text_hash AS scanned
FROM feedback_items f
WHERE f.id IN (SELECT item_id FROM findings WHERE value_hash = ANY(%(value_hashes)s::bytea[]))
  AND f.author_id <> ALL(%(subject_ids)s::uuid[])
ORDER BY f.created_at, f.id;

-- name: list_dsr_findings_of_items
-- The findings of the given items, with the hash that tells whose data each one is.
SELECT item_id, entity_type, start_offset, end_offset, value_hash
FROM findings
WHERE item_id = ANY(%(item_ids)s::uuid[]);

-- name: list_dsr_findings_by_authors
-- The findings of every item the given subjects wrote.
SELECT fi.item_id, fi.entity_type, fi.start_offset, fi.end_offset, fi.value_hash
FROM feedback_items f
JOIN findings fi ON fi.item_id = f.id
WHERE f.author_id = ANY(%(subject_ids)s::uuid[]);

-- name: insert_dsr_suppressions
-- Add entries (parallel arrays) to the suppression list; known entries are left alone.
INSERT INTO dsr_suppressions (kind, platform, value_hash, request_id)
SELECT kind, platform, value_hash, %(request_id)s
FROM unnest(%(kinds)s::text[], %(platforms)s::text[], %(value_hashes)s::bytea[])
    AS entry (kind, platform, value_hash)
ON CONFLICT DO NOTHING
RETURNING id;

-- name: list_dsr_suppressions
-- Return the entries (parallel arrays of kind, platform, hash) that are on the list.
SELECT s.kind, s.platform, s.value_hash
FROM dsr_suppressions s
JOIN unnest(%(kinds)s::text[], %(platforms)s::text[], %(value_hashes)s::bytea[])
    AS wanted (kind, platform, value_hash)
    ON s.value_hash = wanted.value_hash
   AND s.kind = wanted.kind
   AND coalesce(s.platform, '') = coalesce(wanted.platform, '');

-- name: insert_dsr_flags
-- Flag identifiers (parallel arrays) for a kind of request; active flags are left alone.
INSERT INTO dsr_processing_flags (flag, kind, platform, value_hash, request_id)
SELECT %(flag)s, kind, platform, value_hash, %(request_id)s
FROM unnest(%(kinds)s::text[], %(platforms)s::text[], %(value_hashes)s::bytea[])
    AS entry (kind, platform, value_hash)
ON CONFLICT DO NOTHING
RETURNING id;

-- name: list_dsr_excluded_subjects
-- The archive subjects a kind of processing must leave out.
SELECT DISTINCT subject_id FROM dsr_processing_exclusions WHERE processing = %(processing)s;

-- name: list_dsr_subject_exclusions
-- The kinds of processing one archive subject is excluded from, with the flags behind them.
SELECT processing, flag FROM dsr_processing_exclusions
WHERE subject_id = %(subject_id)s
ORDER BY processing, flag;

-- name: update_dsr_identifier
-- Correct one stored identifier of a subject.
UPDATE subject_identifiers SET value = %(value)s, value_hash = %(value_hash)s
WHERE id = %(id)s;

-- name: list_dsr_active_holds
-- The active holds on the given subjects, on their items, or on the given items; with the
-- author of each held item.
SELECT h.id, h.feedback_id, h.subject_id, h.basis, f.author_id AS item_author_id
FROM legal_holds h
LEFT JOIN feedback_items f ON f.id = h.feedback_id
WHERE h.released_at IS NULL
  AND (
      h.subject_id = ANY(%(subject_ids)s::uuid[])
      OR f.author_id = ANY(%(subject_ids)s::uuid[])
      OR h.feedback_id = ANY(%(item_ids)s::uuid[])
  )
ORDER BY h.placed_at, h.id;

-- name: count_dsr_items_by_authors
-- How many items each of the given subjects wrote.
SELECT author_id, count(*) AS items
FROM feedback_items
WHERE author_id = ANY(%(subject_ids)s::uuid[])
GROUP BY author_id;

-- name: delete_dsr_findings_of_authors
-- Delete the findings of the items the given subjects wrote, except on the kept items.
DELETE FROM findings fi
USING feedback_items f
WHERE fi.item_id = f.id
  AND f.author_id = ANY(%(subject_ids)s::uuid[])
  AND f.id <> ALL(%(kept_item_ids)s::uuid[]);

-- name: delete_dsr_items_of_authors
-- Delete the items the given subjects wrote, except the kept ones (replies to them keep their
-- platform parent id and lose the link); return what was deleted.
DELETE FROM feedback_items
WHERE author_id = ANY(%(subject_ids)s::uuid[])
  AND id <> ALL(%(kept_item_ids)s::uuid[])
RETURNING id, author_id, platform, external_id;

-- name: delete_dsr_findings_of_items
-- Delete every finding of the given items.
DELETE FROM findings WHERE item_id = ANY(%(item_ids)s::uuid[]);

-- name: update_dsr_item_texts
-- Replace the text of items by their redacted text, which is then also their scanned text.
UPDATE feedback_items f
SET text = r.text, text_hash = r.text_hash, public_text = r.text, finding_count = 0,
    scanned_text_hash = r.text_hash, scanned_at = %(now)s, updated_at = %(now)s
FROM unnest(%(item_ids)s::uuid[], %(texts)s::text[], %(text_hashes)s::bytea[])
    AS r (id, text, text_hash)
WHERE f.id = r.id;

-- name: delete_dsr_identifiers_of_subjects
-- Delete every identifier of the given subjects.
DELETE FROM subject_identifiers WHERE subject_id = ANY(%(subject_ids)s::uuid[]);

-- name: delete_dsr_subjects
-- Delete subjects (their items and identifiers are gone already).
DELETE FROM subjects WHERE id = ANY(%(subject_ids)s::uuid[]);

-- name: update_dsr_packages_of_same_subject_purged
-- Drop the stored packages of every request naming one of this request's subject identifiers.
UPDATE dsr_packages p SET content = NULL
WHERE p.content IS NOT NULL
  AND p.request_id IN (
      SELECT other.request_id
      FROM dsr_request_identifiers mine
      JOIN dsr_request_identifiers other
          ON other.party = 'subject'
         AND other.kind = mine.kind
         AND lower(other.value) = lower(mine.value)
         AND other.platform IS NOT DISTINCT FROM mine.platform
      WHERE mine.request_id = %(request_id)s AND mine.party = 'subject'
  );

-- name: get_dsr_item_author
-- The author of a feedback item (to check a hold's target and reference its subject).
SELECT author_id FROM feedback_items WHERE id = %(id)s;

-- name: get_dsr_subject_exists
-- Tell whether an archive subject exists.
SELECT 1 FROM subjects WHERE id = %(id)s;

-- name: insert_dsr_package_link
-- Store a download link (its token's keyed hash only).
INSERT INTO dsr_package_links (request_id, token_hash, created_by, created_at, expires_at)
VALUES (%(request_id)s, %(token_hash)s, %(created_by)s, %(now)s, %(expires_at)s)
RETURNING id, request_id, created_at, expires_at, used_at, revoked_at;

-- name: lock_dsr_package_link_by_token
-- Find the link a token opens, locked (a link is used once).
SELECT l.*, r.subject_ref
FROM dsr_package_links l
JOIN dsr_requests r ON r.id = l.request_id
WHERE l.token_hash = %(token_hash)s
FOR UPDATE OF l;

-- name: update_dsr_package_link_used
-- Record that a link was used (it opens nothing again).
UPDATE dsr_package_links SET used_at = %(now)s WHERE id = %(id)s;

-- name: update_dsr_package_link_revoked
-- Revoke a link of a request; return it (NULL when the request has no such link).
UPDATE dsr_package_links
SET revoked_at = coalesce(revoked_at, %(now)s), revoked_by = coalesce(revoked_by, %(actor)s)
WHERE id = %(id)s AND request_id = %(request_id)s
RETURNING id, request_id, created_at, expires_at, used_at, revoked_at;

-- name: list_dsr_package_links
-- The download links of a request, newest first.
SELECT id, request_id, created_at, expires_at, used_at, revoked_at
FROM dsr_package_links WHERE request_id = %(request_id)s
ORDER BY created_at DESC, id;

-- name: list_dsr_digest
-- Open requests overdue or due before a time (GDPR ones waiting for the subject excepted),
-- soonest first; no identifiers.
SELECT id, type, regime, status, due_on, due_at, failed_at
FROM dsr_requests
WHERE closed_at IS NULL
  AND due_at <= %(soon)s
  AND NOT (status = 'awaiting_subject' AND regime = 'gdpr')
ORDER BY due_at, id;

-- name: list_dsr_undelivered_tasks
-- Recipient tasks of open requests whose every delivery attempt failed, oldest first.
SELECT t.id, t.request_id, t.last_error, t.last_attempt_at, r.name AS recipient_name
FROM dsr_recipient_tasks t
JOIN dsr_recipients r ON r.id = t.recipient_id
JOIN dsr_requests q ON q.id = t.request_id
WHERE t.status = 'send_failed' AND q.closed_at IS NULL
ORDER BY t.last_attempt_at NULLS FIRST, t.id;

-- name: insert_dsr_recipient
-- Register a recipient or processor.
INSERT INTO dsr_recipients (
    name, kind, contact_email, webhook_url, data_categories, purposes, sale_or_sharing
) VALUES (
    %(name)s, %(kind)s, %(contact_email)s, %(webhook_url)s, %(data_categories)s, %(purposes)s,
    %(sale_or_sharing)s
)
RETURNING *;

-- name: get_dsr_recipient
-- One recipient.
SELECT * FROM dsr_recipients WHERE id = %(id)s;

-- name: list_dsr_recipients
-- Recipients, active ones first, by name.
SELECT * FROM dsr_recipients
WHERE %(include_archived)s OR archived_at IS NULL
ORDER BY archived_at IS NOT NULL, name, id;

-- name: update_dsr_recipient_archived
-- Stop passing new requests on to a recipient (its past tasks stay).
UPDATE dsr_recipients SET archived_at = coalesce(archived_at, %(now)s) WHERE id = %(id)s
RETURNING *;

-- name: list_dsr_recipients_to_tell
-- The active recipients a request is passed on to: all of them for erasure, rectification and
-- restriction; for an opt-out, those the business sells to or shares with.
SELECT * FROM dsr_recipients
WHERE archived_at IS NULL AND (NOT %(sale_or_sharing_only)s OR sale_or_sharing)
ORDER BY name, id;

-- name: insert_dsr_recipient_task
-- Create the task of telling a recipient about a request (sent once the work commits).
INSERT INTO dsr_recipient_tasks (request_id, recipient_id, action, channel, status, created_at)
VALUES (%(request_id)s, %(recipient_id)s, %(action)s, %(channel)s, 'pending', %(now)s)
RETURNING *;

-- name: list_dsr_recipient_tasks
-- The recipient tasks of a request, with the recipient's name and kind.
SELECT t.*, r.name AS recipient_name, r.kind AS recipient_kind
FROM dsr_recipient_tasks t
JOIN dsr_recipients r ON r.id = t.recipient_id
WHERE t.request_id = %(request_id)s
ORDER BY r.name, t.id;

-- name: lock_dsr_recipient_task_to_deliver
-- A task, locked while it is sent, with where its recipient is reached.
SELECT t.*, r.contact_email, r.webhook_url
FROM dsr_recipient_tasks t
JOIN dsr_recipients r ON r.id = t.recipient_id
WHERE t.id = %(id)s
FOR UPDATE OF t;

-- name: update_dsr_recipient_task_attempted
-- Record one delivery attempt: sent, pending with the next attempt queued, or send_failed.
UPDATE dsr_recipient_tasks
SET status = %(status)s, last_error = %(last_error)s, attempts = %(attempts)s,
    last_attempt_at = %(now)s, next_attempt_at = %(next_attempt_at)s,
    sent_at = CASE WHEN %(status)s = 'sent' THEN %(now)s ELSE sent_at END
WHERE id = %(id)s
RETURNING *;

-- name: update_dsr_recipient_task_queued_again
-- Start a fresh round of delivery attempts under a new delivery id.
UPDATE dsr_recipient_tasks
SET status = 'pending', delivery_id = gen_random_uuid(), attempts = 0,
    next_attempt_at = %(now)s
WHERE id = %(id)s
RETURNING *;

-- name: upsert_dsr_sealed_corrections
-- Keep a rectification's corrections, sealed, while its tasks may be sent.
INSERT INTO dsr_sealed_corrections (request_id, sealed) VALUES (%(request_id)s, %(sealed)s)
ON CONFLICT (request_id) DO UPDATE SET sealed = EXCLUDED.sealed, created_at = now();

-- name: get_dsr_sealed_corrections
-- A rectification's sealed corrections.
SELECT sealed FROM dsr_sealed_corrections WHERE request_id = %(request_id)s;

-- name: delete_dsr_sealed_corrections_unsendable
-- Forget a request's corrections once none of its tasks can be sent any more.
DELETE FROM dsr_sealed_corrections c
WHERE c.request_id = %(request_id)s
  AND NOT EXISTS (
      SELECT 1 FROM dsr_recipient_tasks t
      WHERE t.request_id = c.request_id AND t.status IN ('pending', 'send_failed')
  );

-- name: lock_dsr_recipient
-- One recipient, locked for a change.
SELECT * FROM dsr_recipients WHERE id = %(id)s FOR UPDATE;

-- name: update_dsr_recipient
-- Change a recipient's entry.
UPDATE dsr_recipients
SET name = %(name)s, kind = %(kind)s, contact_email = %(contact_email)s,
    webhook_url = %(webhook_url)s, data_categories = %(data_categories)s,
    purposes = %(purposes)s, sale_or_sharing = %(sale_or_sharing)s
WHERE id = %(id)s
RETURNING *;

-- name: lock_dsr_recipient_task
-- One task of a request, locked.
SELECT * FROM dsr_recipient_tasks
WHERE id = %(id)s AND request_id = %(request_id)s
FOR UPDATE;

-- name: update_dsr_recipient_task_resolved
-- Complete a task with evidence, or close it as impossible or disproportionate.
UPDATE dsr_recipient_tasks
SET status = %(status)s, evidence = %(evidence)s, closed_as = %(closed_as)s,
    reason = %(reason)s, resolved_by = %(resolved_by)s, resolved_at = %(now)s
WHERE id = %(id)s
RETURNING *;

-- name: count_dsr_recipient_tasks_open
-- How many tasks of a request are still waiting (to be sent, or for the recipient).
SELECT count(*) AS open FROM dsr_recipient_tasks
WHERE request_id = %(request_id)s AND status IN ('pending', 'sent', 'send_failed');

-- name: update_dsr_awaiting_recipients
-- The work is done; the request waits for its recipients' confirmations.
UPDATE dsr_requests
SET status = 'awaiting_recipients', result = %(result)s, outcome = %(outcome)s,
    failed_at = NULL, failure_reason = NULL, updated_at = %(now)s
WHERE id = %(id)s;
