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
from service.db import migrate, migration_files


@pytest.fixture
def empty_db(pg_server_url):
    name = "m_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield make_conninfo(pg_server_url, dbname=name)
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def recorded(url: str) -> list[int]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY 1")]


def test_applied_once_then_noop(empty_db):
    applied = migrate(empty_db)
    assert applied == [f"{v:04d}_{n}" for v, n, _ in migration_files()]
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
    assert counts == [0, 0, len(migration_files())]
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
