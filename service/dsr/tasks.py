"""The data-subject request jobs: delivering recipient tasks, the daily retention run and the
digest of due requests.

``service.jobs`` adds these tasks to the job app under the namespace ``dsr``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import procrastinate
from procrastinate import JobContext

from service.dsr import recipients
from service.dsr.digest import WEBHOOK_TASK, deliver_digest_webhook, send_digest
from service.dsr.retention import run_retention

NAMESPACE = "dsr"
QUEUE = recipients.QUEUE
SEND_TASK = recipients.SEND_TASK
DIGEST_WEBHOOK_TASK = WEBHOOK_TASK
RETENTION_TASK = f"{NAMESPACE}:retention"
DIGEST_TASK = f"{NAMESPACE}:digest"


def blueprint() -> procrastinate.Blueprint:
    """Return the request workflow's tasks.

    A worker passes its runtime (database, request settings) as ``runtime`` in the job context.
    """
    tasks = procrastinate.Blueprint()

    # One attempt to deliver one recipient task. Its retries are queued by the attempt itself
    # (PRIVACY_DSR_SEND_RETRY_SECONDS), so the task row always shows the next attempt; a job
    # failing for another reason (the database away) is retried by procrastinate.
    @tasks.task(
        name="send_recipient_task",
        queue=QUEUE,
        pass_context=True,
        retry=procrastinate.RetryStrategy(max_attempts=3, wait=30),
    )
    def send_recipient_task_job(context: JobContext, task_id: str, delivery_id: str) -> str:
        runtime = context.additional_context["runtime"]
        return recipients.deliver_task(
            runtime.database, runtime.dsr, UUID(task_id), UUID(delivery_id)
        )

    # One attempt to POST a digest to its webhook; the attempt queues the next one itself.
    @tasks.task(
        name="send_digest_webhook",
        queue=QUEUE,
        pass_context=True,
        retry=procrastinate.RetryStrategy(max_attempts=3, wait=30),
    )
    def send_digest_webhook_job(
        context: JobContext,
        digest: dict[str, Any],
        delivery_id: str,
        idempotency_key: str,
        attempt: int,
    ) -> str:
        runtime = context.additional_context["runtime"]
        return deliver_digest_webhook(
            runtime.database,
            runtime.dsr,
            digest,
            delivery_id=delivery_id,
            idempotency_key=idempotency_key,
            attempt=attempt,
        )

    # Once a day, any one worker minimises old closed requests and purges expired packages.
    @tasks.periodic(cron="17 3 * * *", periodic_id="retention")
    @tasks.task(name="retention", queue=QUEUE, queueing_lock=RETENTION_TASK, pass_context=True)
    def retention_job(context: JobContext, timestamp: int) -> dict[str, Any]:
        runtime = context.additional_context["runtime"]
        result = run_retention(runtime.database, runtime.dsr)
        return {key: value for key, value in result.items() if key != "cutoff"}

    # Every morning, any one worker sends the digest of requests due soon or overdue.
    @tasks.periodic(cron="0 6 * * *", periodic_id="digest")
    @tasks.task(name="digest", queue=QUEUE, queueing_lock=DIGEST_TASK, pass_context=True)
    def digest_job(context: JobContext, timestamp: int) -> dict[str, int]:
        runtime = context.additional_context["runtime"]
        with runtime.database.transaction() as conn:
            result = send_digest(conn, runtime.dsr)
        return {key: len(result[key]) for key in ("overdue", "due_soon")}

    return tasks
