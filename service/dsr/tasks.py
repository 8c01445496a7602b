"""The data-subject request jobs: the daily retention run.

``service.jobs`` adds these tasks to the job app under the namespace ``dsr``.
"""

from __future__ import annotations

from typing import Any

import procrastinate
from procrastinate import JobContext

from service.dsr.retention import run_retention

NAMESPACE = "dsr"
QUEUE = "dsr"
RETENTION_TASK = f"{NAMESPACE}:retention"


def blueprint() -> procrastinate.Blueprint:
    """Return the request workflow's tasks.

    A worker passes its runtime (database, request settings) as ``runtime`` in the job context.
    """
    tasks = procrastinate.Blueprint()

    # Once a day, any one worker minimises old closed requests and purges expired packages.
    @tasks.periodic(cron="17 3 * * *", periodic_id="retention")
    @tasks.task(name="retention", queue=QUEUE, queueing_lock=RETENTION_TASK, pass_context=True)
    def retention_job(context: JobContext, timestamp: int) -> dict[str, Any]:
        runtime = context.additional_context["runtime"]
        result = run_retention(runtime.database, runtime.dsr)
        return {key: value for key, value in result.items() if key != "cutoff"}

    return tasks
