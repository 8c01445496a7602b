"""The `privacy-service` command: serve, migrate, database and key management, datasets."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from uuid import UUID

import click

from service.audit import SYSTEM
from service.audit.cli import audit
from service.config import data_dir, load_config
from service.datasets.cli import redact_dataset
from service.db import queries, resolve_database_url, stop_embedded
from service.dsr.cli import dsr
from service.logs import configure_logging
from service.resilience import alive_file_option
from service.roles import ROLES
from service.runtime import Runtime, bootstrap, command_runtime


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

    # Migrated here, in gunicorn's master before it forks: the workers only build their app.
    # The runtime is closed before the fork too: pools never cross it, each worker opens its own.
    with command_runtime() as runtime:
        configure_logging(runtime.config["PRIVACY_LOG_LEVEL"])
        if not runtime.config.get("DATABASE_URL"):
            _bootstrap_admin_key(runtime)
            _bootstrap_admin_user(runtime)
        config = runtime.config
    run_gunicorn(
        host=host,
        port=port,
        workers=workers or os.cpu_count() or 2,
        worker_class=worker_class,
        config=config,
    )


def _bootstrap_admin_key(runtime: Runtime) -> None:
    """On the embedded database with no key yet, create an admin key, print it and save it."""
    from service.auth import count_keys, create_key

    with runtime.database.transaction() as conn:
        # Two servers starting at once must not both create a key.
        conn.execute(queries()["lock_bootstrap"])
        if count_keys(conn):
            return
        _, raw = create_key(conn, SYSTEM, name="bootstrap admin", role="admin")
    path = data_dir(runtime.config) / "admin.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(raw + "\n")
    click.echo(
        f"Created an admin API key (shown once; also saved to {path} with mode 0600):\n{raw}"
    )


BOOTSTRAP_ADMIN_EMAIL = "admin@privacy-service.local"


def _bootstrap_admin_user(runtime: Runtime) -> None:
    """On the embedded database with no console user yet, create an admin and print its password.

    The password is shown once and must be changed at the first sign-in; `users reset-password`
    gives a new one.
    """
    from service.users.accounts import count_users, create_user

    with runtime.database.transaction() as conn:
        conn.execute(queries()["lock_bootstrap"])
        if count_users(conn):
            return
        _, password = create_user(
            conn, SYSTEM, email=BOOTSTRAP_ADMIN_EMAIL, name="Administrator", role="admin"
        )
    click.echo(
        f"Created the console admin {BOOTSTRAP_ADMIN_EMAIL}; sign in at /console with this "
        f"one-time password (shown once, to be changed at the first sign-in):\n{password}"
    )


@main.command("migrate")
def migrate_command() -> None:
    """Apply pending database migrations."""
    runtime = bootstrap(pool_min=0, pool_max=1)
    try:
        applied = runtime.migrate()
    finally:
        runtime.close()
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


@main.command("worker")
@click.option(
    "--concurrency",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Jobs run at once in this process; for more CPU, start more worker processes.",
)
@alive_file_option
def worker(concurrency: int, alive_file: Path | None) -> None:
    """Run a job worker (scans, daily upkeep) until stopped (Ctrl-C / SIGTERM).

    Start as many as you like, on as many machines as share the database. A worker started
    while the database is down waits for it; one that loses it reconnects with backoff.
    """
    import socket

    from service.jobs import run_worker
    from service.resilience import database_probe, run_through_outages

    probe = database_probe(load_config())

    def prepare() -> Runtime:
        runtime = bootstrap(pool_min=1, pool_max=max(2, concurrency + 1))
        try:
            runtime.migrate()
        except BaseException:
            runtime.close()
            raise
        return runtime

    runtime = run_through_outages(prepare, probe=probe, name="job worker")
    if runtime is None:
        return
    try:
        configure_logging(runtime.config["PRIVACY_LOG_LEVEL"])
        click.echo(f"worker {os.getpid()} started (concurrency {concurrency})", err=True)
        run_worker(
            runtime,
            concurrency=concurrency,
            name=f"{socket.gethostname()}:{os.getpid()}",
            probe=probe,
            alive_file=alive_file,
        )
    finally:
        runtime.close()


@main.group()
def keys() -> None:
    """Manage API keys."""


@keys.command("create")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--name", required=True)
def keys_create(role: str, name: str) -> None:
    """Create an API key; the key itself is the last line printed."""
    from service.auth import create_key

    with command_runtime() as runtime, runtime.database.transaction() as conn:
        row, raw = create_key(conn, SYSTEM, name=name, role=role)
    click.echo(f"created key {row['id']} ({role}, {name!r})")
    click.echo(raw)


@keys.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
def keys_list(as_json: bool) -> None:
    """List API keys (never the keys themselves)."""
    from service.auth import list_keys

    with command_runtime() as runtime, runtime.database.transaction() as conn:
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

    try:
        with command_runtime() as runtime, runtime.database.transaction() as conn:
            revoke_key(conn, SYSTEM, key_id)
    except NotFound as exc:
        raise click.ClickException(exc.detail) from exc
    click.echo(f"revoked key {key_id}")


@main.group()
def users() -> None:
    """Manage console users (staff who sign in to the web console)."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
def users_create(email: str, name: str, role: str) -> None:
    """Create a user; its one-time password is the last line printed."""
    from service.errors import DomainError
    from service.users import create_user

    try:
        with command_runtime() as runtime, runtime.database.transaction() as conn:
            row, password = create_user(conn, SYSTEM, email=email, name=name, role=role)
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc
    click.echo(f"created user {row['id']} ({role}, {row['email']}); one-time password:")
    click.echo(password)


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
def users_list(as_json: bool) -> None:
    """List users (never a password or second-factor secret)."""
    from service.users import list_users

    with command_runtime() as runtime, runtime.database.transaction() as conn:
        rows = list_users(conn)
    for row in rows:
        if as_json:
            click.echo(json.dumps(row, default=str))
        else:
            state = "disabled" if row["disabled_at"] else "active"
            click.echo(f"{row['id']}  {row['role']:<15}  {state:<8}  {row['email']}  {row['name']}")


@users.command("disable")
@click.argument("user", metavar="ID_OR_EMAIL")
def users_disable(user: str) -> None:
    """Disable a user; its console sessions end at once."""
    from service.errors import DomainError
    from service.users import disable_user
    from service.users.accounts import find_user_id

    try:
        with command_runtime() as runtime, runtime.database.transaction() as conn:
            row = disable_user(conn, SYSTEM, find_user_id(conn, user))
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc
    click.echo(f"disabled user {row['id']} ({row['email']})")


@users.command("reset-password")
@click.argument("user", metavar="ID_OR_EMAIL")
def users_reset_password(user: str) -> None:
    """Give a user a new one-time password (the last line printed); ends its sessions."""
    from service.errors import DomainError
    from service.users.accounts import find_user_id, reset_password

    try:
        with command_runtime() as runtime, runtime.database.transaction() as conn:
            user_id = find_user_id(conn, user)
            password = reset_password(conn, SYSTEM, user_id)
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc
    click.echo(f"new one-time password for user {user_id}:")
    click.echo(password)


main.add_command(audit)
main.add_command(dsr)
main.add_command(redact_dataset)


if __name__ == "__main__":
    sys.exit(main())
