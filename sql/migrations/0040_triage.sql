-- Escalation triage: flags raised on feedback items by the triage rules, the reviews that
-- work them, and the deployment's own rules.
--
-- Flags keep offsets into feedback_items.text (and the hash of the text they were raised on),
-- never the matched words: the evidence is the item's own text, so erasing the item erases it.
-- Review notes are free text written by staff about an item; they go with the item too.

ALTER TABLE feedback_items
    ADD COLUMN triage_version text;

CREATE TABLE triage_flags (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id uuid NOT NULL REFERENCES feedback_items (id) ON DELETE CASCADE,
    flag text NOT NULL CHECK (flag IN (
        'self_harm', 'product_safety', 'legal_threat', 'regulator', 'defamation_claim', 'abuse',
        'spam'
    )),
    start_offset integer NOT NULL CHECK (start_offset >= 0),
    end_offset integer NOT NULL CHECK (end_offset > start_offset),
    score real NOT NULL CHECK (score >= 0 AND score <= 1),
    rule_id text NOT NULL,
    rules_version text NOT NULL,
    -- The text the offsets point into; once the item's text changes they point nowhere.
    text_hash bytea NOT NULL,
    flagged_at timestamptz NOT NULL,
    CONSTRAINT triage_flags_once UNIQUE (item_id, flag)
);
CREATE INDEX triage_flags_flag ON triage_flags (flag, item_id);

-- A decision on an item's flags. `flags` are the flags the decision covered: a flag raised
-- later (new rules) makes the item due for review again.
CREATE TABLE triage_reviews (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    item_id uuid NOT NULL REFERENCES feedback_items (id) ON DELETE CASCADE,
    decision text NOT NULL CHECK (decision IN ('escalated', 'dismissed', 'hold_placed')),
    flags text[] NOT NULL,
    notes text CHECK (length(notes) <= 2000),
    hold_id uuid REFERENCES legal_holds (id),
    -- The text the covered flags were raised on: a review covers the flags of that text only.
    text_hash bytea NOT NULL,
    reviewed_by uuid,
    reviewed_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT triage_reviews_hold_when_placed CHECK ((decision = 'hold_placed') = (hold_id IS NOT NULL))
);
CREATE INDEX triage_reviews_item ON triage_reviews (item_id, reviewed_at);

-- The deployment's own rules and the built-in rules it switched off (one document).
CREATE TABLE triage_rule_sets (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    document jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by uuid
);
