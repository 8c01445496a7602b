-- After an erasure: what must not be stored again. After an objection, restriction or opt-out:
-- which processing must leave the subject out. Both keep keyed hashes only (the archive's
-- value hash for identifiers, a keyed hash of the post id for items), never a raw value.
-- A handle is one account on one platform, so its platform is part of the key.

CREATE TABLE dsr_suppressions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('handle', 'email', 'phone', 'item')),
    platform text,
    value_hash bytea NOT NULL,
    request_id uuid REFERENCES dsr_requests (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT dsr_suppressions_platform_kinds
        CHECK ((kind IN ('handle', 'item')) = (platform IS NOT NULL))
);
CREATE UNIQUE INDEX dsr_suppressions_key
    ON dsr_suppressions (kind, coalesce(platform, ''), value_hash);

CREATE TABLE dsr_processing_flags (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    flag text NOT NULL CHECK (flag IN ('objection', 'restriction', 'opt_out')),
    kind text NOT NULL CHECK (kind IN ('handle', 'email', 'phone')),
    platform text,
    value_hash bytea NOT NULL,
    request_id uuid REFERENCES dsr_requests (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    lifted_at timestamptz,
    CONSTRAINT dsr_processing_flags_platform_kinds CHECK ((kind = 'handle') = (platform IS NOT NULL))
);
CREATE UNIQUE INDEX dsr_processing_flags_active
    ON dsr_processing_flags (flag, kind, coalesce(platform, ''), value_hash)
    WHERE lifted_at IS NULL;
CREATE INDEX dsr_processing_flags_value_hash ON dsr_processing_flags (value_hash)
    WHERE lifted_at IS NULL;

-- The processing each flag excludes: an objection (GDPR Art. 21) stops analysis based on
-- legitimate interests; a restriction (Art. 18; CCPA limit on sensitive data) leaves storage
-- only; an opt-out (CCPA sale or sharing) stops sharing.
CREATE TABLE dsr_flag_exclusions (
    flag text NOT NULL,
    processing text NOT NULL,
    PRIMARY KEY (flag, processing)
);
INSERT INTO dsr_flag_exclusions (flag, processing) VALUES
    ('objection', 'analysis'),
    ('restriction', 'analysis'),
    ('restriction', 'sharing'),
    ('opt_out', 'sharing');

-- The archive subjects each kind of processing must leave out, now and for subjects stored
-- later with a flagged identifier: `WHERE author_id NOT IN (SELECT subject_id FROM
-- dsr_processing_exclusions WHERE processing = 'analysis')`.
CREATE VIEW dsr_processing_exclusions AS
SELECT DISTINCT i.subject_id, x.processing, f.flag
FROM dsr_processing_flags f
JOIN dsr_flag_exclusions x ON x.flag = f.flag
JOIN subject_identifiers i
    ON i.value_hash = f.value_hash
   AND i.kind = f.kind
   AND i.platform IS NOT DISTINCT FROM f.platform
WHERE f.lifted_at IS NULL;
