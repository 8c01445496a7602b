-- name: get_database_exists
-- Tell whether a database of that name exists.
SELECT 1 FROM pg_database WHERE datname = %(name)s;

-- name: lock_migrations
-- Serialize migration runs across processes.
SELECT pg_advisory_lock(%(lock_id)s);

-- name: unlock_migrations
-- Release the migration lock.
SELECT pg_advisory_unlock(%(lock_id)s);

-- name: create_migrations_table
-- Create the table that records applied migrations, per namespace (ours, the job queue's).
CREATE TABLE IF NOT EXISTS schema_migrations (
    namespace text NOT NULL DEFAULT 'service',
    version integer NOT NULL,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (namespace, version)
);

-- name: update_migrations_table
-- Give a table made before namespaces existed its namespace column and key (then a no-op).
DO $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM information_schema.columns
        WHERE table_schema = current_schema()
          AND table_name = 'schema_migrations'
          AND column_name = 'namespace'
    ) THEN
        ALTER TABLE schema_migrations ADD COLUMN namespace text NOT NULL DEFAULT 'service';
        ALTER TABLE schema_migrations DROP CONSTRAINT schema_migrations_pkey;
        ALTER TABLE schema_migrations ADD PRIMARY KEY (namespace, version);
    END IF;
END
$$;

-- name: list_applied_migrations
-- List the applied migration versions of one namespace.
SELECT version FROM schema_migrations WHERE namespace = %(namespace)s ORDER BY version;

-- name: insert_migration
-- Record one applied migration.
INSERT INTO schema_migrations (namespace, version, name)
VALUES (%(namespace)s, %(version)s, %(name)s);

-- name: get_queue_schema_present
-- Tell whether the job queue's tables exist.
SELECT to_regclass('procrastinate_jobs') IS NOT NULL AS present;

-- name: get_role_exists
-- Tell whether a role of that name exists on the server.
SELECT 1 FROM pg_roles WHERE rolname = %(name)s;

-- name: create_service_role
-- Create the role the service connects as: it can log in and nothing else of note.
CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;

-- name: grant_service_role
-- What the service may do, granted again after every migration run (new tables included): read
-- and write its tables, but only insert into and read the append-only audit tables and only
-- read the migration record. It owns nothing, so it cannot alter a table or disable a trigger.
GRANT USAGE ON SCHEMA public TO {role};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events, audit_leaves, audit_tree, audit_checkpoints,
    audit_cosignatures, audit_signer_keys, audit_alarms FROM {role};
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migrations FROM {role};
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role};
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {role};

-- name: get_role_is_privileged
-- Tell whether the connected role could bypass the audit log's protection (a superuser, or the
-- owner of its events table).
SELECT r.rolsuper OR pg_has_role(current_user, t.tableowner, 'USAGE') AS privileged
FROM pg_roles r, pg_tables t
WHERE r.rolname = current_user AND t.schemaname = 'public' AND t.tablename = 'audit_events';

-- name: get_current_user
-- The role this session runs as.
SELECT current_user;
