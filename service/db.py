"""PostgreSQL access: embedded server, connection pool, named queries and migrations."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import procrastinate
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from service.errors import ServiceUnavailable

log = logging.getLogger(__name__)

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
# The job queue's schema and its versioned migrations ship inside the procrastinate package.
QUEUE_SQL_DIR = Path(procrastinate.__file__).resolve().parent / "sql"
SERVICE_NAMESPACE = "service"
QUEUE_NAMESPACE = "procrastinate"
EMBEDDED_DB_NAME = "privacy"
# Any fixed 64-bit number; every process that migrates takes this lock first.
MIGRATION_LOCK_ID = 7_305_112_019_001

_QUERY_HEADER = re.compile(r"^--\s*name:\s*(?P<name>[a-z0-9_]+)\s*$", re.MULTILINE)


def load_queries(directory: Path) -> dict[str, str]:
    """Load every named query from a folder's *.sql files (blocks start with `-- name: <name>`)."""
    found: dict[str, str] = {}
    for path in sorted(directory.glob("*.sql")):
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


@cache
def queries() -> dict[str, str]:
    """Return the service's named queries, from sql/queries/*.sql (loaded once)."""
    return load_queries(SQL_DIR / "queries")


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
        exists = conn.execute(queries()["get_database_exists"], {"name": database}).fetchone()
        if exists:
            return
        with suppress(psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


@dataclass(frozen=True)
class DatabaseUrls:
    """Where the service connects (`service`) and who migrates the schema (`owner`).

    The owner creates and owns every table; the service's role is granted only what it needs
    (insert and read on the audit tables), so a session of the service can neither rewrite the
    log, nor disable its triggers, nor read server files.
    """

    service: str
    owner: str

    @property
    def service_role(self) -> str | None:
        """Return the role the service connects as, when its URL names one."""
        return conninfo_to_dict(self.service).get("user")


def resolve_database_urls(config: dict[str, Any]) -> DatabaseUrls:
    """Return the service's and the owner's URLs, starting the embedded server when none is set.

    With DATABASE_URL, the owner is PRIVACY_DATABASE_OWNER_URL (DATABASE_URL itself when unset,
    for a database whose schema the service's role owns). On the embedded server the owner is
    its superuser and the service connects as PRIVACY_DATABASE_ROLE, created when missing.
    """
    if config.get("DATABASE_URL"):
        url = config["DATABASE_URL"]
        return DatabaseUrls(service=url, owner=config.get("PRIVACY_DATABASE_OWNER_URL") or url)
    owner = start_embedded(Path(config["PRIVACY_DATA_DIR"]))
    role = config["PRIVACY_DATABASE_ROLE"]
    ensure_role(owner, role)
    return DatabaseUrls(service=make_conninfo(owner, user=role), owner=owner)


def resolve_database_url(config: dict[str, Any]) -> str:
    """Return the owner's URL (DATABASE_URL, or the embedded server's), e.g. for psql."""
    return resolve_database_urls(config).owner


def ensure_role(server_url: str, role: str) -> None:
    """Create the service's login role on the server unless it exists (safe when two race)."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        if conn.execute(queries()["get_role_exists"], {"name": role}).fetchone():
            return
        with suppress(psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
            conn.execute(
                sql.SQL(queries()["create_service_role"]).format(role=sql.Identifier(role))
            )


def grant_service_role(conn: psycopg.Connection, role: str) -> None:
    """Grant the service's role what it may do on every table the migrations made."""
    current = conn.execute(queries()["get_current_user"]).fetchone()[0]
    if role == current:
        return
    conn.execute(sql.SQL(queries()["grant_service_role"]).format(role=sql.Identifier(role)))


def role_is_privileged(conn: psycopg.Connection) -> bool:
    """Tell whether this connection's role could bypass the audit log's protection."""
    row = conn.execute(queries()["get_role_is_privileged"]).fetchone()
    if row is None:
        return False
    return bool(row["privileged"] if isinstance(row, dict) else row[0])


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


def queue_migration_files() -> list[tuple[int, str, Path]]:
    """Return (version, name, path) of procrastinate's migrations, in the order it applies them.

    Its files are named ``MM.mm.pp_NN_what.sql``; the version is those digits read as one
    number (``03.04.00_50`` -> 3040050), which sorts like the names do.
    """
    found = []
    for path in sorted((QUEUE_SQL_DIR / "migrations").glob("*.sql")):
        match = re.fullmatch(r"(\d{2})\.(\d{2})\.(\d{2})_(\d{2})_[A-Za-z0-9_]+\.sql", path.name)
        if not match:
            raise RuntimeError(f"unexpected procrastinate migration file: {path.name}")
        found.append((int("".join(match.groups())), path.stem, path))
    return found


def migrate(url: str, *, service_role: str | None = None) -> list[str]:
    """Apply pending migrations in order, each in its own transaction; return the names applied.

    Ours (sql/migrations) come first, then the job queue's (procrastinate's own files), each
    recorded in ``schema_migrations`` under its namespace. A session-level advisory lock makes
    concurrent starts safe: the second process waits, then finds everything applied. `url` is
    the owner's; `service_role`, when another role, is then granted what the service may do.
    """
    applied_now: list[str] = []
    q = queries()
    with psycopg.connect(url, autocommit=True) as conn:
        if _up_to_date(conn, service_role):
            # Nothing to apply and no one to grant to: a role that owns nothing (the service's
            # own, in a deployment that migrates apart) starts without a single DDL statement.
            return applied_now
        conn.execute(q["lock_migrations"], {"lock_id": MIGRATION_LOCK_ID})
        try:
            conn.execute(q["create_migrations_table"])
            conn.execute(q["update_migrations_table"])
            files = [(v, n, p, f"{v:04d}_{n}") for v, n, p in migration_files()]
            applied_now += _apply_pending(conn, SERVICE_NAMESPACE, files)
            applied_now += _migrate_queue(conn)
            if service_role:
                with conn.transaction():
                    grant_service_role(conn, service_role)
        finally:
            conn.execute(q["unlock_migrations"], {"lock_id": MIGRATION_LOCK_ID})
    return applied_now


def _up_to_date(conn: psycopg.Connection, service_role: str | None) -> bool:
    """Tell whether every migration is recorded and no other role needs its grants."""
    if service_role and service_role != conn.execute(queries()["get_current_user"]).fetchone()[0]:
        return False
    try:
        with conn.transaction():
            ours = _applied(conn, SERVICE_NAMESPACE)
            queue = _applied(conn, QUEUE_NAMESPACE)
    except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedColumn):
        return False
    return {v for v, _, _ in migration_files()} <= ours and {
        v for v, _, _ in queue_migration_files()
    } <= queue


