-- Audit events are found by request id or subject reference only by equality, and both are random
-- values (a request id is a fresh uuid; a subject reference a keyed hash): in a btree every event
-- lands on a random page of a large index, the costliest of the event table's index updates. A
-- hash index serves the same lookups (`request_id = x`, `subject_ref = x`) for less per insert;
-- the seq order of a page comes from audit_leaves either way.
DROP INDEX audit_events_request_id;
CREATE INDEX audit_events_request_id ON audit_events USING hash (request_id)
    WHERE request_id IS NOT NULL;
DROP INDEX audit_events_subject_ref;
CREATE INDEX audit_events_subject_ref ON audit_events USING hash (subject_ref)
    WHERE subject_ref IS NOT NULL;
