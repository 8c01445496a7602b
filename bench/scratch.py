"""Scratch databases for the benchmarks: created and migrated on start, dropped at the end."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from service.db import migrate, start_embedded

BENCH_DATA = Path(__file__).resolve().parent.parent / ".data" / "bench"


def create_scratch_database(prefix: str) -> tuple[str, str, str]:
    """Create and migrate a database on DATABASE_URL's server or the embedded one.

    Returns (server URL, database name, database URL).
    """
    server_url = os.environ.get("DATABASE_URL") or start_embedded(BENCH_DATA, database="postgres")
    name = f"{prefix}_{os.getpid()}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_conninfo(server_url, dbname=name)
    migrate(url)
    return server_url, name, url


def drop_scratch_database(server_url: str, name: str) -> None:
    """Drop a scratch database, disconnecting whoever still uses it."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
