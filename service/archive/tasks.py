"""The archive's jobs: scan a chunk of items, and put a dead worker's jobs back in the queue.

``service.jobs`` adds these tasks to the job app under the namespace ``archive``. Jobs are
queued by ``scanning.plan_scan`` inside the transaction that stores the items. A worker runs
them; any number of workers, on any number of machines, share the queue. A worker that dies
stops sending heartbeats; once it has been silent for ``stalled_seconds``, the stalled-job
sweep of any live worker (``sweep_stalled_jobs``, run by ``service.jobs`` in a loop beside the
jobs every few seconds, so it never waits behind a long scan) puts its running jobs back in the
queue, and the retried scan is idempotent (see scanning.scan_chunk).
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

import procrastinate
from procrastinate import JobContext

from service.archive.scanning import QUEUE, SCAN_TASK, scan_chunk
from service.archive.settings import ArchiveSettings

log = logging.getLogger(__name__)

NAMESPACE = "archive"
RETRY_STALLED_TASK = f"{NAMESPACE}:retry_stalled_jobs"
# A scan chunk that fails (database restart, deadlock) is tried again, up to 5 times in all.
SCAN_RETRY = procrastinate.RetryStrategy(max_attempts=5, wait=1, exponential_wait=2)
# The stalled-job sweep jumps the queue: recovering a dead worker's chunk must not wait
# behind thousands of queued ones.
SWEEP_PRIORITY = 100


async def sweep_stalled_jobs(app: procrastinate.App, stalled_seconds: float) -> int:
    """Put the running jobs of workers silent for stalled_seconds back in the queue."""
    job_manager = app.job_manager
    stalled = await job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_seconds)
    retried = 0
    for job in stalled:
        try:
            await job_manager.retry_job(job)
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


def blueprint(settings: ArchiveSettings) -> procrastinate.Blueprint:
    """Return the archive's tasks.

    A worker passes its runtime (database, engine, secret) as ``runtime`` in the job context.
    """
    tasks = procrastinate.Blueprint()

    @tasks.task(
        name=SCAN_TASK.removeprefix(f"{NAMESPACE}:"),
        queue=QUEUE,
        retry=SCAN_RETRY,
        pass_context=True,
    )
    def scan_chunk_job(context: JobContext, scan_id: str, chunk: int) -> dict[str, Any]:
        runtime = context.additional_context["runtime"]
        return scan_chunk(
            runtime.database.pool, runtime.engine(), runtime.secret, UUID(scan_id), chunk
        )

    # No longer periodic (the sweep runs beside the jobs); kept so that sweep jobs queued by an
    # older version still run.
    @tasks.task(
        name=RETRY_STALLED_TASK.removeprefix(f"{NAMESPACE}:"),
        queue=QUEUE,
        queueing_lock=RETRY_STALLED_TASK,
        priority=SWEEP_PRIORITY,
        pass_context=True,
    )
    async def retry_stalled_jobs(context: JobContext, timestamp: int) -> int:
        return await sweep_stalled_jobs(context.app, settings.stalled_seconds)

    return tasks
