"""PostgreSQL access: embedded server, connection pool, named queries and migrations."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import cache
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from service.errors import ServiceUnavailable

log = logging.getLogger(__name__)

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
EMBEDDED_DB_NAME = "privacy"
# Any fixed 64-bit number; every process that migrates takes this lock first.
MIGRATION_LOCK_ID = 7_305_112_019_001

_QUERY_HEADER = re.compile(r"^--\s*name:\s*(?P<name>[a-z0-9_]+)\s*$", re.MULTILINE)


@cache
def queries() -> dict[str, str]:
    """Load every named query from sql/queries/*.sql (blocks start with `-- name: <name>`)."""
    found: dict[str, str] = {}
    for path in sorted((SQL_DIR / "queries").glob("*.sql")):
        text = path.read_text()
        headers = list(_QUERY_HEADER.finditer(text))
        for index, header in enumerate(headers):
            end = headers[index + 1].start() if index + 1 < len(headers) else len(text)
            body = text[header.end() : end].strip()
            name = header["name"]
            if name in found:
                raise RuntimeError(f"query {name!r} is defined twice (in {path.name})")
            found[name] = body
    return found


def embedded_server_dir(data_dir: Path) -> Path:
    """Return the folder of the embedded PostgreSQL cluster inside the data folder."""
    return data_dir / "pg"


def start_embedded(data_dir: Path, database: str = EMBEDDED_DB_NAME) -> str:
    """Start (or join) the embedded PostgreSQL for this data folder and return a URL to `database`.

    Every process that calls this joins the same server; pgserver stops it when the last of them
    exits.
    """
    import warnings

    # pgserver asks platformdirs for a runtime folder it does not use when the socket fits in
    # the data folder; the warning about XDG_RUNTIME_DIR is noise.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    import pgserver  # imported lazily: production with DATABASE_URL never needs it

    data_dir.mkdir(parents=True, exist_ok=True)
    # The server may run as an unprivileged system user; it must be able to reach its folder.
    data_dir.chmod(0o755)
    server = pgserver.get_server(embedded_server_dir(data_dir), cleanup_mode="stop")
    ensure_database(server.get_uri("postgres"), database)
    return server.get_uri(database)


def ensure_embedded_running(data_dir: Path, database: str = EMBEDDED_DB_NAME) -> str:
    """Start the embedded server of this data folder again if it has stopped; return the URL.

    Whichever process finds the server gone (stopped by `db-stop`, crashed) restarts it.
    """
    import os

    from pgserver.postgres_server import PostgresServer

    pgdata = embedded_server_dir(data_dir).resolve()
    server = PostgresServer._instances.get(pgdata)
    if server is None:
        return start_embedded(data_dir, database)
    # pgserver's own start path, under its inter-process lock: two processes finding the
    # server gone at once start it once.
    with server._lock:
        server.ensure_postgres_running()
        if os.getpid() not in server.global_process_id_list.get():
            server.global_process_id_list.get_and_add(os.getpid())
    return server.get_uri(database)


def stop_embedded(data_dir: Path) -> bool:
    """Stop the embedded server of this data folder; return False when it was not running."""
    from pgserver._commands import pg_ctl
    from pgserver.utils import PostmasterInfo

    pgdata = embedded_server_dir(data_dir).resolve()
    info = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.exists() else None
    if info is None or not info.is_running():
        return False
    owner = pgdata.owner()
    user = owner if owner != "root" else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
    handles = pgdata / ".handle_pids.json"
    handles.unlink(missing_ok=True)
    return True


def ensure_database(server_url: str, database: str) -> None:
    """Create `database` on the server unless it exists (safe when two processes race)."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        exists = conn.execute(queries()["database_exists"], {"name": database}).fetchone()
        if exists:
            return
        with suppress(psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def resolve_database_url(config: dict[str, Any]) -> str:
    """Return DATABASE_URL, or start the embedded server and return its URL."""
    if config.get("DATABASE_URL"):
        return config["DATABASE_URL"]
    return start_embedded(Path(config["PRIVACY_DATA_DIR"]))


def migration_files() -> list[tuple[int, str, Path]]:
    """Return (version, name, path) of every migration file, in order."""
    found = []
    for path in sorted((SQL_DIR / "migrations").glob("*.sql")):
        match = re.fullmatch(r"(\d{4})_([a-z0-9_]+)\.sql", path.name)
        if not match:
            raise RuntimeError(f"badly named migration file: {path.name}")
        found.append((int(match[1]), match[2], path))
    versions = [version for version, _, _ in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError("two migration files share a version number")
    return found


def migrate(url: str) -> list[str]:
    """Apply pending migrations in order, each in its own transaction; return the names applied.

    A session-level advisory lock makes concurrent starts safe: the second process waits, then
    finds everything applied.
    """
    applied_now: list[str] = []
    q = queries()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(q["migration_lock"], {"lock_id": MIGRATION_LOCK_ID})
        try:
            conn.execute(q["create_migrations_table"])
            done = {row[0] for row in conn.execute(q["applied_migrations"]).fetchall()}
            for version, name, path in migration_files():
                if version in done:
                    continue
                with conn.transaction():
                    conn.execute(path.read_text())
                    conn.execute(q["record_migration"], {"version": version, "name": name})
                applied_now.append(f"{version:04d}_{name}")
                log.info("migration applied", extra={"migration": f"{version:04d}_{name}"})
            # The job queue's own schema, from procrastinate's schema manager, when absent.
            from service.archive.queue import ensure_queue_schema

            ensure_queue_schema(conn)
        finally:
            conn.execute(q["migration_unlock"], {"lock_id": MIGRATION_LOCK_ID})
    return applied_now


def pending_migrations(conn: psycopg.Connection) -> list[int]:
    """Return the versions of migration files not yet applied on this connection's database."""
    try:
        with conn.transaction():
            rows = conn.execute(queries()["applied_migrations"]).fetchall()
    except psycopg.errors.UndefinedTable:
        rows = []
    done = {row["version"] if isinstance(row, dict) else row[0] for row in rows}
    return [version for version, _, _ in migration_files() if version not in done]


class Database:
    """A connection pool with one-transaction-per-unit-of-work helpers."""

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 10, timeout: float = 5.0):
        self.url = url
        self.timeout = timeout
        self.pool = ConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            timeout=timeout,
            kwargs={"row_factory": dict_row},
            open=False,
            name="privacy",
        )
        # Do not wait for connections: the app must start (and /ready say 503) with the
        # database down.
        self.pool.open(wait=False)

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection]:
        """Yield a connection inside one transaction, committed on success, rolled back on error."""
        try:
            with self.pool.connection() as conn:
                yield conn
        except PoolTimeout as exc:
            raise ServiceUnavailable("The database is not reachable right now.") from exc
        except psycopg.OperationalError as exc:
            raise ServiceUnavailable("The database is not reachable right now.") from exc

    def close(self) -> None:
        """Close every pooled connection."""
        self.pool.close()


def wait_until_reachable(url: str, seconds: float) -> None:
    """Block until a connection to `url` succeeds or `seconds` pass (then raise)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            psycopg.connect(url, connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
