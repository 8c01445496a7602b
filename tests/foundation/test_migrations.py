"""Migrations: applied in order once, re-runs are no-ops, concurrent starts are safe."""

from __future__ import annotations

import subprocess
import sys
import uuid

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from service import db
from service.db import QUEUE_SQL_DIR, migrate, migration_files, queue_migration_files

# What a fresh database gets besides our own migrations: procrastinate's current schema.
QUEUE_SCHEMA = "procrastinate schema"


@pytest.fixture
def empty_db(pg_server_url):
    name = "m_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield make_conninfo(pg_server_url, dbname=name)
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def recorded(url: str, namespace: str = "service") -> list[int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT version FROM schema_migrations WHERE namespace = %s ORDER BY 1", [namespace]
        )
        return [r[0] for r in rows]


def test_applied_once_then_noop(empty_db):
    applied = migrate(empty_db)
    assert applied == [f"{v:04d}_{n}" for v, n, _ in migration_files()] + [QUEUE_SCHEMA]
    assert recorded(empty_db) == [v for v, _, _ in migration_files()]
    assert migrate(empty_db) == []
    assert recorded(empty_db) == [v for v, _, _ in migration_files()]


def test_concurrent_start_applies_each_migration_once(empty_db):
    code = "import sys; from service.db import migrate; print(len(migrate(sys.argv[1])))"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, empty_db],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    results = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in results]
    counts = sorted(int(out.strip()) for out, _ in results)
    assert counts == [0, 0, len(migration_files()) + 1]
    assert recorded(empty_db) == [v for v, _, _ in migration_files()]


def test_failing_migration_rolls_back_alone(empty_db, tmp_path, monkeypatch):
    good = tmp_path / "9001_good.sql"
    good.write_text("CREATE TABLE good_one (id int);")
    bad = tmp_path / "9002_bad.sql"
    bad.write_text("CREATE TABLE half_done (id int); SELECT * FROM no_such_table;")
    files = migration_files() + [(9001, "good", good), (9002, "bad", bad)]
    monkeypatch.setattr(db, "migration_files", lambda: files)
    with pytest.raises(psycopg.errors.UndefinedTable):
        migrate(empty_db)
    with psycopg.connect(empty_db) as conn:
        tables = {
            r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname='public'")
        }
    assert "good_one" in tables and "half_done" not in tables
    assert 9001 in recorded(empty_db) and 9002 not in recorded(empty_db)


def queue_schema(url: str) -> dict[str, list]:
    """Return the job queue's columns, functions and indexes as the catalog lists them."""
    with psycopg.connect(url) as conn:
        columns = conn.execute(
            "SELECT table_name, column_name, data_type, is_nullable, column_default"
            " FROM information_schema.columns WHERE table_name LIKE 'procrastinate%'"
            " ORDER BY 1, 2"
        ).fetchall()
        functions = conn.execute(
            "SELECT p.proname, pg_get_function_identity_arguments(p.oid) FROM pg_proc p"
            " JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = 'public' AND p.proname LIKE 'procrastinate%' ORDER BY 1, 2"
        ).fetchall()
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename LIKE 'procrastinate%'"
            " ORDER BY 1"
        ).fetchall()
    return {"columns": columns, "functions": functions, "indexes": indexes}


def test_a_fresh_database_gets_the_queue_schema_with_its_migrations_recorded(empty_db):
    migrate(empty_db)
    assert recorded(empty_db, "procrastinate") == [v for v, _, _ in queue_migration_files()]
    tables = {table for table, *_ in queue_schema(empty_db)["columns"]}
    assert {"procrastinate_jobs", "procrastinate_workers", "procrastinate_events"} <= tables


