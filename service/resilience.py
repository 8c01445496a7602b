"""Keep a long-running database client going through outages: back off, reconnect, resume.

Any worker loop (the scan worker, the audit integrator) runs as ``run_through_outages(run,
probe=...)``: when ``run`` fails because the database went away, the loop waits with
exponential backoff until ``probe`` connects again (``database_probe`` also restarts the
embedded server when it is gone), then calls ``run`` afresh. ``run`` must be safe to start
again: work it had taken but not finished is taken up again by whoever finds it (scan jobs
are re-queued by the stalled-job sweep and are idempotent).
"""

from __future__ import annotations

import logging
import random
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click
import psycopg
from psycopg_pool import PoolTimeout

log = logging.getLogger(__name__)

T = TypeVar("T")

# The CLI option of every long-running worker command (job worker, audit signer).
alive_file_option = click.option(
    "--alive-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Touch this file every few seconds while connected (for a container healthcheck).",
)


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter: first, first*factor, ... up to most seconds."""

    first: float = 0.5
    factor: float = 2.0
    most: float = 30.0
    jitter: float = 0.2

    def delays(self) -> Iterator[float]:
        """Yield the waits between attempts, forever."""
        delay = self.first
        while True:
            yield delay * (1 + random.uniform(-self.jitter, self.jitter))
            delay = min(self.most, delay * self.factor)


def is_database_outage(exc: BaseException) -> bool:
    """Tell whether an error (or one it was raised from) means the database is unreachable."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        error = pending.pop()
        if id(error) in seen:
            continue
        seen.add(id(error))
        if isinstance(error, psycopg.OperationalError | PoolTimeout | ConnectionError):
            return True
        if isinstance(error, BaseExceptionGroup):
            pending.extend(error.exceptions)
        pending.extend(e for e in (error.__cause__, error.__context__) if e is not None)
    return False


def database_probe(config: dict[str, Any]) -> Callable[[], str]:
    """Return a probe that connects to the configured database and returns its URL.

    On the embedded database (no DATABASE_URL) the probe first starts the server again if it
    is gone: whichever process finds it stopped restarts it.
    """
    from service.db import ensure_embedded_running

    def probe() -> str:
        url = config.get("DATABASE_URL")
        if not url:
            try:
                url = ensure_embedded_running(Path(config["PRIVACY_DATA_DIR"]))
            except (subprocess.SubprocessError, AssertionError) as exc:
                # pg_ctl failed or timed out, or pgserver found a server not yet ready (a busy
                # machine, a server still shutting down): still an outage, tried again later.
                raise ConnectionError("the embedded server did not start") from exc
        psycopg.connect(url, connect_timeout=3).close()
        return url

    return probe


@contextmanager
def _stop_on_signals(stop: threading.Event, install: bool):
    """While waiting, turn SIGINT/SIGTERM into a stop request (main thread only)."""
    if not install or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, lambda *_: stop.set())
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def wait_for_database(
    probe: Callable[[], Any],
    *,
    backoff: Backoff,
    stop: threading.Event,
    name: str,
) -> bool:
    """Call probe with backoff until it succeeds (True) or a stop is requested (False)."""
    for attempt, delay in enumerate(backoff.delays(), start=1):
        if stop.wait(delay):
            return False
        try:
            probe()
            return True
        except Exception as exc:
            if not is_database_outage(exc) and not isinstance(exc, OSError):
                raise
            log.info(
                "database still unreachable",
                extra={"component": name, "attempt": attempt, "error_type": type(exc).__name__},
            )
    return False  # pragma: no cover - delays() never ends


def run_through_outages(
    run: Callable[[], T],
    *,
    probe: Callable[[], Any],
    name: str,
    backoff: Backoff | None = None,
    stop: threading.Event | None = None,
    install_signal_handlers: bool = True,
) -> T | None:
    """Run ``run`` until it returns; after a database outage, reconnect and run it again.

    Returns what ``run`` returned, or None when stopped while waiting for the database.
    Errors other than an outage propagate.
    """
    backoff = backoff or Backoff()
    stop = stop or threading.Event()
    while True:
        try:
            return run()
        except Exception as exc:
            if not is_database_outage(exc):
                raise
            log.warning(
                "database unreachable: reconnecting with backoff",
                extra={"component": name, "error_type": type(exc).__name__},
            )
        with _stop_on_signals(stop, install_signal_handlers):
            if not wait_for_database(probe, backoff=backoff, stop=stop, name=name):
                log.warning("stopped while waiting for the database", extra={"component": name})
                return None
        log.warning("database reachable again: resuming", extra={"component": name})
