"""The job registry: one procrastinate app holding every domain's tasks, and the worker loop.

Each domain keeps its tasks in a procrastinate Blueprint (``service/<domain>/tasks.py``); this
module adds them under the domain's namespace. Domains never import this module: they queue
jobs by task name on the caller's connection (see ``archive.scanning.plan_scan``).
"""

from __future__ import annotations

import procrastinate

from service.archive import tasks as archive_tasks
from service.archive.scanning import LEGACY_SCAN_TASK, SCAN_TASK
from service.archive.scanning import QUEUE as ARCHIVE_QUEUE
from service.audit import tasks as audit_tasks
from service.audit.verification import NAMESPACE as AUDIT_NAMESPACE
from service.audit.verification import QUEUE as AUDIT_QUEUE
from service.dsr import tasks as dsr_tasks
from service.runtime import Runtime

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
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=runtime.database_url))
    app.add_tasks_from(archive_tasks.blueprint(runtime.archive), namespace=archive_tasks.NAMESPACE)
    app.add_tasks_from(dsr_tasks.blueprint(), namespace=dsr_tasks.NAMESPACE)
    app.add_tasks_from(audit_tasks.blueprint(), namespace=AUDIT_NAMESPACE)
    for legacy, name in LEGACY_TASK_NAMES.items():
        app.tasks[legacy] = app.tasks[name]
    return app


def run_worker(
    runtime: Runtime,
    *,
    concurrency: int = 1,
    wait: bool = True,
    install_signal_handlers: bool = True,
    name: str | None = None,
) -> None:
    """Run a worker on every queue until stopped (or, with wait=False, until they are empty)."""
    # Built before the first job, so a job's time is spent scanning.
    runtime.engine()
    app = build_job_app(runtime)
    settings = runtime.archive
    app.run_worker(
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
