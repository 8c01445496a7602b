"""Named queries: one verb scheme, no benchmark SQL among them, none missing or left unused."""

from __future__ import annotations

import re
from pathlib import Path

from service.db import queries

ROOT = Path(__file__).resolve().parents[2]
# get_x reads one row, list_x many, count_x counts; the rest say what they change or hold.
VERBS = (
    "get",
    "list",
    "count",
    "insert",
    "update",
    "upsert",
    "delete",
    "lock",
    "unlock",
    "set",
    "create",
    "copy",
    "grant",
)
USE = re.compile(r"""(?:queries\(\)|\bq)\[\s*["']([a-z0-9_]+)["']\s*\]""")


def _used_in(folder: str) -> set[str]:
    return {
        name for path in (ROOT / folder).rglob("*.py") for name in USE.findall(path.read_text())
    }


def test_every_query_name_starts_with_a_verb_of_the_scheme():
    wrong = sorted(name for name in queries() if name.split("_", 1)[0] not in VERBS)
    assert not wrong, f"rename to <verb>_<what> with a verb of {VERBS}: {wrong}"


def test_benchmark_sql_lives_with_the_benchmarks():
    assert not [name for name in queries() if "bench" in name]
    assert "copy_bench_items" not in queries()


def test_every_query_the_service_uses_exists_and_every_query_is_used():
    used = _used_in("service")
    assert used - set(queries()) == set()
    assert set(queries()) - used == set(), "unused queries: remove them"
