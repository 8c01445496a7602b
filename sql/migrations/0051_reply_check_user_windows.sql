-- How often each console user has checked replies to each feedback item in its current window:
-- the console's reply checker is held to the same limit as an API key (reply_check_windows).
-- No foreign key to console_users, made by a later migration; a removed user's rows only age.
CREATE TABLE reply_check_user_windows (
    user_id uuid NOT NULL,
    item_id uuid NOT NULL REFERENCES feedback_items (id) ON DELETE CASCADE,
    window_started_at timestamptz NOT NULL,
    checks integer NOT NULL CHECK (checks > 0),
    PRIMARY KEY (user_id, item_id)
);

CREATE INDEX reply_check_user_windows_item ON reply_check_user_windows (item_id);
