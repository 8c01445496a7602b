-- The register of recipients and processors (GDPR Art. 30(1)(d), 19; CCPA § 1798.105(c),
-- regulations § 7022(b), § 7023(c), § 7026(f)) and the task of telling each one about a request.

CREATE TABLE dsr_recipients (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind text NOT NULL CHECK (kind IN ('processor', 'controller', 'third_party')),
    contact_email text CHECK (length(contact_email) <= 320),
    webhook_url text CHECK (length(webhook_url) <= 2000),
    data_categories text[] NOT NULL DEFAULT '{}',
    purposes text[] NOT NULL DEFAULT '{}',
    -- CCPA: the business sells personal information to or shares it with this recipient.
    sale_or_sharing boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    archived_at timestamptz,
    CONSTRAINT dsr_recipients_reachable CHECK (contact_email IS NOT NULL OR webhook_url IS NOT NULL)
);

-- One task per recipient a request is passed on to. It stores how the recipient was told and
-- how the task ended, never the identifiers that were sent.
CREATE TABLE dsr_recipient_tasks (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    request_id uuid NOT NULL REFERENCES dsr_requests (id) ON DELETE CASCADE,
    recipient_id uuid NOT NULL REFERENCES dsr_recipients (id),
    action text NOT NULL CHECK (action IN ('erase', 'rectify', 'restrict', 'opt_out')),
    channel text NOT NULL CHECK (channel IN ('webhook', 'notice')),
    -- pending: created with the request's work, not yet sent (sent once that work committed).
    status text NOT NULL CHECK (status IN ('pending', 'sent', 'send_failed', 'completed', 'closed')),
    send_error text,
    evidence text CHECK (length(evidence) <= 2000),
    closed_as text CHECK (closed_as IN ('impossible', 'disproportionate')),
    reason text CHECK (length(reason) <= 2000),
    resolved_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    resolved_at timestamptz,
    CONSTRAINT dsr_recipient_tasks_closed_has_reason
        CHECK (status <> 'closed' OR (closed_as IS NOT NULL AND reason IS NOT NULL)),
    CONSTRAINT dsr_recipient_tasks_completed_has_evidence
        CHECK (status <> 'completed' OR evidence IS NOT NULL),
    UNIQUE (request_id, recipient_id)
);
CREATE INDEX dsr_recipient_tasks_open ON dsr_recipient_tasks (request_id)
    WHERE status IN ('pending', 'sent', 'send_failed');
