"""The scan job queue: procrastinate on the service's own PostgreSQL, and the scan worker.

Jobs are queued by ``scanning.plan_scan`` inside the transaction that stores the items. A
worker runs them; any number of workers, on any number of machines, share the queue. A worker
that dies stops sending heartbeats; once it has been silent for ``stalled_seconds``, the
stalled-job sweep of any live worker (a loop beside its jobs, every few seconds, so it never
waits behind a long scan) puts its running jobs back in the queue, and the retried scan is
idempotent (see scanning.scan_chunk). When the database goes away the worker waits with
backoff, reconnects and carries on (service.resilience); what it was running is swept back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import procrastinate
import psycopg
from procrastinate.schema import SchemaManager
from psycopg.rows import tuple_row

from service.archive.scanning import QUEUE, SCAN_TASK, scan_chunk
from service.archive.settings import ArchiveSettings, load_archive_settings
from service.db import Database, queries
from service.dsr.settings import load_dsr_settings
from service.resilience import run_through_outages

log = logging.getLogger(__name__)

RETRY_STALLED_TASK = "archive.retry_stalled_jobs"
RETENTION_TASK = "dsr.retention"
# A scan chunk that fails (database restart, deadlock) is tried again, up to 5 times in all.
SCAN_RETRY = procrastinate.RetryStrategy(max_attempts=5, wait=1, exponential_wait=2)
# The stalled-job sweep jumps the queue: recovering a dead worker's chunk must not wait
# behind thousands of queued ones.
SWEEP_PRIORITY = 100


def ensure_queue_schema(conn: psycopg.Connection) -> bool:
    """Create procrastinate's tables and functions unless present; return True if created.

    Called by ``service.db.migrate`` after the service's own migrations, under its lock.
    """
    present = conn.cursor(row_factory=tuple_row).execute(queries()["queue_schema_present"])
    if present.fetchone()[0]:
        return False
    with conn.transaction():
        conn.execute(SchemaManager.get_schema())
    log.info("job queue schema applied")
    return True


@dataclass
class WorkerResources:
    """What scan jobs use, built once per worker process."""

    database: Database
    engine: Any
    secret: bytes
    settings: ArchiveSettings
    # The data-subject request settings, for the daily retention job.
    dsr_settings: Any = None


def build_queue_app(url: str, resources: WorkerResources | None = None) -> procrastinate.App:
    """Return a procrastinate App on the database, with the scan and stalled-job tasks.

    Without ``resources`` the app can only queue and inspect jobs, not run scans.
    """
    settings = resources.settings if resources else ArchiveSettings()
    # A short pool timeout: with the database gone the worker gives up within seconds and
    # reconnects (run_worker), rather than hanging on the pool for its default 30 s.
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=url, timeout=settings.db_timeout_seconds)
    )

    @app.task(name=SCAN_TASK, queue=QUEUE, retry=SCAN_RETRY)
    def scan_chunk_job(scan_id: str, chunk: int) -> dict[str, Any]:
        if resources is None:
            raise RuntimeError("this queue app was built without worker resources")
        return scan_chunk(
            resources.database.pool,
            resources.engine,
            resources.secret,
            UUID(scan_id),
            chunk,
        )

    @app.task(
        name=RETRY_STALLED_TASK,
        queue=QUEUE,
        queueing_lock=RETRY_STALLED_TASK,
        priority=SWEEP_PRIORITY,
    )
    async def retry_stalled_jobs(timestamp: int) -> int:
        # Kept so that sweep jobs queued by an older version still run.
        return await sweep_stalled_jobs(app, settings.stalled_seconds)

    # Once a day, any one worker minimises old closed requests and purges expired packages.
    @app.periodic(cron="17 3 * * *", periodic_id="retention")
    @app.task(name=RETENTION_TASK, queue=QUEUE, queueing_lock=RETENTION_TASK)
    def retention_job(timestamp: int) -> dict[str, Any]:
        if resources is None or resources.dsr_settings is None:
            raise RuntimeError("this queue app was built without worker resources")
        result = run_retention(resources.database, resources.dsr_settings)
        return {key: value for key, value in result.items() if key != "cutoff"}

    return app


async def sweep_stalled_jobs(app: procrastinate.App, stalled_seconds: float) -> int:
    """Put the running jobs of workers silent for stalled_seconds back in the queue."""
    stalled = await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_seconds)
    retried = 0
    for job in stalled:
        try:
            await app.job_manager.retry_job(job)
            retried += 1
        except procrastinate.exceptions.ConnectorException:
            # Another worker's sweep retried it first; the job is no longer "doing".
            log.info("stalled job already retried", extra={"job_id": job.id})
    if retried:
        log.warning("retried stalled jobs", extra={"jobs": retried})
    return retried


def sweep_interval(stalled_seconds: float) -> float:
    """Return how often a worker sweeps: a stalled job waits at most this long past the limit."""
    return max(0.5, min(5.0, stalled_seconds / 4))


async def _sweep_forever(
    app: procrastinate.App, stalled_seconds: float, alive_file: Path | None
) -> None:
    while True:
        if alive_file is not None:
            # For a container healthcheck: fresh while the worker is connected and running.
            alive_file.touch()
        await asyncio.sleep(sweep_interval(stalled_seconds))
        try:
            await sweep_stalled_jobs(app, stalled_seconds)
        except procrastinate.exceptions.ConnectorException as exc:
            # The database is away; the worker itself notices and reconnects.
            log.info("stalled-job sweep failed", extra={"error_type": type(exc).__name__})


async def _run_worker_async(
    app: procrastinate.App, settings: ArchiveSettings, alive_file: Path | None, **options
) -> None:
    """Run the procrastinate worker with the stalled-job sweep beside it."""
    async with app.open_async():
        sweeper = asyncio.create_task(_sweep_forever(app, settings.stalled_seconds, alive_file))
        try:
            await app.run_worker_async(**options)
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper


def run_retention(database: Database, dsr_settings: Any) -> dict[str, Any]:
    """Minimise closed requests past their record period and purge expired packages."""
    from service.audit import SYSTEM
    from service.dsr.retention import minimise_closed_requests

    with database.transaction() as conn:
        return minimise_closed_requests(conn, SYSTEM, dsr_settings)


def run_worker(
    config: Mapping[str, Any],
    url: str,
    secret: bytes,
    *,
    concurrency: int = 1,
    wait: bool = True,
    install_signal_handlers: bool = True,
    name: str | None = None,
    probe: Callable[[], Any] | None = None,
    alive_file: Path | None = None,
) -> None:
    """Run a scan worker until stopped (or, with wait=False, until the queue is empty).

    Rides out database outages: waits with backoff until ``probe`` connects (default: a
    connection to ``url``), then runs again.
    """
    from service.redaction import get_engine

    settings = load_archive_settings(config)
    # Built before the first job, so a job's time is spent scanning.
    engine = get_engine(secret)
    database = Database(url, min_size=1, max_size=max(2, concurrency + 1))
    resources = WorkerResources(
        database=database,
        engine=engine,
        secret=secret,
        settings=settings,
        dsr_settings=load_dsr_settings(config, secret),
    )

    def run_once() -> None:
        # A fresh app (and connection pool) per run: after an outage nothing old is reused.
        asyncio.run(
            _run_worker_async(
                build_queue_app(url, resources),
                settings,
                alive_file,
                queues=[QUEUE],
                concurrency=concurrency,
                wait=wait,
                name=name,
                install_signal_handlers=install_signal_handlers,
                delete_jobs="successful",
                update_heartbeat_interval=settings.heartbeat_seconds,
                stalled_worker_timeout=settings.stalled_seconds,
            )
        )

    try:
        if not wait:
            run_once()
            return
        run_through_outages(
            run_once,
            probe=probe or (lambda: psycopg.connect(url, connect_timeout=3).close()),
            name="scan worker",
            install_signal_handlers=install_signal_handlers,
        )
    finally:
        database.close()
