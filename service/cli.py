"""The `privacy-service` command: serve, migrate, database and key management."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from uuid import UUID

import click
import psycopg
from psycopg.rows import dict_row

from service.archive.cli import dsr, worker
from service.audit import SYSTEM
from service.audit.cli import audit
from service.config import data_dir, load_config
from service.db import migrate, queries, resolve_database_url, stop_embedded
from service.logs import configure_logging


def _connect(url: str) -> psycopg.Connection:
    return psycopg.connect(url, row_factory=dict_row)


def _prepared_url() -> tuple[dict, str]:
    """Return settings and a database URL with migrations applied."""
    config = load_config()
    url = resolve_database_url(config)
    migrate(url)
    return config, url


@click.group()
def main() -> None:
    """Privacy service: redaction, feedback archive, data-subject requests, audit log."""
    configure_logging(os.environ.get("PRIVACY_LOG_LEVEL", "WARNING"))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=None, type=int, help="Worker processes [default: CPU count].")
@click.option(
    "--worker-class",
    default="gevent",
    show_default=True,
    type=click.Choice(["gevent", "sync"]),
    help="gevent: slow clients hold a greenlet, not the worker (use it); sync: one connection "
    "at a time per worker, for comparison only.",
)
def serve(host: str, port: int, workers: int | None, worker_class: str) -> None:
    """Serve the API with gunicorn; each worker builds its heavy resources once."""
    from service.server import run_gunicorn

    config, url = _prepared_url()
    configure_logging(config["PRIVACY_LOG_LEVEL"])
    if not config.get("DATABASE_URL"):
        _bootstrap_admin_key(config, url)
    run_gunicorn(
        host=host,
        port=port,
        workers=workers or os.cpu_count() or 2,
        worker_class=worker_class,
        config=config,
    )


def _bootstrap_admin_key(config: dict, url: str) -> None:
    """On the embedded database with no key yet, create an admin key, print it and save it."""
    from service.auth import count_keys, create_key

    with _connect(url) as conn:
        # Two servers starting at once must not both create a key.
        conn.execute(queries()["bootstrap_lock"])
        if count_keys(conn):
            return
        _, raw = create_key(conn, SYSTEM, name="bootstrap admin", role="admin")
    path = data_dir(config) / "admin.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(raw + "\n")
    click.echo(
        f"Created an admin API key (shown once; also saved to {path} with mode 0600):\n{raw}"
    )


@main.command("migrate")
def migrate_command() -> None:
    """Apply pending database migrations."""
    config = load_config()
    applied = migrate(resolve_database_url(config))
    click.echo(
        f"applied {len(applied)} migration(s)" + (": " + ", ".join(applied) if applied else "")
    )


@main.command("db-url")
def db_url() -> None:
    """Print the database URL in use (starts the embedded server if needed)."""
    click.echo(resolve_database_url(load_config()))


@main.command("db-stop")
def db_stop() -> None:
    """Stop the embedded PostgreSQL server of the data folder."""
    config = load_config()
    if config.get("DATABASE_URL"):
        raise click.ClickException("DATABASE_URL is set: there is no embedded server to stop.")
    if stop_embedded(Path(config["PRIVACY_DATA_DIR"])):
        click.echo("embedded PostgreSQL stopped")
    else:
        click.echo("embedded PostgreSQL was not running")


@main.group()
def keys() -> None:
    """Manage API keys."""


@keys.command("create")
@click.option(
    "--role", required=True, type=click.Choice(["moderator", "privacy_officer", "auditor", "admin"])
)
@click.option("--name", required=True)
def keys_create(role: str, name: str) -> None:
    """Create an API key; the key itself is the last line printed."""
    from service.auth import create_key

    _, url = _prepared_url()
    with _connect(url) as conn:
        row, raw = create_key(conn, SYSTEM, name=name, role=role)
    click.echo(f"created key {row['id']} ({role}, {name!r})")
    click.echo(raw)


@keys.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
def keys_list(as_json: bool) -> None:
    """List API keys (never the keys themselves)."""
    from service.auth import list_keys

    _, url = _prepared_url()
    with _connect(url) as conn:
        rows = list_keys(conn)
    for row in rows:
        if as_json:
            click.echo(json.dumps(row, default=str))
        else:
            state = "revoked" if row["revoked_at"] else "active"
            click.echo(f"{row['id']}  {row['role']:<15}  {state:<7}  {row['name']}")


@keys.command("revoke")
@click.argument("key_id", type=click.UUID)
def keys_revoke(key_id: UUID) -> None:
    """Revoke an API key."""
    from service.auth import revoke_key
    from service.errors import NotFound

    _, url = _prepared_url()
    try:
        with _connect(url) as conn:
            revoke_key(conn, SYSTEM, key_id)
    except NotFound as exc:
        raise click.ClickException(exc.detail) from exc
    click.echo(f"revoked key {key_id}")


main.add_command(audit)
main.add_command(worker)
main.add_command(dsr)


if __name__ == "__main__":
    sys.exit(main())
