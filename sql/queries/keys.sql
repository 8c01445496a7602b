-- name: insert_api_key
-- Store a new key's hash and metadata.
INSERT INTO api_keys (name, role, key_hash) VALUES (%(name)s, %(role)s, %(key_hash)s)
RETURNING id, name, role, created_at, last_used_at, revoked_at;

-- name: list_api_keys
-- List keys, newest first.
SELECT id, name, role, created_at, last_used_at, revoked_at
FROM api_keys
WHERE %(include_revoked)s OR revoked_at IS NULL
ORDER BY created_at DESC, id;

-- name: update_api_key_revoked
-- Revoke a key; keeps the first revocation time.
UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
WHERE id = %(id)s
RETURNING id, name, role, created_at, last_used_at, revoked_at;

-- name: count_api_keys
-- Count keys.
SELECT count(*) AS count FROM api_keys;

-- name: get_api_key_by_hash
-- Find a key by its hash.
SELECT id, role, revoked_at FROM api_keys WHERE key_hash = %(key_hash)s;

-- name: update_api_key_last_used
-- Record use of a key, at most once a minute to spare writes on hot paths.
UPDATE api_keys SET last_used_at = now()
WHERE id = %(id)s AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute');

-- name: lock_bootstrap
-- Serialize the creation of the first admin key.
SELECT pg_advisory_xact_lock(7305112019002);
