-- name: database_exists
-- Tell whether a database of that name exists.
SELECT 1 FROM pg_database WHERE datname = %(name)s;

-- name: migration_lock
-- Serialize migration runs across processes.
SELECT pg_advisory_lock(%(lock_id)s);

-- name: migration_unlock
-- Release the migration lock.
SELECT pg_advisory_unlock(%(lock_id)s);

-- name: create_migrations_table
-- Create the table that records applied migrations.
CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);

-- name: applied_migrations
-- List applied migration versions.
SELECT version FROM schema_migrations ORDER BY version;

-- name: record_migration
-- Record one applied migration.
INSERT INTO schema_migrations (version, name) VALUES (%(version)s, %(name)s);
