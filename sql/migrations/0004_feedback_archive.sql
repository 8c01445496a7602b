-- Feedback archive: platforms, subjects and their identifiers, feedback items, findings, scans
-- and the per-platform policies of the reply guard.
--
-- Personal data is kept in these columns only (access and erasure requests look here):
--   subject_identifiers.value   handles, e-mail addresses, phone numbers, display names
--   feedback_items.text         the raw text as received
--   feedback_items.public_text  the redacted text (personal data a scan missed may remain)
-- Platform post ids (external_id, in_reply_to_external_id) point at the posts on the platform.
-- Findings keep offsets and a keyed hash of the value, never the value itself.

CREATE TABLE platforms (
    code text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{0,31}$'),
    name text NOT NULL,
    -- Other names clients may send for the platform ("twitter" for "x").
    aliases text[] NOT NULL DEFAULT '{}'
);
INSERT INTO platforms (code, name, aliases) VALUES
    ('x', 'X (Twitter)', '{twitter}'),
    ('instagram', 'Instagram', '{}'),
    ('facebook', 'Facebook', '{}'),
    ('tiktok', 'TikTok', '{}'),
    ('trustpilot', 'Trustpilot', '{}'),
    ('email', 'E-mail', '{e-mail,mail}'),
    ('youtube', 'YouTube', '{}'),
    ('linkedin', 'LinkedIn', '{}'),
    ('reddit', 'Reddit', '{}'),
    ('google_reviews', 'Google reviews', '{google}'),
    ('app_store', 'App Store reviews', '{}'),
    ('play_store', 'Google Play reviews', '{}'),
    ('web', 'Website forms and chat', '{}');

-- A person who wrote feedback. Everything known about them is in subject_identifiers.
CREATE TABLE subjects (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Identifiers in the form used for matching: handles lower-cased without "@" (per platform),
-- e-mail addresses lower-cased, phones in E.164, display names as shown (per platform).
-- value_hash is the keyed hash findings carry (service.archive.identifiers.value_hash), so the
-- mentions of a subject in anyone's text are found by a join, without storing the values twice.
CREATE TABLE subject_identifiers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject_id uuid NOT NULL REFERENCES subjects (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('handle', 'email', 'phone', 'name')),
    platform text REFERENCES platforms (code),
    value text NOT NULL CHECK (length(value) BETWEEN 1 AND 320),
    value_hash bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT subject_identifiers_platform_kinds
        CHECK ((kind IN ('handle', 'name')) = (platform IS NOT NULL))
);
-- A handle is one account on one platform; an e-mail address or phone number one person.
CREATE UNIQUE INDEX subject_identifiers_handle ON subject_identifiers (platform, value)
    WHERE kind = 'handle';
CREATE UNIQUE INDEX subject_identifiers_contact ON subject_identifiers (kind, value)
    WHERE kind IN ('email', 'phone');
-- One display name per subject and platform: the latest one seen.
CREATE UNIQUE INDEX subject_identifiers_name ON subject_identifiers (subject_id, platform)
    WHERE kind = 'name';
CREATE INDEX subject_identifiers_subject ON subject_identifiers (subject_id, kind);
CREATE INDEX subject_identifiers_value_hash ON subject_identifiers (value_hash);

CREATE TABLE feedback_items (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    platform text NOT NULL REFERENCES platforms (code),
    external_id text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 200),
    kind text NOT NULL CHECK (kind IN ('comment', 'review', 'dm', 'mention', 'reply')),
    visibility text NOT NULL CHECK (visibility IN ('public', 'private')),
    -- Erasing a subject deletes their items first (findings go with them): no cascade from here.
    author_id uuid NOT NULL REFERENCES subjects (id) ON DELETE RESTRICT,
    -- The parent post's id on the platform, and the parent item once it is stored.
    in_reply_to_external_id text CHECK (length(in_reply_to_external_id) BETWEEN 1 AND 200),
    in_reply_to_id uuid REFERENCES feedback_items (id) ON DELETE SET NULL,
    text text NOT NULL,
    text_hash bytea NOT NULL,
    created_at timestamptz NOT NULL,
    ingested_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- The latest scan, NULL until the current text is scanned.
    language text,
    public_text text,
    finding_count integer,
    scanned_text_hash bytea,
    scanned_at timestamptz,
    engine_version text,
    CONSTRAINT feedback_items_platform_external_id UNIQUE (platform, external_id)
);
CREATE INDEX feedback_items_created ON feedback_items (created_at, id);
CREATE INDEX feedback_items_platform_created ON feedback_items (platform, created_at, id);
CREATE INDEX feedback_items_author_created ON feedback_items (author_id, created_at, id);
CREATE INDEX feedback_items_parent_external ON feedback_items (platform, in_reply_to_external_id)
    WHERE in_reply_to_external_id IS NOT NULL;
CREATE INDEX feedback_items_in_reply_to ON feedback_items (in_reply_to_id)
    WHERE in_reply_to_id IS NOT NULL;

-- One piece of personal data found in an item's text: offsets (Unicode code points) into
-- feedback_items.text and a keyed hash of the normalised value.
CREATE TABLE findings (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id uuid NOT NULL REFERENCES feedback_items (id) ON DELETE CASCADE,
    entity_type text NOT NULL,
    start_offset integer NOT NULL CHECK (start_offset >= 0),
    end_offset integer NOT NULL CHECK (end_offset > start_offset),
    score real NOT NULL,
    recognizer text NOT NULL,
    value_hash bytea NOT NULL,
    engine_version text NOT NULL,
    scanned_at timestamptz NOT NULL,
    -- A retried scan replaces an item's findings; this makes a duplicate impossible regardless.
    CONSTRAINT findings_once UNIQUE (item_id, start_offset, end_offset, entity_type)
);
CREATE INDEX findings_value_hash ON findings (value_hash);

-- A scan of a set of items: after ingestion (reason 'ingest') or on request ('request').
CREATE TABLE scan_runs (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    reason text NOT NULL CHECK (reason IN ('ingest', 'request')),
    requested_by uuid,
    platform text,
    since timestamptz,
    rescan boolean NOT NULL DEFAULT false,
    items_total integer NOT NULL CHECK (items_total >= 0),
    items_done integer NOT NULL DEFAULT 0,
    items_skipped integer NOT NULL DEFAULT 0,
    findings_found integer NOT NULL DEFAULT 0,
    chunks_total integer NOT NULL,
    chunks_done integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz,
    CONSTRAINT scan_runs_progress CHECK (items_done <= items_total AND chunks_done <= chunks_total)
);
CREATE INDEX scan_runs_created ON scan_runs (created_at);

-- The unit of work of one queued job. done_at is set in the transaction that writes the
-- chunk's findings, so a job retried after a crash either redoes the chunk or finds it done.
CREATE TABLE scan_chunks (
    scan_id uuid NOT NULL REFERENCES scan_runs (id) ON DELETE CASCADE,
    chunk integer NOT NULL,
    item_ids uuid[] NOT NULL,
    done_at timestamptz,
    PRIMARY KEY (scan_id, chunk)
);

-- Reply guard policy of a platform; platforms without a row use the built-in default.
CREATE TABLE reply_policies (
    platform text PRIMARY KEY REFERENCES platforms (code),
    policy jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by uuid
);
