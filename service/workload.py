"""How much work this process has done: a server recycles a worker by work, not by requests."""

from __future__ import annotations

import os
import resource

_texts = 0


def count_texts(n: int) -> None:
    """Record that n more texts went through the language pipeline in this process."""
    global _texts
    _texts += n


def texts_processed() -> int:
    """Return how many texts this process has put through the language pipeline."""
    return _texts


def rss_bytes() -> int:
    """Return this process's resident memory now (its peak where /proc is missing)."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
