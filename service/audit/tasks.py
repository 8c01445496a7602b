"""The audit log's jobs: full verifications of the log, with their progress.

``service.jobs`` adds these tasks to the job app under the namespace ``audit``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import procrastinate
from procrastinate import JobContext

from service.audit.verification import QUEUE, run_verification


def blueprint() -> procrastinate.Blueprint:
    """Return the audit log's tasks; a worker passes its runtime as ``runtime`` in the context."""
    tasks = procrastinate.Blueprint()

    @tasks.task(name="verify_log", queue=QUEUE, pass_context=True)
    def verify_log_job(context: JobContext, verification_id: str) -> dict[str, Any]:
        runtime = context.additional_context["runtime"]
        return run_verification(runtime.database, runtime.audit, UUID(verification_id))

    return tasks
