"""Queue background jobs on the caller's database connection, inside its transaction.

A job queued here exists exactly when the caller's transaction commits: a scan's chunks, an
audit verification, a recipient task. The tasks themselves and the app that runs them are in
``service.jobs``, which imports the domains; the domains import this module instead, so
there is no import cycle. Jobs are named by their full task name (``namespace:task``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import procrastinate
import psycopg


@functools.cache
def _deferrer() -> procrastinate.App:
    """Return an app that only queues jobs, on a given connection (it needs no database URL)."""
    return procrastinate.App(connector=procrastinate.PsycopgConnector())


def defer_job(
    conn: psycopg.Connection,
    task: str,
    *,
    queue: str,
    schedule_at: datetime | None = None,
    **arguments: Any,
) -> int:
    """Queue one job of ``task`` on ``conn`` (in its transaction); return the job's id."""
    options: dict[str, Any] = {"name": task, "queue": queue, "connection": conn}
    if schedule_at is not None:
        options["schedule_at"] = schedule_at
    return _deferrer().configure_task(**options).defer(**arguments)


def defer_jobs(
    conn: psycopg.Connection, task: str, *, queue: str, arguments: Iterable[Mapping[str, Any]]
) -> list[int]:
    """Queue one job of ``task`` per set of arguments on ``conn``; return their ids."""
    batch = [dict(one) for one in arguments]
    if not batch:
        return []
    deferrer = _deferrer().configure_task(name=task, queue=queue, connection=conn)
    return deferrer.batch_defer(*batch)
