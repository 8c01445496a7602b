-- Data-subject requests (GDPR, CCPA): the request, the identifiers it carries, its history,
-- legal holds and access packages.

CREATE TABLE dsr_requests (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    type text NOT NULL CHECK (type IN (
        'access', 'portability', 'erasure', 'rectification', 'objection', 'restriction', 'opt_out'
    )),
    regime text NOT NULL CHECK (regime IN ('gdpr', 'ccpa')),
    status text NOT NULL DEFAULT 'received' CHECK (status IN (
        'received', 'verified', 'in_progress', 'completed', 'denied', 'cancelled'
    )),
    channel text NOT NULL CHECK (channel IN (
        'email', 'web_form', 'phone', 'toll_free_number', 'mail', 'in_person', 'other'
    )),
    requester_kind text NOT NULL CHECK (requester_kind IN ('subject', 'authorized_agent')),
    received_at timestamptz NOT NULL,
    -- The statutory dates, each meaning "by the end of that day" in the deployment's zone.
    received_on date NOT NULL,
    original_due_on date NOT NULL,
    due_on date NOT NULL,
    -- The instant due_on ends; stored so "overdue" is a plain comparison with now().
    due_at timestamptz NOT NULL,
    acknowledge_by date,
    extended_at timestamptz,
    verified_at timestamptz,
    verification_method text,
    verification_degree text CHECK (verification_degree IN ('reasonable', 'reasonably_high')),
    matched_data_points text[],
    signed_declaration boolean,
    denial_basis text,
    started_at timestamptz,
    -- When the request reached completed, denied or cancelled: the CCPA "response date".
    closed_at timestamptz,
    -- What was done: counts and, for erasure, what a legal hold kept and why. No raw identifiers.
    result jsonb,
    -- The pseudonymous reference every audit event about this request carries.
    subject_ref text NOT NULL,
    identifiers_minimised_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT dsr_requests_closed_at_matches_status
        CHECK ((status IN ('completed', 'denied', 'cancelled')) = (closed_at IS NOT NULL)),
    CONSTRAINT dsr_requests_denial_has_basis CHECK (status <> 'denied' OR denial_basis IS NOT NULL),
    CONSTRAINT dsr_requests_due_not_before_original CHECK (due_on >= original_due_on)
);
CREATE INDEX dsr_requests_open_by_due ON dsr_requests (due_at) WHERE closed_at IS NULL;
CREATE INDEX dsr_requests_received_at ON dsr_requests (received_at);
CREATE INDEX dsr_requests_closed_at ON dsr_requests (closed_at) WHERE closed_at IS NOT NULL;

-- CCPA regulations § 7101: request records are kept for at least 24 months.
CREATE FUNCTION dsr_requests_keep_records() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(OLD.closed_at, OLD.created_at) > now() - interval '24 months' THEN
        RAISE EXCEPTION 'data-subject request records are kept for 24 months (% rejected)', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN OLD;
END;
$$;
CREATE TRIGGER dsr_requests_keep_records BEFORE DELETE ON dsr_requests
    FOR EACH ROW EXECUTE FUNCTION dsr_requests_keep_records();

-- The one place holding the personal data a request carries: the data subject's identifiers
-- and the requester's name and proof of authority. Minimised once the record's retention ends.
CREATE TABLE dsr_request_identifiers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id uuid NOT NULL REFERENCES dsr_requests (id) ON DELETE CASCADE,
    party text NOT NULL CHECK (party IN ('subject', 'requester')),
    kind text NOT NULL CHECK (kind IN ('handle', 'email', 'phone', 'name', 'proof')),
    platform text,
    value text NOT NULL CHECK (length(value) BETWEEN 1 AND 2000),
    CONSTRAINT dsr_request_identifiers_handle_has_platform
        CHECK ((kind = 'handle') = (platform IS NOT NULL))
);
CREATE INDEX dsr_request_identifiers_request ON dsr_request_identifiers (request_id, id);

-- Every transition of a request, with who made it and why. Free-text reasons live here (and
-- only here), never in the audit log, so they can be minimised with the request's identifiers.
CREATE TABLE dsr_request_history (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id uuid NOT NULL REFERENCES dsr_requests (id) ON DELETE CASCADE,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    action text NOT NULL,
    from_status text,
    to_status text NOT NULL,
    actor_key_id uuid,
    actor_role text,
    reason text,
    basis text,
    details jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX dsr_request_history_request ON dsr_request_history (request_id, id);

-- Legal holds: a feedback item, or everything of one archive subject, that erasure must keep.
-- Released holds stay as a record of what was kept and when.
CREATE TABLE legal_holds (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    feedback_id uuid,
    subject_id uuid,
    basis text NOT NULL CHECK (basis IN (
        'legal_claims', 'legal_obligation', 'freedom_of_expression', 'public_interest',
        'archiving_research', 'security'
    )),
    reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    placed_at timestamptz NOT NULL DEFAULT now(),
    placed_by uuid,
    released_at timestamptz,
    released_by uuid,
    CONSTRAINT legal_holds_one_target CHECK ((feedback_id IS NULL) <> (subject_id IS NULL))
);
CREATE INDEX legal_holds_active_feedback ON legal_holds (feedback_id) WHERE released_at IS NULL;
CREATE INDEX legal_holds_active_subject ON legal_holds (subject_id) WHERE released_at IS NULL;

-- The ZIP answering an access or portability request; content is dropped once it expires.
CREATE TABLE dsr_packages (
    request_id uuid PRIMARY KEY REFERENCES dsr_requests (id) ON DELETE CASCADE,
    content bytea,
    size_bytes integer NOT NULL,
    sha256 text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    download_count integer NOT NULL DEFAULT 0
);
CREATE INDEX dsr_packages_expiring ON dsr_packages (expires_at) WHERE content IS NOT NULL;
