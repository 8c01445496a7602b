-- How often each API key has checked replies to each feedback item in its current window: the
-- reply guard refuses more than PRIVACY_GUARD_CHECKS_PER_ITEM checks of one item per window,
-- so nobody can test guesses against a customer's stored data at speed.
CREATE TABLE reply_check_windows (
    key_id uuid NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    item_id uuid NOT NULL REFERENCES feedback_items (id) ON DELETE CASCADE,
    window_started_at timestamptz NOT NULL,
    checks integer NOT NULL CHECK (checks > 0),
    PRIMARY KEY (key_id, item_id)
);

CREATE INDEX reply_check_windows_item ON reply_check_windows (item_id);
