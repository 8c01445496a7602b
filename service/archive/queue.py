"""The scan job queue: procrastinate on the service's own PostgreSQL, and the scan worker.

Jobs are queued by ``scanning.plan_scan`` inside the transaction that stores the items. A
worker runs them; any number of workers, on any number of machines, share the queue. A worker
that dies stops sending heartbeats; once it has been silent for ``stalled_seconds``, the
``retry_stalled_jobs`` periodic task (run by any live worker) puts its running jobs back in
the queue, and the retried scan is idempotent (see scanning.scan_chunk).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import procrastinate
import psycopg
from procrastinate.schema import SchemaManager
from psycopg.rows import tuple_row

from service.archive.scanning import QUEUE, SCAN_TASK, scan_chunk
from service.archive.settings import ArchiveSettings, load_archive_settings
from service.audit.signing import load_audit_settings
from service.audit.verification import QUEUE as AUDIT_QUEUE
from service.audit.verification import VERIFY_TASK as AUDIT_VERIFY_TASK
from service.audit.verification import run_verification
from service.db import Database, queries
from service.dsr.settings import load_dsr_settings

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
    # The audit settings (trusted verifier keys), for audit verification jobs.
    audit_settings: Any = None


def build_queue_app(url: str, resources: WorkerResources | None = None) -> procrastinate.App:
    """Return a procrastinate App on the database, with the scan and stalled-job tasks.

    Without ``resources`` the app can only queue and inspect jobs, not run scans.
    """
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url))
    settings = resources.settings if resources else ArchiveSettings()

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

    sweep_every = max(1, min(59, math.floor(settings.stalled_seconds / 3)))

    @app.periodic(cron=f"*/{sweep_every} * * * * *", periodic_id="stalled", priority=SWEEP_PRIORITY)
    @app.task(
        name=RETRY_STALLED_TASK,
        queue=QUEUE,
        queueing_lock=RETRY_STALLED_TASK,
        priority=SWEEP_PRIORITY,
    )
    async def retry_stalled_jobs(timestamp: int) -> int:
        stalled = await app.job_manager.get_stalled_jobs(
            seconds_since_heartbeat=settings.stalled_seconds
        )
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

    # Once a day, any one worker minimises old closed requests and purges expired packages.
    @app.periodic(cron="17 3 * * *", periodic_id="retention")
    @app.task(name=RETENTION_TASK, queue=QUEUE, queueing_lock=RETENTION_TASK)
    def retention_job(timestamp: int) -> dict[str, Any]:
        if resources is None or resources.dsr_settings is None:
            raise RuntimeError("this queue app was built without worker resources")
        result = run_retention(resources.database, resources.dsr_settings)
        return {key: value for key, value in result.items() if key != "cutoff"}

    @app.task(name=AUDIT_VERIFY_TASK, queue=AUDIT_QUEUE)
    def verify_audit_log_job(verification_id: str) -> dict[str, Any]:
        if resources is None or resources.audit_settings is None:
            raise RuntimeError("this queue app was built without worker resources")
        return run_verification(resources.database, resources.audit_settings, UUID(verification_id))

    return app


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
) -> None:
    """Run a scan worker until stopped (or, with wait=False, until the queue is empty)."""
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
        audit_settings=load_audit_settings(config),
    )
    app = build_queue_app(url, resources)
    try:
        app.run_worker(
            queues=[QUEUE, AUDIT_QUEUE],
            concurrency=concurrency,
            wait=wait,
            name=name,
            install_signal_handlers=install_signal_handlers,
            delete_jobs="successful",
            update_heartbeat_interval=settings.heartbeat_seconds,
            stalled_worker_timeout=settings.stalled_seconds,
        )
    finally:
        database.close()
