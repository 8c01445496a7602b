-- One-time, expiring download links delivering an access package to the data subject without
-- an API key. Only a keyed hash of the token is stored: the database alone cannot open a link.

CREATE TABLE dsr_package_links (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    request_id uuid NOT NULL REFERENCES dsr_requests (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by uuid,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    revoked_at timestamptz,
    revoked_by uuid
);
CREATE INDEX dsr_package_links_request ON dsr_package_links (request_id, created_at);

ALTER TABLE dsr_notices DROP CONSTRAINT dsr_notices_kind_check;
ALTER TABLE dsr_notices ADD CONSTRAINT dsr_notices_kind_check CHECK (kind IN (
    'acknowledgement', 'information_request', 'extension', 'denial', 'completion',
    'restriction_lifted', 'package_link'
));
