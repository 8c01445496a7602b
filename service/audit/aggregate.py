"""Summed audit records for high-volume calls: one event per actor and action per interval.

Redaction and analysis calls arrive hundreds of times a second. What an auditor needs of them is
who called what, when, how often, and which categories of personal data were found (GDPR Art. 30
and 5(2): a record of processing, not a copy of it); one event per call adds nothing to that and
would make the log mostly redaction noise, with every call waiting on a database write. So these
calls add their counts to an in-process aggregate, and a background thread writes one event per
(actor, action) for each interval in which that actor called (`window_start`, `window_end`,
`requests`, summed counts). The same holds for refused authentications, so a flood of bad keys
adds one event per reason and route per interval, not one per attempt.

Nothing is lost on a clean shutdown: `close()` (called at process exit) writes what is pending.
A process killed with SIGKILL loses at most the one interval it had not written yet.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import weakref
from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from service.audit.events import Actor

log = logging.getLogger("service.audit")


@dataclass
class Aggregate:
    """What one actor did with one action during one interval: counts only, never content."""

    actor: Actor
    action: str
    target_type: str
    outcome: str
    target_id: str | None
    window_start: datetime
    window_end: datetime
    requests: int = 0
    totals: Counter[str] = field(default_factory=Counter)
    breakdowns: dict[str, Counter[str]] = field(default_factory=dict)
    labels: dict[str, set[str]] = field(default_factory=dict)

    def add(self, counts: dict[str, Any], at: datetime) -> None:
        """Add one call's counts: numbers are summed, dicts summed per key, lists united."""
        self.requests += 1
        self.window_end = at
        for name, value in counts.items():
            if isinstance(value, bool) or value is None:
                continue
            if isinstance(value, int | float):
                self.totals[name] += value
            elif isinstance(value, dict):
                self.breakdowns.setdefault(name, Counter()).update(value)
            elif isinstance(value, list | tuple | set | frozenset):
                self.labels.setdefault(name, set()).update(str(v) for v in value)
            else:
                self.labels.setdefault(name, set()).add(str(value))

    def absorb(self, later: Aggregate) -> None:
        """Add the counts of a later aggregate of the same group to this one."""
        self.requests += later.requests
        self.window_end = later.window_end
        self.totals.update(later.totals)
        for name, counter in later.breakdowns.items():
            self.breakdowns.setdefault(name, Counter()).update(counter)
        for name, values in later.labels.items():
            self.labels.setdefault(name, set()).update(values)

    def details(self) -> dict[str, Any]:
        """Return the audit event's details: the window and the summed counts."""
        details: dict[str, Any] = {
            "aggregated": True,
            "requests": self.requests,
            "window_start": self.window_start.isoformat(timespec="milliseconds"),
            "window_end": self.window_end.isoformat(timespec="milliseconds"),
        }
        details.update(self.totals)
        for name, counter in self.breakdowns.items():
            details[name] = dict(sorted(counter.items()))
        for name, values in self.labels.items():
            details[name] = sorted(values)
        return details


Writer = Callable[[list[Aggregate]], None]

#: Aggregators with a running thread in this process: each is closed (and flushed) at exit.
_LIVE: weakref.WeakSet[AuditAggregator] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for aggregator in list(_LIVE):
        aggregator.close()


class AuditAggregator:
    """Collects counts per (actor, action, target) and writes them every `interval` seconds."""

    def __init__(self, write: Writer, *, interval: float = 1.0, max_groups: int = 10_000):
        self._write = write
        self.interval = interval
        self.max_groups = max_groups
        self._lock = threading.Lock()
        self._pending: dict[Hashable, Aggregate] = {}
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._failing = False

    def add(
        self,
        actor: Actor,
        action: str,
        counts: dict[str, Any],
        *,
        target_type: str = "text",
        target_id: str | None = None,
        outcome: str = "success",
    ) -> None:
        """Count one call; never touches the database."""
        self._ensure_thread()
        now = datetime.now(UTC)
        group = (actor.key_id, actor.user_id, actor.role, action, target_type, target_id, outcome)
        with self._lock:
            aggregate = self._pending.get(group)
            if aggregate is None:
                aggregate = Aggregate(
                    actor=Actor(
                        key_id=actor.key_id, role=actor.role, request_id=None, user_id=actor.user_id
                    ),
                    action=action,
                    target_type=target_type,
                    outcome=outcome,
                    target_id=target_id,
                    window_start=now,
                    window_end=now,
                )
                self._pending[group] = aggregate
            aggregate.add(counts, now)
            full = len(self._pending) >= self.max_groups
        if full:
            self._wake.set()

    def flush(self) -> int:
        """Write every pending aggregate now; return how many events were written."""
        with self._lock:
            pending, self._pending = self._pending, {}
        if not pending:
            return 0
        batch = list(pending.values())
        try:
            self._write(batch)
        except Exception as exc:
            # The database may be away: keep the counts and try again next interval rather
            # than lose them (merged into whatever arrives meanwhile). Said once per outage.
            if not self._failing:
                log.warning(
                    "audit aggregate not written; keeping it and retrying",
                    extra={"events": len(batch), "error_type": type(exc).__name__},
                )
            self._failing = True
            with self._lock:
                for key, old in pending.items():
                    newer = self._pending.get(key)
                    if newer is not None:
                        old.absorb(newer)
                    self._pending[key] = old
            return 0
        if self._failing:
            log.info("audit aggregate written again", extra={"events": len(batch)})
        self._failing = False
        return len(batch)

    def close(self) -> None:
        """Stop the background thread and write what is pending (a clean shutdown loses nothing)."""
        _LIVE.discard(self)
        self._stopping = True
        self._wake.set()
        thread = self._thread
        if thread is not None and thread.is_alive() and thread is not threading.current_thread():
            thread.join(timeout=10)
        self.flush()

    def _ensure_thread(self) -> None:
        # Started lazily in the process that counts: a thread does not survive a fork, so a
        # gunicorn worker starts its own on its first call.
        if self._pid == os.getpid() and self._thread is not None:
            return
        with self._lock:
            if self._pid == os.getpid() and self._thread is not None:
                return
            self._pid = os.getpid()
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="audit-aggregator", daemon=True)
            self._thread.start()
            _LIVE.add(self)

    def _run(self) -> None:
        while not self._stopping:
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stopping:
                break
            self.flush()


def database_writer(transaction: Callable[[], Any]) -> Writer:
    """Return a writer that appends a batch of aggregates in one transaction of `transaction()`."""
    from service.audit.events import record_event

    def write(batch: list[Aggregate]) -> None:
        with transaction() as conn:
            for aggregate in batch:
                record_event(
                    conn,
                    aggregate.actor,
                    aggregate.action,
                    target_type=aggregate.target_type,
                    target_id=aggregate.target_id,
                    outcome=aggregate.outcome,
                    details=aggregate.details(),
                )

    return write
