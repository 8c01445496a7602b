-- name: insert_portal_submission
-- Hold a portal submission until its e-mail address is confirmed.
INSERT INTO portal_submissions (payload, code_hash, expires_at)
VALUES (%(payload)s, %(code_hash)s, now() + make_interval(secs => %(lifetime_seconds)s))
RETURNING id;

-- name: get_portal_submission
-- Read a submission still waiting for its code, locked against concurrent attempts.
SELECT id, payload, code_hash, attempts, expires_at > now() AS live
FROM portal_submissions
WHERE id = %(id)s AND confirmed_at IS NULL
FOR UPDATE;

-- name: update_portal_submission_attempt
-- Count a wrong code.
UPDATE portal_submissions SET attempts = attempts + 1 WHERE id = %(id)s;

-- name: update_portal_submission_confirmed
-- Mark a submission filed, drop its identifiers and keep the status link's hash.
UPDATE portal_submissions
SET confirmed_at = now(), payload = NULL, request_id = %(request_id)s,
    status_token_hash = %(status_token_hash)s
WHERE id = %(id)s;

-- name: get_portal_request_by_token
-- Find the request a status link points at.
SELECT request_id FROM portal_submissions
WHERE status_token_hash = %(status_token_hash)s AND request_id IS NOT NULL;

-- name: delete_portal_submissions_expired
-- Drop submissions nobody confirmed in time (their identifiers with them).
DELETE FROM portal_submissions WHERE confirmed_at IS NULL AND expires_at <= now();
