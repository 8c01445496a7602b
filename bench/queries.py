"""The benchmarks' own SQL (bulk loads, statistics), kept out of the service's query files."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from service.db import load_queries, queries

BENCH_SQL_DIR = Path(__file__).resolve().parent / "sql"


@cache
def bench_queries() -> dict[str, str]:
    """Return the service's named queries and the benchmarks' (bench/sql/*.sql) together."""
    own = load_queries(BENCH_SQL_DIR)
    shared = queries()
    clash = sorted(set(own) & set(shared))
    if clash:
        raise RuntimeError(f"bench/sql redefines service queries: {clash}")
    return {**shared, **own}
