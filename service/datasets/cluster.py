"""The Dask cluster a run works on: a local one per core by default, or an existing one."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from service.datasets.errors import DatasetSettingsError
from service.datasets.job import warm_worker
from service.datasets.settings import DatasetSettings
from service.redaction import RedactionInputError

#: Thread-count variables of numeric libraries: one thread each, as a worker is one core.
_ONE_THREAD = {
    name: "1"
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")
}

#: Set by Dask's nanny in a worker's environment before it starts, unless removed: with it,
#: glibc returns freed memory to the system at once and stops raising its mmap threshold,
#: so the engine's short-lived arrays are mapped and unmapped again for every text (a
#: hundred times the page faults and a fifth more CPU time than the in-process engine).
_MALLOC_TRIM = "MALLOC_TRIM_THRESHOLD_"


def worker_spawn_environment() -> dict[str, Any]:
    """Return Dask's pre-spawn environment for local workers, without the malloc trim setting.

    The workers then allocate like any other process running the engine (glibc's dynamic
    thresholds); a partition's memory is freed when it is written, so there is little to trim.
    """
    import dask

    spawn = dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {}
    return {name: value for name, value in spawn.items() if name != _MALLOC_TRIM}


@contextmanager
def dask_client(
    scheduler: str | None = None,
    *,
    workers: int | None = None,
    environment: Mapping[str, str] | None = None,
) -> Iterator[Any]:
    """Yield a Dask client: on the scheduler given, else on a new local cluster.

    The local cluster has one worker process per core (or ``workers``), one thread each,
    no dashboard, and passes ``environment`` (the server secret, say) to its workers; it is
    shut down on exit. Its workers start without Dask's ``MALLOC_TRIM_THRESHOLD_`` (see
    :func:`worker_spawn_environment`). Workers of an existing cluster take their settings
    from their own environment.
    """
    import dask
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler, timeout="30s") as client:
            yield client
        return
    count = workers or os.cpu_count() or 1
    with (
        dask.config.set({"distributed.nanny.pre-spawn-environ": worker_spawn_environment()}),
        LocalCluster(
            n_workers=count,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            scheduler_port=0,
            silence_logs=logging.ERROR,
            env={**_ONE_THREAD, **(environment or {})},
        ) as cluster,
        Client(cluster) as client,
    ):
        client.wait_for_workers(count)
        yield client


def warm_up(client: Any, settings: DatasetSettings) -> dict[str, int]:
    """Build the engine on every worker now and check the run's operators there.

    Returns each worker's process id by address. Raises DatasetSettingsError when a worker
    has another secret or the operators are not valid.
    """
    workers = list(client.scheduler_info()["workers"])
    if not workers:
        raise DatasetSettingsError("the Dask cluster has no workers")
    futures = {
        address: client.submit(
            warm_worker, settings, workers=[address], allow_other_workers=False, pure=False
        )
        for address in workers
    }
    try:
        return {address: future.result() for address, future in futures.items()}
    except RedactionInputError as error:
        raise DatasetSettingsError(f"--operators: {error.message}") from error