def test_a_queue_at_an_older_version_gets_the_later_migrations(empty_db, pg_server_url):
    # The queue as procrastinate 3.0.0 left it: its initial schema and every migration up to
    # 3.0, recorded like ours; then the library was upgraded to the installed version.
    files = queue_migration_files()
    older = [entry for entry in files if entry[0] < 3_01_00_00]
    later = [entry for entry in files if entry[0] >= 3_01_00_00]
    assert older and later
    with psycopg.connect(empty_db, autocommit=True) as conn:
        conn.execute(db.queries()["create_migrations_table"])
        for version, name, path in older:
            with conn.transaction():
                conn.execute(path.read_text())
                conn.execute(
                    "INSERT INTO schema_migrations (namespace, version, name)"
                    " VALUES ('procrastinate', %s, %s)",
                    [version, name],
                )
        assert conn.execute("SELECT to_regclass('procrastinate_workers')").fetchone()[0] is None

    applied = migrate(empty_db)

    assert applied[-len(later) :] == [f"procrastinate {name}" for _, name, _ in later]
    assert recorded(empty_db, "procrastinate") == [v for v, _, _ in files]
    # The upgraded queue is the one a fresh database gets from the current schema.
    fresh = "m_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(fresh)))
    try:
        fresh_url = make_conninfo(pg_server_url, dbname=fresh)
        with psycopg.connect(fresh_url, autocommit=True) as conn:
            conn.execute((QUEUE_SQL_DIR / "schema.sql").read_text())
        assert queue_schema(empty_db) == queue_schema(fresh_url)
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(fresh)))


def test_a_queue_made_before_its_migrations_were_recorded_is_taken_as_current(empty_db):
    # Databases whose queue schema was created without a record of it.
    with psycopg.connect(empty_db, autocommit=True) as conn:
        conn.execute((QUEUE_SQL_DIR / "schema.sql").read_text())
    applied = migrate(empty_db)
    assert QUEUE_SCHEMA not in applied
    assert recorded(empty_db, "procrastinate") == [v for v, _, _ in queue_migration_files()]


def test_a_migrations_table_from_before_namespaces_is_upgraded(empty_db):
    first = migration_files()[:2]
    with psycopg.connect(empty_db, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        for version, name, path in first:
            conn.execute(path.read_text())
            conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", [version, name]
            )
    applied = migrate(empty_db)
    assert applied[0] == f"{migration_files()[2][0]:04d}_{migration_files()[2][1]}"
    assert recorded(empty_db) == [v for v, _, _ in migration_files()]


def test_reply_check_windows_in_progress_survive_the_merge_into_one_table(empty_db, monkeypatch):
    every = migration_files()
    monkeypatch.setattr(db, "migration_files", lambda: [m for m in every if m[0] != 59])
    migrate(empty_db)
    key_id, user_id, item_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with psycopg.connect(empty_db) as conn:
        conn.execute(
            "INSERT INTO api_keys (id, name, role, key_hash) VALUES (%s, 'mod', 'moderator', %s)",
            [key_id, b"h" * 32],
        )
        author = conn.execute("INSERT INTO subjects DEFAULT VALUES RETURNING id").fetchone()[0]
        conn.execute(
            "INSERT INTO feedback_items (id, platform, external_id, kind, visibility, author_id,"
            " text, text_hash, created_at)"
            " VALUES (%s, 'x', 'post-1', 'comment', 'public', %s, 'hello', %s, now())",
            [item_id, author, b"t" * 32],
        )
        conn.execute(
            "INSERT INTO reply_check_windows VALUES (%s, %s, now() - interval '5 minutes', 7)",
            [key_id, item_id],
        )
        conn.execute(
            "INSERT INTO reply_check_user_windows VALUES (%s, %s, now(), 2)", [user_id, item_id]
        )
    monkeypatch.setattr(db, "migration_files", lambda: every)
    assert migrate(empty_db) == ["0059_reply_check_windows_one_table"]
    with psycopg.connect(empty_db) as conn:
        rows = conn.execute(
            "SELECT checker, checker_id, checks FROM reply_check_counts ORDER BY checker"
        ).fetchall()
        tables = {
            r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname='public'")
        }
    assert rows == [("key", key_id, 7), ("user", user_id, 2)]
    assert not {"reply_check_windows", "reply_check_user_windows"} & tables
