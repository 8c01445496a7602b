"""The service connects as a role that can add to the audit log but never rewrite it."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row

from service.audit import SYSTEM, record_event
from service.db import migrate, role_is_privileged, stop_embedded
from service.runtime import SECRET_KEY_FILE, bootstrap

ROOT = Path(__file__).resolve().parents[2]

# Statements an attacker with the service's database session would try on the audit log.
REWRITES = [
    "UPDATE audit_events SET outcome = 'denied'",
    "DELETE FROM audit_events",
    "TRUNCATE audit_events",
    "DELETE FROM audit_checkpoints",
    "UPDATE audit_tree SET hash = hash",
    "ALTER TABLE audit_events DISABLE TRIGGER ALL",
    "DROP TRIGGER audit_events_no_update ON audit_events",
    "SET session_replication_role = replica",
    "INSERT INTO schema_migrations (namespace, version, name) VALUES ('service', 9999, 'x')",
    "SELECT pg_read_file('PG_VERSION')",
    "COPY audit_events TO PROGRAM 'true'",
]


def service_connection(runtime) -> psycopg.Connection:
    return psycopg.connect(runtime.database_url, row_factory=dict_row, autocommit=True)


def test_the_service_role_adds_events_and_reads_them(runtime):
    with runtime.database.transaction() as conn:
        record_event(conn, SYSTEM, "retention.purged", target_type="package")
        assert conn.execute("SELECT count(*) AS n FROM audit_events").fetchone()["n"] >= 1
        assert conn.execute("SELECT current_user AS who").fetchone()["who"] == "privacy_service"


@pytest.mark.parametrize("statement", REWRITES)
def test_the_service_role_cannot_rewrite_the_log_or_reach_server_files(runtime, statement):
    with service_connection(runtime) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(statement)


def test_only_the_owner_counts_as_privileged(runtime, conn):
    with service_connection(runtime) as service:
        assert role_is_privileged(service) is False
    assert role_is_privileged(conn) is True


def test_migrating_grants_the_rights_again_to_new_tables(runtime, conn):
    conn.execute("CREATE TABLE added_later (id int)")
    conn.commit()
    with (
        service_connection(runtime) as service,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        service.execute("SELECT * FROM added_later")
    runtime.migrate()
    with service_connection(runtime) as service:
        assert service.execute("SELECT count(*) AS n FROM added_later").fetchone()["n"] == 0


@pytest.mark.slow
def test_the_embedded_server_serves_a_role_of_its_own_and_cannot_read_the_secrets(monkeypatch):
    data = ROOT / ".data" / f"roles-{uuid.uuid4().hex[:8]}"
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("PRIVACY_SECRET_KEY", raising=False)
    runtime = bootstrap({"PRIVACY_DATA_DIR": str(data)}, pool_min=0, pool_max=1)
    try:
        runtime.migrate()
        with service_connection(runtime) as service:
            assert service.execute("SELECT current_user AS who").fetchone()["who"] == (
                "privacy_service"
            )
            assert role_is_privileged(service) is False

        secret = data / SECRET_KEY_FILE
        assert secret.stat().st_mode & 0o077 == 0, "the secret is readable by others"
        server_uid = (data / "pg" / "PG_VERSION").stat().st_uid
        if server_uid == os.geteuid():
            pytest.skip("the database server runs as this OS user; file modes cannot separate them")
        # Even the owner (the superuser) cannot make the server read it: the server's OS user
        # has no right to the file, though it reaches the folder (the control file reads).
        control = data / "readable.txt"
        control.write_text("public")
        control.chmod(0o644)
        with psycopg.connect(runtime.urls.owner, autocommit=True) as owner:
            assert owner.execute("SELECT pg_read_file(%s)", [str(control)]).fetchone()[0] == (
                "public"
            )
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                owner.execute("SELECT pg_read_file(%s)", [str(secret)])
    finally:
        runtime.close()
        stop_embedded(data)
        shutil.rmtree(data, ignore_errors=True)


def test_a_process_with_only_the_service_role_starts_on_a_migrated_database(runtime):
    # A deployment that migrates apart (as the owner) runs its API and workers with only the
    # service's URL: their start-up migration finds nothing to do and needs no DDL right.
    assert migrate(runtime.database_url, service_role=runtime.urls.service_role) == []
