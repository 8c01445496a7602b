"""The `privacy-service worker` command: run a scan worker on the service's database."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import click

from service.config import load_config, read_or_create_secret
from service.db import migrate, resolve_database_url
from service.logs import configure_logging


@click.command("worker")
@click.option(
    "--concurrency",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Jobs run at once in this process; for more CPU, start more worker processes.",
)
@click.option(
    "--alive-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Touch this file every few seconds while connected (for a container healthcheck).",
)
def worker(concurrency: int, alive_file: Path | None) -> None:
    """Run a scan worker: it scans new and changed feedback until stopped (Ctrl-C / SIGTERM).

    Start as many as you like, on as many machines as share the database.
    """
    from service.archive.queue import run_worker
    from service.audit.signing import configure_audit
    from service.resilience import database_probe, run_through_outages

    config = load_config()
    configure_logging(config["PRIVACY_LOG_LEVEL"])
    probe = database_probe(config)

    def prepare() -> str:
        url = resolve_database_url(config)
        migrate(url)
        return url

    # A worker started while the database is down waits for it rather than exiting.
    url = run_through_outages(prepare, probe=probe, name="scan worker")
    if url is None:
        return
    # Audit events written by jobs sign checkpoints like the API's do.
    configure_audit(config, url)
    secret = read_or_create_secret(config, "PRIVACY_SECRET_KEY", "secret.key").encode()
    click.echo(f"scan worker {os.getpid()} started (concurrency {concurrency})", err=True)
    run_worker(
        config,
        url,
        secret,
        concurrency=concurrency,
        name=f"{socket.gethostname()}:{os.getpid()}",
        probe=probe,
        alive_file=alive_file,
    )


@click.group("dsr")
def dsr() -> None:
    """Data-subject request upkeep."""


@dsr.command("retention")
def retention() -> None:
    """Minimise closed requests past their record period and purge expired packages now.

    Workers also run this once a day.
    """
    from service.archive.queue import run_retention
    from service.audit.signing import configure_audit
    from service.db import Database
    from service.dsr.settings import load_dsr_settings

    config = load_config()
    url = resolve_database_url(config)
    migrate(url)
    configure_audit(config, url)
    secret = read_or_create_secret(config, "PRIVACY_SECRET_KEY", "secret.key").encode()
    database = Database(url, min_size=1, max_size=1)
    try:
        result = run_retention(database, load_dsr_settings(config, secret))
    finally:
        database.close()
    click.echo(
        f"{result['requests_minimised']} request(s) minimised, "
        f"{result['packages_purged']} expired package(s) purged"
    )
