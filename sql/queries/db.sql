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
