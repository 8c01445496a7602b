-- Data-subject requests that hold up before a regulator: each request's own time zone and
-- language, the paused clock (awaiting_subject), the outcome (no data held, categories only),
-- the lift of a restriction, the notices sent to the subject, and held data restricted to the
-- purpose of its hold.

ALTER TABLE dsr_requests
    -- The IANA zone the request's dates are counted in (CCPA: America/Los_Angeles by default).
    ADD COLUMN time_zone text,
    ADD COLUMN language text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'nl')),
    -- How a completed request was answered; NULL while open, denied or cancelled.
    ADD COLUMN outcome text CHECK (outcome IN (
        'complied', 'complied_in_part', 'no_data_held', 'categories_only'
    )),
    -- CCPA § 7024(a): identity verified well enough for categories, not for specific pieces.
    ADD COLUMN verification_scope text CHECK (verification_scope IN (
        'specific_pieces', 'categories_only'
    )),
    -- While the controller waits for the data subject (identity, clarification).
    ADD COLUMN paused_at timestamptz,
    ADD COLUMN paused_from_status text,
    ADD COLUMN paused_days integer NOT NULL DEFAULT 0 CHECK (paused_days >= 0),
    -- When a restriction or objection stopped applying (GDPR Art. 18(3)).
    ADD COLUMN lifted_at timestamptz,
    -- The last failed execution of an in_progress request (kept until it is retried).
    ADD COLUMN failed_at timestamptz,
    ADD COLUMN failure_reason text;
UPDATE dsr_requests SET time_zone = 'UTC' WHERE time_zone IS NULL;
ALTER TABLE dsr_requests ALTER COLUMN time_zone SET NOT NULL;
UPDATE dsr_requests
SET outcome = CASE WHEN coalesce((result ->> 'kept_by_hold')::int, 0) > 0
                   THEN 'complied_in_part' ELSE 'complied' END
WHERE status = 'completed';

ALTER TABLE dsr_requests DROP CONSTRAINT dsr_requests_status_check;
ALTER TABLE dsr_requests ADD CONSTRAINT dsr_requests_status_check CHECK (status IN (
    'received', 'verified', 'awaiting_subject', 'in_progress', 'awaiting_recipients',
    'completed', 'denied', 'cancelled'
));
ALTER TABLE dsr_requests ADD CONSTRAINT dsr_requests_paused_when_awaiting_subject
    CHECK ((status = 'awaiting_subject') = (paused_at IS NOT NULL));

-- Data an erasure kept because of a legal hold is processed for the hold's purpose only
-- (CCPA regulations § 7022(f)(3); GDPR Art. 18(1)(c), 17(3)): a 'hold' flag stops analysis and
-- sharing of the subjects it kept.
ALTER TABLE dsr_processing_flags DROP CONSTRAINT dsr_processing_flags_flag_check;
ALTER TABLE dsr_processing_flags ADD CONSTRAINT dsr_processing_flags_flag_check
    CHECK (flag IN ('objection', 'restriction', 'opt_out', 'hold'));
INSERT INTO dsr_flag_exclusions (flag, processing) VALUES ('hold', 'analysis'), ('hold', 'sharing');
CREATE INDEX dsr_processing_flags_request ON dsr_processing_flags (request_id)
    WHERE lifted_at IS NULL;

-- What was sent to the data subject about a request: the rendered text of a versioned
-- template and the one address it went to. No other personal data is stored here.
CREATE TABLE dsr_notices (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    request_id uuid NOT NULL REFERENCES dsr_requests (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN (
        'acknowledgement', 'information_request', 'extension', 'denial', 'completion',
        'restriction_lifted'
    )),
    template text NOT NULL,
    language text NOT NULL CHECK (language IN ('en', 'nl')),
    channel text NOT NULL CHECK (channel IN ('smtp', 'record_only')),
    recipient text,
    subject_line text NOT NULL,
    body text NOT NULL,
    status text NOT NULL CHECK (status IN ('recorded', 'sent', 'failed')),
    error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz
);
CREATE INDEX dsr_notices_request ON dsr_notices (request_id, created_at);

-- An objection (GDPR Art. 21(1)) stops the processing beyond storage, like a restriction:
-- the controller "shall no longer process" the data (sharing included).
INSERT INTO dsr_flag_exclusions (flag, processing) VALUES ('objection', 'sharing');
