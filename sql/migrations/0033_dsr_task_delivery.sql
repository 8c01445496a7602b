-- Recipient tasks are delivered by a background job with retries, and a rectification's
-- corrections are kept sealed until no task can be sent any more.

ALTER TABLE dsr_recipient_tasks
    -- Why the last attempt failed, as a category only: never a response body or personal data.
    ADD COLUMN last_error text CHECK (last_error IN (
        'connection_refused', 'timeout', 'tls', 'dns', 'address_refused', 'redirect',
        'http_4xx', 'http_5xx', 'connection_error', 'smtp', 'no_smtp', 'invalid_url',
        'corrections_unavailable'
    )),
    -- Identifies one round of delivery attempts (X-Privacy-Delivery); a manual resend starts
    -- a new round with a new id. Jobs of an earlier round find it changed and do nothing.
    ADD COLUMN delivery_id uuid NOT NULL DEFAULT gen_random_uuid(),
    -- Attempts made in the current round.
    ADD COLUMN attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    ADD COLUMN last_attempt_at timestamptz,
    ADD COLUMN next_attempt_at timestamptz;

UPDATE dsr_recipient_tasks SET last_error = CASE
    WHEN send_error IS NULL THEN NULL
    WHEN send_error LIKE 'HTTP 5%' THEN 'http_5xx'
    WHEN send_error LIKE 'HTTP 4%' THEN 'http_4xx'
    WHEN send_error LIKE 'HTTP 3%' THEN 'redirect'
    WHEN send_error = 'no SMTP server configured' THEN 'no_smtp'
    WHEN send_error = 'ConnectionRefusedError' THEN 'connection_refused'
    WHEN send_error IN ('TimeoutError', 'timeout') THEN 'timeout'
    WHEN send_error LIKE 'SSL%' OR send_error LIKE '%Certificate%' THEN 'tls'
    WHEN send_error = 'gaierror' THEN 'dns'
    WHEN send_error LIKE 'SMTP%' THEN 'smtp'
    WHEN send_error = 'ValueError' THEN 'invalid_url'
    ELSE 'connection_error'
END;

ALTER TABLE dsr_recipient_tasks DROP COLUMN send_error;

-- A rectification's corrections (old and new values: personal data), sealed with AES-GCM under
-- a key derived from the service's secret key, which is not in the database (service/sealing.py).
-- Kept only while a task of the request may still be sent (pending or send_failed), so a
-- failed delivery can be retried; deleted as soon as every task is delivered or resolved.
CREATE TABLE dsr_sealed_corrections (
    request_id uuid PRIMARY KEY REFERENCES dsr_requests (id) ON DELETE CASCADE,
    sealed bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