def _apply_pending(
    conn: psycopg.Connection, namespace: str, files: list[tuple[int, str, Path, str]]
) -> list[str]:
    """Apply and record the files of a namespace not yet recorded, each in its own transaction."""
    done = _applied(conn, namespace)
    applied_now = []
    for version, name, path, label in files:
        if version in done:
            continue
        with conn.transaction():
            conn.execute(path.read_text())
            _record(conn, namespace, version, name)
        applied_now.append(label)
        log.info("migration applied", extra={"migration": label})
    return applied_now


def _applied(conn: psycopg.Connection, namespace: str) -> set[int]:
    rows = conn.execute(queries()["list_applied_migrations"], {"namespace": namespace})
    return {row[0] for row in rows.fetchall()}


def _record(conn: psycopg.Connection, namespace: str, version: int, name: str) -> None:
    conn.execute(
        queries()["insert_migration"], {"namespace": namespace, "version": version, "name": name}
    )


def _migrate_queue(conn: psycopg.Connection) -> list[str]:
    """Bring procrastinate's schema to the installed library's version; return what was applied.

    A database without the queue gets procrastinate's full schema, which already holds every
    migration shipped with the library: they are recorded, not run. A queue created before
    its migrations were recorded here is taken to be at the installed version. After a
    library upgrade, the migrations it added are applied in order.
    """
    files = queue_migration_files()
    if not _applied(conn, QUEUE_NAMESPACE):
        present = conn.execute(queries()["get_queue_schema_present"]).fetchone()[0]
        with conn.transaction():
            if not present:
                conn.execute((QUEUE_SQL_DIR / "schema.sql").read_text())
            for version, name, _ in files:
                _record(conn, QUEUE_NAMESPACE, version, name)
        log.info("job queue schema " + ("recorded" if present else "applied"))
        return [] if present else ["procrastinate schema"]
    labelled = [(v, n, p, f"procrastinate {n}") for v, n, p in files]
    return _apply_pending(conn, QUEUE_NAMESPACE, labelled)


def pending_migrations(conn: psycopg.Connection) -> list[int]:
    """Return the versions of migration files not yet applied on this connection's database."""
    try:
        with conn.transaction():
            rows = conn.execute(
                queries()["list_applied_migrations"], {"namespace": SERVICE_NAMESPACE}
            ).fetchall()
    except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedColumn):
        rows = []
    done = {row["version"] if isinstance(row, dict) else row[0] for row in rows}
    return [version for version, _, _ in migration_files() if version not in done]


class Database:
    """A connection pool with one-transaction-per-unit-of-work helpers."""

    def __init__(
        self,
        url: str,
        *,
        min_size: int = 1,
        max_size: int = 10,
        timeout: float = 5.0,
    ):
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
        #: Called before the pool closes, e.g. to write what a process still holds.
        self.before_close: list = []

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

    def connect(self, **kwargs: Any) -> psycopg.Connection:
        """Open a connection outside the pool (a CLI command, a long export), like pooled ones."""
        return psycopg.connect(self.url, row_factory=dict_row, **kwargs)

    def close(self) -> None:
        """Run the before-close callbacks, then close every pooled connection."""
        while self.before_close:
            self.before_close.pop()()
        self.pool.close()
