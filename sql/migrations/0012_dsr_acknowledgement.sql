-- CCPA regulations § 7021(a): the confirmation of receipt a request to know, delete or correct
-- must get within 10 business days (its acknowledge_by date). on_time is decided when the
-- confirmation is recorded, against the end of acknowledge_by in the deployment's zone.

ALTER TABLE dsr_requests
    ADD COLUMN acknowledged_at timestamptz,
    ADD COLUMN acknowledged_on_time boolean,
    ADD COLUMN acknowledgement_channel text CHECK (acknowledgement_channel IN (
        'email', 'web_form', 'phone', 'toll_free_number', 'mail', 'in_person', 'other'
    )),
    ADD CONSTRAINT dsr_requests_acknowledged_needs_a_date
        CHECK (acknowledged_at IS NULL OR acknowledge_by IS NOT NULL),
    ADD CONSTRAINT dsr_requests_acknowledged_on_time_when_acknowledged
        CHECK ((acknowledged_at IS NULL) = (acknowledged_on_time IS NULL)),
    ADD CONSTRAINT dsr_requests_acknowledgement_channel_when_acknowledged
        CHECK (acknowledgement_channel IS NULL OR acknowledged_at IS NOT NULL);

-- The officer's list of receipts still to confirm, soonest first.
CREATE INDEX dsr_requests_unacknowledged ON dsr_requests (acknowledge_by)
    WHERE closed_at IS NULL AND acknowledge_by IS NOT NULL AND acknowledged_at IS NULL;
