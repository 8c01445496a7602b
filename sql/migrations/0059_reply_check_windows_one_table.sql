-- One table counts reply checks per item for API keys and console users alike (they had a
-- table each, with the same columns and the same window rule). A check is counted against
-- its checker: ('key', api key id) or ('user', console user id). Windows in progress are kept.
CREATE TABLE reply_check_counts (
    checker text NOT NULL CHECK (checker IN ('key', 'user')),
    checker_id uuid NOT NULL,
    item_id uuid NOT NULL REFERENCES feedback_items (id) ON DELETE CASCADE,
    window_started_at timestamptz NOT NULL,
    checks integer NOT NULL CHECK (checks > 0),
    PRIMARY KEY (checker, checker_id, item_id)
);

CREATE INDEX reply_check_counts_item ON reply_check_counts (item_id);

INSERT INTO reply_check_counts (checker, checker_id, item_id, window_started_at, checks)
SELECT 'key', key_id, item_id, window_started_at, checks FROM reply_check_windows;

INSERT INTO reply_check_counts (checker, checker_id, item_id, window_started_at, checks)
SELECT 'user', user_id, item_id, window_started_at, checks FROM reply_check_user_windows;

DROP TABLE reply_check_windows;
DROP TABLE reply_check_user_windows;
