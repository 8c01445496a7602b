"""The job registry: one procrastinate app holding every domain's tasks, and the worker loop.

Each domain keeps its tasks in a procrastinate Blueprint (``service/<domain>/tasks.py``); this
module adds them under the domain's namespace. Domains never import this module: they queue
jobs by task name on the caller's connection (see ``archive.scanning.plan_scan``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import procrastinate
import psycopg

from service.archive import tasks as archive_tasks
from service.archive.scanning import LEGACY_SCAN_TASK, SCAN_TASK
from service.archive.scanning import QUEUE as ARCHIVE_QUEUE
from service.audit import tasks as audit_tasks
from service.audit.verification import NAMESPACE as AUDIT_NAMESPACE
from service.audit.verification import QUEUE as AUDIT_QUEUE
from service.dsr import tasks as dsr_tasks
from service.resilience import run_through_outages
from service.runtime import Runtime

log = logging.getLogger(__name__)

# Every queue a worker serves.
QUEUES = (ARCHIVE_QUEUE, dsr_tasks.QUEUE, AUDIT_QUEUE)
# Names tasks had before they were registered per domain; jobs queued under them still run.
LEGACY_TASK_NAMES = {
    LEGACY_SCAN_TASK: SCAN_TASK,
    "archive.retry_stalled_jobs": archive_tasks.RETRY_STALLED_TASK,
    "dsr.retention": dsr_tasks.RETENTION_TASK,
}


def build_job_app(runtime: Runtime) -> procrastinate.App:
    """Return the procrastinate app on the runtime's database, with every domain's tasks."""
    # A short pool timeout: with the database gone the worker gives up within seconds and
    # reconnects (run_worker), rather than hanging on the pool for its default 30 s.
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(
            conninfo=runtime.database_url, timeout=runtime.config["PRIVACY_DB_TIMEOUT"]
        )
    )
    app.add_tasks_from(archive_tasks.blueprint(runtime.archive), namespace=archive_tasks.NAMESPACE)
    app.add_tasks_from(dsr_tasks.blueprint(), namespace=dsr_tasks.NAMESPACE)
    app.add_tasks_from(audit_tasks.blueprint(), namespace=AUDIT_NAMESPACE)
    for legacy, name in LEGACY_TASK_NAMES.items():
        app.tasks[legacy] = app.tasks[name]
    return app


async def _sweep_forever(
    app: procrastinate.App, stalled_seconds: float, alive_file: Path | None
) -> None:
    while True:
        if alive_file is not None:
            # For a container healthcheck: fresh while the worker is connected and running.
            alive_file.touch()
        await asyncio.sleep(archive_tasks.sweep_interval(stalled_seconds))
        try:
            await archive_tasks.sweep_stalled_jobs(app, stalled_seconds)
        except procrastinate.exceptions.ConnectorException as exc:
            # The database is away; the worker itself notices and reconnects.
            log.info("stalled-job sweep failed", extra={"error_type": type(exc).__name__})


async def _run_worker_async(
    app: procrastinate.App, stalled_seconds: float, alive_file: Path | None, **options: Any
) -> None:
    """Run the procrastinate worker with the stalled-job sweep beside it."""
    async with app.open_async():
        sweeper = asyncio.create_task(_sweep_forever(app, stalled_seconds, alive_file))
        try:
            await app.run_worker_async(**options)
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper


def run_worker(
    runtime: Runtime,
    *,
    concurrency: int = 1,
    wait: bool = True,
    install_signal_handlers: bool = True,
    name: str | None = None,
    probe: Callable[[], Any] | None = None,
    alive_file: Path | None = None,
) -> None:
    """Run a worker on every queue until stopped (or, with wait=False, until they are empty).

    A stalled-job sweep runs beside the jobs, every few seconds: a dead worker's jobs are back
    in the queue at most a few seconds after ``stalled_seconds``. Rides out database outages:
    when the database goes away the worker waits with backoff until ``probe`` connects
    (default: a connection to the runtime's database), then runs again; what it was running is
    swept back by the stalled-job sweep and redone (scans are idempotent).
    """
    # Built before the first job, so a job's time is spent scanning.
    runtime.engine()
    settings = runtime.archive

    def run_once() -> None:
        # A fresh app (and job connection pool) per run: after an outage nothing old is reused.
        asyncio.run(
            _run_worker_async(
                build_job_app(runtime),
                settings.stalled_seconds,
                alive_file,
                queues=list(QUEUES),
                concurrency=concurrency,
                wait=wait,
                name=name,
                install_signal_handlers=install_signal_handlers,
                delete_jobs="successful",
                update_heartbeat_interval=settings.heartbeat_seconds,
                stalled_worker_timeout=settings.stalled_seconds,
                additional_context={"runtime": runtime},
            )
        )

    if not wait:
        run_once()
        return
    url = runtime.database_url
    run_through_outages(
        run_once,
        probe=probe or (lambda: psycopg.connect(url, connect_timeout=3).close()),
        name="job worker",
        install_signal_handlers=install_signal_handlers,
    )
