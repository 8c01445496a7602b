#!/bin/sh
# Runs once, when the PostgreSQL container initialises its data: the owner role that migrations
# run as, and the service's role, which owns nothing and gets its rights from the migrations.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v owner_password="$PRIVACY_OWNER_PASSWORD" -v service_password="$PRIVACY_SERVICE_PASSWORD" <<'SQL'
CREATE ROLE privacy_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE privacy_service LOGIN PASSWORD :'service_password';
CREATE DATABASE privacy OWNER privacy_owner;
\connect privacy
ALTER SCHEMA public OWNER TO privacy_owner;
SQL
